package builder

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nginx-build/nginx-build/archive"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/safe"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/source"
)

// State is what the stages of one run share. Each stage reads what earlier
// ones left and adds its own part.
type State struct {
	Plan *Plan
	Env  Env
	// Artifacts are the located tarballs, in Plan.Components order.
	Artifacts []source.Artifact
	// Fetched are the verified tarballs in the cache, same order.
	Fetched []fetch.Result
	// ModuleArgs are the configure options that add third-party modules.
	ModuleArgs []string
	// Script is the generated configure script.
	Script string
	// Digest identifies the build's inputs (see inputDigest).
	Digest string
	// Binary is the built nginx, once there is one.
	Binary string
	// BuiltModules are the .so files of a modules-only build.
	BuiltModules []string
	// ModuleCommits are the commits git modules are built at, by name.
	ModuleCommits map[string]string
	// CCacheSummary says how much of the compile ccache served ("" without ccache).
	CCacheSummary string
	// Skipped is set when -idempotent found the installed nginx identical;
	// Current is that nginx.
	Skipped bool
	Current string
	// NginxV and RecordPath describe a binary built by this run: its
	// nginx -V and its build record (both "" when it was up to date).
	NginxV     string
	RecordPath string
	// Installed is where make install put nginx ("" without --install).
	Installed string
	// UpToDate is set by a dry run that found the work dir already holds
	// this build (a real run stops there instead).
	UpToDate bool

	toolchain *toolchain // the compiler setup of configure, used by make

	moduleTarballs map[string]fetch.Result // "tarball" modules, by name

	// What the mirror's index.json offers (see mirrormodules.go).
	fromMirror    map[string]source.Artifact // tarballs: "module:NAME", "source:NAME"
	mirrorCommits map[string]string          // pinned commits of git modules, by name
	gitBundles    map[string]string          // verified bundles in the cache, by repository URL

	lock      *lockfile.File    // the lockfile as read, if any
	pins      map[string]string // sha256 pins from it
	lockDiffs []string          // how the flags differ from it
	started   time.Time
}

// Stage is one step of the pipeline.
type Stage interface {
	Name() string
	Run(ctx context.Context, s *State) error
}

// skipper is a stage that decides itself, from the plan and what earlier
// stages found, that it has nothing to do this time.
type skipper interface {
	Skip(s *State) bool
}

// ErrStop is returned by a stage that ends the run early without error
// (the work dir is up to date, a dry run has its plan, -configureonly
// has configured): the stages after it do not run, except final ones.
var ErrStop = errors.New("stop the pipeline")

// finalStage is a stage that runs even after an earlier one stopped the
// pipeline (installing a build that was already up to date, say).
type finalStage interface {
	Final() bool
}

// Run executes stages in order until one fails or stops the pipeline.
func Run(ctx context.Context, s *State, stages []Stage) error {
	s.started = s.Env.now()
	stopped := false
	for _, st := range stages {
		if f, ok := st.(finalStage); stopped && (!ok || !f.Final()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if sk, ok := st.(skipper); ok && sk.Skip(s) {
			s.Env.IO.Debugf("stage %s: nothing to do", st.Name())
			continue
		}
		start := time.Now()
		err := st.Run(ctx, s)
		switch {
		case errors.Is(err, ErrStop):
			stopped = true
		case err != nil:
			return err
		}
		s.Env.IO.Debugf("stage %s: %s", st.Name(), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// versionsStage turns every component's constraint into an exact version.
// Exact versions need no index, so a fully pinned build never touches the
// network before its up-to-date check.
type versionsStage struct{}

func (versionsStage) Name() string { return "resolve versions" }

func (versionsStage) Run(ctx context.Context, s *State) error {
	ix := &source.Index{
		HTTP: s.Env.HTTP, Mirror: s.Plan.Mirror, CacheDir: s.Plan.CacheDir,
		Refresh: s.Plan.Refresh, Warn: s.Env.IO.Warnf,
	}
	for _, spec := range s.Plan.specs() {
		if spec.Constraint == "" {
			spec.Constraint = spec.Version
		}
		if spec.Version != "" && s.lock != nil {
			continue // pinned by the lockfile
		}
		if spec.Custom() {
			spec.Version = spec.Constraint // the tag; custom sources have no index
			continue
		}
		c, err := source.Lookup(spec.Name)
		if err != nil {
			return err
		}
		k, err := source.ParseConstraint(c, spec.Constraint)
		if err != nil {
			return err
		}
		if v, ok := k.Exact(); ok {
			spec.Version = v
			continue
		}
		listing, err := ix.Versions(ctx, c)
		for _, fb := range s.Plan.FallbackMirrors {
			if err == nil {
				break
			}
			s.Env.IO.Warnf("%v; trying mirror %s", err, fb)
			ix.Mirror = fb
			listing, err = ix.Versions(ctx, c)
		}
		if err != nil {
			return fmt.Errorf("resolve %s %q: %w", spec.Name, spec.Constraint, err)
		}
		v, err := k.Pick(c, listing.Versions)
		if err != nil {
			return err
		}
		spec.Version = v
		s.Env.IO.Infof("%s %s → %s (versions from %s)", spec.Name, spec.Constraint, v, listing.From)
	}
	return nil
}

// dryRunStage ends a --dry-run once everything is resolved; the command
// prints the plan from the state.
type dryRunStage struct{}

func (dryRunStage) Name() string { return "dry run" }

func (dryRunStage) Skip(s *State) bool { return !s.Plan.DryRun }

func (dryRunStage) Run(ctx context.Context, s *State) error { return ErrStop }

// resolveStage pins every component to a tarball location.
type resolveStage struct{}

func (resolveStage) Name() string { return "resolve" }

func (resolveStage) Run(ctx context.Context, s *State) error {
	for _, spec := range s.Plan.Components() {
		if spec.Custom() {
			if a, ok := mirrored(s, "source:"+spec.Name); ok {
				s.Artifacts = append(s.Artifacts, a)
			} else if IsTarballURL(spec.CustomURL) {
				s.Artifacts = append(s.Artifacts, source.Artifact{
					Component: spec.Name, Version: spec.Version, FileName: path.Base(spec.CustomURL), URLs: []string{spec.CustomURL},
				})
			}
			continue
		}
		c, err := source.Lookup(spec.Name)
		if err != nil {
			return err
		}
		a, err := locateAny(ctx, s, c, spec.Version)
		if err != nil {
			return fmt.Errorf("resolve %s %s: %w", spec.Name, spec.Version, err)
		}
		s.Artifacts = append(s.Artifacts, a)
	}
	return nil
}

// fetchStage downloads and verifies all tarballs concurrently.
type fetchStage struct{}

func (fetchStage) Name() string { return "fetch" }

func (fetchStage) Run(ctx context.Context, s *State) error {
	f := &fetch.Fetcher{CacheDir: s.Plan.CacheDir, HTTP: s.Env.HTTP, IO: s.Env.IO, Trust: fetch.Trust{
		Policy: s.Plan.Verify, ExtraKeys: s.Plan.ExtraKeys, ComponentKeys: s.Plan.ComponentKeys, Pins: s.pins, PinSource: filepath.Base(s.Plan.Lockfile), IO: s.Env.IO,
	}}
	arts := append([]source.Artifact(nil), s.Artifacts...)
	var tarballModules []string
	for _, m := range s.Plan.Modules {
		if m.Form == "tarball" || m.Form == "debian" {
			a, err := tarballModuleArtifact(m)
			if ma, ok := mirrored(s, "module:"+m.Name); ok {
				a, err = ma, nil
			} else if m.Form == "debian" {
				a, err = source.LocateDebianPackage(ctx, source.DebianArchive(filepath.Join(s.Plan.CacheDir, "debian")), "module-"+m.Name, m.URL, m.Rev)
			}
			if err != nil {
				return fmt.Errorf("%smodule %s: %w", posPrefix(m.Pos), m.Name, err)
			}
			arts = append(arts, a)
			tarballModules = append(tarballModules, m.Name)
		}
	}
	// Git and hg modules are fetched into the cache at the same time as the tarballs.
	g, gctx := errgroup.WithContext(ctx)
	for _, m := range s.Plan.gitTrees() {
		switch m.Form {
		case "git":
			g.Go(func() error {
				return safe.Do("fetching module "+m.Name, func() error { return fetchGitModule(gctx, s, m, s.ModuleCommits[m.Name]) })
			})
		case "hg":
			g.Go(func() error {
				return safe.Do("fetching module "+m.Name, func() error { return fetchHgModule(gctx, s, m, s.ModuleCommits[m.Name]) })
			})
		}
	}
	var res []fetch.Result
	g.Go(func() error {
		return safe.Do("fetching tarballs", func() error {
			var err error
			res, err = f.FetchAll(gctx, arts)
			return err
		})
	})
	if err := g.Wait(); err != nil {
		return err
	}
	for _, r := range res {
		if sum := r.Verification.Summary(); sum != "" {
			s.Env.IO.Infof("verified %s: %s", strings.TrimSpace(r.Artifact.Component+" "+r.Artifact.Version), sum)
		}
	}
	n := len(s.Artifacts)
	s.Fetched = res[:n]
	s.moduleTarballs = map[string]fetch.Result{}
	for i, name := range tarballModules {
		s.moduleTarballs[name] = res[n+i]
	}
	return nil
}

// evictUnsafe removes a tarball that extraction refused for an unsafe entry
// from the cache, where it was recorded as verified: a later run must not
// reuse it. err is returned, saying so.
func evictUnsafe(r fetch.Result, err error) error {
	var unsafe *archive.UnsafeEntryError
	if !errors.As(err, &unsafe) {
		return err
	}
	if rmErr := fetch.Evict(r.Path); rmErr != nil {
		return fmt.Errorf("%w; could not remove it from the cache: %v", err, rmErr)
	}
	return fmt.Errorf("%w; removed it from the cache", err)
}

// locateAny finds a tarball on the first mirror that has it; the same file
// on later mirrors is added as fallback download URLs.
func locateAny(ctx context.Context, s *State, c source.Component, version string) (source.Artifact, error) {
	var found *source.Artifact
	var errs joinedErrors
	for _, m := range append([]source.Mirror{s.Plan.Mirror}, s.Plan.FallbackMirrors...) {
		a, err := source.Locate(ctx, s.Env.HTTP, m, c, version)
		switch {
		case err != nil:
			errs = append(errs, err)
		case found == nil:
			found = &a
		case a.FileName == found.FileName:
			found.URLs = append(found.URLs, a.URLs...)
		}
	}
	if found == nil {
		return source.Artifact{}, errs
	}
	return *found, nil
}

// joinedErrors is one error per mirror, on one line; errors.Is and As see
// each of them.
type joinedErrors []error

func (e joinedErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e joinedErrors) Unwrap() []error { return e }
