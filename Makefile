# stackae: two commands set up a fresh machine:
#   make demo   ingest the bundled datasets into ./data and show them
#   make test   install the S3 test server and run every test
SHELL := /bin/bash
GO ?= go
TOOLS := $(CURDIR)/bin/tools
VERSITYGW := $(TOOLS)/versitygw
VERSITYGW_VERSION := v1.8.0
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
EMOJI_VERSION := 16.0.0
EMOJI_TGZ := $(CURDIR)/.cache/emoji-datasource-google-$(EMOJI_VERSION).tgz
EMOJI_TWITTER_TGZ := $(CURDIR)/.cache/emoji-datasource-twitter-$(EMOJI_VERSION).tgz
DUCKDB_VERSION := 1.5.6-r.1
DNNL_HEADER := /usr/include/oneapi/dnnl/dnnl.h
TORCH := /usr/lib/python3/dist-packages/torch/__init__.py
# The fast path: convolutions on oneDNN (Debian libdnnl-dev) through cgo.
# `make build TAGS=` builds the pure-Go binary (gorgonia's own ops).
TAGS ?= dnnl
DUCKDB := $(TOOLS)/duckdb/node_modules/@duckdb/node-api/package.json
export PATH := $(TOOLS):$(PATH)

.PHONY: all deps test-deps demo-deps build test lint bench demo experiments reliability clean
all: build

## deps: system packages, datasets and test tools (idempotent)
deps: test-deps demo-deps
test-deps: $(VERSITYGW) $(DUCKDB) $(DNNL_HEADER)
demo-deps: $(DNNL_HEADER) $(FASHION_MNIST) $(EMOJI_TGZ) $(EMOJI_TWITTER_TGZ)

$(VERSITYGW):
	GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# DuckDB (npm ships its binary) reads our datasets in the interop test.
$(DUCKDB):
	command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm install --silent --no-audit --no-fund --prefix $(TOOLS)/duckdb @duckdb/node-api@$(DUCKDB_VERSION)

$(FASHION_MNIST):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist

# Debian's PyTorch (run with /usr/bin/python3): the reference in make bench.
$(TORCH):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq python3-torch

$(DNNL_HEADER):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libdnnl-dev

$(EMOJI_TGZ) $(EMOJI_TWITTER_TGZ):
	mkdir -p $(dir $@)
	cd $(dir $@) && npm pack --silent $(patsubst %-$(EMOJI_VERSION).tgz,%,$(notdir $@))@$(EMOJI_VERSION) --pack-destination .

## build: bin/stackae
build: $(if $(TAGS),$(DNNL_HEADER))
	$(GO) build -tags "$(TAGS)" -o bin/stackae ./cmd/stackae

## test: every test, against mem://, file:// and a real S3 server on 127.0.0.1
## test: every test on the fast path (-tags dnnl), then the pure-Go build's
test: test-deps
	$(GO) vet ./...
	$(GO) vet -tags dnnl ./...
	$(GO) test -count=1 -timeout 20m -tags dnnl ./...
	$(GO) test -count=1 -timeout 20m ./...
	# short fuzzing runs (make reliability runs them longer); counts, not durations: a
	# duration-based -fuzztime fails spuriously on go1.26 (golang/go#75804)
	$(GO) test -run '^$$' -fuzz '^FuzzParseManifest$$' -fuzztime 20000x -parallel 2 ./dataset
	$(GO) test -run '^$$' -fuzz '^FuzzIDXHeader$$' -fuzztime 20000x -parallel 2 ./stages/ingest
	$(GO) test -run '^$$' -fuzz '^FuzzImageIngest$$' -fuzztime 20000x -parallel 2 ./stages/ingest
	# rendered Argo manifests against Argo's Go types, and the DAG run locally (own module)
	cd deploy/argotest && $(GO) vet ./... && STACKAE_VERSITYGW=$(VERSITYGW) STACKAE_TAGS=dnnl $(GO) test -count=1 -timeout 10m ./...

## demo: the two-layer pipeline on the Google emoji set, on a budget of a few minutes
demo: demo-deps build
	./bin/stackae run --config configs/demo.yaml
	./bin/stackae inspect ./data/demo/level2/data --verify
	./bin/stackae preview ./data/demo/level0 --out ./data/demo/level0.png --n 64
	./bin/stackae preview ./data/demo/level1/data --out ./data/demo/level1-decoded.png --n 64
	@echo; echo "reconstructions: ./data/demo/eval/reconstructions.png"
	@echo "loss curves:     ./data/demo/level1/model/loss.png ./data/demo/level2/model/loss.png"
	@echo "previews:        ./data/demo/level0.png ./data/demo/level1-decoded.png"
	@echo "downstream:      ./data/demo/downstream/*/metrics.json (classifier accuracy and s/epoch on pixels vs level 1)"
	@echo "                 ./data/demo/downstream/vae-level2/samples.png (VAE samples decoded to pixels)"

## experiments: the seed's one/two/three-layer stacks on the emoji sets, and the downstream
## models (two-layer: classifiers, VAE, BEGAN; Fashion-MNIST: classifiers) -> docs/RESULTS.md
EXPERIMENTS := one-layer two-layer three-layer
experiments: demo-deps build
	for c in $(EXPERIMENTS) fashion-mnist; do ./bin/stackae run --config configs/$$c.yaml || exit 1; done
	$(GO) run ./tools/results -budget "$(BUDGET)" -downstream ./data/two-layer,./data/fashion-mnist-stack $(addprefix ./data/,$(EXPERIMENTS))
BUDGET ?= at most 3 epochs per level; level 1: 600 batches of 16; three-layer level 2: 400; flatten levels: 800

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags dnnl ./...

## reliability: storage faults, kills, bad inputs at full size and longer fuzzing -> docs/RELIABILITY.md
reliability: build test-deps
	STACKAE_VERSITYGW=$(VERSITYGW) scripts/reliability.sh

## bench: run the benchmarks and write docs/BENCHMARKS.md
## bench: stackae against PyTorch side by side, then micro-benchmarks -> docs/BENCHMARKS.md
bench: build $(TORCH) $(VERSITYGW)
	$(GO) build -tags dnnl -o bin/stackae-bench ./bench
	scripts/bench.sh

clean:
	rm -rf bin .cache
