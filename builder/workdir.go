package builder

import (
	"context"
	"fmt"
	"os"
)

// workDirStage applies -clear and creates the work dir (-d). It is a stage, not something a
// command does up front, so that the stages before it decide whether
// there is anything to build: a dry run, an up-to-date build and
// -idempotent finding the installed nginx current must leave no trace
// (nginx-build's -idempotent creates nothing). It still runs before the
// fetch, so a -d that cannot be created fails before anything is
// downloaded.
type workDirStage struct{}

func (workDirStage) Name() string { return "create work dir" }

func (workDirStage) Run(ctx context.Context, s *State) error {
	if s.Plan.Clear {
		// Here rather than in the up-to-date check: -idempotent finding
		// the installed nginx current must not have removed anything.
		dir := s.buildDir()
		s.Env.IO.Infof("removing %s (-clear)", dir)
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("clear work dir: %w", err)
		}
	}
	return makeWorkDir(s)
}

// makeWorkDir creates the work dir (-d) if missing.
func makeWorkDir(s *State) error {
	if err := os.MkdirAll(s.Plan.WorkDir, 0o755); err != nil {
		return fmt.Errorf("create work dir (-d %s): %w; give -d a directory you can write to", s.Plan.WorkDir, err)
	}
	return nil
}
