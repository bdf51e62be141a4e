package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// hashFiles is the sha256 over the contents of files, in order.
func hashFiles(files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", filepath.Base(f))
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// statFingerprint hashes names, sizes and modification times: cheap for a
// large folder, and it changes whenever a file is added, removed or edited.
func statFingerprint(root string, rels []string) (string, error) {
	h := sha256.New()
	for _, rel := range rels {
		st, err := os.Stat(filepath.Join(root, rel))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", filepath.ToSlash(rel), st.Size(), st.ModTime().UnixNano())
	}
	return "stat-sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
