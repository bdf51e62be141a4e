package jobs

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// writePNGFile writes img to path through a temporary file in its
// directory: a failed job leaves no partial PNG.
func writePNGFile(path string, img image.Image) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}
