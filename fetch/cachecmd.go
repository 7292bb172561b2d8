package fetch

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/internal/human"
)

// CacheEntry is one tarball, or one git or hg clone, in the cache.
type CacheEntry struct {
	// Kind is "tarball", "git" or "hg".
	Kind string `json:"kind"`
	// Component is a tarball's component ("" for a clone).
	Component string `json:"component,omitempty"`
	// URL is the repository a clone was made from, as its configuration
	// says ("" for a tarball, or when it cannot be read).
	URL      string    `json:"url,omitempty"`
	Path     string    `json:"path"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	Verified string    `json:"verified"`
	Modified time.Time `json:"modified"`
	// Complete is false for a tarball without its record: an interrupted
	// download that no run will use.
	Complete bool `json:"complete"`
}

// ListCache returns the tarballs in the cache.
func ListCache(dir string) ([]CacheEntry, error) {
	var out []CacheEntry
	root := filepath.Join(dir, "tarballs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() || !isTarballName(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		e := CacheEntry{Kind: "tarball", Component: strings.SplitN(filepath.ToSlash(rel), "/", 2)[0], Path: p, Size: info.Size(), Modified: info.ModTime()}
		if rec, err := readRecord(p); err == nil {
			e.SHA256, e.Verified, e.Complete = rec.SHA256, rec.Verified, true
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list cache %s: %w", dir, err)
	}
	return out, nil
}

// ListClones returns the git and hg clones of modules in the cache
// (git/<key>.git, hg/<key>.hg), each with its size and the repository
// it was cloned from. Clones still being made (.part-*) are left out.
func ListClones(dir string) ([]CacheEntry, error) {
	var out []CacheEntry
	for _, kind := range vcsKinds() {
		entries, err := os.ReadDir(filepath.Join(dir, kind))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list cache %s: %w", dir, err)
		}
		for _, d := range entries {
			if !d.IsDir() || !strings.HasSuffix(d.Name(), "."+kind) {
				continue
			}
			p := filepath.Join(dir, kind, d.Name())
			e := CacheEntry{Kind: kind, URL: cloneURL(p, kind), Path: p, Size: treeSize(p), Complete: true}
			if info, err := d.Info(); err == nil {
				e.Modified = info.ModTime()
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// vcsKinds are the version control systems whose clones the cache keeps.
func vcsKinds() []string { return []string{"git", "hg"} }

// cloneURL reads the repository a clone was made from out of its
// configuration: a bare git clone's config (remote "origin"), an hg
// clone's .hg/hgrc ([paths] default). It is "" when there is none.
func cloneURL(repo, kind string) string {
	conf, key := filepath.Join(repo, "config"), "url"
	if kind == "hg" {
		conf, key = filepath.Join(repo, ".hg", "hgrc"), "default"
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// notSlots are the cache's directories that are not tarball slots:
// version indexes, git and hg clones, apt downloads and fetched signing
// keys. CleanCache removes them whole; CacheSize counts them.
func notSlots() []string { return []string{"index", "git", "hg", "debian", "keys"} }

// CacheSize is the size of everything CleanCache without an age removes:
// every slot (tarballs, their records and sidecars, partial downloads)
// and the directories that are not slots.
func CacheSize(dir string) (int64, error) {
	slots, err := cacheSlots(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, slot := range slots {
		n += treeSize(slot)
	}
	for _, sub := range notSlots() {
		n += treeSize(filepath.Join(dir, sub))
	}
	return n, nil
}

// isTarballName excludes records, sidecars, locks and partial downloads.
func isTarballName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, ext := range []string{".verified", ".sha256", ".sig", ".absent", ".tmp"} {
		if strings.HasSuffix(name, ext) {
			return false
		}
	}
	return strings.Contains(name, ".tar") || strings.HasSuffix(name, ".tgz")
}

// VerifyProblem is a cache file that failed re-verification and was removed.
type VerifyProblem struct {
	Path, Problem string
}

// VerifyCache re-hashes every tarball against the sha256 recorded when it
// was verified, and removes the damaged and the incomplete ones (a later
// run downloads them again). It takes each slot's lock, as fetch does: a
// tarball another run is still storing is waited for, never taken for an
// incomplete one. waiting (may be nil) is told about such a wait.
func VerifyCache(ctx context.Context, dir string, waiting func(path string)) (checked int, problems []VerifyProblem, err error) {
	entries, err := ListCache(dir)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range entries {
		unlock, err := lockSlot(ctx, filepath.Dir(e.Path), func() { tell(waiting, e.Path) })
		if err != nil {
			return checked, problems, err
		}
		problem, gone := "", false
		if _, err := os.Stat(e.Path); err != nil {
			gone = true // removed by another run meanwhile
		} else if rec, err := readRecord(e.Path); err != nil {
			problem = "incomplete (no verification record): removed"
		} else if got, err := FileSHA256(e.Path); err != nil {
			problem = "unreadable: " + err.Error()
		} else if got != rec.SHA256 {
			problem = fmt.Sprintf("damaged: sha256 %s, recorded %s: removed", got, rec.SHA256)
		}
		if problem != "" {
			os.Remove(e.Path)
			os.Remove(e.Path + recordSuffix)
			removeSidecars(e.Path)
			problems = append(problems, VerifyProblem{e.Path, problem})
		}
		unlock()
		if !gone {
			checked++
		}
	}
	return checked, problems, nil
}

func tell(waiting func(string), path string) {
	if waiting != nil {
		waiting(path)
	}
}

// CleanCache removes cached downloads: everything, or (olderThan > 0) the
// tarballs not used for that long, plus leftovers of interrupted runs. It
// takes each slot's lock, as fetch does, so nothing another run is
// downloading or reading is removed under it; waiting (may be nil) is told
// about such a wait. It returns the bytes freed.
func CleanCache(ctx context.Context, dir string, olderThan time.Duration, now time.Time, waiting func(path string)) (int64, error) {
	var freed int64
	slots, err := cacheSlots(dir)
	if err != nil {
		return 0, err
	}
	for _, slot := range slots {
		unlock, err := lockSlot(ctx, slot, func() { tell(waiting, slot) })
		if err != nil {
			return freed, err
		}
		n, err := cleanSlot(slot, olderThan, now)
		freed += n
		unlock()
		if err != nil {
			return freed, err
		}
		if olderThan == 0 {
			os.Remove(filepath.Dir(slot)) // the component's directory, once empty
		}
	}
	if olderThan == 0 {
		for _, sub := range notSlots() {
			p := filepath.Join(dir, sub)
			freed += treeSize(p)
			if err := os.RemoveAll(p); err != nil {
				return freed, fmt.Errorf("clean %s: %w", p, err)
			}
		}
	}
	return freed, nil
}

// cleanSlot empties one locked slot (olderThan == 0), or removes its
// tarballs unused for olderThan, incomplete ones, and partial downloads
// older than an hour.
func cleanSlot(slot string, olderThan time.Duration, now time.Time) (int64, error) {
	if olderThan == 0 {
		n := treeSize(slot)
		// The lock file goes too: a run waiting for it notices and locks
		// the slot afresh.
		if err := os.RemoveAll(slot); err != nil {
			return n, fmt.Errorf("clean %s: %w", slot, err)
		}
		return n, nil
	}
	var freed int64
	entries, err := os.ReadDir(slot)
	if err != nil {
		return 0, nil
	}
	for _, d := range entries {
		p := filepath.Join(slot, d.Name())
		info, err := d.Info()
		if err != nil || d.IsDir() {
			continue
		}
		switch {
		case strings.HasPrefix(d.Name(), ".part-"):
			if now.Sub(info.ModTime()) > time.Hour {
				freed += info.Size()
				os.Remove(p)
			}
		case isTarballName(d.Name()):
			_, recErr := readRecord(p)
			if now.Sub(info.ModTime()) >= olderThan || recErr != nil {
				freed += info.Size()
				os.Remove(p)
				os.Remove(p + recordSuffix)
				removeSidecars(p)
			}
		}
	}
	return freed, nil
}

// cacheSlots lists the slot directories, tarballs/<component>/<key>.
func cacheSlots(dir string) ([]string, error) {
	slots, err := filepath.Glob(filepath.Join(dir, "tarballs", "*", "*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range slots {
		if fi, err := os.Stat(s); err == nil && fi.IsDir() {
			out = append(out, s)
		}
	}
	return out, nil
}

func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// HumanBytes formats a size for people, as [human.Bytes] does everywhere
// in the tool; it stays here for the command layer, which imports fetch.
func HumanBytes(n int64) string { return human.Bytes(n) }
