// Package libcache keeps built static libraries under the cache dir, keyed
// by everything that went into them, so a later build anywhere on the
// machine restores them instead of compiling them again.
//
// Layout: <cache>/lib/<key>/ holds the library's files as they go into its
// tree (an SSL library's include/ and lib/; for PCRE2 and zlib what nginx's
// rules made: archive, generated headers, Makefile) and entry.json (the
// inputs, for `cache ls`, and the sha256 of every file, for `cache verify`
// and for the check before a restore). The entry directory's modification
// time is its last use, which `cache clean --older-than` goes by. An entry appears whole or not at all: it is assembled in a
// temporary directory beside it and renamed into place. <key>.lock beside
// it serializes the runs that would build the same library.
package libcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/filelock"
)

// DirName is the library cache's directory in the cache dir.
const DirName = "lib"

// Inputs are what a built library depends on; their hash is its key.
type Inputs struct {
	// Recipe names how nginx-build builds it (a new recipe, a new key).
	Recipe    string `json:"recipe"`
	Component string `json:"component"`
	Version   string `json:"version"`
	// Source is the tarball's sha256 or the git commit.
	Source string `json:"source"`
	// Patches are the sha256s of the patches applied to the tree, in order,
	// and the options they were applied with.
	Patches []string `json:"patches,omitempty"`
	// Configure are the arguments of its configure.
	Configure []string `json:"configure"`
	// Compiler identifies the compiler: a hash of its --version and
	// -dumpmachine output and the flags given with it.
	Compiler string `json:"compiler"`
	// Env are the environment variables that reach its build (CFLAGS, …).
	Env []string `json:"env,omitempty"`
}

// Key is the entry's name: the sha256 of the inputs.
func (in Inputs) Key() (string, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("library cache key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Entry is a stored library, as entry.json describes it.
type Entry struct {
	Inputs Inputs `json:"inputs"`
	// Files are the sha256 of every file, by its path in the entry.
	Files   map[string]string `json:"files"`
	Created time.Time         `json:"created"`
	// Path is the entry's directory and Size its bytes (not stored).
	Path string `json:"-"`
	Size int64  `json:"-"`
}

const entryFile = "entry.json"

// Path is where the entry keyed key lives.
func Path(cacheDir, key string) string { return filepath.Join(cacheDir, DirName, key) }

// Lock serializes the runs that would build or remove the library keyed
// key; waiting is called once if another run holds it.
func Lock(ctx context.Context, cacheDir, key string, waiting func()) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Join(cacheDir, DirName), 0o755); err != nil {
		return nil, fmt.Errorf("library cache: %w", err)
	}
	return filelock.Lock(ctx, Path(cacheDir, key)+".lock", waiting)
}

// Has reports whether the entry keyed key is complete.
func Has(cacheDir, key string) bool {
	_, err := os.Stat(filepath.Join(Path(cacheDir, key), entryFile))
	return err == nil
}

// Store copies the files under staged into the cache as the entry keyed
// key, with in recorded (staged gets entry.json too).
func Store(cacheDir, key, staged string, in Inputs, now time.Time) error {
	files, err := hashTree(staged)
	if err != nil {
		return err
	}
	e := Entry{Inputs: in, Files: files, Created: now.UTC()}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(staged, entryFile), b, 0o644); err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(cacheDir, DirName), 0o755); err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Join(cacheDir, DirName), ".tmp-")
	if err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	// staged may be on another file system than the cache: copied, then
	// renamed into place within the cache.
	if err := copyTree(staged, tmp); err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	final := Path(cacheDir, key)
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	return nil
}

// ErrDamaged is Restore's error for an entry whose files no longer match
// their sha256s: the entry is removed, and the library must be built.
var ErrDamaged = errors.New("damaged")

// Restore copies the entry keyed key into dest after checking every file
// against its sha256. With replace, dest is replaced as a whole (the copy
// is made beside it and renamed into place); otherwise the files are
// copied over what dest holds. Every file restored gets one and the same
// time, now: newer than anything make wrote before, and none newer than
// another, so that make finds them all up to date.
func Restore(ctx context.Context, cacheDir, key, dest string, replace bool) error {
	src := Path(cacheDir, key)
	e, err := read(src)
	if err != nil {
		return fmt.Errorf("restore the library: %w", err)
	}
	got, err := hashTree(src)
	if err != nil {
		return fmt.Errorf("restore the library from %s: %w", src, err)
	}
	for f, want := range e.Files {
		if got[f] != want {
			if err := remove(ctx, cacheDir, key, nil); err != nil {
				return err
			}
			return fmt.Errorf("library cache entry %s: %s is missing or changed (%w; removed)", src, f, ErrDamaged)
		}
	}
	target := dest
	if replace {
		target = dest + ".nginx-build-tmp"
		if err := os.RemoveAll(target); err != nil {
			return fmt.Errorf("restore the library into %s: %w", dest, err)
		}
		defer os.RemoveAll(target)
	}
	if err := copyTree(src, target); err != nil {
		return fmt.Errorf("restore the library from %s: %w", src, err)
	}
	if err := os.Remove(filepath.Join(target, entryFile)); err != nil {
		return fmt.Errorf("restore the library into %s: %w", dest, err)
	}
	now := time.Now()
	for f := range e.Files {
		if err := os.Chtimes(filepath.Join(target, filepath.FromSlash(f)), now, now); err != nil {
			return fmt.Errorf("restore the library into %s: %w", dest, err)
		}
	}
	if replace {
		if err := os.RemoveAll(dest); err != nil {
			return fmt.Errorf("restore the library into %s: %w", dest, err)
		}
		if err := os.Rename(target, dest); err != nil {
			return fmt.Errorf("restore the library into %s: %w", dest, err)
		}
	}
	os.Chtimes(src, now, now) // its last use, for cache clean --older-than
	return nil
}

// List reads every complete entry.
func List(cacheDir string) ([]Entry, error) {
	dir := filepath.Join(cacheDir, DirName)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("library cache: %w", err)
	}
	var out []Entry
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		e, err := read(filepath.Join(dir, de.Name()))
		if err != nil {
			continue // incomplete: not an entry (Clean removes it)
		}
		out = append(out, e)
	}
	return out, nil
}

func read(path string) (Entry, error) {
	b, err := os.ReadFile(filepath.Join(path, entryFile))
	if err != nil {
		return Entry{}, err
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return Entry{}, fmt.Errorf("%s: %w", filepath.Join(path, entryFile), err)
	}
	e.Path = path
	for f := range e.Files {
		if fi, err := os.Stat(filepath.Join(path, f)); err == nil {
			e.Size += fi.Size()
		}
	}
	return e, nil
}

// Verify re-hashes every file of every entry and removes the entries
// whose files are missing or changed (the next build that needs one
// builds it again); problems say what was wrong, one per entry.
func Verify(ctx context.Context, cacheDir string, waiting func(path string)) (checked int, problems []string, err error) {
	entries, err := List(cacheDir)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return checked, problems, err
		}
		checked++
		got, err := hashTree(e.Path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", e.Path, err))
			continue
		}
		var bad []string
		for f, want := range e.Files {
			if got[f] != want {
				bad = append(bad, fmt.Sprintf("%s is missing or changed (sha256 %s, recorded %s)", f, orNone(got[f]), want))
			}
		}
		if len(bad) == 0 {
			continue
		}
		slices.Sort(bad)
		problems = append(problems, fmt.Sprintf("%s (%s %s): %s; removed", e.Path, e.Inputs.Component, e.Inputs.Version, strings.Join(bad, ", ")))
		if err := remove(ctx, cacheDir, filepath.Base(e.Path), waiting); err != nil {
			return checked, problems, err
		}
	}
	return checked, problems, nil
}

// remove deletes the entry called name under its lock; waiting (may be
// nil) is told when another run holds it.
func remove(ctx context.Context, cacheDir, name string, waiting func(path string)) error {
	unlock, err := Lock(ctx, cacheDir, name, func() {
		if waiting != nil {
			waiting(Path(cacheDir, name))
		}
	})
	if err != nil {
		return err
	}
	defer unlock()
	path := Path(cacheDir, name)
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("library cache: %w", err)
	}
	os.Remove(path + ".lock")
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Clean removes the entries last used before now-olderThan (all of them
// when olderThan is 0) and what interrupted runs left, each under its
// lock, and returns the bytes freed; waiting (may be nil) is told when it
// waits for another run.
func Clean(ctx context.Context, cacheDir string, olderThan time.Duration, now time.Time, waiting func(path string)) (int64, error) {
	dir := filepath.Join(cacheDir, DirName)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("library cache: %w", err)
	}
	var freed int64
	for _, de := range des {
		name := de.Name()
		if !de.IsDir() {
			continue
		}
		path := filepath.Join(dir, name)
		if strings.HasPrefix(name, ".tmp-") {
			if fi, err := de.Info(); err == nil && now.Sub(fi.ModTime()) > time.Hour {
				freed += size(path)
				os.RemoveAll(path)
			}
			continue
		}
		if fi, err := de.Info(); err == nil && olderThan > 0 && now.Sub(fi.ModTime()) < olderThan {
			continue
		}
		n := size(path)
		if err := remove(ctx, cacheDir, name, waiting); err != nil {
			return freed, err
		}
		freed += n
	}
	return freed, nil
}

// Size is the bytes under the library cache, whatever they are.
func Size(cacheDir string) int64 { return size(filepath.Join(cacheDir, DirName)) }

func size(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// hashTree is the sha256 of every regular file under dir but entry.json,
// by slash-separated relative path.
func hashTree(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == entryFile {
			return err
		}
		sum, err := fetch.FileSHA256(path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = sum
		return nil
	})
	return out, err
}

// copyTree copies the directories and regular files under src into dst
// (created), with their permission bits; symbolic links are copied as
// links.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return atomicfile.Copy(path, target, info.Mode().Perm())
		}
		return nil
	})
}
