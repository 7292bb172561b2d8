package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/nginx-build/nginx-build/internal/filelock"
)

// buildLockStage keeps two runs out of one build dir: the second waits
// for the first (saying which process it waits for) or, with --no-wait,
// fails at once.
//
// The lock is a file beside the build dir (<work>/nginx/<version>.lock):
// beside rather than inside, so -clear removing the build dir does not
// remove the lock it is held under. It is taken here, after the stages
// that may stop the run with nothing to do (a dry run, -idempotent),
// because those must leave no trace in the work dir, and before
// workDirStage, because -clear and everything after it write the build
// dir. The up-to-date check ran before the lock, so a run that waited
// checks again once it holds it: the run it waited for has usually just
// built the same thing. Run releases the lock on every way out; the
// kernel releases it if the process dies.
type buildLockStage struct {
	// recheck repeats the up-to-date check after a wait (a full build;
	// a modules-only build has no stamp of its own).
	recheck bool
}

func (buildLockStage) Name() string { return "lock the build dir" }

func (l buildLockStage) Run(ctx context.Context, s *State) error {
	dir := s.buildDir()
	path := dir + ".lock"
	if err := makeWorkDir(s); err != nil {
		return err
	}
	var unlock func()
	var err error
	waited := false
	if s.Mode.NoWait {
		unlock, err = filelock.TryLock(path)
		if errors.Is(err, filelock.ErrBusy) {
			return fmt.Errorf("the build in %s is %s (--no-wait); wait for it to finish, or build in another -d", dir, holder(path))
		}
	} else {
		unlock, err = filelock.Lock(ctx, path, func() {
			waited = true
			s.Env.IO.Infof("waiting for the build in %s %s", dir, holder(path))
		})
	}
	if err != nil {
		return fmt.Errorf("lock the build dir %s: %w", dir, err)
	}
	s.unlockBuild = unlock
	if waited && l.recheck {
		return upToDateStage{}.Run(ctx, s)
	}
	return nil
}

// holder names who holds the lock at path.
func holder(path string) string {
	if pid := filelock.Holder(path); pid != 0 {
		return fmt.Sprintf("held by pid %d", pid)
	}
	return "held by another run"
}
