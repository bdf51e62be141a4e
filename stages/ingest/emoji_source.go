package ingest

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// emojiEntry is the part of emoji-datasource's emoji.json we use.
type emojiEntry struct {
	Image          string                `json:"image"`
	Category       string                `json:"category"`
	SkinVariations map[string]emojiEntry `json:"skin_variations"`
}

// emojiImage matches img/<vendor>/64/<name>.png inside the package.
var emojiImage = regexp.MustCompile(`(?:^|/)img/([a-z]+)/64/([0-9a-f-]+\.png)$`)

// emojiSource reads one or more emoji-datasource-<vendor> packages (the npm
// .tgz or its unpacked folder), comma-separated. Labels are emoji.json
// categories; ids are <vendor>/<code points>.
func emojiSource(paths string) (*source, error) {
	list := strings.Split(paths, ",")
	categoryOf := map[string]string{} // image file name -> category
	for _, p := range list {
		entries, err := readEmojiJSON(p)
		if err != nil {
			return nil, fmt.Errorf("ingest emoji:%s: %w", p, err)
		}
		for _, e := range entries {
			categoryOf[e.Image] = e.Category
			for _, v := range e.SkinVariations {
				categoryOf[v.Image] = e.Category
			}
		}
	}
	cats := map[string]bool{}
	for _, c := range categoryOf {
		cats[c] = true
	}
	classes := sortedKeys(cats)
	index := map[string]int32{}
	for i, c := range classes {
		index[c] = int32(i)
	}
	s := &source{kind: "emoji", path: paths, classes: classes, total: -1, channels: 3}
	s.items = func(ctx context.Context) iter.Seq2[item, error] {
		return func(yield func(item, error) bool) {
			for _, p := range list {
				if !emojiItems(ctx, p, categoryOf, index, yield) {
					return
				}
			}
		}
	}
	s.fingerprint = func() (string, error) { return emojiFingerprint(list) }
	return s, nil
}

func isTarball(p string) bool { return strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz") }

func readEmojiJSON(p string) ([]emojiEntry, error) {
	var raw []byte
	var err error
	if isTarball(p) {
		err = walkTar(p, func(name string, r io.Reader) (bool, error) {
			if path.Base(name) != "emoji.json" {
				return true, nil
			}
			raw, err = io.ReadAll(r)
			return false, err
		})
	} else {
		raw, err = os.ReadFile(filepath.Join(p, "emoji.json"))
		if errors.Is(err, os.ErrNotExist) {
			raw, err = os.ReadFile(filepath.Join(p, "package", "emoji.json"))
		}
	}
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("no emoji.json in the archive")
	}
	var entries []emojiEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("emoji.json: %w", err)
	}
	return entries, nil
}

// walkTar calls fn for each regular file of a .tgz until fn returns false.
func walkTar(p string, fn func(name string, r io.Reader) (bool, error)) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		more, err := fn(h.Name, tr)
		if err != nil || !more {
			return err
		}
	}
}

func emojiItems(ctx context.Context, p string, categoryOf map[string]string, index map[string]int32, yield func(item, error) bool) bool {
	emit := func(name, where string, data []byte) bool {
		m := emojiImage.FindStringSubmatch(name)
		if m == nil {
			return true
		}
		cat, ok := categoryOf[m[2]]
		if !ok {
			return true // not an emoji (e.g. a sheet), or not in emoji.json
		}
		id := m[1] + "/" + strings.TrimSuffix(m[2], ".png")
		return yield(item{id: id, label: index[cat], where: where, data: data}, nil)
	}
	if isTarball(p) {
		stopped := false
		err := walkTar(p, func(name string, r io.Reader) (bool, error) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if !emojiImage.MatchString(name) {
				return true, nil
			}
			data, err := io.ReadAll(r)
			if err != nil {
				return false, fmt.Errorf("%s: %s: %w", p, name, err)
			}
			stopped = !emit(name, p+":"+name, data)
			return !stopped, nil
		})
		if err != nil {
			return yield(item{}, err)
		}
		return !stopped
	}
	return emojiFolderItems(ctx, p, emit, yield)
}

func emojiFolderItems(ctx context.Context, p string, emit func(name, where string, data []byte) bool, yield func(item, error) bool) bool {
	var files []string
	for _, base := range []string{p, filepath.Join(p, "package")} {
		m, _ := filepath.Glob(filepath.Join(base, "img", "*", "64", "*.png"))
		files = append(files, m...)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return yield(item{}, err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return yield(item{}, err)
		}
		if !emit(filepath.ToSlash(f), f, data) {
			return false
		}
	}
	return true
}

func emojiFingerprint(list []string) (string, error) {
	var files []string
	for _, p := range list {
		if isTarball(p) {
			files = append(files, p)
			continue
		}
		imgs, err := listImages(p)
		if err != nil {
			return "", err
		}
		fp, err := statFingerprint(p, imgs)
		if err != nil {
			return "", err
		}
		files = append(files, fp)
	}
	var tarballs []string
	var parts []string
	for _, f := range files {
		if isTarball(f) {
			tarballs = append(tarballs, f)
		} else {
			parts = append(parts, f)
		}
	}
	h, err := hashFiles(tarballs)
	if err != nil {
		return "", err
	}
	return strings.Join(append([]string{h}, parts...), "+"), nil
}
