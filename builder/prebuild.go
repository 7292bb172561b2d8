package builder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/libcache"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
)

// The other libraries nginx builds itself (PCRE2, zlib) are made by
// nginx's own rules, exactly as its make would, but first and on their
// own, so that what the rules produce can be kept in the library cache
// and restored into the next tree instead: the targets of objs/Makefile
// in the library's tree (its Makefile, archive and generated header) and
// every header the rules wrote there (zlib's configure rewrites zconf.h).

// nginxRuleRecipe names this way of building a library: part of its key.
const nginxRuleRecipe = "nginx-rule-2"

// ruleLibrary is a library built by nginx's rules for its tree.
type ruleLibrary struct {
	c       pin.Component
	label   string
	tree    string
	targets []string // objs/Makefile's targets in the tree, relative to the nginx dir
	files   []string // the targets, relative to the tree
	inputs  libcache.Inputs
	key     string
}

// prebuildLibraries restores from the library cache, or builds with
// nginx's rules and stores, every library objs/Makefile builds in a
// component's tree but the one at skip (the SSL library).
func (s *State) prebuildLibraries(ctx context.Context, mk *objsMakefile, skip string) error {
	libs, err := s.ruleLibraries(ctx, mk, skip)
	if err != nil || len(libs) == 0 {
		return err
	}
	var missing []*ruleLibrary
	for _, l := range libs {
		if libraryCurrent(l.tree, l.key, l.files, mk.mtime) {
			continue
		}
		restored, err := s.restoreRuleLibrary(ctx, l)
		if err != nil {
			return err
		}
		if !restored {
			missing = append(missing, l)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// Locked in key order, so that two runs needing several take them in
	// the same order; each is looked up again, as another run may have
	// built it meanwhile.
	slices.SortFunc(missing, func(a, b *ruleLibrary) int { return strings.Compare(a.key, b.key) })
	var build []*ruleLibrary
	for _, l := range missing {
		unlock, err := s.lockLibrary(ctx, l.key, l.label)
		if err != nil {
			return err
		}
		defer unlock()
		if restored, err := s.restoreLocked(ctx, l); err != nil || restored {
			if err != nil {
				return err
			}
			continue
		}
		build = append(build, l)
	}
	if len(build) == 0 {
		return nil
	}
	// Built, and named in messages, in the build's order of components.
	slices.SortFunc(build, func(a, b *ruleLibrary) int { return slices.Index(libs, a) - slices.Index(libs, b) })
	started := time.Now()
	if err := s.makeRuleLibraries(ctx, mk.dir, build); err != nil {
		return err
	}
	for _, l := range build {
		if err := l.store(s.Plan.CacheDir, started, s.Env.now()); err != nil {
			s.Env.IO.Warnf("%s is built but not kept in the library cache: %v", l.label, err)
			continue
		}
		if err := writeLibraryStamp(l.tree, l.key); err != nil {
			return err
		}
	}
	return nil
}

// lockLibrary takes the library cache's lock on key, saying so when
// another run holds it.
func (s *State) lockLibrary(ctx context.Context, key, label string) (func(), error) {
	cache := s.Plan.CacheDir
	unlock, err := libcache.Lock(ctx, cache, key, func() {
		s.Env.IO.Infof("waiting for another run that is building %s (%s)", label, libcache.Path(cache, key))
	})
	if err != nil {
		return nil, fmt.Errorf("%s: library cache: %w", label, err)
	}
	return unlock, nil
}

// restoreRuleLibrary restores the library from the cache when it has it
// (restored is true); a damaged entry is removed, to be built again.
func (s *State) restoreRuleLibrary(ctx context.Context, l *ruleLibrary) (restored bool, err error) {
	if !libcache.Has(s.Plan.CacheDir, l.key) {
		return false, nil
	}
	unlock, err := s.lockLibrary(ctx, l.key, l.label)
	if err != nil {
		return false, err
	}
	defer unlock()
	return s.restoreLocked(ctx, l)
}

// restoreLocked is restoreRuleLibrary with the entry's lock held.
func (s *State) restoreLocked(ctx context.Context, l *ruleLibrary) (restored bool, err error) {
	return s.restoreCached(ctx, l.key, l.label, l.c.Name, l.tree, l.tree, false)
}

// restoreCached restores the library keyed key, whose entry lock the
// caller holds, into dest (see libcache.Restore for replace), says so,
// times it and stamps its tree. restored is false when the cache has no
// such entry, or a damaged one (removed, to be built again).
func (s *State) restoreCached(ctx context.Context, key, label, component, tree, dest string, replace bool) (restored bool, err error) {
	cache := s.Plan.CacheDir
	if !libcache.Has(cache, key) {
		return false, nil
	}
	started := time.Now()
	if err := libcache.Restore(ctx, cache, key, dest, replace); err != nil {
		if errors.Is(err, libcache.ErrDamaged) {
			s.Env.IO.Warnf("%v: building %s again", err, label)
			return false, nil
		}
		return false, fmt.Errorf("%s: %w", label, err)
	}
	took := time.Since(started)
	s.Env.IO.Infof("restored %s from the library cache in %s (%s)", label, human.Duration(took), libcache.Path(cache, key))
	s.Timings = append(s.Timings, record.Timing{Phase: component + " (cached)", Took: took})
	return true, writeLibraryStamp(tree, key)
}

// ruleLibraries lists the libraries objs/Makefile builds in the trees of
// the build's components (from tarballs: a git tree's files have no
// fixed times), with their cache keys.
func (s *State) ruleLibraries(ctx context.Context, mk *objsMakefile, skip string) ([]*ruleLibrary, error) {
	var libs []*ruleLibrary
	var compiler string
	for _, c := range s.Resolved.Components[1:] {
		tree := filepath.Clean(s.Resolved.TreeDir(c))
		source := s.sourceIdentity(c)
		if tree == filepath.Clean(skip) || source == "" {
			continue
		}
		l := &ruleLibrary{c: c, label: c.Name + " " + c.Version, tree: tree}
		var recipes []string
		built := false
		for _, t := range mk.mf.Targets() {
			abs := t
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(mk.dir, t)
			}
			rel, err := filepath.Rel(tree, abs)
			if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
				continue
			}
			l.targets, l.files = append(l.targets, t), append(l.files, rel)
			recipe := mk.mf.Recipe(t)
			built = built || len(recipe) > 0
			recipes = append(recipes, rel+":", strings.Join(recipe, "\n"))
		}
		if !built || slices.ContainsFunc(l.files, func(f string) bool { return strings.HasPrefix(f, ".openssl"+string(filepath.Separator)) }) {
			// Nothing made there (a tree only configured, or a header), or
			// an SSL library that nginx's rule installs as a whole prefix.
			continue
		}
		if compiler == "" {
			var err error
			if compiler, err = s.compilerIdentity(ctx); err != nil {
				return nil, err
			}
		}
		// The recipes name the tree relative to the nginx dir, the same in
		// every work dir; $(CC) is the wrapper, which compilerIdentity stands for.
		l.inputs = libcache.Inputs{Recipe: nginxRuleRecipe, Component: c.Name, Version: c.Version, Source: source,
			Configure: recipes, Compiler: compiler, Env: s.Env.BuildFlags}
		var err error
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
// in one make run (in parallel, as nginx's make would). A tree holding a
// library an earlier run built with other inputs is cleaned first, so
// that nothing of it is taken for up to date.
func (s *State) makeRuleLibraries(ctx context.Context, dir string, libs []*ruleLibrary) error {
	var targets []string
	for _, l := range libs {
		if err := s.cleanRuleLibrary(ctx, l); err != nil {
			return err
		}
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

// cleanRuleLibrary removes what an earlier run made in the library's tree
// — `make distclean` there, then the targets — unless the tree is fresh.
func (s *State) cleanRuleLibrary(ctx context.Context, l *ruleLibrary) error {
	made := false
	for _, f := range l.files {
		made = made || fileExists(filepath.Join(l.tree, f))
	}
	if !made {
		return nil
	}
	s.Env.IO.Infof("%s holds a library built with other inputs: cleaning it first", l.tree)
	if fileExists(filepath.Join(l.tree, "Makefile")) {
		log := filepath.Join(l.tree, "nginx-build-clean.log")
		if err := runLogged(ctx, l.label+" clean", l.tree, log, teeFor(s), s.toolchain.Env, "make", "distclean"); err != nil && ctx.Err() != nil {
			return err
		}
	}
	for _, f := range l.files {
		if err := os.RemoveAll(filepath.Join(l.tree, f)); err != nil {
			return fmt.Errorf("%s: %w", l.label, err)
		}
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

// store keeps what the library's rules produced: its targets, and the
// headers written in its tree since the make started.
func (l *ruleLibrary) store(cache string, started, now time.Time) error {
	files := slices.Clone(l.files)
	err := filepath.WalkDir(l.tree, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".h") {
			return err
		}
		if fi, err := d.Info(); err == nil && !fi.ModTime().Before(started) {
			rel, err := filepath.Rel(l.tree, path)
			if err == nil && !slices.Contains(files, rel) {
				files = append(files, rel)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	staged, err := os.MkdirTemp(l.tree, ".nginx-build-lib-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staged)
	for _, f := range files {
		src, dst := filepath.Join(l.tree, f), filepath.Join(staged, f)
		fi, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("make made no %s", src)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a file: not kept", src)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Copy(src, dst, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return libcache.Store(cache, l.key, staged, l.inputs, now)
}
