package fetch

import (
	"context"
	"os"
	"path/filepath"
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

// TestVerifyCacheWaitsForTheSlotLock: a tarball that another run has
// renamed into place but not yet recorded is not "incomplete": verify
// waits for the lock, then finds it complete and keeps it.
func TestVerifyCacheWaitsForTheSlotLock(t *testing.T) {
	cache := t.TempDir()
	slot, final := slotWithTarball(t, cache)
	unlock, err := lockSlot(context.Background(), slot, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := tarball("nginx")
	os.WriteFile(final, body, 0o644) // the record is still to come
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
	if err := writeRecord(final, record{SHA256: sha(body)}); err != nil {
		t.Fatal(err)
	}
	unlock()
	r := <-done
	if r.err != nil || r.checked != 1 || len(r.problems) != 0 {
		t.Errorf("verify after the store finished: %+v", r)
	}
	if _, err := os.Stat(final); err != nil {
		t.Errorf("a complete tarball was removed: %v", err)
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
