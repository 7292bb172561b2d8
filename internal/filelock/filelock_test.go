package filelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLockExcludes: a second Lock waits (and says so) until the first is
// released, and a cancelled wait ends with the context's error.
func TestLockExcludes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "lock")
	unlock, err := Lock(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	waited := false
	if _, err := Lock(ctx, path, func() { waited = true }); !errors.Is(err, context.DeadlineExceeded) || !waited {
		t.Errorf("second Lock while held = %v (waited %v), want a wait ended by the deadline", err, waited)
	}
	got := make(chan error, 1)
	go func() {
		u, err := Lock(context.Background(), path, nil)
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(150 * time.Millisecond)
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the lock was not taken after its release")
	}
}

// TestTryLockNamesHolder: TryLock fails at once with ErrBusy while the
// lock is held, and Holder names the holding process.
func TestTryLockNamesHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if pid := Holder(path); pid != os.Getpid() {
		t.Errorf("Holder = %d, want %d", pid, os.Getpid())
	}
	if _, err := TryLock(path); !errors.Is(err, ErrBusy) {
		t.Errorf("TryLock while held = %v, want ErrBusy", err)
	}
	unlock()
	unlock, err = TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after release: %v", err)
	}
	unlock()
}
