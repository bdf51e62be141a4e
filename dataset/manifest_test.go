package dataset

import (
	"strings"
	"testing"
)

func validManifest() *Manifest {
	return &Manifest{
		FormatVersion: 1, Name: "x", Shape: Shape{2, 2, 1}, Layout: "HWC", DType: Uint8, Scale: 1,
		Rows: 3, Splits: map[string]int64{Train: 3},
		Shards: []Shard{{Key: "part-00000.parquet", Rows: 3, Bytes: 10, SHA256: strings.Repeat("a", 64), Splits: map[string]int64{Train: 3}}},
	}
}

func TestParseManifest(t *testing.T) {
	good, err := validManifest().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseManifest(good); err != nil {
		t.Fatalf("valid manifest rejected: %v", err)
	}
	tests := []struct {
		name, edit, want string
	}{
		{"future version", `"format_version": 2`, "format_version 2 is not supported"},
		{"unknown field", `"format_version": 1, "colour": 1`, `unknown field "colour"`},
		{"not json", `}`, "not a JSON manifest"},
		{"bad dtype", `"format_version": 1, "dtype": "float64"`, `dtype "float64"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(string(good), `"format_version": 1`, tc.edit, 1)
			if tc.name == "bad dtype" {
				data = strings.Replace(string(good), `"dtype": "uint8"`, `"dtype": "float64"`, 1)
			}
			if _, err := ParseManifest([]byte(data)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseManifest = %v; want %q", err, tc.want)
			}
		})
	}
}

func TestManifestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"rows mismatch", func(m *Manifest) { m.Rows = 4 }, "sum over shards"},
		{"split mismatch", func(m *Manifest) { m.Splits[Train] = 2 }, "splits.train"},
		{"bad shard key", func(m *Manifest) { m.Shards[0].Key = "../x.parquet" }, "shards[0].key"},
		{"short sha", func(m *Manifest) { m.Shards[0].SHA256 = "ab" }, "shards[0].sha256"},
		{"zero shape", func(m *Manifest) { m.Shape[2] = 0 }, "dimension"},
		{"layout", func(m *Manifest) { m.Layout = "CHW" }, "layout"},
		{"zero scale", func(m *Manifest) { m.Scale = 0 }, "scale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := validManifest()
			tc.edit(m)
			if err := m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v; want %q", err, tc.want)
			}
		})
	}
}

func TestLineageIdentityIgnoresRunAndTime(t *testing.T) {
	a := Lineage{ConfigHash: "h", RunID: "r1", Input: &Input{Kind: "idx", Path: "/p", Fingerprint: "f"}}
	b := a
	b.RunID = "r2"
	c := a
	c.Input = &Input{Kind: "idx", Path: "/p", Fingerprint: "g"}
	d := a
	d.Input = &Input{Kind: "idx", Path: "/elsewhere", Fingerprint: "f"}
	if a.Identity() != b.Identity() || a.Identity() == c.Identity() || a.Identity() != d.Identity() {
		t.Fatal("Identity must ignore run id and input path, and depend on the input fingerprint")
	}
}
