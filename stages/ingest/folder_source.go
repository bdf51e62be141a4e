package ingest

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stackae/stackae/dataset"
)

var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// folderSource reads every PNG/JPEG under root, recursively. The first
// sub-folder below root names the class; files directly in root are unlabeled.
func folderSource(root string) (*source, error) {
	files, err := listImages(root)
	if err != nil {
		return nil, fmt.Errorf("ingest images:%s: %w", root, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("ingest images:%s: no .png, .jpg or .jpeg files found", root)
	}
	classSet := map[string]bool{}
	for _, f := range files {
		if c := classOf(f); c != "" {
			classSet[c] = true
		}
	}
	classes := sortedKeys(classSet)
	index := map[string]int32{}
	for i, c := range classes {
		index[c] = int32(i)
	}
	s := &source{kind: "images", path: root, classes: classes, total: len(files), channels: 3}
	s.items = func(ctx context.Context) iter.Seq2[item, error] {
		return func(yield func(item, error) bool) {
			for _, rel := range files {
				if err := ctx.Err(); err != nil {
					yield(item{}, err)
					return
				}
				full := filepath.Join(root, rel)
				data, err := os.ReadFile(full)
				label := dataset.NoLabel
				if c := classOf(rel); c != "" {
					label = index[c]
				}
				id := filepath.ToSlash(rel) // unique, as file names are
				if !yield(item{id: id, label: label, where: full, data: data}, err) {
					return
				}
			}
		}
	}
	s.fingerprint = func() (string, error) { return statFingerprint(root, files) }
	return s, nil
}

func listImages(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func classOf(rel string) string {
	dir, _, ok := strings.Cut(filepath.ToSlash(rel), "/")
	if !ok {
		return ""
	}
	return dir
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
