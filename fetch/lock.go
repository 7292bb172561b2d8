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
// second waits, then finds the tarball complete. It polls so that
// cancellation (Ctrl-C) still ends the wait.
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
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock cache: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			f.Close()
			return nil, err
		}
	}
}
