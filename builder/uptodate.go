package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/plan"
)

// stamp records a finished build in its build dir. A later run with the
// same input digest finds it and does nothing.
type stamp struct {
	Digest string `json:"digest"`
	// Stage is "configured" or "built".
	Stage  string `json:"stage"`
	Binary string `json:"binary,omitempty"`
}

// upToDateStage ends the run at once when the build dir already holds the
// result of exactly these inputs — before any network or process work.
// With -clear there is always something to do.
type upToDateStage struct{}

func (upToDateStage) Name() string { return "up-to-date check" }

func (upToDateStage) Run(ctx context.Context, s *State) error {
	s.stampDigest = s.Resolved.Digest
	dir := s.buildDir()
	if s.Plan.Clear && s.Mode.DryRun {
		// A dry run never changes the work dir.
		s.Env.IO.Infof("would remove %s (-clear)", dir)
		return nil
	}
	if s.Plan.Clear {
		return nil // cleared by workDirStage, once there is something to build
	}
	b, err := os.ReadFile(filepath.Join(dir, plan.StampFile))
	if err != nil {
		return nil
	}
	var st stamp
	if json.Unmarshal(b, &st) != nil || st.Digest != s.Resolved.Digest {
		return nil
	}
	switch {
	case s.Mode.DryRun:
		// A dry run always goes on to print the plan, saying it is done.
		s.UpToDate = (st.Stage == "built" && fileExists(st.Binary)) || (st.Stage == "configured" && s.Plan.ConfigureOnly)
	case st.Stage == "built" && fileExists(st.Binary):
		s.Built.Binary, s.Built.Done = st.Binary, true
		s.Env.IO.Infof("%s is up to date (same versions, flags, configure script, modules and patches); nothing to do", st.Binary)
		return ErrStop
	case st.Stage == "configured" && s.Plan.ConfigureOnly:
		s.Env.IO.Infof("%s is already configured with the same inputs; nothing to do", s.sourceDir())
		return ErrStop
	}
	return nil
}

// writeStamp records the build as done (stage "configured" or "built").
func writeStamp(s *State, stage string) error {
	b, err := json.MarshalIndent(stamp{Digest: s.stampDigest, Stage: stage, Binary: s.Built.Binary}, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(s.buildDir(), plan.StampFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write build stamp: %w", err)
	}
	return nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
