package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/safe"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/modules"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/record"
)

// prepareStage lays out the build dir: every tarball extracted (safely,
// concurrently) as <name>-<version>/ (<name>-custom/ for a custom
// source, see plan.TreeName), git sources and modules put beside
// the nginx tree by their form, patches applied.
type prepareStage struct{}

func (prepareStage) Name() string { return "prepare sources" }

func (prepareStage) Run(ctx context.Context, s *State) error {
	dir := s.buildDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create work dir: %w", err)
	}
	// A stale stamp must not survive a half-redone build dir.
	_ = os.Remove(filepath.Join(dir, plan.StampFile))
	if stepDone(s, stepPrepare) && preparedTrees(s) {
		s.Env.IO.Infof("reusing the sources an earlier run with the same inputs extracted and patched in %s", dir)
		return nil
	}
	if err := beginStep(s, stepPrepare); err != nil {
		return err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range s.Fetched.Components {
		g.Go(func() (err error) {
			defer safe.Recover("extracting "+r.Artifact.Component+" "+r.Artifact.Version, &err)
			want := s.treeName(r)
			s.Env.IO.Debugf("extracting %s into %s", r.Path, filepath.Join(dir, want))
			if err := extract(gctx, s, r.Path, dir, want); err != nil {
				return fmt.Errorf("prepare %s %s: %w", r.Artifact.Component, r.Artifact.Version, evictUnsafe(r, err))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	took := time.Since(start)
	s.Timings = append(s.Timings, record.Timing{Phase: "extract", Took: took})
	s.Env.IO.Infof("extracted %d source trees into %s in %s", len(s.Fetched.Components), dir, human.Duration(took))
	if srv := s.Plan.Server; srv.Custom() && plan.IsTarballURL(srv.CustomURL) {
		if err := ensureConfigure(s.sourceDir()); err != nil {
			return err
		}
	}
	for _, g := range s.Plan.GitSources {
		if _, err := provision(ctx, s, g, "nginx-source-"+g.Name+".log"); err != nil {
			return err
		}
		// A git tree of nginx keeps its configure script at auto/configure.
		if err := ensureConfigure(filepath.Join(dir, g.Name)); err != nil {
			return err
		}
	}
	for _, m := range s.Plan.Modules {
		tree, err := provision(ctx, s, m, "nginx-module-"+m.Name+".log")
		if err != nil {
			return err
		}
		if err := runShprov(ctx, s, m, tree); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(dir, plan.PatchLog)) // each patch appends its part
	for _, p := range s.Plan.Patches {
		if err := applyPatch(ctx, s, p); err != nil {
			return err
		}
	}
	return finishStep(s, stepPrepare)
}

// treeName is the directory a fetched component tarball is extracted to.
func (s *State) treeName(r fetch.Result) string {
	c, _ := s.Resolved.Component(r.Artifact.Component)
	return plan.TreeName(c)
}

// provision puts a module or git source beside the nginx source tree
// (../<name>) by its form, at its pinned commit, and returns its tree
// (a local module's own directory).
func provision(ctx context.Context, s *State, m module3rd.Module, logName string) (string, error) {
	form, err := modules.For(m.Form)
	if err != nil {
		return "", fmt.Errorf("module %s: %w", m.Name, err)
	}
	p := modules.Provision{
		Dir: filepath.Join(s.buildDir(), m.Name), Log: filepath.Join(s.buildDir(), logName),
		Commit: s.Resolved.Commits[m.Name],
	}
	if r, ok := s.Fetched.Modules[m.Name]; ok {
		p.Tarball = r.Path
		p.Extract = func(ctx context.Context, tarball, dir string) error {
			if err := extract(ctx, s, tarball, filepath.Dir(dir), filepath.Base(dir)); err != nil {
				return fmt.Errorf("module %s: %w", m.Name, evictUnsafe(r, err))
			}
			return nil
		}
	}
	tree, _, err := form.Provision(ctx, s.moduleCache(), m, p)
	return tree, err
}

// runShprov runs a module's shprov command in its tree.
func runShprov(ctx context.Context, s *State, m module3rd.Module, tree string) error {
	if m.Shprov == "" {
		return nil
	}
	where := tree
	if m.ShprovDir != "" {
		where = filepath.Join(tree, m.ShprovDir)
	}
	log := filepath.Join(s.buildDir(), "nginx-module-"+m.Name+".log")
	s.Env.IO.Infof("module %s: running %q in %s (log: %s)", m.Name, m.Shprov, where, log)
	return runLogged(ctx, "shprov of module "+m.Name, where, log, teeFor(s), nil, "/bin/sh", "-c", m.Shprov)
}

// ensureConfigure gives a tree of nginx without ./configure (a git
// checkout, or a tarball of one such as GitHub's archive/…tar.gz) the copy
// of auto/configure that release tarballs ship as ./configure, which is
// what the generated script runs.
func ensureConfigure(dir string) error {
	cfg := filepath.Join(dir, "configure")
	if _, err := os.Stat(cfg); err == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "auto", "configure")); err == nil {
		if err := atomicfile.Copy(filepath.Join(dir, "auto", "configure"), cfg, 0o755); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(dir), err)
		}
	}
	return nil
}

// applyPatch applies one -patch to its target's tree, logging into
// nginx-patch.log.
func applyPatch(ctx context.Context, s *State, p plan.Patch) error {
	c, ok := s.Resolved.Component(p.Target)
	if !ok {
		return fmt.Errorf("patch %s: target %q is not part of this build", p.Path, p.Target)
	}
	target := s.Resolved.TreeDir(c)
	if err := checkPatchPaths(p.Path, s.Plan.PatchOpt); err != nil {
		return err
	}
	// --forward: a patch that looks already applied is an error, where
	// --batch alone would silently reverse it.
	args := append(append([]string{"--batch", "--forward"}, s.Plan.PatchOpt...), "-i", p.Path)
	s.Env.IO.Infof("applying %s to %s", p.Path, filepath.Base(target))
	log := filepath.Join(s.buildDir(), plan.PatchLog)
	step := "patch " + p.Path + " (target " + p.Target + ")"
	return appendLogged(ctx, step+": patch "+strings.Join(args, " "), step, target, log, teeFor(s), nil, "patch", args...)
}
