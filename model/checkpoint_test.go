package model

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func encode(t *testing.T, c *Checkpoint) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckpointRoundTrip(t *testing.T) {
	data := images(8, 8, 8, 2, 7)
	hp := Hyper{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}
	tr, _ := train(t, tinyArch(), hp, 3, data, 4)
	meta := Meta{Level: 1, Seed: 3, Epoch: 1, Data: "mem://x", ConfigHash: "abc", History: []EpochMetrics{{Epoch: 1, TrainLoss: 0.5}}}
	raw := encode(t, tr.Checkpoint(meta))
	c, err := DecodeCheckpoint(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Arch != tinyArch() || c.Meta.Hyper != hp || c.Meta.Step != 4 || c.Adam.Step != 4 || c.Meta.History[0].TrainLoss != 0.5 {
		t.Fatalf("meta %+v adam step %d", c.Meta, c.Adam.Step)
	}
	if again := encode(t, c); !bytes.Equal(again, raw) {
		t.Fatal("decode+encode changed the bytes")
	}
	// The safetensors header is plain JSON that other tools can read.
	if !bytes.Contains(raw[8:200], []byte(`"__metadata__"`)) && !bytes.Contains(raw, []byte(`"__metadata__"`)) {
		t.Fatal("no __metadata__ in the header")
	}
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	data := images(8, 8, 8, 2, 8)
	hp := Hyper{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}
	full, fullLoss := train(t, tinyArch(), hp, 4, data, 6)

	half, _ := train(t, tinyArch(), hp, 4, data, 3)
	c, err := DecodeCheckpoint(bytes.NewReader(encode(t, half.Checkpoint(Meta{Seed: 4}))))
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := ResumeTrainer(c)
	if err != nil {
		t.Fatal(err)
	}
	nchw := ToNCHW(data, 8, 8, 8, 2)
	var loss float64
	for s := 3; s < 6; s++ {
		lo := (s % 2) * 4 * 128
		if loss, err = resumed.Step(nchw[lo : lo+4*128]); err != nil {
			t.Fatal(err)
		}
	}
	if loss != fullLoss[5] {
		t.Fatalf("resumed loss %v, uninterrupted %v", loss, fullLoss[5])
	}
	for _, name := range full.Params.Names() {
		if !slices.Equal(full.Params.Float32(name), resumed.Params.Float32(name)) {
			t.Fatalf("%s differs after resume", name)
		}
	}
}

func TestCheckpointErrors(t *testing.T) {
	data := images(4, 8, 8, 2, 9)
	tr, _ := train(t, tinyArch(), Hyper{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}, 1, data, 1)
	raw := encode(t, tr.Checkpoint(Meta{}))
	if _, err := DecodeCheckpoint(bytes.NewReader(raw[:len(raw)-100])); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated checkpoint: %v", err)
	}
	if _, err := DecodeCheckpoint(bytes.NewReader([]byte("PK\x03\x04 not a checkpoint"))); err == nil {
		t.Error("garbage accepted")
	}
	c, _ := DecodeCheckpoint(bytes.NewReader(raw))
	wider := tinyArch()
	wider.Width = 8
	if _, err := NewEncoder(wider, c.Params, 4); err == nil || !strings.Contains(err.Error(), "another architecture") {
		t.Errorf("checkpoint used with another architecture: %v", err)
	}
	deeper := tinyArch()
	deeper.Factor = 4
	if _, err := NewEncoder(deeper, c.Params, 4); err == nil || !strings.Contains(err.Error(), "no tensor") {
		t.Errorf("checkpoint used with a deeper architecture: %v", err)
	}
	_ = tensor.Float32
}
