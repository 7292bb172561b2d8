// Package atomicfile replaces files so that a reader, or a concurrent
// nginx-build, sees either the old content or the new, never a torn file:
// the new content goes to a temporary file in the same directory (a rename
// is only atomic within one file system) and is renamed over the target.
// Each write has its own, uniquely named temporary file, so concurrent
// writers of the same path cannot truncate each other's half-written
// data; the last rename wins with a whole file.
package atomicfile

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteWith replaces path with what write produces, for content that is
// streamed (a package, a copy) rather than held in memory. path is only
// replaced when write and the close succeed; on any failure the temporary
// file is removed and path keeps its old content. The file gets perm
// less the umask, as os.WriteFile would give it.
func WriteWith(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := createUnique(dir, base, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed; the write error matters more
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// createUnique creates a temporary file for base in dir, with a name no
// other writer has (O_EXCL, a random part) and perm less the umask. The
// leading dot hides it from listings and from cache scans that skip dot
// files.
func createUnique(dir, base string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("create a temporary file for %s in %s: too many name clashes", base, dir)
}

// Write replaces path with data; see WriteWith.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteWith(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteIfChanged is Write that leaves path untouched, mtime included, when
// it already holds data: rewriting an unchanged file would make make(1)
// and caches keyed on mtimes redo their work. changed reports whether
// path was written. The permissions of an unchanged file are not checked.
func WriteIfChanged(path string, data []byte, perm os.FileMode) (changed bool, err error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if err := Write(path, data, perm); err != nil {
		return false, err
	}
	return true, nil
}

// Copy replaces dst with the content of src, streamed so that large files
// are not held in memory; see WriteWith.
func Copy(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return WriteWith(dst, perm, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
