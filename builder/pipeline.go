// Package builder runs a build as a pipeline of small stages over one
// resolved plan: pin every input (plan.Pin), check whether the work dir is
// already up to date, locate the tarballs, fetch them, prepare the source
// tree (extract, modules, patches), configure, make, and record the
// result. Each stage is a named type with Run(ctx, *State) that reads the
// plan and the plan.Resolved value and writes only its own result into
// State; the stage list of every mode is in modes.go. Stages print
// progress through iostreams but never results: command/ prints those.
package builder

import (
	"context"
	"errors"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/record"
)

// Mode is what a command does with its plan beyond building it.
type Mode struct {
	// DryRun resolves everything and stops before downloading a tarball.
	DryRun bool
	// Relock resolves afresh and writes the lockfile (the lock command).
	Relock bool
	// Packaging says the build is for `package`: the report does not
	// suggest make install.
	Packaging bool
	// ModulesOut receives the .so files of a modules-only build, and
	// TargetBinary is the nginx they must load into (modules --from-binary).
	ModulesOut   string
	TargetBinary string
	// MirrorDir is where `mirror` copies everything.
	MirrorDir string
	// NoWait fails the run at once when another run holds the build dir,
	// instead of waiting for it (--no-wait).
	NoWait bool
}

// Env is what the pipeline needs from the outside world. The command
// layer reads the environment variables; nothing here does.
type Env struct {
	plan.Env
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SourceDateEpoch is $SOURCE_DATE_EPOCH ("" = take the release
	// tarball's date); CC is $CC ("" = cc); CCacheDisabled is
	// NGINX_BUILD_CCACHE=0.
	SourceDateEpoch string
	CC              string
	CCacheDisabled  bool
	// BuildFlags are the compiler flags set in the environment (CFLAGS=…,
	// CPPFLAGS=…, LDFLAGS=…): libraries built outside nginx's make take
	// them, so the library cache keys on them.
	BuildFlags []string
}

// now reads the clock.
func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// State is one run: the plan (read only), the mode and environment, and
// one result per stage, each written by that stage alone.
type State struct {
	Plan *plan.Plan
	Mode Mode
	Env  Env

	// Resolved is written by the pin stage and replaced by the locate
	// stage with its located copy; no stage changes it.
	Resolved *plan.Resolved
	// UpToDate is the up-to-date stage's finding in a dry run (a real run
	// stops there instead).
	UpToDate bool
	// Fetched is the fetch stage's result.
	Fetched Fetched
	// Built is what make and the report stage produced.
	Built Built
	// Timings are how long each phase of the work took, appended by the
	// stages that do it (fetch, prepare, configure, make) in the order
	// they ran: build-info.json and the summary show them.
	Timings []record.Timing
	// Installed is where the install stage put nginx ("" without --install).
	Installed string
	// Skipped is set when -idempotent found the installed nginx (Current)
	// identical.
	Skipped bool
	Current string

	unlockBuild func()     // releases the build dir's lock (nil = not held)
	toolchain   *toolchain // configure's compiler setup, used by make
	stampDigest string     // the digest step stamps belong to ("" = none)
	started     time.Time
}

// Fetched is what the fetch stage put into the cache.
type Fetched struct {
	// Components are the verified component tarballs, in
	// Resolved.Artifacts order.
	Components []fetch.Result
	// Modules are the tarballs of tarball and debian modules, by name.
	Modules map[string]fetch.Result
	// Bundles are a mirror's verified git bundles, by repository URL.
	Bundles map[string]string
}

// Built is a compiled build.
type Built struct {
	// Binary is the built nginx, once there is one (also when up to date).
	Binary string
	// Modules are the .so files of a modules-only build.
	Modules []string
	// CCacheSummary is the build summary's line about ccache: what it
	// served and why it was on, or why it was off ("" when the user
	// turned it off). CCache is the same for the build record.
	CCacheSummary string
	CCache        *record.CCache
	// NginxV and RecordPath describe a binary built by this run: its
	// nginx -V and its build record (both "" when it was up to date).
	NginxV     string
	RecordPath string
	// Done is set once the binary is finished: built and recorded by this
	// run, or found up to date. What follows (install) may still fail.
	Done bool
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
	defer s.releaseBuild()
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

// releaseBuild releases the build dir's lock, if this run holds it.
func (s *State) releaseBuild() {
	if s.unlockBuild != nil {
		s.unlockBuild()
		s.unlockBuild = nil
	}
}

// Elapsed is how long the run has taken so far.
func (s *State) Elapsed() time.Duration {
	if s.started.IsZero() {
		return 0
	}
	return s.Env.now().Sub(s.started)
}

// buildDir is the resolved build's <work>/<server>/<version>.
func (s *State) buildDir() string { return s.Resolved.BuildDir() }

// sourceDir is the server's source tree.
func (s *State) sourceDir() string { return s.Resolved.SourceDir() }
