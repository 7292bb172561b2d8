// Package filelock is an exclusive lock between processes on a file
// beside what it guards (flock(2)), for caches that two runs may share.
package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pollInterval is how often a busy lock is tried again: polling, rather
// than a blocking flock, lets cancellation (Ctrl-C) end the wait.
const pollInterval = 100 * time.Millisecond

// Lock takes an exclusive lock on path (created, with its directory, if
// missing), waiting while another process or goroutine holds it; waiting
// is called once when it has to wait. The lock is released by unlock.
func Lock(ctx context.Context, path string, waiting func()) (unlock func(), err error) {
	told := false
	for {
		unlock, busy, err := try(path)
		if err != nil || !busy {
			return unlock, err
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		t := time.NewTimer(pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// ErrBusy is TryLock's error when another process or goroutine holds
// the lock.
var ErrBusy = errors.New("held by another run")

// TryLock is Lock without the wait: it fails with ErrBusy at once when
// the lock is held.
func TryLock(path string) (unlock func(), err error) {
	unlock, busy, err := try(path)
	if err == nil && busy {
		return nil, ErrBusy
	}
	return unlock, err
}

// Holder is the process id the holder of the lock at path wrote into it
// (Lock and TryLock write theirs), 0 when unknown.
func Holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// try takes the lock if nobody holds it; busy reports that somebody does.
func try(path string) (unlock func(), busy bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
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
	// Whoever removes what the lock guards (`cache clean`) removes the
	// lock file too: a lock on a removed file guards nothing, so take the
	// new one instead.
	held, err1 := f.Stat()
	now, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(held, now) {
		f.Close()
		return try(path)
	}
	// Who holds it, for a waiting run to name; the content means nothing
	// else, so a failure to write it is no reason to give the lock up.
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, false, nil
}
