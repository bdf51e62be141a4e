package dataset_test

import (
	"fmt"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

var benchShapes = []struct {
	name  string
	dt    dataset.DType
	shape dataset.Shape
	rows  int
}{
	{"pixels-28x28x1", dataset.Uint8, dataset.Shape{28, 28, 1}, 20000},
	{"pixels-64x64x3", dataset.Uint8, dataset.Shape{64, 64, 3}, 2000},
	{"encodings-8x8x32", dataset.Float32, dataset.Shape{8, 8, 32}, 8000},
}

func benchURL(b *testing.B, kind string) string {
	if kind == "file" {
		return b.TempDir()
	}
	return "mem://"
}

// BenchmarkWrite measures raw feature bytes per second into shards.
func BenchmarkWrite(b *testing.B) {
	for _, kind := range []string{"mem", "file"} {
		for _, s := range benchShapes {
			data := rows(s.dt, s.shape, s.rows)
			b.Run(fmt.Sprintf("%s/%s", kind, s.name), func(b *testing.B) {
				b.SetBytes(int64(len(data.U8) + 4*len(data.F32)))
				for i := 0; b.Loop(); i++ {
					bk, err := storage.Open(ctx, benchURL(b, kind), storage.DefaultConfig())
					if err != nil {
						b.Fatal(err)
					}
					tmpl := template(s.dt, s.shape, fmt.Sprint(i))
					w, err := dataset.Create(ctx, bk, tmpl, dataset.WriteOptions{})
					if err != nil {
						b.Fatal(err)
					}
					if err := w.Write(data); err != nil {
						b.Fatal(err)
					}
					if _, err := w.Commit(); err != nil {
						b.Fatal(err)
					}
					bk.Close()
				}
			})
		}
	}
}

// BenchmarkScan measures raw feature bytes per second out of shards.
func BenchmarkScan(b *testing.B) {
	for _, kind := range []string{"mem", "file"} {
		for _, s := range benchShapes {
			data := rows(s.dt, s.shape, s.rows)
			bk, err := storage.Open(ctx, benchURL(b, kind), storage.DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			w, _ := dataset.Create(ctx, bk, template(s.dt, s.shape, "scan"), dataset.WriteOptions{})
			w.Write(data)
			if _, err := w.Commit(); err != nil {
				b.Fatal(err)
			}
			d, _ := dataset.Open(ctx, bk)
			for _, shuffle := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/%s/shuffle=%v", kind, s.name, shuffle), func(b *testing.B) {
					b.SetBytes(int64(len(data.U8) + 4*len(data.F32)))
					for b.Loop() {
						n := 0
						for batch, err := range d.Scan(ctx, dataset.ScanOptions{BatchSize: 256, Shuffle: shuffle, Seed: 1}) {
							if err != nil {
								b.Fatal(err)
							}
							n += batch.Len()
						}
						if n != s.rows {
							b.Fatalf("scanned %d rows", n)
						}
					}
				})
			}
		}
	}
}
