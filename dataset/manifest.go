package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// ManifestKey is the object that commits a dataset.
const ManifestKey = "_manifest.json"

// Split names.
const (
	Train      = "train"
	Validation = "validation"
)

// NoLabel marks an unlabeled row (a null in the label column).
const NoLabel int32 = -1

// Manifest describes a committed dataset. It is the commit record: written
// last, once, with a conditional write.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Name          string `json:"name"`
	// Level is 0 for pixels, k for the encodings of stack level k.
	Level  int    `json:"level"`
	Shape  Shape  `json:"shape"`
	Layout string `json:"layout"`
	DType  DType  `json:"dtype"`
	// Real value = stored*Scale + Offset (uint8 pixels: 2/255 and -1 give [-1,1]).
	Scale  float64 `json:"scale"`
	Offset float64 `json:"offset"`
	// Classes names label values 0..len-1, when known.
	Classes []string         `json:"classes,omitempty"`
	Rows    int64            `json:"rows"`
	Splits  map[string]int64 `json:"splits"`
	Shards  []Shard          `json:"shards"`
	Lineage Lineage          `json:"lineage"`
}

// Shard is one Parquet file of a dataset.
type Shard struct {
	Key    string           `json:"key"`
	Rows   int64            `json:"rows"`
	Bytes  int64            `json:"bytes"`
	SHA256 string           `json:"sha256"`
	Splits map[string]int64 `json:"splits"`
}

// Lineage says where a dataset came from. Two datasets with equal Identity
// are the same output of the same inputs.
type Lineage struct {
	// Input describes raw input (ingest): kind, path and a content fingerprint.
	Input *Input `json:"input,omitempty"`
	// Source is the dataset this one was computed from (encode).
	Source *Ref `json:"source,omitempty"`
	// Model is the checkpoint that computed it (level >= 1).
	Model *Ref `json:"model,omitempty"`
	// ConfigHash is the sha256 of the job's effective, canonical config section.
	ConfigHash     string    `json:"config_hash"`
	StackaeVersion string    `json:"stackae_version"`
	RunID          string    `json:"run_id"`
	CreatedAt      time.Time `json:"created_at"`
}

// Input is raw, non-dataset input.
type Input struct {
	Kind        string `json:"kind"`
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
}

// Ref points at an object by URL and content hash.
type Ref struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
}

// Identity is the part of the lineage that decides whether a committed
// dataset is the output a job would produce again: input content, source
// and model hashes and the config hash; not the run id, time or input path.
func (l Lineage) Identity() string {
	id := struct {
		Kind, Fingerprint string
		Source, Model     *Ref
		ConfigHash        string
	}{Source: l.Source, Model: l.Model, ConfigHash: l.ConfigHash}
	if l.Input != nil { // where the input lies is not what it is
		id.Kind, id.Fingerprint = l.Input.Kind, l.Input.Fingerprint
	}
	b, _ := json.Marshal(id)
	return hashHex(b)
}

// shardKey is a shard's key: part-NNNNN.parquet, or part-<run id>-NNNNN.parquet.
var shardKey = regexp.MustCompile(`^part-([A-Za-z0-9][A-Za-z0-9_-]*-)?[0-9]{5,}\.parquet$`)

// Validate checks the manifest's internal consistency, naming the field.
func (m *Manifest) Validate() error {
	switch {
	case m.FormatVersion != FormatVersion:
		return fmt.Errorf("format_version %d is not supported (this stackae reads version %d; upgrade stackae)", m.FormatVersion, FormatVersion)
	case m.Name == "":
		return errors.New("name: empty")
	case m.Level < 0:
		return fmt.Errorf("level: %d < 0", m.Level)
	case m.Layout != "HWC":
		return fmt.Errorf("layout %q: want HWC", m.Layout)
	case m.Scale == 0:
		return errors.New("scale: must be non-zero")
	}
	if err := m.Shape.Validate(); err != nil {
		return err
	}
	if _, err := m.DType.arrow(); err != nil {
		return err
	}
	return m.validateCounts()
}

func (m *Manifest) validateCounts() error {
	var rows int64
	splits := map[string]int64{}
	seen := map[string]bool{}
	for i, s := range m.Shards {
		if !shardKey.MatchString(s.Key) || seen[s.Key] {
			return fmt.Errorf("shards[%d].key %q: want a unique part-[RUN-]NNNNN.parquet", i, s.Key)
		}
		if len(s.SHA256) != 64 {
			return fmt.Errorf("shards[%d].sha256: want 64 hex digits", i)
		}
		seen[s.Key] = true
		rows += s.Rows
		for k, v := range s.Splits {
			splits[k] += v
		}
	}
	if rows != m.Rows {
		return fmt.Errorf("rows %d != %d, the sum over shards", m.Rows, rows)
	}
	for k, v := range m.Splits {
		if splits[k] != v {
			return fmt.Errorf("splits.%s %d != %d, the sum over shards", k, v, splits[k])
		}
	}
	return nil
}

// Marshal renders the manifest as indented JSON (stable field order).
func (m *Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "Food & Drink", not "Food \u0026 Drink"
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseManifest decodes and validates a manifest. Unknown fields are errors
// in version 1; a newer format_version is reported as such.
func ParseManifest(data []byte) (*Manifest, error) {
	var probe struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON manifest: %w", err)
	}
	if probe.FormatVersion == nil {
		return nil, errors.New("format_version: missing")
	}
	if *probe.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("format_version %d is not supported (this stackae reads version %d; upgrade stackae)", *probe.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	m := &Manifest{}
	if err := dec.Decode(m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the manifest object")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
