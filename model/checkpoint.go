package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"gorgonia.org/tensor"
)

// CheckpointFormat names this encoding in the metadata.
const CheckpointFormat = "stackae.checkpoint/1"

// Meta is everything needed to rebuild and resume a level, stored as JSON
// in the safetensors header's __metadata__["stackae"].
type Meta struct {
	Format string `json:"format"`
	Kind   string `json:"kind"` // "autoencoder", or a downstream kind
	// Downstream is the architecture of a downstream model (nil for a level).
	Downstream *Downstream `json:"downstream,omitempty"`
	Version    string      `json:"stackae_version"`
	Level      int         `json:"level"`
	Arch       Arch        `json:"arch"`
	Hyper      Hyper       `json:"hyper"`
	Seed       uint64      `json:"seed"`
	// State is a downstream model's training state beyond weights and
	// optimiser (BEGAN: "k_t").
	State map[string]float64 `json:"state,omitempty"`
	// Training state.
	Epoch    int  `json:"epoch"`    // epochs completed
	Step     int  `json:"step"`     // batches trained
	Complete bool `json:"complete"` // training finished
	// Lineage: what this was trained on, with which settings.
	Data       string `json:"data"`
	DataSHA256 string `json:"data_manifest_sha256"`
	ConfigHash string `json:"config_hash"`
	// Metrics so far, one entry per epoch, and sampled batch losses. Only
	// deterministic numbers: wall-clock timings live in metrics.json.
	History []EpochMetrics `json:"history"`
	Curve   []StepLoss     `json:"curve"`
	// Curves are a downstream model's sampled step numbers by name
	// (Task.Step's Losses: "m_global", "k", "rec", ...).
	Curves map[string][]StepLoss `json:"curves,omitempty"`
	// The epoch in progress: loss sum and batch count so far.
	EpochLossSum float64 `json:"epoch_loss_sum"`
	EpochBatches int     `json:"epoch_batches"`
}

// StepLoss is one sampled training batch loss.
type StepLoss struct {
	Step int     `json:"step"`
	Loss float64 `json:"loss"`
}

// EpochMetrics are the per-epoch numbers a training run reports.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"`
	Step      int     `json:"step"`
	TrainLoss float64 `json:"train_loss"`
	// ValLoss is the validation MSE in the input's value space; negative
	// when the dataset has no validation rows.
	ValLoss float64 `json:"val_loss"`
	// Extra are a downstream model's other epoch numbers ("val_accuracy",
	// "m_global", ...).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Checkpoint is a level's state: metadata, parameters and optimiser moments.
type Checkpoint struct {
	Meta   Meta
	Params *Params
	Adam   *Adam
}

type tensorEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

const adamPrefix = "optim.adam."

// Encode writes c as safetensors: an 8-byte little-endian header length, a
// JSON header, then the raw little-endian tensors in name order. Identical
// state gives identical bytes.
func (c *Checkpoint) Encode(w io.Writer) error {
	c.Meta.Format = CheckpointFormat
	if c.Adam != nil {
		c.Meta.Hyper.LR, c.Meta.Hyper.Beta1, c.Meta.Hyper.Beta2 = c.Adam.LR, c.Adam.Beta1, c.Adam.Beta2
	}
	blobs := c.tensors()
	names := make([]string, 0, len(blobs))
	for n := range blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	header := map[string]any{}
	meta, err := json.Marshal(c.Meta)
	if err != nil {
		return err
	}
	md := map[string]string{"stackae": string(meta)}
	if c.Adam != nil {
		md["adam_step"] = fmt.Sprint(c.Adam.Step)
	}
	header["__metadata__"] = md
	var off int64
	for _, n := range names {
		b := blobs[n]
		header[n] = tensorEntry{DType: b.dtype, Shape: b.shape, Offsets: [2]int64{off, off + int64(len(b.data))}}
		off += int64(len(b.data))
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(hj)%8 != 0 { // the spec pads the header with spaces
		hj = append(hj, ' ')
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(hj))); err != nil {
		return err
	}
	if _, err := w.Write(hj); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := w.Write(blobs[n].data); err != nil {
			return err
		}
	}
	return nil
}

type blob struct {
	dtype string
	shape []int
	data  []byte
}

func (c *Checkpoint) tensors() map[string]blob {
	out := map[string]blob{}
	for _, n := range c.Params.Names() {
		t := c.Params.Tensor(n)
		out[n] = blob{dtype: dtypeName(t.Dtype()), shape: []int(t.Shape()), data: rawBytes(t.Data())}
	}
	if c.Adam != nil {
		for n, m := range c.Adam.M {
			shape := []int(c.Params.Tensor(n).Shape())
			out[adamPrefix+"m."+n] = blob{"F64", shape, rawBytes(m)}
			out[adamPrefix+"v."+n] = blob{"F64", shape, rawBytes(c.Adam.V[n])}
		}
	}
	return out
}

func dtypeName(dt tensor.Dtype) string {
	if dt == tensor.Float64 {
		return "F64"
	}
	return "F32"
}

func rawBytes(data any) []byte {
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, data)
	return buf.Bytes()
}

// DecodeCheckpoint reads a checkpoint written by Encode. Its parameters
// are frozen: a graph that asks for a tensor the checkpoint lacks fails.
func DecodeCheckpoint(r io.Reader) (*Checkpoint, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("checkpoint header length: %w", err)
	}
	if n == 0 || n > 100<<20 {
		return nil, fmt.Errorf("checkpoint header length %d: not a safetensors file", n)
	}
	hj := make([]byte, n)
	if _, err := io.ReadFull(r, hj); err != nil {
		return nil, fmt.Errorf("checkpoint header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hj, &raw); err != nil {
		return nil, fmt.Errorf("checkpoint header: %w", err)
	}
	c, err := decodeMeta(raw)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("checkpoint data: %w", err)
	}
	return c, c.loadTensors(raw, data)
}

func decodeMeta(raw map[string]json.RawMessage) (*Checkpoint, error) {
	var md map[string]string
	if err := json.Unmarshal(raw["__metadata__"], &md); err != nil || md["stackae"] == "" {
		return nil, errors.New("checkpoint: no stackae metadata (not a stackae checkpoint)")
	}
	c := &Checkpoint{}
	if err := json.Unmarshal([]byte(md["stackae"]), &c.Meta); err != nil {
		return nil, fmt.Errorf("checkpoint metadata: %w", err)
	}
	if c.Meta.Format != CheckpointFormat {
		return nil, fmt.Errorf("checkpoint format %q, this stackae reads %q", c.Meta.Format, CheckpointFormat)
	}
	if s, ok := md["adam_step"]; ok {
		c.Adam = NewAdam(c.Meta.Hyper.LR, c.Meta.Hyper.Beta1, c.Meta.Hyper.Beta2)
		fmt.Sscan(s, &c.Adam.Step)
	}
	return c, nil
}

func (c *Checkpoint) loadTensors(raw map[string]json.RawMessage, data []byte) error {
	c.Params = NewParams(tensor.Float32, c.Meta.Seed)
	c.Params.frozen = true
	names := make([]string, 0, len(raw))
	for n := range raw {
		if n != "__metadata__" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		var e tensorEntry
		if err := json.Unmarshal(raw[n], &e); err != nil {
			return fmt.Errorf("checkpoint tensor %s: %w", n, err)
		}
		if e.Offsets[0] < 0 || e.Offsets[1] > int64(len(data)) || e.Offsets[0] > e.Offsets[1] {
			return fmt.Errorf("checkpoint tensor %s: offsets %v outside %d data bytes (truncated file?)", n, e.Offsets, len(data))
		}
		if err := c.loadTensor(n, e, data[e.Offsets[0]:e.Offsets[1]]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Checkpoint) loadTensor(name string, e tensorEntry, b []byte) error {
	size := 1
	for _, d := range e.Shape {
		size *= d
	}
	if rest, ok := strings.CutPrefix(name, adamPrefix); ok && c.Adam != nil {
		if e.DType != "F64" || len(b) != 8*size {
			return fmt.Errorf("checkpoint tensor %s: want %d F64 values", name, size)
		}
		vals := make([]float64, size)
		for i := range vals {
			vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		if p, ok := strings.CutPrefix(rest, "m."); ok {
			c.Adam.M[p] = vals
		} else if p, ok := strings.CutPrefix(rest, "v."); ok {
			c.Adam.V[p] = vals
		}
		return nil
	}
	if e.DType != "F32" || len(b) != 4*size {
		return fmt.Errorf("checkpoint tensor %s: dtype %s with %d bytes, want F32 x %d", name, e.DType, len(b), size)
	}
	vals := make([]float32, size)
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	c.Params.put(name, tensor.New(tensor.WithShape(e.Shape...), tensor.WithBacking(vals)))
	return nil
}
