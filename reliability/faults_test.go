package reliability

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
	"github.com/stackae/stackae/storage/s3test"
)

var idx = filepath.Join("..", "jobs", "testdata", "idx")

// tinyPipeline is ingest -> train (checkpoint writes every 2 batches) ->
// encode in 2 parts -> finalize, under root.
func tinyPipeline(t *testing.T, root string) {
	t.Helper()
	mustCLI(t, "ingest", "--from", "idx:"+idx, "--to", root+"/l0", "--validation", "0.25")
	mustCLI(t, "train", "--data", root+"/l0", "--model", root+"/m1", "--factor", "2", "--features", "2", "--width", "4",
		"--batch", "4", "--epochs", "2", "--checkpoint-every", "2")
	for _, part := range []string{"1/2", "0/2"} {
		mustCLI(t, "encode", "--data", root+"/l0", "--model", root+"/m1", "--to", root+"/l1", "--shard", part)
	}
	mustCLI(t, "encode", "--data", root+"/l0", "--model", root+"/m1", "--to", root+"/l1", "--finalize", "--shards", "2")
}

// Faults injected between stackae and the S3 server (throttling, 500s,
// connection resets, latency) within the retry budget change nothing: the
// datasets and weights equal a fault-free run's. Beyond the budget a job
// fails, names what failed, and commits nothing.
func TestStorageFaults(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{})
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("STACKAE_STORAGE_S3_MAX_ATTEMPTS", "12")
	t.Setenv("STACKAE_LOG_LEVEL", "warn")
	clean := srv.CreateBucket(t, "clean")
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", srv.Endpoint)
	tinyPipeline(t, clean+"/p")

	seeds, rate := []uint64{1, 2}, 0.15
	if full {
		seeds, rate = []uint64{1, 2, 3, 4, 5, 6}, 0.25
	}
	var injected, requests int
	for _, seed := range seeds {
		faulty := srv.CreateBucket(t, fmt.Sprintf("faulty-%d", seed))
		proxy, err := s3test.NewFaultProxy(srv.Endpoint, s3test.Faults{Seed: seed, Rate: rate, Latency: time.Millisecond, BytesPerSecond: 64 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", proxy.Endpoint)
		tinyPipeline(t, faulty+"/p")
		kinds, n := proxy.Injected()
		proxy.Close()
		injected, requests = injected+proxy.Total(), requests+int(n)
		t.Logf("seed %d: %d requests, faults %v", seed, n, kinds)
		sameOutputs(t, srv.Config(), clean+"/p", faulty+"/p")
	}
	// A shard above the 16 MiB multipart threshold, uploaded in 8 MiB parts
	// through the faults.
	src := t.TempDir()
	writeNoiseIDX(t, src, 5000, 64, 64) // 20 MB of incompressible pixels: one 20 MB shard
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", srv.Endpoint)
	mustCLI(t, "ingest", "--from", "idx:"+src, "--to", clean+"/a/big", "--shard-mb", "64")
	proxy, err := s3test.NewFaultProxy(srv.Endpoint, s3test.Faults{Seed: 77, Rate: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", proxy.Endpoint)
	mustCLI(t, "ingest", "--from", "idx:"+src, "--to", clean+"/b/big", "--shard-mb", "64")
	proxy.Close()
	injected += proxy.Total()
	a, b := openDataset(t, srv.Config(), clean+"/a/big"), openDataset(t, srv.Config(), clean+"/b/big")
	if a.Manifest.Shards[0].Bytes < 16<<20 || a.Manifest.Shards[0].SHA256 != b.Manifest.Shards[0].SHA256 {
		t.Fatalf("multipart shard: %d bytes, sha %.12s vs %.12s", a.Manifest.Shards[0].Bytes, a.Manifest.Shards[0].SHA256, b.Manifest.Shards[0].SHA256)
	}
	t.Logf("multipart ingest: %d faults", proxy.Total())
	if injected == 0 {
		t.Fatal("no fault was injected")
	}
	record("storage faults", fmt.Sprintf("faults injected (rate %.2f over %d requests of %d pipelines, plus a 20 MB multipart shard at rate 0.40) and survived with identical outputs", rate, requests, len(seeds)), injected)

	// Beyond the retry budget: every request fails.
	proxy, err = s3test.NewFaultProxy(srv.Endpoint, s3test.Faults{Seed: 9, Rate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", proxy.Endpoint)
	t.Setenv("STACKAE_STORAGE_S3_MAX_ATTEMPTS", "3")
	out := srv.CreateBucket(t, "hopeless")
	start := time.Now()
	code, _, errs := cli("ingest", "--from", "idx:"+idx, "--to", out+"/l0")
	if code != 1 || !strings.Contains(errs, "s3://hopeless") || !strings.Contains(errs, "retries exhausted") {
		t.Fatalf("ingest through a dead proxy: exit %d\n%s", code, errs)
	}
	proxy.SetEnabled(false)
	ob, _ := storage.Open(context.Background(), out+"/l0", srv.Config())
	if ok, _ := ob.Exists(context.Background(), dataset.ManifestKey); ok {
		t.Fatal("a failed ingest committed a manifest")
	}
	record("storage faults", "jobs beyond the retry budget that failed clearly with no manifest (every request faulted, "+since(start)+")", 1)
}

// sameOutputs compares two tiny pipelines: shard for shard, weight for weight.
func sameOutputs(t *testing.T, cfg storage.Config, a, b string) {
	t.Helper()
	ctx := context.Background()
	for _, key := range []string{"l0", "l1"} {
		da, db := openDataset(t, cfg, a+"/"+key), openDataset(t, cfg, b+"/"+key)
		if da.Manifest.Rows != db.Manifest.Rows || len(da.Manifest.Shards) != len(db.Manifest.Shards) {
			t.Fatalf("%s: %d vs %d rows", key, da.Manifest.Rows, db.Manifest.Rows)
		}
		for i, s := range da.Manifest.Shards {
			if db.Manifest.Shards[i].SHA256 != s.SHA256 {
				t.Fatalf("%s: shard %d differs", key, i)
			}
		}
		if _, err := db.Verify(ctx, nil); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	wa, wb := weights(t, cfg, a+"/m1"), weights(t, cfg, b+"/m1")
	for name, w := range wa {
		if !slices.Equal(w, wb[name]) {
			t.Fatalf("model tensor %s differs", name)
		}
	}
}

func openDataset(t *testing.T, cfg storage.Config, url string) *dataset.Dataset {
	t.Helper()
	b, err := storage.Open(context.Background(), url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(context.Background(), b)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return d
}

func weights(t *testing.T, cfg storage.Config, url string) map[string][]float32 {
	t.Helper()
	b, err := storage.Open(context.Background(), url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.ReadAll(context.Background(), "checkpoint.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.DecodeCheckpoint(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, n := range c.Params.Names() {
		out[n] = c.Params.Float32(n)
	}
	return out
}
