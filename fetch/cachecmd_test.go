package fetch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slotWithTarball names a slot and the tarball fetch stores there, in two
// steps under the slot's lock: the file first, its record last.
func slotWithTarball(t *testing.T, cache string) (slot, final string) {
	t.Helper()
	slot = filepath.Join(cache, "tarballs", "nginx", "0123456789abcdef")
	final = filepath.Join(slot, "nginx-1.30.1.tar.gz")
	os.MkdirAll(slot, 0o755)
	return slot, final
}

// TestVerifyCacheWaitsForTheBlobLock: a stored tarball that another run
// holds (storing it, or checking it before use) is waited for, then
// re-hashed against its name and kept.
func TestVerifyCacheWaitsForTheBlobLock(t *testing.T) {
	cache := t.TempDir()
	body := tarball("nginx")
	dir := blobDir(cache, sha(body))
	unlock, err := lockSlot(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "nginx-1.30.1.tar.gz")
	os.WriteFile(blob, body, 0o644)
	waited := make(chan string, 1)
	type result struct {
		checked  int
		problems []VerifyProblem
		err      error
	}
	done := make(chan result, 1)
	go func() {
		n, p, err := VerifyCache(context.Background(), cache, func(p string) { waited <- p })
		done <- result{n, p, err}
	}()
	select {
	case <-waited:
	case r := <-done:
		t.Fatalf("verify did not wait for the lock: %+v", r)
	case <-time.After(10 * time.Second):
		t.Fatal("verify neither waited nor finished")
	}
	unlock()
	r := <-done
	if r.err != nil || r.checked != 1 || len(r.problems) != 0 {
		t.Errorf("verify after the store finished: %+v", r)
	}
	if _, err := os.Stat(blob); err != nil {
		t.Errorf("a sound tarball was removed: %v", err)
	}
}

// TestCleanCacheWaitsForTheSlotLock: clean does not pull a tarball from
// under a run that holds its slot; once the lock is free, it removes
// it, and a run waiting on the old lock file locks the slot afresh.
func TestCleanCacheWaitsForTheSlotLock(t *testing.T) {
	for _, olderThan := range []time.Duration{0, time.Nanosecond} {
		cache := t.TempDir()
		slot, final := slotWithTarball(t, cache)
		unlock, err := lockSlot(context.Background(), slot, nil)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(final, []byte("x"), 0o644)
		writeRecord(final, record{SHA256: sha([]byte("x"))})
		waited := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			_, err := CleanCache(context.Background(), cache, olderThan, time.Now().Add(time.Hour), func(p string) { waited <- p })
			done <- err
		}()
		select {
		case <-waited:
		case err := <-done:
			t.Fatalf("clean (older than %s) did not wait for the lock: %v", olderThan, err)
		case <-time.After(10 * time.Second):
			t.Fatal("clean neither waited nor finished")
		}
		if _, err := os.Stat(final); err != nil {
			t.Fatalf("clean removed a tarball whose slot is locked: %v", err)
		}
		unlock()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(final); err == nil {
			t.Errorf("clean (older than %s) kept %s", olderThan, final)
		}
		// The slot can be locked again (afresh, if clean removed it).
		unlock, err = lockSlot(context.Background(), slot, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(slot, ".lock")); err != nil {
			t.Errorf("lock taken on a removed file: %v", err)
		}
		unlock()
	}
}

// TestListClonesAndCacheSize: the git and hg clones are listed with the
// repository each was cloned from (clones still being made are not), and
// CacheSize is exactly what CleanCache without an age frees.
func TestListClonesAndCacheSize(t *testing.T) {
	cache := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(cache, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, final := slotWithTarball(t, cache)
	write("tarballs/nginx/0123456789abcdef/nginx-1.30.1.tar.gz", "tarball")
	if err := writeRecord(final, record{SHA256: sha([]byte("tarball"))}); err != nil {
		t.Fatal(err)
	}
	write("tarballs/nginx/0123456789abcdef/.part-aa-nginx-1.31.0.tar.gz", "partial")
	write("git/aaaa.git/config", "[core]\n\tbare = true\n[remote \"origin\"]\n\turl = https://github.com/openresty/echo-nginx-module\n")
	write("git/aaaa.git/objects/pack/pack-1.pack", strings.Repeat("x", 4096))
	write("git/aaaa.log", "")
	write("git/bbbb.git.part-123/config", "[remote \"origin\"]\n\turl = https://example/half\n")
	write("hg/cccc.hg/.hg/hgrc", "[paths]\ndefault = https://hg.example/mod\n")
	write("hg/cccc.hg/.hg/store/data", "data")
	write("index/nginx.json", "{}")
	write("keys/nginx/ABCD.asc", "key")

	clones, err := ListClones(cache)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		filepath.Join(cache, "git", "aaaa.git"): "https://github.com/openresty/echo-nginx-module",
		filepath.Join(cache, "hg", "cccc.hg"):   "https://hg.example/mod",
	}
	if len(clones) != len(want) {
		t.Fatalf("ListClones = %+v, want %d clones", clones, len(want))
	}
	for _, c := range clones {
		if want[c.Path] != c.URL || c.Kind != strings.TrimPrefix(filepath.Ext(c.Path), ".") || c.Size == 0 {
			t.Errorf("clone %+v: want url %q, its kind and size", c, want[c.Path])
		}
	}
	if c := clones[0]; c.Kind == "git" && c.Size < 4096 {
		t.Errorf("git clone size %d: its objects are not counted", c.Size)
	}

	size, err := CacheSize(cache)
	if err != nil {
		t.Fatal(err)
	}
	freed, err := CleanCache(context.Background(), cache, 0, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if size != freed || size == 0 {
		t.Errorf("CacheSize = %d, CleanCache freed %d", size, freed)
	}
}
