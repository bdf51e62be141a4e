package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// NewClassifierNet maps NCHW encodings to Classes logits per row.
func NewClassifierNet(d Downstream, p *Params, batch int) (*Net, error) {
	if d.Kind != KindClassifier {
		return nil, fmt.Errorf("a %s model has no classifier", d.Kind)
	}
	return newNet(p, batch, d.chw(), d.logits)
}

// NewSampler maps z (Latent values per row, standard normal) to NCHW
// encodings: the VAE's decoder or BEGAN's generator.
func NewSampler(d Downstream, p *Params, batch int) (*Net, error) {
	switch d.Kind {
	case KindVAE:
		return newNet(p, batch, []int{d.Latent}, d.vaeDecode)
	case KindBEGAN:
		return newNet(p, batch, []int{d.Latent}, d.beganG)
	}
	return nil, fmt.Errorf("a %s model does not generate", d.Kind)
}

// NewReconstructor maps NCHW encodings to their reconstructions: the VAE's
// decoder at the posterior mean, or BEGAN's discriminator D(x).
func NewReconstructor(d Downstream, p *Params, batch int) (*Net, error) {
	switch d.Kind {
	case KindVAE:
		return newNet(p, batch, d.chw(), func(b *builder, x *G.Node) *G.Node {
			mu, _ := d.vaeEncode(b, x)
			return d.vaeDecode(b, mu)
		})
	case KindBEGAN:
		return newNet(p, batch, d.chw(), d.beganD)
	}
	return nil, fmt.Errorf("a %s model does not reconstruct", d.Kind)
}

func (d Downstream) chw() []int { return []int{d.InShape[2], d.InShape[0], d.InShape[1]} }

// Checkpoint captures the task's state under meta (kind, architecture,
// hyper-parameters, optimiser and k_t are filled in).
func (t *Task) Checkpoint(meta Meta) *Checkpoint {
	d := t.Down
	meta.Kind, meta.Downstream, meta.Hyper, meta.Step, meta.Seed = d.Kind, &d, t.Hyper, t.Adam.Step, t.Seed
	if d.Kind == KindBEGAN {
		st := map[string]float64{}
		for k, v := range meta.State {
			st[k] = v
		}
		st["k_t"] = t.K
		meta.State = st
	}
	return &Checkpoint{Meta: meta, Params: t.Params, Adam: t.Adam}
}

// ResumeTask rebuilds the task a checkpoint was taken from.
func ResumeTask(c *Checkpoint) (*Task, error) {
	if c.Meta.Downstream == nil {
		return nil, fmt.Errorf("checkpoint of kind %q is not a downstream model", c.Meta.Kind)
	}
	t, err := NewTask(*c.Meta.Downstream, c.Meta.Hyper, c.Meta.Seed, c.Params)
	if err != nil {
		return nil, err
	}
	if c.Adam != nil {
		t.Adam = c.Adam
	}
	t.K = c.Meta.State["k_t"]
	return t, nil
}
