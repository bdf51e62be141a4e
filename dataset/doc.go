// Package dataset reads and writes stackae datasets, format version 1 (see
// docs/FORMAT.md): Parquet shards "part-<run id>-NNNNN.parquet" plus "_manifest.json"
// under one storage prefix. A dataset exists if and only if its manifest
// exists; the manifest is written last, with a conditional write.
//
// Rows are images or encodings: an id, an optional integer label, a split and
// a features tensor of shape [H, W, C] stored HWC as a non-nullable
// FixedSizeList of uint8 or float32. Real values are stored*Scale + Offset.
//
// Third-party Go jobs use Open and Dataset.Scan to iterate (optionally
// shuffled, optionally one shard-range i of n) batches.
package dataset
