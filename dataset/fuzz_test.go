package dataset

import (
	"testing"
)

// ParseManifest never panics, and what it accepts validates and survives a
// round trip through Marshal.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format_version":1,"name":"x","level":0,"shape":[2,2,1],"layout":"HWC","dtype":"uint8","scale":1,"offset":0,"rows":3,"splits":{"train":3},"shards":[{"key":"part-00000.parquet","rows":3,"bytes":10,"sha256":"` +
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `","splits":{"train":3}}],"lineage":{"config_hash":"c"}}`))
	f.Add([]byte(`{"format_version":99}`))
	f.Add([]byte(`{"shards":[{"key":"../x"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted a manifest that does not validate: %v", err)
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseManifest(out); err != nil {
			t.Fatalf("a marshalled manifest does not parse: %v", err)
		}
	})
}
