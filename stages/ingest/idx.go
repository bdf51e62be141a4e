package ingest

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IDX magic numbers: unsigned byte data, 3 dims (images) or 1 dim (labels).
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// idxPair is one images file with its labels file.
type idxPair struct {
	prefix, images, labels string
}

// findIDX resolves a directory (every *-images-idx3-ubyte[.gz] with its
// labels) or a single images file to image/label pairs, sorted by name.
func findIDX(path string) ([]idxPair, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var images []string
	if st.IsDir() {
		for _, pat := range []string{"*-images-idx3-ubyte", "*-images-idx3-ubyte.gz", "*-images.idx3-ubyte"} {
			m, _ := filepath.Glob(filepath.Join(path, pat))
			images = append(images, m...)
		}
		if len(images) == 0 {
			return nil, fmt.Errorf("%s: no *-images-idx3-ubyte[.gz] files", path)
		}
	} else {
		images = []string{path}
	}
	sort.Strings(images)
	pairs := make([]idxPair, 0, len(images))
	for _, img := range images {
		base := filepath.Base(img)
		i := strings.Index(base, "-images")
		if i < 0 {
			return nil, fmt.Errorf("%s: name must contain -images-idx3-ubyte (with a matching -labels-idx1-ubyte)", img)
		}
		lbl := filepath.Join(filepath.Dir(img), strings.Replace(base, "images-idx3", "labels-idx1", 1))
		if _, err := os.Stat(lbl); err != nil {
			return nil, fmt.Errorf("%s: labels file %s: %w", img, lbl, err)
		}
		pairs = append(pairs, idxPair{prefix: base[:i], images: img, labels: lbl})
	}
	return pairs, nil
}

// openMaybeGzip opens path, transparently gunzipping it if it starts with
// the gzip magic.
func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return readCloser{zr, f}, nil
	}
	return readCloser{br, f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// idxHeader reads the magic and dimensions.
func idxHeader(r io.Reader, path string, wantMagic uint32, dims int) ([]int, error) {
	var magic uint32
	if err := binary.Read(r, binary.BigEndian, &magic); err != nil {
		return nil, fmt.Errorf("%s: reading IDX header: %w", path, err)
	}
	if magic != wantMagic {
		return nil, fmt.Errorf("%s: IDX magic 0x%08x, want 0x%08x (is this the right file?)", path, magic, wantMagic)
	}
	out := make([]int, dims)
	for i := range out {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("%s: reading IDX dimensions: %w", path, err)
		}
		if d == 0 || d > 1<<28 {
			return nil, fmt.Errorf("%s: IDX dimension %d is %d", path, i, d)
		}
		out[i] = int(d)
	}
	return out, nil
}

// readLabels reads a whole labels file (small: one byte per image).
func readLabels(path string) ([]uint8, error) {
	rc, err := openMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dims, err := idxHeader(rc, path, idxLabelsMagic, 1)
	if err != nil {
		return nil, err
	}
	labels := make([]uint8, dims[0])
	if _, err := io.ReadFull(rc, labels); err != nil {
		return nil, fmt.Errorf("%s: truncated: want %d labels: %w", path, dims[0], err)
	}
	return labels, nil
}
