package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/nginxbin"
	"github.com/nginx-build/nginx-build/internal/safe"
	"github.com/nginx-build/nginx-build/source"
)

// stamp records a finished build in its build dir. A later run with the
// same input digest finds it and does nothing.
type stamp struct {
	Digest string `json:"digest"`
	// Stage is "configured" or "built".
	Stage  string `json:"stage"`
	Binary string `json:"binary,omitempty"`
}

const stampFile = ".nginx-build-stamp.json"

// upToDateStage ends the run at once when the build dir already holds the
// result of exactly these inputs — before any network or process work.
type upToDateStage struct{}

func (upToDateStage) Name() string { return "up-to-date check" }

func (upToDateStage) Run(ctx context.Context, s *State) error {
	d, err := inputDigest(s.Plan, s.Env.ToolVersion, s.ModuleCommits)
	if err != nil {
		return err
	}
	s.Digest = d
	if s.Plan.Clear && s.Plan.DryRun {
		// A dry run never changes the work dir.
		s.Env.IO.Infof("would remove %s (-clear)", s.Plan.BuildDir())
		return nil
	}
	if s.Plan.Clear {
		s.Env.IO.Infof("removing %s (-clear)", s.Plan.BuildDir())
		if err := os.RemoveAll(s.Plan.BuildDir()); err != nil {
			return fmt.Errorf("clear work dir: %w", err)
		}
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.Plan.BuildDir(), stampFile))
	if err != nil {
		return nil
	}
	var st stamp
	if json.Unmarshal(b, &st) != nil || st.Digest != d {
		return nil
	}
	switch {
	case s.Plan.DryRun:
		// A dry run always goes on to print the plan, saying it is done.
		s.UpToDate = (st.Stage == "built" && fileExists(st.Binary)) || (st.Stage == "configured" && s.Plan.ConfigureOnly)
	case st.Stage == "built" && fileExists(st.Binary):
		s.Binary = st.Binary
		s.Env.IO.Infof("%s is up to date (same versions, flags, configure script, modules and patches); nothing to do", st.Binary)
		return ErrStop
	case st.Stage == "configured" && s.Plan.ConfigureOnly:
		s.Env.IO.Infof("%s is already configured with the same inputs; nothing to do", s.Plan.SourceDir())
		return ErrStop
	}
	return nil
}

// inputDigest hashes everything that decides the build's result: versions,
// configure script, options, modules, patch contents, and the verification
// policy and extra keys the tarballs are checked with. Jobs, verbosity
// and the mirror do not change the result and are left out.
func inputDigest(p *Plan, toolVersion string, commits map[string]string) (string, error) {
	h := sha256.New()
	w := func(parts ...string) {
		for _, s := range parts {
			fmt.Fprintf(h, "%d:%s\n", len(s), s)
		}
	}
	w("nginx-build", toolVersion)
	for _, c := range p.Components() {
		w("component", c.Name, c.Version)
	}
	w("script", p.ConfigureScript)
	w(append([]string{"args"}, p.ExtraArgs...)...)
	w("modules", p.ModulesFile)
	for _, g := range p.GitSources {
		w("git source", g.Name, g.URL, commits[g.Name])
	}
	for _, m := range p.Modules {
		// A git rev is a name (branch, tag) whose commit may move: what
		// counts is the commit it resolves to now (or the locked one).
		w("module commit", m.Name, commits[m.Name])
		if m.Form == "local" {
			sum, err := treeDigest(m.URL)
			if err != nil {
				return "", fmt.Errorf("module %s: %w", m.Name, err)
			}
			w("local module", m.Name, sum)
		}
		if sum, err := localTarballSHA256(m); err != nil || sum != "" {
			if err != nil {
				return "", err
			}
			w("local tarball", m.Name, sum) // it may change under the same path
		}
	}
	w(append([]string{"patch-opt"}, p.PatchOpt...)...)
	for _, pt := range p.Patches {
		b, err := os.ReadFile(pt.Path)
		if err != nil {
			return "", fmt.Errorf("read patch: %w", err)
		}
		w("patch", pt.Target, string(b))
	}
	w("configure-only", fmt.Sprint(p.ConfigureOnly))
	// How the tarballs were verified is part of the result: a binary built
	// under --verify off is not what --verify strict (or another --keyring)
	// asks for.
	policy := string(p.Verify)
	if policy == "" {
		policy = string(fetch.PolicyAuto)
	}
	var keys []string
	for _, e := range p.ExtraKeys {
		keys = append(keys, hex.EncodeToString(e.PrimaryKey.Fingerprint))
	}
	for name, list := range p.ComponentKeys {
		for _, e := range list {
			keys = append(keys, name+"="+hex.EncodeToString(e.PrimaryKey.Fingerprint))
		}
	}
	slices.Sort(keys)
	w("verify", policy)
	w(append([]string{"keyring"}, slices.Compact(keys)...)...)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// treeDigest summarizes a local module's tree by names, sizes and mtimes:
// editing a file there must trigger a rebuild.
func treeDigest(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// scriptStage generates the configure script before anything is
// downloaded, so duplicate or conflicting options fail fast.
type scriptStage struct{}

func (scriptStage) Name() string { return "generate configure script" }

func (scriptStage) Run(ctx context.Context, s *State) error {
	// OpenResty's configure hands the options to nginx's configure inside
	// build/nginx-X/, where ../ means something else: use absolute paths.
	openresty := s.Plan.Server.Name == "openresty"
	var libs []configure.Library
	for _, spec := range s.Plan.Libraries {
		option, ssl := "openssl", true // a custom library is an SSL library (-customssl)
		if !spec.Custom() {
			c, err := source.Lookup(spec.Name)
			if err != nil {
				return err
			}
			option, ssl = c.ConfigureOption, c.Role == source.RoleSSL
		}
		dir := "../" + spec.Name + "-" + spec.Version
		if openresty {
			dir = filepath.Join(s.Plan.BuildDir(), spec.Name+"-"+spec.Version)
		}
		libs = append(libs, configure.Library{Option: option, Dir: dir, SSL: ssl})
	}
	userArgs := append([]string(nil), s.Plan.ExtraArgs...)
	if strings.TrimSpace(s.Plan.ConfigureScript) != "" {
		args, err := configure.Args(s.Plan.ConfigureScript)
		if err != nil {
			return fmt.Errorf("configure script: %w", err)
		}
		userArgs = append(userArgs, args...)
	}
	s.ModuleArgs = nil
	dynamic := false
	for _, m := range s.Plan.Modules {
		dir := "../" + m.Name
		switch {
		case m.Form == "local":
			dir = m.URL
		case openresty:
			dir = filepath.Join(s.Plan.BuildDir(), m.Name)
		}
		opt := "--add-module="
		if m.Dynamic {
			opt = "--add-dynamic-module="
			dynamic = true
		}
		s.ModuleArgs = append(s.ModuleArgs, opt+dir)
	}
	// Dynamic modules are only loadable into a binary built with the same
	// options unless both sides use --with-compat.
	if dynamic && !s.Plan.KeepCompat && !slices.Contains(userArgs, "--with-compat") {
		s.ModuleArgs = append([]string{"--with-compat"}, s.ModuleArgs...)
	}
	extra := s.Plan.ExtraArgs
	if openresty {
		// OpenResty's configure builds LuaJIT and friends itself; -jN is its option.
		extra = append([]string{fmt.Sprintf("-j%d", s.Plan.Jobs)}, extra...)
	}
	script, err := configure.Generate(configure.Input{
		UserScript: s.Plan.ConfigureScript,
		Libraries:  libs,
		ModuleArgs: s.ModuleArgs,
		ExtraArgs:  extra,
	})
	if err != nil {
		return fmt.Errorf("configure script: %w", err)
	}
	s.Script = script
	return nil
}

// idempotentStage implements nginx-build's -idempotent: skip everything
// when the installed nginx already is the requested build — same flavour
// and version, same embedded libraries, same modules and configure
// arguments, as its nginx -V tells — and otherwise say what differs.
type idempotentStage struct{}

func (idempotentStage) Name() string { return "idempotent check" }

func (idempotentStage) Skip(s *State) bool { return !s.Plan.Idempotent }

func (idempotentStage) Run(ctx context.Context, s *State) error {
	args, err := configure.Args(s.Script)
	if err != nil {
		return fmt.Errorf("-idempotent: %w", err)
	}
	sbin := s.Plan.NginxBin
	if sbin == "" {
		sbin = installedBinary(args)
	}
	out, err := nginxbin.NginxV(ctx, sbin)
	if err != nil {
		s.Env.IO.Infof("-idempotent: no working nginx at %s (%v); building", sbin, err)
		return nil
	}
	info, err := configure.ParseV(out)
	if err != nil {
		s.Env.IO.Infof("-idempotent: cannot read %s -V (%v); building", sbin, err)
		return nil
	}
	want := configure.Wanted{Name: s.Plan.Server.Name, Version: s.Plan.Server.Version, Args: args, Subset: s.Plan.Server.Name == "openresty"}
	if s.Plan.Server.Custom() {
		want.Name, want.Version = "", "" // a fork's -V names it as it likes
	}
	diffs := configure.Differences(want, info)
	if len(diffs) == 0 {
		s.Env.IO.Infof("-idempotent: %s is already %s %s with the same libraries, modules and configure arguments; nothing to do", sbin, info.Name, info.Version)
		s.Skipped, s.Current = true, sbin
		return ErrStop
	}
	s.Env.IO.Infof("-idempotent: %s differs from the requested build; building:\n  %s", sbin, strings.Join(diffs, "\n  "))
	return nil
}

// installPath is where `make install` puts nginx for these configure
// args: --sbin-path (relative to the prefix), else PREFIX/sbin/nginx, the
// prefix defaulting to /usr/local/nginx as in nginx's configure.
func installPath(args []string) string {
	prefix, sbin := "/usr/local/nginx", ""
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--prefix="); ok {
			prefix = v
		}
		if v, ok := strings.CutPrefix(a, "--sbin-path="); ok {
			sbin = v
		}
	}
	switch {
	case sbin == "":
		return filepath.Join(prefix, "sbin", "nginx")
	case filepath.IsAbs(sbin):
		return sbin
	}
	return filepath.Join(prefix, sbin)
}

// installedBinary is the nginx -idempotent compares with: where this build
// installs when --prefix or --sbin-path says so; otherwise nginx-build's
// traditional /usr/local/sbin/nginx when it exists, else nginx's default.
func installedBinary(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "--prefix=") || strings.HasPrefix(a, "--sbin-path=") {
			return installPath(args)
		}
	}
	if fileExists("/usr/local/sbin/nginx") {
		return "/usr/local/sbin/nginx"
	}
	return installPath(args)
}

// installStage runs make install when asked: as is, with sudo, or into a
// staging DESTDIR. It is final: an up-to-date build is installed too.
type installStage struct{}

func (installStage) Name() string { return "install" }

func (installStage) Final() bool { return true }

func (installStage) Skip(s *State) bool { return !s.Plan.Install || s.Plan.DryRun || s.Binary == "" }

func (installStage) Run(ctx context.Context, s *State) error {
	src := s.Plan.SourceDir()
	name, args := "make", []string{"install"}
	if s.Plan.DestDir != "" {
		if err := os.MkdirAll(s.Plan.DestDir, 0o755); err != nil {
			return fmt.Errorf("--destdir: %w", err)
		}
		args = append(args, "DESTDIR="+s.Plan.DestDir)
	}
	if s.Plan.Sudo {
		name, args = "sudo", append([]string{"--", "make"}, args...)
	}
	logPath := filepath.Join(src, "nginx-install.log")
	s.Env.IO.Infof("installing: %s %s (log: %s)", name, strings.Join(args, " "), logPath)
	if err := runLogged(ctx, "make install", src, logPath, teeFor(s), nil, name, args...); err != nil {
		if !s.Plan.Sudo && s.Plan.DestDir == "" && os.Geteuid() != 0 {
			return fmt.Errorf("%w\n(installing into system directories needs root: add --sudo, or stage it with --destdir DIR)", err)
		}
		return err
	}
	script := s.Script
	if script == "" {
		// Up to date: the script was not generated this time; the one
		// that configured the tree tells where make install put nginx.
		b, err := os.ReadFile(filepath.Join(src, "nginx-configure"))
		if err != nil {
			return fmt.Errorf("read the configure script of the build: %w", err)
		}
		script = string(b)
	}
	cargs, err := configure.Args(script)
	if err != nil {
		return err
	}
	dest := installPath(cargs)
	if s.Plan.DestDir != "" {
		dest = filepath.Join(s.Plan.DestDir, dest)
	}
	if !fileExists(dest) {
		return fmt.Errorf("make install succeeded but %s is not there; check %s", dest, logPath)
	}
	s.Installed = dest
	return nil
}

// prepareStage lays out the build dir: every tarball extracted (safely,
// concurrently) as <name>-<version>/, modules provisioned, patches applied.
type prepareStage struct{}

func (prepareStage) Name() string { return "prepare sources" }

func (prepareStage) Run(ctx context.Context, s *State) error {
	dir := s.Plan.BuildDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create work dir: %w", err)
	}
	// A stale stamp must not survive a half-redone build dir.
	_ = os.Remove(filepath.Join(dir, stampFile))
	if stepDone(s, stepPrepare) && preparedTrees(s) {
		s.Env.IO.Infof("reusing the sources an earlier run with the same inputs extracted and patched in %s", dir)
		return nil
	}
	if err := beginStep(s, stepPrepare); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range s.Fetched {
		g.Go(func() (err error) {
			defer safe.Recover("extracting "+r.Artifact.Component+" "+r.Artifact.Version, &err)
			want := r.Artifact.Component + "-" + r.Artifact.Version
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
	s.Env.IO.Infof("extracted %d source trees into %s", len(s.Fetched), dir)
	if srv := s.Plan.Server; srv.Custom() && IsTarballURL(srv.CustomURL) {
		if err := ensureConfigure(s.Plan.SourceDir()); err != nil {
			return err
		}
	}
	for _, g := range s.Plan.GitSources {
		if err := provisionGitSource(ctx, s, g); err != nil {
			return err
		}
	}
	for _, m := range s.Plan.Modules {
		if err := provisionModule(ctx, s, m); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(dir, "nginx-patch.log")) // each patch appends its part
	for _, p := range s.Plan.Patches {
		if err := applyPatch(ctx, s, p); err != nil {
			return err
		}
	}
	return finishStep(s, stepPrepare)
}

func applyPatch(ctx context.Context, s *State, p Patch) error {
	var target string
	for _, c := range s.Plan.Components() {
		if c.Name == p.Target {
			target = filepath.Join(s.Plan.BuildDir(), c.Name+"-"+c.Version)
		}
	}
	if target == "" {
		return fmt.Errorf("patch %s: target %q is not part of this build", p.Path, p.Target)
	}
	// --forward: a patch that looks already applied is an error, where
	// --batch alone would silently reverse it.
	args := append(append([]string{"--batch", "--forward"}, s.Plan.PatchOpt...), "-i", p.Path)
	s.Env.IO.Infof("applying %s to %s", p.Path, filepath.Base(target))
	log := filepath.Join(s.Plan.BuildDir(), "nginx-patch.log")
	step := "patch " + p.Path + " (target " + p.Target + ")"
	return appendLogged(ctx, step+": patch "+strings.Join(args, " "), step, target, log, teeFor(s), nil, "patch", args...)
}

// configureStage writes the generated script as nginx-configure in the
// source dir (nginx-build's name for it) and runs it.
type configureStage struct{}

func (configureStage) Name() string { return "configure" }

func (configureStage) Run(ctx context.Context, s *State) error {
	src := s.Plan.SourceDir()
	script := filepath.Join(src, "nginx-configure")
	if err := os.WriteFile(script, []byte(s.Script), 0o755); err != nil {
		return fmt.Errorf("write configure script: %w", err)
	}
	tc, err := setupToolchain(ctx, s)
	if err != nil {
		return err
	}
	s.toolchain = tc
	for _, n := range tc.Notes {
		s.Env.IO.Infof("%s", n)
	}
	if stepDone(s, stepConfigure) && fileExists(filepath.Join(src, "Makefile")) {
		s.Env.IO.Infof("%s was configured with the same inputs by an earlier run; not running configure again", src)
	} else {
		if err := beginStep(s, stepConfigure); err != nil {
			return err
		}
		s.Env.IO.Infof("configuring %s %s (log: %s)", s.Plan.Server.Name, s.Plan.Server.Version, filepath.Join(src, "nginx-configure.log"))
		if err := runLogged(ctx, "configure", src, filepath.Join(src, "nginx-configure.log"), teeFor(s), tc.Env, "/bin/sh", "./nginx-configure"); err != nil {
			return err
		}
		if err := finishStep(s, stepConfigure); err != nil {
			return err
		}
	}
	if s.Plan.ConfigureOnly {
		if err := writeStamp(s, "configured"); err != nil {
			return err
		}
		s.Env.IO.Infof("configured %s (-configureonly); run `make -C %s` to compile", src, src)
		return ErrStop
	}
	return nil
}

// makeStage compiles with make -j N.
type makeStage struct{}

func (makeStage) Name() string { return "make" }

func (makeStage) Run(ctx context.Context, s *State) error {
	src := s.Plan.SourceDir()
	logPath := filepath.Join(src, "nginx-build.log")
	s.Env.IO.Infof("compiling with make -j%d (log: %s)", s.Plan.Jobs, logPath)
	var before ccacheStats
	if s.toolchain.CCache != "" {
		before = readCCacheStats(ctx, s.toolchain.CCache)
	}
	if err := beginStep(s, stepMake); err != nil {
		return err
	}
	if err := runLogged(ctx, "make", src, logPath, teeFor(s), s.toolchain.Env, "make", fmt.Sprintf("-j%d", s.Plan.Jobs)); err != nil {
		return err
	}
	if err := finishStep(s, stepMake); err != nil {
		return err
	}
	if s.toolchain.CCache != "" {
		s.CCacheSummary = readCCacheStats(ctx, s.toolchain.CCache).summary(before)
	}
	s.Binary = builtBinary(src)
	if s.Binary == "" {
		return fmt.Errorf("make succeeded but produced no nginx binary in %s/objs", src)
	}
	return nil
}

// reportStage prints where the binary is, what it is, and how to install it,
// then records the build as done.
type reportStage struct{}

func (reportStage) Name() string { return "report" }

func (reportStage) Run(ctx context.Context, s *State) error {
	out, err := nginxbin.NginxV(ctx, s.Binary)
	if err != nil {
		return fmt.Errorf("built binary %s does not run: %w", s.Binary, err)
	}
	recPath, err := writeRecord(s, out)
	if err != nil {
		return err
	}
	if err := writeStamp(s, "built"); err != nil {
		return err
	}
	s.NginxV, s.RecordPath = out, recPath
	return nil
}

func writeStamp(s *State, stage string) error {
	b, err := json.MarshalIndent(stamp{Digest: s.Digest, Stage: stage, Binary: s.Binary}, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(s.Plan.BuildDir(), stampFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write build stamp: %w", err)
	}
	return nil
}

// teeFor shows child output live in verbose mode; otherwise it only goes
// to the log files.
func teeFor(s *State) io.Writer {
	if s.Env.IO.Verbose {
		return s.Env.IO.Err
	}
	return nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// builtBinary finds the nginx that make produced: objs/nginx for nginx and
// freenginx, build/nginx-*/objs/nginx inside an OpenResty bundle.
func builtBinary(src string) string {
	if p := filepath.Join(src, "objs", "nginx"); fileExists(p) {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(src, "build", "nginx-*", "objs", "nginx"))
	if len(matches) == 1 {
		return matches[0]
	}
	return ""
}
