package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gocloud.dev/blob/fileblob"
)

func openFile(dir string) (*Bucket, error) {
	dir = filepath.Clean(filepath.FromSlash(dir))
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("open file://%s: path must be absolute", dir)
	}
	// Temp files next to their final name (".tmp" suffix) make the final
	// rename work whatever the mount, and sidecar metadata files are skipped
	// so outside readers see only our objects.
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir: true,
		NoTempDir: true,
		Metadata:  fileblob.MetadataDontWrite,
	})
	u := "file://" + filepath.ToSlash(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", u, err)
	}
	return &Bucket{b: b, url: u, owner: true, link: &linkCommitter{dir: dir}}, nil
}

// linkCommitter makes "write if absent" atomic across processes on a local
// filesystem: write a temp file, then hard-link it to the final name, which
// fails with EEXIST if another writer got there first. (fileblob's own
// IfNotExist is a stat then a rename under an in-process lock.)
type linkCommitter struct{ dir string }

func (l *linkCommitter) writeIfAbsent(ctx context.Context, key string, data []byte) error {
	final := filepath.Join(l.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
		return err
	}
	tmp := final + "." + strconv.FormatInt(time.Now().UnixNano(), 16) + ".tmp"
	if err := writeSynced(tmp, data); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	defer os.Remove(tmp)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Link(tmp, final); err != nil {
		return err // fs.ErrExist when another writer committed first
	}
	return syncDir(filepath.Dir(final))
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
