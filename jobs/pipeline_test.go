package jobs

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackae/stackae/storage/s3test"
)

// ingest -> train level 1 -> encode level 1 (in 2 parts) -> train level 2,
// through the CLI, on file:// and on the S3 test server.
func TestTrainEncodeChain(t *testing.T) {
	roots := map[string]func(t *testing.T) string{
		"file": func(t *testing.T) string { return t.TempDir() },
		"s3": func(t *testing.T) string {
			srv := s3test.Start(t, s3test.Options{})
			t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", srv.Endpoint)
			t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
			t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
			return srv.CreateBucket(t, "chain") + "/root"
		},
	}
	for name, root := range roots {
		t.Run(name, func(t *testing.T) {
			r := root(t)
			join := func(p string) string { return r + "/" + p }
			if name == "file" {
				join = func(p string) string { return filepath.Join(r, p) }
			}
			l0, m1, l1, m2 := join("l0"), join("m1"), join("l1"), join("m2")
			run(t, "ingest", "--from", "images:testdata/images", "--size", "8x8", "--validation", "0.34", "--to", l0).expect(t, ExitOK, "committed")
			tiny := []string{"--features", "2", "--width", "4", "--batch", "2", "--lr", "3e-3", "--epochs", "2", "--checkpoint-every", "2"}
			run(t, append([]string{"train", "--data", l0, "--model", m1, "--factor", "2"}, tiny...)...).expect(t, ExitOK, "trained level 1", "checkpoint.safetensors")
			run(t, append([]string{"train", "--data", l0, "--model", m1, "--factor", "2"}, tiny...)...).expect(t, ExitOK, "nothing to do")
			run(t, "encode", "--data", l0, "--model", m1, "--to", l1, "--shard", "1/2").expect(t, ExitOK, "encoded part 1/2")
			run(t, "encode", "--data", l0, "--model", m1, "--to", l1, "--finalize", "--shards", "2").expect(t, ExitFailure, "part 0/2 has not finished")
			run(t, "encode", "--data", l0, "--model", m1, "--to", l1, "--shard", "0/2").expect(t, ExitOK, "encoded part 0/2")
			run(t, "encode", "--data", l0, "--model", m1, "--to", l1, "--finalize", "--shards", "2").expect(t, ExitOK, "level 1, 6 rows", "4x4x2 float32")
			run(t, "inspect", l1, "--verify").expect(t, ExitOK, "level 1", "verify    OK")
			run(t, append([]string{"train", "--data", l1, "--model", m2, "--factor", "flatten"}, tiny...)...).expect(t, ExitOK, "trained level 2")
			downstreamOnLevel1(t, name, l1, m1, m2, join)
			// A level-1 model applied to the level-1 dataset: the chain does not fit.
			run(t, "encode", "--data", l1, "--model", m1, "--to", join("bad")).expect(t, ExitFailure, "level chain mismatch")
			run(t, "train", "--data", l0, "--model", join("m-bad"), "--factor", "16").expect(t, ExitFailure, "does not divide")
			run(t, "train", "--data", l0, "--model", join("m-bad"), "--lr", "-1").expect(t, ExitUsage, "train.lr")
		})
	}
}

func TestRunPipelineTwiceDoesNoWork(t *testing.T) {
	root := t.TempDir()
	r := run(t, "run", "--config", "testdata/pipeline.yaml", "--root", root)
	r.expect(t, ExitOK, "ingest", "classifier on level 0", "train level 1", "encode level 1", "vae on level 1", "train level 2", "encode level 2",
		"began on level 2", "eval", "full-stack validation loss", "level 2: full-stack")
	if strings.Contains(r.stdout, "skipped") {
		t.Fatalf("first run skipped a stage:\n%s", r.stdout)
	}
	for _, p := range []string{"level0/_manifest.json", "level1/model/checkpoint.safetensors", "level1/data/_manifest.json",
		"level2/model/loss.png", "level2/data/_manifest.json", "eval/eval.json", "eval/reconstructions.png",
		"downstream/classifier-level0/checkpoint.safetensors", "downstream/vae-level1/samples.png", "downstream/began-top/curves.png"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	again := run(t, "run", "--config", "testdata/pipeline.yaml", "--root", root)
	again.expect(t, ExitOK)
	if n := strings.Count(again.stdout, "skipped (already committed)"); n != 9 {
		t.Fatalf("second run skipped %d of 9 stages:\n%s", n, again.stdout)
	}
	run(t, "inspect", filepath.Join(root, "level0")).expect(t, ExitOK, "dataset   tiny")
	run(t, "run", "--config", "testdata/pipeline-typo.yaml", "--root", root).expect(t, ExitUsage, "pipeline.levels[0]", "learning_rate")
}

// The same config on the S3 test server: only the root changes.
func TestRunPipelineOnS3(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{})
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	root := srv.CreateBucket(t, "pipeline") + "/experiments/tiny"
	run(t, "run", "--config", "testdata/pipeline.yaml", "--root", root).expect(t, ExitOK, "level 2: full-stack", "s3://pipeline/experiments/tiny/eval/reconstructions.png")
	if _, err := os.Stat(filepath.Join(srv.DataDir, "pipeline", "experiments", "tiny", "level2", "model", "checkpoint.safetensors")); err != nil {
		t.Fatalf("checkpoint not in the bucket: %v", err)
	}
	again := run(t, "run", "--config", "testdata/pipeline.yaml", "--root", root)
	if _, err := os.Stat(filepath.Join(srv.DataDir, "pipeline", "experiments", "tiny", "downstream", "began-top", "samples.png")); err != nil {
		t.Fatalf("BEGAN samples not in the bucket: %v", err)
	}
	if again.expect(t, ExitOK); strings.Count(again.stdout, "skipped") != 9 {
		t.Fatalf("second run on S3 did work:\n%s", again.stdout)
	}
}

// downstreamOnLevel1 trains the three downstream kinds on the level-1
// encodings from a config file (kind overridden by flag), then samples the
// VAE back to level-0 pixels through the stack found by lineage.
func downstreamOnLevel1(t *testing.T, name, l1, m1, m2 string, join func(string) string) {
	cfg := filepath.Join(t.TempDir(), "downstream.yaml")
	yaml := "downstream:\n  width: 4\n  hidden: 8\n  latent: 2\n  batch: 2\n  epochs: 2\n  samples: 4\n  checkpoint_every: 1\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"classifier", "vae", "began"} {
		want := []string{"trained " + kind, "on level 1", "no validation rows", "curves.png"}
		if kind != "classifier" {
			want = append(want, "samples.png")
		}
		run(t, "downstream", "train", "--config", cfg, "--kind", kind, "--data", l1, "--model", join(kind)).expect(t, ExitOK, want...)
	}
	run(t, "downstream", "train", "--config", cfg, "--kind", "began", "--data", l1, "--model", join("began")).expect(t, ExitOK, "nothing to do")
	run(t, "downstream", "train", "--config", cfg, "--kind", "vae", "--data", l1, "--model", join("vae-bad"), "--stack", m1+","+m2).
		expect(t, ExitFailure, "cannot be decoded by a 2-level stack")
	grid := filepath.Join(t.TempDir(), name+"-vae.png")
	run(t, "sample", "--model", join("vae"), "--n", "4", "--out", grid).expect(t, ExitOK, "wrote 4 samples")
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// 4 samples decoded to 8x8 pixels (zoomed to 64): a 2x2 grid with 2px gutters.
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() != 2*66+2 || img.Bounds().Dy() != 2*66+2 {
		t.Fatalf("sample PNG: %v %v", err, img)
	}
	run(t, "sample", "--model", join("vae"), "--stack", m1+","+m2, "--out", grid).expect(t, ExitFailure, "1-level stack")
	run(t, "sample", "--model", join("classifier"), "--out", grid).expect(t, ExitFailure, "does not generate")
}

// The pipeline run stage by stage (what each Argo step does), with encode-1
// in two parts, leaves nothing for a whole run to do.
func TestRunStageByStage(t *testing.T) {
	root := t.TempDir()
	cfg := []string{"run", "--config", "testdata/pipeline.yaml", "--root", root}
	list := run(t, append(cfg, "--list")...)
	list.expect(t, ExitOK, "encode-1", "after ingest,train-1")
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(list.stdout), "\n") {
		ids = append(ids, strings.Fields(line)[0])
	}
	for _, id := range ids {
		if id != "encode-1" {
			run(t, append(cfg, "--stage", id)...).expect(t, ExitOK, "ran in")
			continue
		}
		run(t, append(cfg, "--stage", id, "--shard", "1/2")...).expect(t, ExitOK)
		run(t, append(cfg, "--stage", id, "--shard", "0/2")...).expect(t, ExitOK)
		run(t, append(cfg, "--stage", id, "--finalize", "--shards", "2")...).expect(t, ExitOK, "encode level 1")
	}
	again := run(t, cfg...)
	if again.expect(t, ExitOK); strings.Count(again.stdout, "skipped (already committed)") != len(ids) {
		t.Fatalf("the whole run after the stages did work:\n%s", again.stdout)
	}
	run(t, append(cfg, "--stage", "nope")...).expect(t, ExitUsage, `no stage "nope"`, "train-1")
	run(t, append(cfg, "--stage", "train-1", "--shard", "0/2")...).expect(t, ExitUsage, "cannot be split")
}

// --explain says what a run would do, and why, without doing it.
func TestRunExplain(t *testing.T) {
	root := t.TempDir()
	cfg := []string{"run", "--config", "testdata/pipeline.yaml", "--root", root}
	fresh := run(t, append(cfg, "--explain")...)
	fresh.expect(t, ExitOK, "ingest", "no dataset at", "train-1")
	if strings.Contains(fresh.stdout, "skip") {
		t.Fatalf("a fresh root has nothing to skip:\n%s", fresh.stdout)
	}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("--explain wrote %s", path)
		}
		return nil
	})
	run(t, cfg...).expect(t, ExitOK)
	done := run(t, append(cfg, "--explain")...)
	if done.expect(t, ExitOK); strings.Count(done.stdout, " skip ") != 9 {
		t.Fatalf("after a run every stage should be skipped:\n%s", done.stdout)
	}
	// Another level-2 setting: its model refuses, what follows never runs.
	changed := filepath.Join(t.TempDir(), "pipeline.yaml")
	raw, _ := os.ReadFile("testdata/pipeline.yaml")
	os.WriteFile(changed, []byte(strings.Replace(string(raw), "      features: 3\n", "      features: 4\n", 1)), 0o644)
	r := run(t, "run", "--config", changed, "--root", root, "--explain")
	r.expect(t, ExitOK, "trained with other settings", "its input train-2 refuses")
	if !strings.Contains(r.stdout, "train-1                        skip") {
		t.Fatalf("level 1 is unchanged:\n%s", r.stdout)
	}
	// A deleted dataset is rebuilt, and what reads it with it.
	os.RemoveAll(filepath.Join(root, "level1", "data"))
	r = run(t, append(cfg, "--explain")...)
	r.expect(t, ExitOK, "encode-1                       run    no dataset at", "its input encode-1 will be (re)built")
}
