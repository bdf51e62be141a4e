// Package model is the pure computation of stackae: the conv autoencoder of
// one stack level (encoder E and decoder D), its layers and custom ops on
// gorgonia, the trainer (graph, tape machine and Adam in one type) and the
// checkpoint encoding (safetensors). It does no I/O beyond io.Reader and
// io.Writer and imports neither storage nor arrow.
//
// Tensors are NCHW inside the graphs; datasets are HWC, and ToNCHW/ToHWC
// convert between the two.
package model
