package fetch

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CacheEntry is one tarball in the cache.
type CacheEntry struct {
	Component string    `json:"component"`
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	Verified  string    `json:"verified"`
	Modified  time.Time `json:"modified"`
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
		e := CacheEntry{Component: strings.SplitN(filepath.ToSlash(rel), "/", 2)[0], Path: p, Size: info.Size(), Modified: info.ModTime()}
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
// run downloads them again).
func VerifyCache(dir string) (checked int, problems []VerifyProblem, err error) {
	entries, err := ListCache(dir)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range entries {
		checked++
		problem := ""
		if !e.Complete {
			problem = "incomplete (no verification record): removed"
		} else if got, err := FileSHA256(e.Path); err != nil {
			problem = "unreadable: " + err.Error()
		} else if got != e.SHA256 {
			problem = fmt.Sprintf("damaged: sha256 %s, recorded %s: removed", got, e.SHA256)
		}
		if problem != "" {
			os.Remove(e.Path)
			os.Remove(e.Path + recordSuffix)
			removeSidecars(e.Path)
			problems = append(problems, VerifyProblem{e.Path, problem})
		}
	}
	return checked, problems, nil
}

// CleanCache removes cached downloads: everything, or (olderThan > 0) the
// tarballs not used for that long, plus leftovers of interrupted runs. It
// returns the bytes freed.
func CleanCache(dir string, olderThan time.Duration, now time.Time) (int64, error) {
	var freed int64
	if olderThan == 0 {
		for _, sub := range []string{"tarballs", "index", "git", "hg", "debian"} {
			p := filepath.Join(dir, sub)
			freed += treeSize(p)
			if err := os.RemoveAll(p); err != nil {
				return freed, fmt.Errorf("clean %s: %w", p, err)
			}
		}
		return freed, nil
	}
	entries, err := ListCache(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if now.Sub(e.Modified) >= olderThan || !e.Complete {
			freed += e.Size
			os.Remove(e.Path)
			os.Remove(e.Path + recordSuffix)
			removeSidecars(e.Path)
		}
	}
	// Partial downloads left by killed runs.
	filepath.WalkDir(filepath.Join(dir, "tarballs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".part-") {
			if info, err := d.Info(); err == nil && now.Sub(info.ModTime()) > time.Hour {
				freed += info.Size()
				os.Remove(p)
			}
		}
		return nil
	})
	return freed, nil
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

// HumanBytes formats a size for people.
func HumanBytes(n int64) string { return humanBytes(n) }
