// Package ingest turns raw images into a level-0 stackae dataset: MNIST-family
// IDX files, a folder of PNG/JPEG files labelled by sub-folder, or the
// emoji-datasource image sets. Images are decoded in parallel, normalised to
// one shape (alpha composited onto white, centre-cropped to the aspect,
// resized), and streamed into dataset shards in a deterministic order.
package ingest
