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
export PATH := $(TOOLS):$(PATH)

.PHONY: all deps build test lint bench demo clean
all: build

## deps: system packages, datasets and test tools (idempotent)
deps: $(VERSITYGW) $(FASHION_MNIST) $(EMOJI_TGZ)

$(VERSITYGW):
	GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(FASHION_MNIST):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist

$(EMOJI_TGZ):
	mkdir -p $(dir $@)
	cd $(dir $@) && npm pack --silent emoji-datasource-google@$(EMOJI_VERSION) --pack-destination .

## build: bin/stackae
build:
	$(GO) build -o bin/stackae ./cmd/stackae

## test: every test, against mem://, file:// and a real S3 server on 127.0.0.1
test: $(VERSITYGW) $(FASHION_MNIST)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin .cache
