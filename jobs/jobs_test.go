package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackae/stackae/storage/s3test"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func (r result) expect(t *testing.T, code int, contains ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	all := r.stdout + r.stderr
	for _, c := range contains {
		if !strings.Contains(all, c) {
			t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", c, r.stdout, r.stderr)
		}
	}
}

func TestIngestInspectPreview(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fm")
	run(t, "ingest", "--from", "idx:testdata/idx", "--to", out, "--classes", "zero,one,two").expect(t, ExitOK, "committed file://", "24 rows")
	run(t, "ingest", "--from", "idx:testdata/idx", "--to", out, "--classes", "zero,one,two").expect(t, ExitOK, "nothing to do")
	before, _ := os.ReadFile(filepath.Join(out, "_manifest.json"))
	run(t, "ingest", "--from", "idx:testdata/idx", "--to", out, "--validation", "0.5").expect(t, ExitFailure, "--overwrite", "different committed dataset")
	if after, _ := os.ReadFile(filepath.Join(out, "_manifest.json")); !bytes.Equal(before, after) {
		t.Fatal("refused ingest changed the committed manifest")
	}
	run(t, "inspect", out, "--verify").expect(t, ExitOK, "6x6x1", "classes   3: zero, one, two", "verify    OK")
	r := run(t, "inspect", out, "--json")
	r.expect(t, ExitOK)
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Manifest.Rows != 24 || len(rep.Schema) != 4 {
		t.Fatalf("inspect --json: %v %+v", err, rep)
	}
	grid := filepath.Join(t.TempDir(), "grid.png")
	run(t, "preview", out, "--out", grid, "--n", "9").expect(t, ExitOK, "wrote")
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	// 3x3 tiles of 6px zoomed x11 = 66px, 2px gutters.
	if err != nil || img.Bounds().Dx() != 3*68+2 {
		t.Fatalf("preview PNG: %v, %v", err, img.Bounds())
	}
	// The pixel baseline of the downstream classifier.
	run(t, "downstream", "train", "--kind", "classifier", "--data", out, "--model", filepath.Join(t.TempDir(), "clf"), "--batch", "4").
		expect(t, ExitOK, "trained classifier", "on level 0", "accuracy")
	run(t, "ingest", "--from", "idx:testdata/idx", "--to", out, "--validation", "0.5", "--overwrite").expect(t, ExitOK, "committed")
}

func TestConfigFileAndPrintConfig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "img")
	t.Setenv("STACKAE_STORAGE_S3_SECRET_ACCESS_KEY", "very-secret-value-123")
	t.Setenv("STACKAE_STORAGE_S3_ACCESS_KEY_ID", "AKIATEST")
	r := run(t, "ingest", "--config", "testdata/ingest.yaml", "--to", out, "--print-config")
	r.expect(t, ExitOK, "from: images:testdata/images", "size: 8x8", "secret_access_key: REDACTED")
	if strings.Contains(r.stdout, "very-secret-value-123") {
		t.Fatal("--print-config printed the secret")
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("--print-config ran the job")
	}
	run(t, "ingest", "--config", "testdata/ingest.yaml", "--to", out).expect(t, ExitOK, "6 rows", "8x8x3")
	run(t, "inspect", out).expect(t, ExitOK, "classes   2: circle, square")
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"misspelled config key", []string{"ingest", "--config", "testdata/bad-key.yaml", "--to", "mem://"}, []string{"bad-key.yaml", `unknown key "ingest.validaton"`, `did you mean "ingest.validation"`}},
		{"unknown flag", []string{"ingest", "--form", "idx:x"}, []string{"unknown flag: --form"}},
		{"unknown command", []string{"ingset"}, []string{`unknown command "ingset"`}},
		{"run without config", []string{"run"}, []string{"--config FILE is required"}},
		{"missing --to", []string{"ingest", "--from", "idx:testdata/idx"}, []string{"--to"}},
		{"unknown kind", []string{"ingest", "--from", "tiff:x", "--to", "mem://"}, []string{`unknown kind "tiff"`}},
		{"bad size", []string{"ingest", "--from", "idx:x", "--size", "big", "--to", "mem://"}, []string{"ingest.size"}},
		{"bad URL", []string{"ingest", "--from", "idx:testdata/idx", "--to", "gs://bucket/x"}, []string{"unsupported scheme"}},
		{"bad s3 param", []string{"inspect", "s3://b/x?regin=eu"}, []string{`unknown s3 URL parameter "regin"`}},
		{"inspect without URL", []string{"inspect"}, []string{"want one dataset URL"}},
		{"bad log level", []string{"inspect", "x", "--log-level", "loud"}, []string{"log.level"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { run(t, tc.args...).expect(t, ExitUsage, tc.want...) })
	}
}

func TestJobFailures(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"not a dataset", []string{"inspect", dir}, []string{"no committed dataset"}},
		{"unwritable output", []string{"ingest", "--from", "idx:testdata/idx", "--to", filepath.Join(dir, "file", "sub")}, []string{"file/sub", "not a directory"}},
		{"missing input", []string{"ingest", "--from", "idx:" + filepath.Join(dir, "nope"), "--to", filepath.Join(dir, "o")}, []string{"nope", "no such file"}},
		{"empty input", []string{"ingest", "--from", "images:" + dir, "--to", filepath.Join(dir, "o")}, []string{"no .png, .jpg or .jpeg files"}},
		{"image smaller than size", []string{"ingest", "--from", "images:testdata/images", "--size", "32x32", "--to", filepath.Join(dir, "o")}, []string{"c0.png", "smaller than the target size 32x32"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, tc.args...).expect(t, ExitFailure, tc.want...)
			if _, err := os.Stat(filepath.Join(dir, "o", "_manifest.json")); err == nil {
				t.Fatal("a failed job left a manifest")
			}
		})
	}
}

func TestS3EndToEnd(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{})
	bucket := srv.CreateBucket(t, "stackae-e2e")
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	url := bucket + "/datasets/fm"
	r := run(t, "ingest", "--from", "idx:testdata/idx", "--to", url, "--log-format", "json", "--log-level", "debug")
	r.expect(t, ExitOK, "committed s3://stackae-e2e/datasets/fm", `"msg":"ingest committed"`)
	run(t, "ingest", "--from", "idx:testdata/idx", "--to", url).expect(t, ExitOK, "nothing to do")
	v := run(t, "inspect", url, "--verify", "--json")
	v.expect(t, ExitOK, `"verified"`)
	// The dataset is plain objects in the bucket (posix backend: bucket/key).
	// Shards are named by the run that wrote them: part-<run id>-00000.parquet.
	if shards, _ := filepath.Glob(filepath.Join(srv.DataDir, "stackae-e2e", "datasets", "fm", "part-*-00000.parquet")); len(shards) != 1 {
		t.Fatalf("shard not in the bucket: %v", shards)
	}
	for _, out := range []string{r.stdout, r.stderr, v.stdout, v.stderr} {
		if strings.Contains(out, srv.SecretKey) {
			t.Fatal("the secret key appeared in output or logs")
		}
	}
	manifest, _ := os.ReadFile(filepath.Join(srv.DataDir, "stackae-e2e", "datasets", "fm", "_manifest.json"))
	if strings.Contains(string(manifest), srv.SecretKey) || strings.Contains(string(manifest), srv.AccessKey) {
		t.Fatal("credentials in the manifest")
	}

	t.Run("missing bucket", func(t *testing.T) {
		run(t, "inspect", "s3://no-such-bucket/x").expect(t, ExitFailure, "s3://no-such-bucket", "bucket does not exist")
	})
	t.Run("wrong credentials", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-456")
		r := run(t, "inspect", url)
		r.expect(t, ExitFailure, "credentials refused")
		if strings.Contains(r.stderr, "wrong-secret-456") {
			t.Fatal("error message shows the secret")
		}
	})
	t.Run("unreachable endpoint", func(t *testing.T) {
		t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", "http://127.0.0.1:1")
		start := time.Now()
		run(t, "ingest", "--from", "idx:testdata/idx", "--to", url+"2").expect(t, ExitFailure, "endpoint unreachable")
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
