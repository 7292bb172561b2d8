package fetch

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/internal/human"
)

// CacheEntry is one tarball, or one git or hg clone, in the cache.
type CacheEntry struct {
	// Kind is "tarball", "git" or "hg" (or "library").
	Kind string `json:"kind"`
	// Component is a tarball's component ("" for a clone); when several
	// names lead to the same file, they are joined with ",".
	Component string `json:"component,omitempty"`
	// URL is the repository a clone was made from, as its configuration
	// says ("" for a tarball, or when it cannot be read).
	URL      string    `json:"url,omitempty"`
	Path     string    `json:"path"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	Verified string    `json:"verified"`
	Modified time.Time `json:"modified"`
	// Complete is true for every stored tarball: only complete, verified
	// downloads enter the store (older versions listed incomplete ones).
	Complete bool `json:"complete"`
	// Key and Configure describe a built library (kind "library", listed
	// by the command from the library cache): its cache key and the
	// configure options it was built with.
	Key       string   `json:"key,omitempty"`
	Configure []string `json:"configure,omitempty"`
	// Sources are the URLs that led to a tarball, each with how it was
	// verified when fetched from there.
	Sources []CacheSource `json:"sources,omitempty"`
}

// CacheSource is one URL that led to a stored tarball.
type CacheSource struct {
	Component string `json:"component"`
	// Name is the file name the URL gave it.
	Name     string `json:"name"`
	URL      string `json:"url,omitempty"`
	Verified string `json:"verified"`
	// index is the slot's name for the file, its record index+".verified".
	index string
}

// ListCache returns the stored tarballs, each once, with the URLs that
// led to it (its sources): sha256/<sum>/<file>, whose name is its sha256.
func ListCache(dir string) ([]CacheEntry, error) {
	blobs, err := blobDirs(dir)
	if err != nil {
		return nil, err
	}
	sources, err := slotRecords(dir)
	if err != nil {
		return nil, fmt.Errorf("list cache %s: %w", dir, err)
	}
	var out []CacheEntry
	for _, b := range blobs {
		p := blobFile(b)
		info, err := os.Stat(p)
		if p == "" || err != nil {
			continue
		}
		sum := filepath.Base(b)
		e := CacheEntry{Kind: "tarball", Path: p, Size: info.Size(), Modified: info.ModTime(), SHA256: sum, Complete: true, Sources: sources[sum]}
		e.Component, e.Verified = describeSources(e.Sources)
		out = append(out, e)
	}
	return out, nil
}

// describeSources joins the distinct components, and the distinct ways of
// verification, of a tarball's sources.
func describeSources(sources []CacheSource) (components, verified string) {
	var cs, vs []string
	for _, s := range sources {
		if !slices.Contains(cs, s.Component) {
			cs = append(cs, s.Component)
		}
		if s.Verified != "" && !slices.Contains(vs, s.Verified) {
			vs = append(vs, s.Verified)
		}
	}
	return strings.Join(cs, ","), strings.Join(vs, "; ")
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
// the stored tarballs, every slot (records, sidecars, partial downloads)
// and the directories that are not slots.
func CacheSize(dir string) (int64, error) {
	slots, err := cacheSlots(dir)
	if err != nil {
		return 0, err
	}
	n := treeSize(filepath.Join(dir, blobRoot))
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

// VerifyCache re-hashes every stored tarball against its name, its
// sha256, and removes the damaged ones (a later run downloads them again;
// the URL records that led to them then lead nowhere). It takes each
// stored file's lock, as fetch does: a file another run is storing or
// checking is waited for. waiting (may be nil) is told about such a wait.
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
		} else if got, err := FileSHA256(e.Path); err != nil {
			problem = "unreadable: " + err.Error()
		} else if got != e.SHA256 {
			problem = fmt.Sprintf("damaged: sha256 %s, stored as %s: removed", got, e.SHA256)
		}
		if problem != "" {
			os.Remove(e.Path)
			problems = append(problems, VerifyProblem{e.Path, problem})
		}
		unlock()
		if problem != "" {
			if err := dropRecords(ctx, dir, e.Sources, waiting); err != nil {
				return checked, problems, err
			}
		}
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
// tarballs not used for that long and the URL records that led to them,
// plus leftovers of interrupted runs. It takes each stored file's and
// each slot's lock, as fetch does, so nothing another run is downloading
// or reading is removed under it; waiting (may be nil) is told about such
// a wait. It returns the bytes freed.
func CleanCache(ctx context.Context, dir string, olderThan time.Duration, now time.Time, waiting func(path string)) (int64, error) {
	freed, err := cleanBlobs(ctx, dir, olderThan, now, waiting)
	if err != nil {
		return freed, err
	}
	slots, err := cacheSlots(dir)
	if err != nil {
		return freed, err
	}
	for _, slot := range slots {
		unlock, err := lockSlot(ctx, slot, func() { tell(waiting, slot) })
		if err != nil {
			return freed, err
		}
		n, err := cleanSlot(dir, slot, olderThan, now)
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
		os.Remove(filepath.Join(dir, "tarballs")) // once empty
		for _, sub := range append(notSlots(), blobRoot) {
			p := filepath.Join(dir, sub)
			freed += treeSize(p)
			if err := os.RemoveAll(p); err != nil {
				return freed, fmt.Errorf("clean %s: %w", p, err)
			}
		}
	}
	return freed, nil
}

// cleanBlobs removes the stored tarballs (olderThan == 0: all of them,
// each directory whole, lock included, as cleanSlot does), each under its
// lock. Their URL records go with the slots, after.
func cleanBlobs(ctx context.Context, dir string, olderThan time.Duration, now time.Time, waiting func(path string)) (int64, error) {
	blobs, err := blobDirs(dir)
	if err != nil {
		return 0, err
	}
	var freed int64
	for _, b := range blobs {
		unlock, err := lockSlot(ctx, b, func() { tell(waiting, b) })
		if err != nil {
			return freed, err
		}
		if olderThan == 0 {
			freed += treeSize(b)
			err = os.RemoveAll(b)
		} else if p := blobFile(b); p != "" {
			if info, statErr := os.Stat(p); statErr == nil && now.Sub(info.ModTime()) >= olderThan {
				freed += info.Size()
				err = os.Remove(p)
			}
		}
		unlock()
		if err != nil {
			return freed, fmt.Errorf("clean %s: %w", b, err)
		}
	}
	return freed, nil
}

// cleanSlot empties one locked slot (olderThan == 0), or removes the
// records (and sidecars) of tarballs no longer stored, tarballs of the old
// layout unused for olderThan or incomplete, and partial downloads older
// than an hour.
func cleanSlot(cacheDir, slot string, olderThan time.Duration, now time.Time) (int64, error) {
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
		case strings.HasSuffix(d.Name(), recordSuffix):
			freed += dropDanglingRecord(cacheDir, strings.TrimSuffix(p, recordSuffix))
		}
	}
	return freed, nil
}

// dropRecords removes the records of the URLs that led to a tarball
// removed from the store, each under its slot's lock.
func dropRecords(ctx context.Context, cacheDir string, sources []CacheSource, waiting func(path string)) error {
	for _, s := range sources {
		slot := filepath.Dir(s.index)
		unlock, err := lockSlot(ctx, slot, func() { tell(waiting, slot) })
		if err != nil {
			return err
		}
		dropDanglingRecord(cacheDir, s.index)
		unlock()
	}
	return nil
}

// dropDanglingRecord removes the record of index, and its sidecars, when
// the tarball it leads to is no longer stored (nor beside it, in the old
// layout), and returns the bytes freed.
func dropDanglingRecord(cacheDir, index string) int64 {
	rec, err := readRecord(index)
	if err == nil && blobFile(blobDir(cacheDir, rec.SHA256)) != "" {
		return 0
	}
	if _, err := os.Stat(index); err == nil {
		return 0 // an old-layout tarball's: judged with the tarball
	}
	var freed int64
	for _, p := range []string{index + recordSuffix, index + ".sha256", index + ".sig", index + ".sha256.absent", index + ".sig.absent"} {
		if fi, err := os.Stat(p); err == nil {
			freed += fi.Size()
			os.Remove(p)
		}
	}
	return freed
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
