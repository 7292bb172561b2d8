package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/makefile"
	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/libcache"
	"github.com/nginx-build/nginx-build/pin"
)

// librariesStage builds the static libraries nginx links before nginx's
// make — or restores them from the library cache (see prebuild.go for
// PCRE2 and zlib). The SSL library it builds lean and reproducibly:
//
// nginx's objs/Makefile builds OpenSSL with a plain `make` (the libraries,
// the openssl program, hundreds of test programs, every manual page) and
// installs it with a --prefix inside the work dir, which OpenSSL compiles
// into libcrypto (OPENSSLDIR, ENGINESDIR, MODULESDIR): slow, a binary that
// differs per work dir, and an nginx that looks for openssl.cnf under a
// path that does not exist where it is deployed. This stage runs the same
// ./config with the same options nginx's rule has, plus no-tests (and
// no-docs where the version has it) and the platform's directories, makes
// only the libraries, and installs their headers and archives through
// DESTDIR into <tree>/.openssl, where nginx's Makefile expects them. That
// rule (.openssl/include/openssl/ssl.h: objs/Makefile) then finds them
// newer than objs/Makefile and does nothing.
//
// A tree without OpenSSL's build interface (LibreSSL's autotools build, an
// OpenSSL older than 1.1.0, a fork without it) is left to nginx's rule.
type librariesStage struct{}

func (librariesStage) Name() string { return "libraries" }

func (librariesStage) Run(ctx context.Context, s *State) error {
	dir := objsDir(s.sourceDir())
	if dir == "" {
		return nil
	}
	mk, err := readObjsMakefile(dir)
	if err != nil {
		return err
	}
	if s.withCC() {
		// nginx's rules build the libraries with that compiler, which the
		// library cache cannot identify: they are left to them.
		s.Env.IO.Infof("--with-cc given: the static libraries are built by nginx's make, not kept in the library cache")
		return nil
	}
	s.toolchain.ccacheBaseline(ctx)
	rule, hasRule := readSSLRule(dir, mk.mf)
	built, err := s.buildSSL(ctx, mk, rule, hasRule)
	if err != nil {
		return err
	}
	if s.Plan.OpenSSLDir != "" && !built {
		s.Env.IO.Warnf("--openssldir %s has no effect: this build has no OpenSSL that nginx-build builds itself (-openssl, or -customssl with OpenSSL's build interface)", s.Plan.OpenSSLDir)
	}
	skip := ""
	if hasRule {
		skip = rule.tree // whatever builds it, not a library of nginx's generic rules
	}
	return s.prebuildLibraries(ctx, mk, skip)
}

// objsMakefile is nginx's objs/Makefile, read once for this stage.
type objsMakefile struct {
	dir   string // the tree it builds (the nginx tree), where make runs
	mf    *makefile.File
	mtime time.Time // what a library's files must not be older than
}

func readObjsMakefile(dir string) (*objsMakefile, error) {
	path := filepath.Join(dir, "objs", "Makefile")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	mf, err := makefile.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &objsMakefile{dir: dir, mf: mf, mtime: fi.ModTime()}, nil
}

// withCC reports whether the configure options choose the compiler.
func (s *State) withCC() bool {
	args, _ := configure.Args(s.Resolved.Script)
	return slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--with-cc=") })
}

// buildSSL builds (or restores) the SSL library of nginx's rule when
// nginx-build can build it lean; built is false when it is left to
// nginx's rule.
func (s *State) buildSSL(ctx context.Context, mk *objsMakefile, rule sslRule, hasRule bool) (built bool, err error) {
	if !hasRule {
		return false, nil
	}
	c, ok := s.sslComponent(rule.tree)
	if !ok {
		return false, nil // the user's own tree (--with-openssl=/opt/…): nginx's rule builds it
	}
	label := c.Name + " " + c.Version
	noDocs, lean := leanBuildInterface(rule.tree)
	switch {
	case !lean:
		s.Env.IO.Infof("%s has no OpenSSL 1.1+ build interface (Configurations/unix-Makefile.tmpl): nginx's make builds it as nginx's rule says", label)
		return false, nil
	case slices.ContainsFunc(rule.options, func(o string) bool { return strings.ContainsAny(o, "'\"\\$`") }):
		s.Env.IO.Infof("%s: --with-openssl-opt has shell quoting or expansions: nginx's make builds it as nginx's rule says", label)
		return false, nil
	}
	b, err := s.planSSLBuild(ctx, c, rule, noDocs)
	if err != nil {
		return false, err
	}
	return true, b.install(ctx, s, mk)
}

// sslRule is nginx's objs/Makefile rule that builds the SSL library.
type sslRule struct {
	tree    string   // the library's tree, absolute
	options []string // its ./config options, --prefix left out
}

// sslHeader is the target of nginx's rule, relative to the SSL tree.
const sslHeader = ".openssl/include/openssl/ssl.h"

// readSSLRule finds nginx's rule for the SSL library in objs/Makefile
// ("DIR/.openssl/include/openssl/ssl.h: objs/Makefile" with a recipe that
// runs ./config there); ok is false when it builds none that way.
func readSSLRule(dir string, mf *makefile.File) (sslRule, bool) {
	for _, t := range mf.Targets() {
		tree, ok := strings.CutSuffix(t, "/"+sslHeader)
		if !ok {
			continue
		}
		words := strings.Fields(strings.Join(mf.Recipe(t), " "))
		i := slices.Index(words, "./config")
		if i < 0 {
			return sslRule{}, false
		}
		r := sslRule{tree: tree}
		if !filepath.IsAbs(tree) {
			r.tree = filepath.Join(dir, tree)
		}
		for _, w := range words[i+1:] {
			if w == "&&" || w == "||" || w == ";" {
				break
			}
			if w != `\` && !strings.HasPrefix(w, "--prefix=") {
				r.options = append(r.options, w)
			}
		}
		return r, true
	}
	return sslRule{}, false
}

// sslComponent is the component unpacked at tree, when one is.
func (s *State) sslComponent(tree string) (pin.Component, bool) {
	for _, c := range s.Resolved.Components[1:] {
		if filepath.Clean(s.Resolved.TreeDir(c)) == filepath.Clean(tree) {
			return c, true
		}
	}
	return pin.Component{}, false
}

// leanBuildInterface reports whether tree builds like OpenSSL 1.1.0 and
// later (build_libs, whose prerequisite is build_libs_nodep; install_dev, the no-tests option),
// and whether it has no-docs (3.2 and later).
func leanBuildInterface(tree string) (noDocs, ok bool) {
	tmpl, err := os.ReadFile(filepath.Join(tree, "Configurations", "unix-Makefile.tmpl"))
	if err != nil || !bytes.Contains(tmpl, []byte("\nbuild_libs_nodep:")) || !bytes.Contains(tmpl, []byte("\ninstall_dev:")) {
		return false, false
	}
	conf, err := os.ReadFile(filepath.Join(tree, "Configure"))
	if err != nil || !bytes.Contains(conf, []byte(`"tests",`)) {
		return false, false
	}
	return bytes.Contains(conf, []byte("\n    \"docs\",\n")), true
}

// sslBuild is one lean build of the SSL library: what goes into it (its
// cache key) and where it goes.
type sslBuild struct {
	component, label string
	tree             string
	config           []string // ./config's arguments
	env              []string
	inputs           libcache.Inputs
	key              string
	dirs             sslDirs
}

// planSSLBuild works out the lean build's arguments, environment and key.
func (s *State) planSSLBuild(ctx context.Context, c pin.Component, rule sslRule, noDocs bool) (*sslBuild, error) {
	dirs := platformSSLDirs(ctx)
	if s.Plan.OpenSSLDir != "" {
		dirs.OpenSSLDir = s.Plan.OpenSSLDir
	}
	config := []string{"--prefix=" + dirs.Prefix, "--libdir=" + dirs.LibDir, "--openssldir=" + dirs.OpenSSLDir, "no-tests"}
	if noDocs {
		config = append(config, "no-docs")
	}
	// nginx's options (no-shared no-threads, then --with-openssl-opt) come
	// last: an --openssldir among them wins, as with nginx's rule.
	config = append(config, rule.options...)

	cc, err := s.libraryCC()
	if err != nil {
		return nil, err
	}
	compiler, err := s.compilerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	epoch := s.Env.SourceDateEpoch
	if epoch == "" {
		epoch = sslSourceDateEpoch(rule.tree, s.toolchain)
	}
	env := append(slices.Clone(s.toolchain.Env), cc.env...)
	env = append(env, "SOURCE_DATE_EPOCH="+epoch)
	in := libcache.Inputs{
		Recipe:    sslRecipe,
		Component: c.Name,
		Version:   c.Version,
		Source:    s.sourceIdentity(c),
		Configure: config,
		Compiler:  compiler,
		Env:       append(slices.Clone(s.Env.BuildFlags), "SOURCE_DATE_EPOCH="+epoch),
	}
	in.Patches, err = s.patchIdentities(c.Name)
	if err != nil {
		return nil, err
	}
	key := "" // without an exact source, nothing to key the cache on
	if in.Source != "" {
		if key, err = in.Key(); err != nil {
			return nil, err
		}
	}
	return &sslBuild{
		component: c.Name, label: c.Name + " " + c.Version, tree: rule.tree, config: config, env: env,
		inputs: in, key: key, dirs: dirs,
	}, nil
}

// sslRecipe names how this version of nginx-build builds the library: a
// change to the recipe is a new cache key.
const sslRecipe = "openssl-lean-1"

// sslSourceDateEpoch is the build date OpenSSL records ("built on"): the
// release tarball's own date, so that the library is the same whichever
// nginx it is built for; a tree from git has none, and takes the date the
// nginx build uses.
func sslSourceDateEpoch(tree string, tc *toolchain) string {
	if !fileExists(filepath.Join(tree, ".git")) {
		for _, f := range []string{"VERSION.dat", "Configure"} {
			if info, err := os.Stat(filepath.Join(tree, f)); err == nil {
				return strconv.FormatInt(info.ModTime().Unix(), 10)
			}
		}
	}
	for _, e := range tc.Env {
		if v, ok := strings.CutPrefix(e, "SOURCE_DATE_EPOCH="); ok {
			return v
		}
	}
	return "0"
}

// install puts the library into the tree's .openssl: left as it is when
// an earlier run put this very library there, restored from the library
// cache when it has it, else built and stored. The cache entry is locked
// meanwhile, so that two runs needing the same library build it once.
func (b *sslBuild) install(ctx context.Context, s *State, mk *objsMakefile) error {
	dest := filepath.Join(b.tree, ".openssl")
	files := []string{sslHeader, ".openssl/lib/libssl.a", ".openssl/lib/libcrypto.a"}
	if libraryCurrent(b.tree, b.key, files, mk.mtime) {
		return nil
	}
	if b.key == "" { // nothing names the source exactly: built, not kept
		return b.buildInto(ctx, s, dest)
	}
	unlock, err := s.lockLibrary(ctx, b.key, b.label)
	if err != nil {
		return err
	}
	defer unlock()
	if restored, err := s.restoreCached(ctx, b.key, b.label, b.component, b.tree, dest, true); err != nil || restored {
		return err
	}
	cache := s.Plan.CacheDir
	staged, err := b.build(ctx, s)
	if err != nil {
		return err
	}
	defer os.RemoveAll(staged)
	if err := libcache.Store(cache, b.key, staged, b.inputs, s.Env.now()); err != nil {
		s.Env.IO.Warnf("%s is built but not kept in the library cache: %v", b.label, err)
		return b.installStaged(staged, dest)
	}
	if err := libcache.Restore(ctx, cache, b.key, dest, true); err != nil {
		return fmt.Errorf("%s: %w", b.label, err)
	}
	return writeLibraryStamp(b.tree, b.key)
}

// buildInto builds the library and installs it at dest without the cache.
func (b *sslBuild) buildInto(ctx context.Context, s *State, dest string) error {
	staged, err := b.build(ctx, s)
	if err != nil {
		return err
	}
	defer os.RemoveAll(staged)
	return b.installStaged(staged, dest)
}

// installStaged moves what build staged to dest.
func (b *sslBuild) installStaged(staged, dest string) error {
	os.Remove(filepath.Join(staged, "entry.json")) // the cache's, if Store got that far
	if err := os.RemoveAll(dest); err != nil {
		return fmt.Errorf("%s: %w", b.label, err)
	}
	if err := os.Rename(staged, dest); err != nil {
		return fmt.Errorf("%s: %w", b.label, err)
	}
	return nil
}

// build configures and makes the libraries in the tree and installs them
// through DESTDIR; it returns a new directory with their include/ and lib/.
func (b *sslBuild) build(ctx context.Context, s *State) (string, error) {
	log := filepath.Join(b.tree, "nginx-build.log")
	s.Env.IO.Infof("building %s: libraries only, OPENSSLDIR %s (log: %s)", b.label, b.dirs.OpenSSLDir, log)
	staged := filepath.Join(b.tree, ".nginx-build-destdir")
	if err := os.RemoveAll(staged); err != nil {
		return "", fmt.Errorf("%s: %w", b.label, err)
	}
	defer os.RemoveAll(staged)
	mon := startLibraryCompile(ctx, s, b.component, b.label, b.tree, []string{"libcrypto.a", "libssl.a"})
	err := b.make(ctx, s, log, staged, mon)
	s.Timings = append(s.Timings, mon.stop(err == nil)...)
	if err != nil {
		var se *StepError
		if errors.As(err, &se) {
			se.First = findFirstError(log, []logOwner{{Label: b.label, Dir: b.tree, OwnLogs: []string{"config.log"}}})
		}
		return "", err
	}
	out, err := os.MkdirTemp(b.tree, ".nginx-build-lib-")
	if err != nil {
		return "", fmt.Errorf("%s: %w", b.label, err)
	}
	if err := collectInstalled(staged, out); err != nil {
		os.RemoveAll(out)
		return "", fmt.Errorf("%s: %w", b.label, err)
	}
	return out, nil
}

// make runs ./config, make build_libs and make install_dev into the
// staging dir, all logged to log.
func (b *sslBuild) make(ctx context.Context, s *State, log, staged string, mon *compileMonitor) error {
	tee := mon.tee(teeFor(s))
	if fileExists(filepath.Join(b.tree, "Makefile")) {
		// What an earlier, interrupted build left may have other options;
		// a tree too broken to clean is configured afresh all the same.
		if err := runLogged(ctx, b.label+" build", b.tree, log, tee, b.env, "make", "clean"); err != nil && ctx.Err() == nil {
			os.Remove(filepath.Join(b.tree, "Makefile"))
			os.Remove(filepath.Join(b.tree, "configdata.pm"))
		}
	} else if err := os.WriteFile(log, nil, 0o644); err != nil {
		return fmt.Errorf("%s: %w", b.label, err)
	}
	steps := [][]string{
		append([]string{"/bin/sh", "./config"}, b.config...),
		{"make", fmt.Sprintf("-j%d", s.Plan.Jobs), "build_libs"},
		{"make", "install_dev", "DESTDIR=" + staged},
	}
	for _, st := range steps {
		if err := appendLogged(ctx, strings.Join(st, " "), b.label+" build", b.tree, log, tee, b.env, st[0], st[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// sslDirs are the directories OpenSSL compiles in: where it looks for
// openssl.cnf (OPENSSLDIR) and, under the library dir, for engines and
// providers.
type sslDirs struct {
	Prefix     string // e.g. /usr
	LibDir     string // relative to Prefix: lib/x86_64-linux-gnu
	OpenSSLDir string // e.g. /usr/lib/ssl
}

// platformSSLDirs are the platform's own OpenSSL directories, as its
// openssl command reports them, so that the nginx built finds the
// system's openssl.cnf; OpenSSL's defaults (/usr/local/ssl) without one.
func platformSSLDirs(ctx context.Context) sslDirs {
	d := sslDirs{Prefix: "/usr/local", LibDir: "lib", OpenSSLDir: "/usr/local/ssl"}
	// Separately: an openssl without -e (LibreSSL's, OpenSSL 1.0.2) fails
	// the whole command.
	for _, opt := range []string{"-d", "-e"} {
		if out, err := proc.Output(proc.Command(ctx, "openssl", "version", opt)); err == nil {
			d = parseSSLDirs(string(out), d)
		}
	}
	return d
}

// parseSSLDirs reads `openssl version -d` or `-e` output over d.
func parseSSLDirs(out string, d sslDirs) sslDirs {
	for _, line := range strings.Split(out, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if !filepath.IsAbs(value) {
			continue
		}
		switch name {
		case "OPENSSLDIR":
			d.OpenSSLDir = value
		case "ENGINESDIR":
			lib := filepath.Dir(value) // <libdir>/engines-3
			prefix := "/usr"
			if !strings.HasPrefix(lib, "/usr/") {
				prefix = filepath.Dir(lib)
			}
			if rel, err := filepath.Rel(prefix, lib); err == nil && !strings.HasPrefix(rel, "..") {
				d.Prefix, d.LibDir = prefix, rel
			}
		}
	}
	return d
}
