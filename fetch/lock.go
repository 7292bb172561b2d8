package fetch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockSlot takes an exclusive lock on a cache slot, so that two runs
// sharing a cache (parallel CI jobs) do not download the same file at the
// same time, and one never reads what the other is still writing: the
// second waits, then finds the tarball complete. `cache clean` and
// `cache verify` take the same lock before they touch a slot. It polls so
// that cancellation (Ctrl-C) still ends the wait.
func lockSlot(ctx context.Context, dir string, waiting func()) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache directory: %w", err)
	}
	return LockFile(ctx, filepath.Join(dir, ".lock"), waiting)
}

// LockFile takes an exclusive lock on path (created if missing), as
// lockSlot does for a tarball slot: for other cache entries, such as the
// git and hg clones of modules, whose lock sits beside them.
func LockFile(ctx context.Context, path string, waiting func()) (unlock func(), err error) {
	told := false
	for {
		unlock, busy, err := tryLockFile(path)
		if err != nil || !busy {
			return unlock, err
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// tryLockFile takes the lock if nobody holds it; busy reports that
// somebody does.
func tryLockFile(path string) (unlock func(), busy bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("lock cache: %w", err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == syscall.EWOULDBLOCK:
		f.Close()
		return nil, true, nil
	case err != nil:
		f.Close()
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	// `cache clean` removes a slot while holding its lock: a lock taken on
	// the removed file guards nothing. Take the new one instead.
	held, err1 := f.Stat()
	now, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(held, now) {
		f.Close()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, false, fmt.Errorf("create cache directory: %w", err)
		}
		return tryLockFile(path)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, false, nil
}
