package reliability

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
	"github.com/stackae/stackae/storage/s3test"
)

// badCase is one bad input: what to run, the exit code and the words the
// error must contain.
type badCase struct {
	name string
	args func(t *testing.T, c *catalogue) []string
	code int
	want []string
}

// catalogue holds a committed dataset and model that no bad input may change.
type catalogue struct {
	root, l0, m1 string
	s3           *s3test.Server
}

func (c *catalogue) tmp(t *testing.T, name string) string { return filepath.Join(t.TempDir(), name) }

// fingerprint hashes every file under dir.
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(raw)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func encodedImage(t *testing.T, jpg bool) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if jpg {
		jpeg.Encode(&b, img, nil)
	} else {
		png.Encode(&b, img)
	}
	return b.Bytes()
}

// copyDataset copies the committed l0 and applies damage to the copy.
func (c *catalogue) damaged(t *testing.T, damage func(dir string, m *dataset.Manifest)) string {
	dst := c.tmp(t, "ds")
	copyDir(t, c.l0, dst)
	raw, _ := os.ReadFile(filepath.Join(dst, dataset.ManifestKey))
	var m dataset.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	damage(dst, &m)
	return dst
}

func floatDataset(t *testing.T, dir string, v float32) string {
	ctx := context.Background()
	b, err := storage.Open(ctx, dir, storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	shape := dataset.Shape{2, 2, 1}
	w, err := dataset.Create(ctx, b, dataset.Manifest{Name: "f", Level: 1, Shape: shape, DType: dataset.Float32, Lineage: dataset.Lineage{ConfigHash: "f"}}, dataset.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	batch := &dataset.Batch{Shape: shape}
	for i := range 8 {
		batch.Append("r"+string(rune('a'+i)), dataset.NoLabel, dataset.Train, []float32{1, v, 0, 1})
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return dir
}

var s3env = func(t *testing.T, c *catalogue) {
	t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", c.s3.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", c.s3.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.s3.SecretKey)
	t.Setenv("STACKAE_STORAGE_S3_MAX_ATTEMPTS", "2")
}

func badCases() []badCase {
	train := func(c *catalogue, extra ...string) []string {
		return append([]string{"train", "--data", c.l0, "--model", filepath.Join(os.TempDir(), "never-"+time.Now().Format("150405.000000"))}, extra...)
	}
	return []badCase{
		{"corrupt PNG", func(t *testing.T, c *catalogue) []string {
			dir := c.tmp(t, "imgs")
			writeFile(t, filepath.Join(dir, "cats", "ok.png"), encodedImage(t, false))
			writeFile(t, filepath.Join(dir, "cats", "bad.png"), []byte("\x89PNG\r\n\x1a\nnot really"))
			return []string{"ingest", "--from", "images:" + dir, "--to", c.tmp(t, "out")}
		}, 1, []string{"bad.png"}},
		{"truncated JPEG", func(t *testing.T, c *catalogue) []string {
			dir := c.tmp(t, "imgs")
			j := encodedImage(t, true)
			writeFile(t, filepath.Join(dir, "cats", "cut.jpg"), j[:len(j)/2])
			return []string{"ingest", "--from", "images:" + dir, "--to", c.tmp(t, "out")}
		}, 1, []string{"cut.jpg"}},
		{"wrong IDX magic", func(t *testing.T, c *catalogue) []string {
			dir := c.tmp(t, "idx")
			writeFile(t, filepath.Join(dir, "x-images-idx3-ubyte"), []byte{0, 0, 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9})
			writeFile(t, filepath.Join(dir, "x-labels-idx1-ubyte"), []byte{0, 0, 8, 1, 0, 0, 0, 1, 0})
			return []string{"ingest", "--from", "idx:" + dir, "--to", c.tmp(t, "out")}
		}, 1, []string{"x-images-idx3-ubyte", "magic"}},
		{"zero images", func(t *testing.T, c *catalogue) []string {
			dir := c.tmp(t, "empty")
			os.MkdirAll(dir, 0o755)
			return []string{"ingest", "--from", "images:" + dir, "--to", c.tmp(t, "out")}
		}, 1, []string{"no .png, .jpg or .jpeg files"}},
		{"shape not divisible by the factor", func(t *testing.T, c *catalogue) []string { return train(c, "--factor", "4") }, 1, []string{"does not divide"}},
		{"NaN in an encoded shard", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", floatDataset(t, c.tmp(t, "nan"), float32(math.NaN())), "--verify"}
		}, 1, []string{"NaN"}},
		{"Inf in an encoded shard", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", floatDataset(t, c.tmp(t, "inf"), float32(math.Inf(1))), "--verify"}
		}, 1, []string{"Inf"}},
		{"truncated Parquet", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", "--verify", c.damaged(t, func(dir string, m *dataset.Manifest) {
				p := filepath.Join(dir, m.Shards[0].Key)
				raw, _ := os.ReadFile(p)
				os.WriteFile(p, raw[:len(raw)-100], 0o644)
			})}
		}, 1, []string{"part-"}},
		{"shard sha256 does not match", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", "--verify", c.damaged(t, func(dir string, m *dataset.Manifest) {
				p := filepath.Join(dir, m.Shards[0].Key)
				raw, _ := os.ReadFile(p)
				raw[len(raw)/2] ^= 0xff
				os.WriteFile(p, raw, 0o644)
			})}
		}, 1, []string{"does not match the manifest"}},
		{"manifest of a future format version", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", c.damaged(t, func(dir string, m *dataset.Manifest) {
				p := filepath.Join(dir, dataset.ManifestKey)
				raw, _ := os.ReadFile(p)
				os.WriteFile(p, bytes.Replace(raw, []byte(`"format_version": 1`), []byte(`"format_version": 99`), 1), 0o644)
			})}
		}, 1, []string{"format_version", "99"}},
		{"missing shard", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", "--verify", c.damaged(t, func(dir string, m *dataset.Manifest) {
				os.Remove(filepath.Join(dir, m.Shards[0].Key))
			})}
		}, 1, []string{"part-"}},
		{"shard key escaping the dataset", func(t *testing.T, c *catalogue) []string {
			return []string{"inspect", c.damaged(t, func(dir string, m *dataset.Manifest) {
				p := filepath.Join(dir, dataset.ManifestKey)
				raw, _ := os.ReadFile(p)
				os.WriteFile(p, bytes.Replace(raw, []byte(m.Shards[0].Key), []byte("../../etc/passwd"), 1), 0o644)
			})}
		}, 1, []string{"../../etc/passwd"}},
		{"level chain mismatch", func(t *testing.T, c *catalogue) []string {
			other := c.tmp(t, "big")
			mustCLI(t, "ingest", "--from", "images:"+filepath.Join(repo, "jobs", "testdata", "images"), "--size", "8x8", "--to", other)
			return []string{"encode", "--data", other, "--model", c.m1, "--to", c.tmp(t, "out")}
		}, 1, []string{"level chain mismatch"}},
		{"checkpoint of another architecture", func(t *testing.T, c *catalogue) []string {
			m := c.tmp(t, "m")
			raw, _ := os.ReadFile(filepath.Join(c.m1, "checkpoint.safetensors"))
			ck, err := model.DecodeCheckpoint(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			ck.Meta.Arch.Width *= 2
			var b bytes.Buffer
			ck.Encode(&b)
			writeFile(t, filepath.Join(m, "checkpoint.safetensors"), b.Bytes())
			return []string{"encode", "--data", c.l0, "--model", m, "--to", c.tmp(t, "out")}
		}, 1, []string{"another architecture"}},
		{"unknown key in a config file", func(t *testing.T, c *catalogue) []string {
			f := c.tmp(t, "c.yaml")
			writeFile(t, f, []byte("trian:\n  lr: 0.1\n"))
			return []string{"inspect", c.l0, "--config", f}
		}, 2, []string{"unknown key", "trian"}},
		{"misspelled key in a pipeline level", func(t *testing.T, c *catalogue) []string {
			return []string{"run", "--config", filepath.Join(repo, "jobs", "testdata", "pipeline-typo.yaml"), "--root", c.tmp(t, "r")}
		}, 2, []string{"pipeline.levels[0]", "learning_rate"}},
		{"negative learning rate", func(t *testing.T, c *catalogue) []string { return train(c, "--lr", "-1") }, 2, []string{"train.lr"}},
		{"zero learning rate", func(t *testing.T, c *catalogue) []string { return train(c, "--lr", "0") }, 2, []string{"train.lr"}},
		{"batch size 0", func(t *testing.T, c *catalogue) []string { return train(c, "--batch", "0") }, 2, []string{"train.batch"}},
		{"output committed with other lineage", func(t *testing.T, c *catalogue) []string {
			return []string{"ingest", "--from", "idx:" + idx, "--to", c.l0, "--validation", "0.5"}
		}, 1, []string{"--overwrite"}},
		{"classifier on a dataset without labels", func(t *testing.T, c *catalogue) []string {
			return []string{"downstream", "train", "--kind", "classifier", "--data", floatDataset(t, c.tmp(t, "nolabels"), 0.5), "--model", c.tmp(t, "clf")}
		}, 1, []string{"needs labels"}},
		{"shard flag out of range", func(t *testing.T, c *catalogue) []string {
			return []string{"encode", "--data", c.l0, "--model", c.m1, "--to", c.tmp(t, "o"), "--shard", "3/2"}
		}, 2, []string{"3/2"}},
		{"finalize before the parts", func(t *testing.T, c *catalogue) []string {
			return []string{"encode", "--data", c.l0, "--model", c.m1, "--to", c.tmp(t, "o"), "--finalize", "--shards", "2"}
		}, 1, []string{"has not finished"}},
		{"unknown URL scheme", func(t *testing.T, c *catalogue) []string { return []string{"inspect", "ftp://host/x"} }, 2, []string{"ftp"}},
		{"missing credentials", func(t *testing.T, c *catalogue) []string {
			s3env(t, c)
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return []string{"inspect", "s3://cat/x"}
		}, 1, []string{"credentials"}},
		{"wrong credentials", func(t *testing.T, c *catalogue) []string {
			s3env(t, c)
			t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-123")
			return []string{"inspect", "s3://cat/x"}
		}, 1, []string{"credentials refused"}},
		{"missing bucket", func(t *testing.T, c *catalogue) []string {
			s3env(t, c)
			return []string{"inspect", "s3://no-such-bucket/x"}
		}, 1, []string{"bucket does not exist"}},
		{"unreachable endpoint", func(t *testing.T, c *catalogue) []string {
			s3env(t, c)
			t.Setenv("STACKAE_STORAGE_S3_ENDPOINT", "http://127.0.0.1:1")
			return []string{"inspect", "s3://cat/x"}
		}, 1, []string{"endpoint unreachable"}},
		{"disk full on file://", func(t *testing.T, c *catalogue) []string {
			dir := c.tmp(t, "full")
			os.MkdirAll(dir, 0o755)
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Skipf("no tmpfs here (%v %s)", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", dir).Run() })
			src := c.tmp(t, "idx")
			os.MkdirAll(src, 0o755)
			writeIDX(t, src, 3000, 16, 16) // 768 KB of pixels for a 64 KB disk
			return []string{"ingest", "--from", "idx:" + src, "--to", dir}
		}, 1, []string{"no space left"}},
		{"unknown command", func(t *testing.T, c *catalogue) []string { return []string{"trian"} }, 2, []string{"unknown command"}},
	}
}

// Every bad input fails with its own message and exit code, and leaves the
// committed dataset and model exactly as they were.
func TestBadInputCatalogue(t *testing.T) {
	c := &catalogue{root: t.TempDir(), s3: s3test.Start(t, s3test.Options{})}
	c.l0, c.m1 = filepath.Join(c.root, "l0"), filepath.Join(c.root, "m1")
	c.s3.CreateBucket(t, "cat")
	mustCLI(t, "ingest", "--from", "idx:"+idx, "--to", c.l0)
	mustCLI(t, "train", "--data", c.l0, "--model", c.m1, "--factor", "2", "--features", "2", "--width", "4", "--batch", "4", "--max-steps", "2")
	before := fingerprint(t, c.root)
	clear := 0
	cases := badCases()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args(t, c)
			start := time.Now()
			code, out, errs := cli(args...)
			if code != tc.code {
				t.Fatalf("stackae %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, tc.code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errs, w) {
					t.Fatalf("stackae %s: the message lacks %q:\n%s%s", strings.Join(args, " "), w, out, errs)
				}
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Fatalf("took %v", d)
			}
			if after := fingerprint(t, c.root); after != before {
				t.Fatal("the committed dataset or model changed")
			}
			clear++
		})
	}
	record("bad input", "bad inputs that failed with a clear message and the right exit code, nothing committed changed", fmt.Sprintf("%d / %d", clear, len(cases)))
}
