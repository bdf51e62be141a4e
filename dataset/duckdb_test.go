package dataset_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

// duckdbDir finds the npm prefix holding @duckdb/node-api (make deps
// installs it under bin/tools/duckdb).
func duckdbDir(t *testing.T) string {
	dir := os.Getenv("STACKAE_DUCKDB_NODE")
	if dir == "" {
		wd, _ := os.Getwd()
		dir = filepath.Join(filepath.Dir(wd), "bin", "tools", "duckdb")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		msg := "DuckDB for node not installed (run `make deps`)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

type duckResult struct {
	Rows, IDs, MinLen, MaxLen, Labeled int
	KV                                 map[string]string
	FirstID                            string
	Head                               []float64
	FixedLen                           int
}

// DuckDB, an outside reader, reads our shards as they are.
func TestDuckDBReadsDatasets(t *testing.T) {
	dir := duckdbDir(t)
	script := filepath.Join(dir, "duckdb_read.mjs") // ESM resolves packages from the script's folder
	src, err := os.ReadFile("testdata/duckdb_read.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dt := range []dataset.DType{dataset.Uint8, dataset.Float32} {
		t.Run(string(dt), func(t *testing.T) {
			shape := dataset.Shape{8, 8, 3}
			out := t.TempDir()
			b, err := storage.Open(ctx, out, storage.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			data := rows(dt, shape, 500)
			m := write(t, b, template(dt, shape, "duck"), data, dataset.WriteOptions{RowGroupBytes: 192 * 40, ShardBytes: 192 * 200})
			cmd := exec.Command("node", script, out, "192")
			cmd.Dir = dir
			raw, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("duckdb: %v\n%s", err, raw)
			}
			var got duckResult
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("duckdb output %q: %v", raw, err)
			}
			labeled := 0
			for _, l := range data.Labels {
				if l != dataset.NoLabel {
					labeled++
				}
			}
			if got.Rows != int(m.Rows) || got.IDs != 500 || got.MinLen != 192 || got.MaxLen != 192 || got.Labeled != labeled || got.FixedLen != 192 {
				t.Fatalf("duckdb saw %+v; want 500 unique rows of 192 values, %d labeled", got, labeled)
			}
			if got.KV[dataset.KeyShape] != "[8,8,3]" || got.KV[dataset.KeyDType] != string(dt) || !strings.HasPrefix(got.KV["ARROW:schema"], "/") {
				t.Errorf("footer metadata seen by duckdb: %v", got.KV)
			}
			first := data.Row(0)
			for j, v := range got.Head {
				var want float64
				if dt == dataset.Uint8 {
					want = float64(first.([]uint8)[j])
				} else {
					want = float64(first.([]float32)[j])
				}
				if got.FirstID != data.IDs[0] || float32(v) != float32(want) {
					t.Fatalf("row %s value %d: duckdb %v, written %v", got.FirstID, j, v, want)
				}
			}
		})
	}
}
