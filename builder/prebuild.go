package builder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/makefile"
	"github.com/nginx-build/nginx-build/libcache"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
)

// The other libraries nginx builds itself (PCRE2, zlib) are made by
// nginx's own rules, exactly as its make would, but first and on their
// own, so that what the rules produce (the library's Makefile, headers
// and archive: the targets of objs/Makefile in its tree) can be kept in
// the library cache and restored into the next tree instead.

// nginxRuleRecipe names this way of building a library: part of its key.
const nginxRuleRecipe = "nginx-rule-1"

// ruleLibrary is a library built by nginx's rules for its tree.
type ruleLibrary struct {
	c       pin.Component
	label   string
	tree    string
	targets []string // objs/Makefile's targets in the tree, relative to the nginx dir
	inputs  libcache.Inputs
	key     string
}

// prebuildLibraries restores from the library cache, or builds with
// nginx's rules and stores, every library objs/Makefile in dir builds in
// a component's tree but the one at skip (the SSL library, built lean).
func (s *State) prebuildLibraries(ctx context.Context, dir, skip string) error {
	libs, err := s.ruleLibraries(ctx, dir, skip)
	if err != nil || len(libs) == 0 {
		return err
	}
	cache := s.Plan.CacheDir
	var missing []*ruleLibrary
	for _, l := range libs {
		unlock, err := libcache.Lock(ctx, cache, l.key, func() {
			s.Env.IO.Infof("waiting for another run that is building %s (%s)", l.label, libcache.Path(cache, l.key))
		})
		if err != nil {
			return fmt.Errorf("%s: library cache: %w", l.label, err)
		}
		defer unlock()
		if !libcache.Has(cache, l.key) {
			missing = append(missing, l)
			continue
		}
		started := time.Now()
		if err := libcache.Restore(cache, l.key, l.tree, false); err != nil {
			return err
		}
		took := time.Since(started)
		s.Env.IO.Infof("restored %s from the library cache in %s (%s)", l.label, human.Duration(took), libcache.Path(cache, l.key))
		s.Timings = append(s.Timings, record.Timing{Phase: l.c.Name + " (cached)", Took: took})
	}
	if len(missing) == 0 {
		return nil
	}
	if err := s.makeRuleLibraries(ctx, dir, missing); err != nil {
		return err
	}
	for _, l := range missing {
		if err := l.store(cache, dir, s.Env.now()); err != nil {
			s.Env.IO.Warnf("%s is built but not kept in the library cache: %v", l.label, err)
		}
	}
	return nil
}

// ruleLibraries lists the libraries objs/Makefile builds in the trees of
// the build's components, with their cache keys.
func (s *State) ruleLibraries(ctx context.Context, dir, skip string) ([]*ruleLibrary, error) {
	path := filepath.Join(dir, "objs", "Makefile")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	mf, err := makefile.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var libs []*ruleLibrary
	var compiler string
	for _, c := range s.Resolved.Components[1:] {
		tree := s.Resolved.TreeDir(c)
		if filepath.Clean(tree) == filepath.Clean(skip) || c.CustomURL != "" {
			continue
		}
		rel, err := filepath.Rel(dir, tree)
		if err != nil {
			continue
		}
		l := &ruleLibrary{c: c, label: c.Name + " " + c.Version, tree: tree}
		var recipes []string
		for _, t := range mf.Targets() {
			if strings.HasPrefix(t, rel+"/") {
				l.targets = append(l.targets, t)
				recipes = append(recipes, t+":", strings.Join(mf.Recipe(t), "\n"))
			}
		}
		if !slices.ContainsFunc(l.targets, func(t string) bool { return len(mf.Recipe(t)) > 0 }) {
			continue // nothing built there: a tree only configured, or a header
		}
		if compiler == "" {
			cc, err := s.libraryCC(ctx)
			if err != nil {
				return nil, err
			}
			compiler = cc.identity
		}
		l.inputs = libcache.Inputs{Recipe: nginxRuleRecipe, Component: c.Name, Version: c.Version, Source: s.sourceIdentity(c),
			Configure: recipes, Compiler: compiler, Env: s.Env.BuildFlags}
		if l.inputs.Patches, err = s.patchIdentities(c.Name); err != nil {
			return nil, err
		}
		if l.key, err = l.inputs.Key(); err != nil {
			return nil, err
		}
		libs = append(libs, l)
	}
	return libs, nil
}

// makeRuleLibraries makes the libraries' targets with nginx's Makefile,
// in one make run (in parallel, as nginx's make would).
func (s *State) makeRuleLibraries(ctx context.Context, dir string, libs []*ruleLibrary) error {
	var targets []string
	for _, l := range libs {
		targets = append(targets, l.targets...)
	}
	log := filepath.Join(dir, "nginx-build-libraries.log")
	s.Env.IO.Infof("building %s with nginx's rules (log: %s)", labels(libs), log)
	mon := startCompile(ctx, s, dir, targets...)
	args := append([]string{"-f", "objs/Makefile", fmt.Sprintf("-j%d", s.Plan.Jobs)}, targets...)
	err := runLogged(ctx, "make (libraries)", dir, log, mon.tee(teeFor(s)), s.toolchain.Env, "make", args...)
	s.Timings = append(s.Timings, mon.stop(err == nil)...)
	if err != nil {
		return explainFailure(s, err)
	}
	return nil
}

func labels(libs []*ruleLibrary) string {
	var out []string
	for _, l := range libs {
		out = append(out, l.label)
	}
	return strings.Join(out, " and ")
}

// store keeps what the library's targets produced: each target file (a
// directory target whole), by its path in the tree.
func (l *ruleLibrary) store(cache, dir string, now time.Time) error {
	staged, err := os.MkdirTemp(l.tree, ".nginx-build-lib-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staged)
	rel, err := filepath.Rel(dir, l.tree)
	if err != nil {
		return err
	}
	for _, t := range l.targets {
		inTree := strings.TrimPrefix(t, rel+"/")
		src, dst := filepath.Join(dir, t), filepath.Join(staged, inTree)
		if !fileExists(src) {
			return fmt.Errorf("make made no %s", src)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Copy(src, dst, 0o644); err != nil {
			return err
		}
	}
	return libcache.Store(cache, l.key, staged, l.inputs, now)
}
