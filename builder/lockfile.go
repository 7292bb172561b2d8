package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/module3rd"
)

// LockfileVersion is the format version written into lockfiles.
const LockfileVersion = 1

// Lockfile pins a build's inputs, like go.sum or Cargo.lock: for each
// component the exact version, URL and sha256 that were verified, for each
// git module the commit. It is JSON with a fixed key order (struct order)
// so it diffs well in review.
type Lockfile struct {
	LockfileVersion int               `json:"lockfile_version"`
	GeneratedBy     string            `json:"generated_by"`
	Components      []LockedComponent `json:"components"`
	Modules         []LockedModule    `json:"modules,omitempty"`
}

// LockedComponent is one pinned tarball.
type LockedComponent struct {
	Name       string   `json:"name"`
	Constraint string   `json:"constraint"`
	Version    string   `json:"version"`
	URL        string   `json:"url"`
	SHA256     string   `json:"sha256"`
	Verified   []string `json:"verified"`
}

// LockedModule is one pinned third-party module.
type LockedModule struct {
	Name    string `json:"name"`
	Form    string `json:"form"`
	URL     string `json:"url"`
	Rev     string `json:"rev,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Dynamic bool   `json:"dynamic,omitempty"`
	// Version is the upstream version of a "debian" module.
	Version string `json:"version,omitempty"`
	// SHA256 is the verified tarball of a "tarball" or "debian" module.
	SHA256 string `json:"sha256,omitempty"`
}

// ReadLockfile reads path; a missing file is (nil, nil).
func ReadLockfile(path string) (*Lockfile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lockfile: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var l Lockfile
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("lockfile %s is damaged: %v (delete it and run `nginx-build lock` to write a new one)", path, err)
	}
	if l.LockfileVersion != LockfileVersion {
		return nil, fmt.Errorf("lockfile %s has format version %d; this nginx-build reads version %d", path, l.LockfileVersion, LockfileVersion)
	}
	for _, c := range l.Components {
		if c.Name == "" || c.Version == "" || len(c.SHA256) != 64 {
			return nil, fmt.Errorf("lockfile %s: entry %q lacks a name, version or sha256", path, c.Name)
		}
	}
	return &l, nil
}

// Write stores the lockfile atomically.
func (l *Lockfile) Write(path string) error {
	b, err := marshalJSON(l)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write lockfile: %w", err)
	}
	return os.Rename(tmp, path)
}

func (l *Lockfile) component(name string) *LockedComponent {
	for i := range l.Components {
		if l.Components[i].Name == name {
			return &l.Components[i]
		}
	}
	return nil
}

func (l *Lockfile) module(name string) *LockedModule {
	for i := range l.Modules {
		if l.Modules[i].Name == name {
			return &l.Modules[i]
		}
	}
	return nil
}

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
	l, err := ReadLockfile(p.Lockfile)
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
		e := l.component(spec.Name)
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
		if e := l.module(m.Name); e == nil || e.URL != m.URL || e.Rev != m.Rev || e.Form != m.Form {
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
			if e := s.lock.module(m.Name); e != nil && e.URL == m.URL && e.Rev == m.Rev && e.Form == m.Form && e.Commit != "" {
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
	l := &Lockfile{LockfileVersion: LockfileVersion, GeneratedBy: "nginx-build " + s.Env.ToolVersion}
	for _, r := range s.Fetched {
		verified := []string{}
		for _, c := range r.Verification.Checks {
			if c.Kind != "lockfile" { // the lockfile does not vouch for itself
				verified = append(verified, c.Detail)
			}
		}
		if r.Verification.Skipped {
			verified = []string{"not verified (--verify off)"}
		}
		l.Components = append(l.Components, LockedComponent{
			Name: r.Artifact.Component, Constraint: p.spec(r.Artifact.Component).Constraint, Version: r.Artifact.Version,
			URL: r.Artifact.URLs[0], SHA256: r.SHA256, Verified: verified,
		})
	}
	for _, m := range p.gitTrees() {
		l.Modules = append(l.Modules, s.lockedModule(m))
	}
	if s.lock != nil && sameLock(s.lock, l) {
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
		if old := s.lock.module(e.Name); old != nil && old.SHA256 != "" && old.SHA256 != e.SHA256 {
			diffs = append(diffs, fmt.Sprintf("module %s: sha256 %s, was %s", e.Name, e.SHA256, old.SHA256))
		}
	}
	if len(diffs) == 0 {
		diffs = []string{"modules' commits, versions and sha256s recorded"}
	}
	s.Env.IO.Infof("updated %s:\n  %s", p.Lockfile, strings.Join(diffs, "\n  "))
	return nil
}

// lockedModule is what a build used of a module: the commit of a git or
// hg module, the version and sha256 of a tarball or debian one.
func (s *State) lockedModule(m module3rd.Module) LockedModule {
	e := LockedModule{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Commit: s.ModuleCommits[m.Name], Dynamic: m.Dynamic}
	if r, ok := s.moduleTarballs[m.Name]; ok {
		e.Version, e.SHA256 = r.Artifact.Version, r.SHA256
	}
	return e
}

func sameLock(a, b *Lockfile) bool {
	x, _ := json.Marshal(a.Components)
	y, _ := json.Marshal(b.Components)
	u, _ := json.Marshal(a.Modules)
	v, _ := json.Marshal(b.Modules)
	return bytes.Equal(x, y) && bytes.Equal(u, v)
}

// DefaultLockfile is nginx-build.lock in the current directory.
func DefaultLockfile() string {
	wd, err := os.Getwd()
	if err != nil {
		return "nginx-build.lock"
	}
	return filepath.Join(wd, "nginx-build.lock")
}

// marshalJSON indents and, unlike json.MarshalIndent, leaves <, > and &
// alone: key owners are written "Name <mail>" and files are read by people.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func posPrefix(pos string) string {
	if pos == "" {
		return ""
	}
	return pos + ": "
}
