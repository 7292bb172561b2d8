package builder

import (
	"context"
	"fmt"
	"strings"

	"github.com/nginx-build/nginx-build/lockfile"
)

// lockWriteStage records what was resolved and verified: it updates an
// existing lockfile (saying what changed), or writes one for `lock`.
type lockWriteStage struct{}

func (lockWriteStage) Name() string { return "write lockfile" }

func (lockWriteStage) Skip(s *State) bool {
	return s.Plan.Lockfile == "" || (s.Resolved.Lock == nil && !s.Mode.Relock)
}

func (lockWriteStage) Run(ctx context.Context, s *State) error {
	p, old := s.Plan, s.Resolved.Lock
	l := &lockfile.File{LockfileVersion: lockfile.Version, GeneratedBy: "nginx-build " + s.Env.ToolVersion,
		Components: s.pinnedComponents(), Modules: s.pinnedModules()}
	if old != nil && lockfile.Same(old, l) {
		return nil
	}
	if err := l.Write(p.Lockfile); err != nil {
		return err
	}
	if old == nil {
		s.Env.IO.Infof("wrote %s", p.Lockfile)
		return nil
	}
	diffs := s.Resolved.LockDiffs
	for _, e := range l.Modules {
		if was := old.Module(e.Name); was != nil && was.SHA256 != "" && was.SHA256 != e.SHA256 {
			diffs = append(diffs, fmt.Sprintf("module %s: sha256 %s, was %s", e.Name, e.SHA256, was.SHA256))
		}
	}
	if len(diffs) == 0 {
		diffs = []string{"modules' commits, versions and sha256s recorded"}
	}
	s.Env.IO.Infof("updated %s:\n  %s", p.Lockfile, strings.Join(diffs, "\n  "))
	return nil
}
