package ingest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // register decoders
	_ "image/png"
	"iter"
	"path/filepath"
	"strings"

	"github.com/stackae/stackae/dataset"
)

// item is one input image, decoded already (img) or still encoded (data).
type item struct {
	id    string
	label int32
	where string // file (and member) for error messages
	img   image.Image
	data  []byte
}

func (it item) decode() (image.Image, error) {
	if it.img != nil {
		return it.img, nil
	}
	img, _, err := image.Decode(bytes.NewReader(it.data))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode image: %w", it.where, err)
	}
	return img, nil
}

// source is an opened input of one kind.
type source struct {
	kind, path string
	classes    []string
	// total is the number of items expected (for progress), or -1.
	total int
	// channels is the natural channel count (1 for IDX, 3 otherwise).
	channels    int
	items       func(ctx context.Context) iter.Seq2[item, error]
	fingerprint func() (string, error)
}

// Kinds lists the accepted --from kinds.
var Kinds = []string{"idx", "images", "emoji"}

// openSource parses "KIND:PATH" and opens the input.
func openSource(from string) (*source, error) {
	kind, path, ok := strings.Cut(from, ":")
	if !ok || path == "" {
		return nil, fmt.Errorf("ingest.from %q: want KIND:PATH with KIND one of %s", from, strings.Join(Kinds, ", "))
	}
	switch kind {
	case "idx":
		return idxSource(path)
	case "images":
		return folderSource(path)
	case "emoji":
		return emojiSource(path)
	}
	return nil, fmt.Errorf("ingest.from %q: unknown kind %q (want one of %s)", from, kind, strings.Join(Kinds, ", "))
}

func (s *source) input(fp string) *dataset.Input {
	var abs []string
	for _, p := range strings.Split(s.path, ",") {
		if a, err := filepath.Abs(p); err == nil {
			p = a
		}
		abs = append(abs, p)
	}
	return &dataset.Input{Kind: s.kind, Path: strings.Join(abs, ","), Fingerprint: fp}
}
