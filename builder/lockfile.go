package builder

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/lockfile"
)

// lockPinStage applies an existing lockfile: components whose constraint is
// unchanged get the locked version and sha256; with --locked, any
// difference between the flags and the lockfile is fatal.
type lockPinStage struct{}

func (lockPinStage) Name() string { return "apply lockfile" }

func (lockPinStage) Run(ctx context.Context, s *State) error {
	p := s.Plan
	if p.Lockfile == "" || p.Relock {
		return nil
	}
	l, err := lockfile.Read(p.Lockfile)
	if err != nil {
		return err
	}
	if l == nil {
		if p.Locked {
			return fmt.Errorf("--locked: no lockfile at %s (write one with `nginx-build lock`)", p.Lockfile)
		}
		return nil
	}
	s.lock = l
	s.pins = map[string]string{}
	var diffs []string
	for _, spec := range p.specs() {
		if spec.Constraint == "" {
			spec.Constraint = spec.Version
		}
		if spec.Custom() && !IsTarballURL(spec.CustomURL) {
			continue // a git tree: pinned as a commit among the modules
		}
		e := l.Component(spec.Name)
		switch {
		case e == nil:
			diffs = append(diffs, fmt.Sprintf("%s %s is not in the lockfile", spec.Name, spec.Constraint))
		case e.Constraint != spec.Constraint:
			diffs = append(diffs, fmt.Sprintf("%s: flags ask for %q, the lockfile has %q (%s)", spec.Name, spec.Constraint, e.Constraint, e.Version))
		default:
			spec.Version = e.Version
			s.pins[fetch.PinKey(e.Name, e.Version)] = e.SHA256
		}
	}
	for _, e := range l.Components {
		found := false
		for _, c := range p.Components() {
			found = found || c.Name == e.Name
		}
		if !found {
			diffs = append(diffs, fmt.Sprintf("the lockfile has %s %s, which the flags do not ask for", e.Name, e.Version))
		}
	}
	for _, m := range p.gitTrees() {
		if e := l.Module(m.Name); e == nil || e.URL != m.URL || e.Rev != m.Rev || e.Form != m.Form {
			diffs = append(diffs, fmt.Sprintf("module %s differs from the lockfile", m.Name))
		}
	}
	if len(diffs) > 0 && p.Locked {
		return fmt.Errorf("--locked: the build differs from %s:\n  %s\nrun `nginx-build lock` with these flags to update it", p.Lockfile, strings.Join(diffs, "\n  "))
	}
	s.lockDiffs = diffs
	return nil
}

var fullCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// moduleCommitsStage pins every git and hg module to a commit (an hg
// changeset) before anything is downloaded: the locked one when the
// lockfile has it, else what rev names now (git ls-remote or hg identify,
// no clone needed; an abbreviated git commit is looked up in the cache's
// clone).
type moduleCommitsStage struct{}

func (moduleCommitsStage) Name() string { return "resolve module commits" }

func (moduleCommitsStage) Run(ctx context.Context, s *State) error {
	s.ModuleCommits = map[string]string{}
	for _, m := range s.Plan.gitTrees() {
		if m.Form != "git" && m.Form != "hg" {
			continue
		}
		if s.lock != nil && !s.Plan.Relock {
			if e := s.lock.Module(m.Name); e != nil && e.URL == m.URL && e.Rev == m.Rev && e.Form == m.Form && e.Commit != "" {
				s.ModuleCommits[m.Name] = e.Commit
				continue
			}
		}
		if m.Form == "hg" {
			node, err := hgIdentify(ctx, m)
			if err != nil {
				return err
			}
			s.ModuleCommits[m.Name] = node
			continue
		}
		if fullCommit.MatchString(m.Rev) {
			s.ModuleCommits[m.Name] = m.Rev
			continue
		}
		if c, ok := mirrorCommit(s, m); ok {
			s.ModuleCommits[m.Name] = c // pinned in the mirror's index.json
			continue
		}
		rev := m.Rev
		if rev == "" {
			rev = "HEAD"
		}
		commit, err := lsRemote(ctx, m, rev)
		if err != nil {
			return err
		}
		if commit == "" && commitLike.MatchString(m.Rev) {
			if commit, err = gitCommitInCache(ctx, s, m); err != nil {
				return err
			}
		}
		if commit == "" {
			return fmt.Errorf("%smodule %s: rev %q does not exist in %s", posPrefix(m.Pos), m.Name, m.Rev, m.URL)
		}
		s.ModuleCommits[m.Name] = commit
	}
	return nil
}

// lockWriteStage records what was resolved and verified: it updates an
// existing lockfile (saying what changed), or writes one for `lock`.
type lockWriteStage struct{}

func (lockWriteStage) Name() string { return "write lockfile" }

func (lockWriteStage) Run(ctx context.Context, s *State) error {
	p := s.Plan
	if p.Lockfile == "" || (s.lock == nil && !p.Relock) {
		return nil
	}
	l := &lockfile.File{LockfileVersion: lockfile.Version, GeneratedBy: "nginx-build " + s.Env.ToolVersion,
		Components: s.pinnedComponents(), Modules: s.pinnedModules()}
	if s.lock != nil && lockfile.Same(s.lock, l) {
		return nil
	}
	if err := l.Write(p.Lockfile); err != nil {
		return err
	}
	if s.lock == nil {
		s.Env.IO.Infof("wrote %s", p.Lockfile)
		return nil
	}
	diffs := s.lockDiffs
	for _, e := range l.Modules {
		if old := s.lock.Module(e.Name); old != nil && old.SHA256 != "" && old.SHA256 != e.SHA256 {
			diffs = append(diffs, fmt.Sprintf("module %s: sha256 %s, was %s", e.Name, e.SHA256, old.SHA256))
		}
	}
	if len(diffs) == 0 {
		diffs = []string{"modules' commits, versions and sha256s recorded"}
	}
	s.Env.IO.Infof("updated %s:\n  %s", p.Lockfile, strings.Join(diffs, "\n  "))
	return nil
}

func posPrefix(pos string) string {
	if pos == "" {
		return ""
	}
	return pos + ": "
}
