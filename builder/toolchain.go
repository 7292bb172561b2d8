package builder

import (
	"bufio"
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
	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/source"
)

// toolchain is how configure and make are run: the compiler wrapper that
// makes the output independent of the work dir, the build date, and ccache.
type toolchain struct {
	// Env is added to the environment of configure and make.
	Env []string
	// CCache is the ccache binary in use ("" when none).
	CCache string
	// CCacheWhy says why ccache is used or not; CCacheTold is set when
	// the user decided it (--ccache=false, NGINX_BUILD_CCACHE=0), and the
	// summary need not explain it.
	CCacheWhy  string
	CCacheTold bool
	// Notes say what the toolchain does differently from plain cc, for the log.
	Notes []string

	baseline *ccacheStats // ccache's counters before this run compiled anything
}

// ccacheBaseline is ccache's counters before the first compile of this
// run — the libraries' or nginx's — read once, so that the summary counts
// what ccache served to both.
func (tc *toolchain) ccacheBaseline(ctx context.Context) ccacheStats {
	if tc.CCache == "" {
		return ccacheStats{}
	}
	if tc.baseline == nil {
		b := readCCacheStats(ctx, tc.CCache, tc.Env)
		tc.baseline = &b
	}
	return *tc.baseline
}

// wrapperName is the compiler wrapper's file in the build dir.
const wrapperName = ".nginx-build-cc"

// setupToolchain writes the compiler wrapper into the build dir and returns
// the environment for configure and make.
//
// Reproducibility: the only trace of the work dir in an nginx binary is the
// compilation directory in its debug information (nginx builds with -g and
// relative source paths). -ffile-prefix-map rewrites it to ".". Passing the
// flag through --with-cc-opt would put the work dir into `nginx -V` instead,
// so it goes into a wrapper that nginx's configure takes as $CC (and hands
// on to the libraries it builds). SOURCE_DATE_EPOCH fixes the one date that
// is embedded (OpenSSL's "built on").
//
// ccache: with CCACHE_NOHASHDIR the working directory is left out of the
// hash, and ccache ignores the old half of -ffile-prefix-map, so a build in
// a new work dir hits the cache and the objects it gets are the same bytes.
func setupToolchain(ctx context.Context, s *State) (*toolchain, error) {
	tc := &toolchain{}
	args, err := configure.Args(s.Resolved.Script)
	if err != nil {
		return nil, err
	}
	epoch := s.Env.SourceDateEpoch
	if epoch == "" {
		epoch = sourceDateEpoch(s.sourceDir())
		tc.Env = append(tc.Env, "SOURCE_DATE_EPOCH="+epoch)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--with-cc=") {
			// The user chose the compiler command; nginx's configure then
			// ignores $CC, and so would our wrapper.
			tc.Notes = append(tc.Notes, "--with-cc given: the compiler is used as is (no ccache, no -ffile-prefix-map)")
			if s.Plan.CCache == plan.CCacheOn || s.Plan.CCacheRemote != "" {
				s.Env.IO.Warnf("--ccache/--ccache-remote have no effect with --with-cc in the configure options: the compiler is used as is")
			}
			return tc, nil
		}
	}
	if err := chooseCCache(ctx, s, tc); err != nil {
		return nil, err
	}
	cc := s.Env.CC
	if cc == "" {
		cc = "cc"
	}
	if tc.CCache != "" {
		tc.Env = append(tc.Env, "CCACHE_NOHASHDIR=1")
		tc.Notes = append(tc.Notes, "ccache in front of the compiler ("+tc.CCache+")")
	}
	// $CC may hold flags ("gcc -m32"): it is word-split on purpose.
	wrapper := filepath.Join(s.buildDir(), wrapperName)
	if err := writeCompilerWrapper(wrapper, "the compiler for this build", tc.CCache, cc, s.buildDir()); err != nil {
		return nil, err
	}
	tc.Env = append(tc.Env, "CC="+wrapper)
	return tc, nil
}

// writeCompilerWrapper writes the script that runs command (shell words,
// as $CC is) behind ccache, when there is one, with the build dir mapped to
// "." in what the compiler records.
func writeCompilerWrapper(path, what, ccache, command, buildDir string) error {
	var w strings.Builder
	fmt.Fprintf(&w, "#!/bin/sh\n# Written by nginx-build: %s (see README, \"Reproducible builds\").\nexec ", what)
	if ccache != "" {
		w.WriteString(configure.Quote(ccache) + " ")
	}
	fmt.Fprintf(&w, "%s %s \"$@\"\n", command, configure.Quote("-ffile-prefix-map="+buildDir+"=."))
	if err := os.WriteFile(path, []byte(w.String()), 0o755); err != nil {
		return fmt.Errorf("write compiler wrapper: %w", err)
	}
	return nil
}

// sourceDateEpoch is the build date recorded in the binary: the
// modification time of a file that comes from the release tarball (and so
// is the same in every work dir). A git checkout has no such time: set
// SOURCE_DATE_EPOCH yourself for those.
func sourceDateEpoch(src string) string {
	for _, f := range []string{"src/core/nginx.h", "configure", "auto/configure"} {
		if info, err := os.Stat(filepath.Join(src, f)); err == nil {
			return strconv.FormatInt(info.ModTime().Unix(), 10)
		}
	}
	return "0"
}

// ccacheStats are the counters of `ccache --print-stats` that the
// summary and the policy use.
type ccacheStats struct {
	hits, misses             int64
	remoteHits, remoteMisses int64
	// files and kib are what its local cache holds.
	files, kib int64
	ok         bool
}

// readCCacheStats reads ccache's counters; ok is false when this ccache
// cannot print them (older than 4.x). env is added to ccache's
// environment.
func readCCacheStats(ctx context.Context, ccache string, env []string) ccacheStats {
	cmd := proc.Command(ctx, ccache, "--print-stats")
	cmd.Env = append(os.Environ(), env...)
	out, err := proc.Output(cmd)
	if err != nil {
		return ccacheStats{}
	}
	return parseCCacheStats(out)
}

// parseCCacheStats reads `ccache --print-stats` (ccache 4.x: one
// "key<TAB>value" a line).
func parseCCacheStats(out []byte) ccacheStats {
	st := ccacheStats{ok: true}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "direct_cache_hit", "preprocessed_cache_hit":
			st.hits += n
		case "cache_miss":
			st.misses += n
		case "remote_storage_hit":
			st.remoteHits += n
		case "remote_storage_miss":
			st.remoteMisses += n
		case "files_in_cache":
			st.files = n
		case "cache_size_kibibyte":
			st.kib = n
		}
	}
	return st
}

// served is what this build got from ccache: the difference between two
// readings (nil when either could not be read).
func (after ccacheStats) served(before ccacheStats) *record.CCache {
	if !after.ok || !before.ok {
		return nil
	}
	return &record.CCache{Used: true, Hits: after.hits - before.hits, Misses: after.misses - before.misses,
		RemoteHits: after.remoteHits - before.remoteHits, RemoteMisses: after.remoteMisses - before.remoteMisses}
}

// ccacheSummary is the build summary's line about ccache: what it served
// and why it was on, or why it was off. It is "" when the user turned it
// off, and when the counters could not be read.
func ccacheSummary(c *record.CCache, told bool) string {
	switch {
	case c == nil || (told && !c.Used):
		return ""
	case !c.Used:
		return "ccache: off — " + c.Reason
	}
	pct := 0.0
	if c.Hits+c.Misses > 0 {
		pct = 100 * float64(c.Hits) / float64(c.Hits+c.Misses)
	}
	line := fmt.Sprintf("ccache: %d hits, %d misses (%.0f%% hit rate)", c.Hits, c.Misses, pct)
	if c.RemoteHits+c.RemoteMisses > 0 {
		line += fmt.Sprintf("; remote storage: %d hits, %d misses", c.RemoteHits, c.RemoteMisses)
	}
	return line + " — on because " + c.Reason
}

// The toolchain a build needs.
//
// nginx's configure stops deep in its log when a header is missing ("the
// HTTP rewrite module requires the PCRE library"), and a missing perl
// shows only once make reaches OpenSSL, minutes into the build. So before
// anything is downloaded, the plan's needs are checked — the compiler,
// make, perl for OpenSSL, patch, git and hg, and the headers of every
// system library nginx would link — and what is missing is named with the
// package that provides it. Headers are looked for by the compiler itself
// (cc -E, with --with-cc-opt), as nginx's configure will.

// requirement is one thing a build needs from the machine: a program on
// PATH, or a header the C compiler finds.
type requirement struct {
	// What names it ("make", "the PCRE2 headers (pcre2.h)") and Why says
	// what in the build needs it.
	What, Why string
	// Tool is the program looked up on PATH.
	Tool string
	// Headers are looked for by the compiler; one of them will do.
	// Flags are what the check needs on the compiler's command line.
	Headers []string
	Flags   []string
	// Package is the Debian/Ubuntu package that provides it.
	Package string
	// Instead says how to build without it ("" when there is no way).
	Instead string
}

// ToolchainError is a machine that lacks what the build needs. It is an
// environment problem (exit 1): the command line is fine.
type ToolchainError struct {
	Missing []requirement
	// Apt is set when apt-get is on PATH: the packages are named as its
	// command line.
	Apt bool
}

func (e *ToolchainError) Error() string {
	var b strings.Builder
	b.WriteString("this machine lacks what the build needs:")
	for _, l := range e.items() {
		b.WriteString("\n  - " + l)
	}
	b.WriteString("\n  " + e.install())
	return b.String()
}

// items say what is missing, why it is needed and how to do without.
func (e *ToolchainError) items() []string {
	var out []string
	for _, r := range e.Missing {
		found := "not on PATH"
		if r.Tool == "" {
			found = "not found by the C compiler"
		}
		l := fmt.Sprintf("%s: %s; %s", r.What, found, r.Why)
		if r.Instead != "" {
			l += " (or " + r.Instead + ")"
		}
		out = append(out, l)
	}
	return out
}

// install names the packages that provide what is missing.
func (e *ToolchainError) install() string {
	var pkgs []string
	for _, r := range e.Missing {
		if !slices.Contains(pkgs, r.Package) {
			pkgs = append(pkgs, r.Package)
		}
	}
	them, packages := "them", "packages"
	if len(e.Missing) == 1 {
		them = "it"
	}
	if len(pkgs) == 1 {
		packages = "package"
	}
	if e.Apt {
		return "install " + them + " with: apt-get install " + strings.Join(pkgs, " ")
	}
	return "install " + them + " (Debian and Ubuntu " + packages + ": " + strings.Join(pkgs, " ") + ")"
}

// toolchainStage checks, before anything is downloaded, that the machine
// has what the build needs. It runs after every stage that may find
// there is nothing to build (an up-to-date build, -idempotent), which
// need no compiler; a dry run reports the same as warnings (dryRunStage).
type toolchainStage struct{}

func (toolchainStage) Name() string { return "check toolchain" }

func (toolchainStage) Run(ctx context.Context, s *State) error {
	return checkToolchain(ctx, s, os.Getenv("PATH"))
}

// warnToolchain is checkToolchain for a dry run: what is missing is a
// warning, since the dry run builds nothing.
func warnToolchain(ctx context.Context, s *State) error {
	err := checkToolchain(ctx, s, os.Getenv("PATH"))
	var te *ToolchainError
	if !errors.As(err, &te) {
		return err
	}
	for _, l := range te.items() {
		s.Env.IO.Warnf("the build would fail: %s", l)
	}
	s.Env.IO.Warnf("%s", te.install())
	return nil
}

// checkToolchain looks for what s's build needs on path (the PATH that
// configure and make will have) and returns a *ToolchainError naming
// what is missing.
func checkToolchain(ctx context.Context, s *State, path string) error {
	args, err := configure.Args(s.Resolved.Script)
	if err != nil {
		return err
	}
	cc := compilerOf(args, s.Env.CC)
	reqs := requirements(s, args, cc)
	missing := toolProbe{Path: path, CC: cc, CCOpt: ccOpt(args)}.missing(ctx, reqs)
	if len(missing) == 0 {
		return nil
	}
	return &ToolchainError{Missing: missing, Apt: lookIn(path, "apt-get") != ""}
}

// compilerOf is the compiler command configure will use: --with-cc, else
// $CC (which may carry flags: "gcc -m32"), else cc.
func compilerOf(args []string, envCC string) []string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--with-cc="); ok && strings.TrimSpace(v) != "" {
			return strings.Fields(v)
		}
	}
	if f := strings.Fields(envCC); len(f) > 0 {
		return f
	}
	return []string{"cc"}
}

// ccOpt is --with-cc-opt as words: its -I and -D reach the header checks.
func ccOpt(args []string) []string {
	var out []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--with-cc-opt="); ok {
			out = append(out, strings.Fields(v)...)
		}
	}
	return out
}

// requirements lists what the build of s needs from the machine, given
// its configure arguments and compiler.
func requirements(s *State, args, cc []string) []requirement {
	compiler := requirement{What: "a C compiler (" + cc[0] + ")", Why: "nginx is compiled with it", Tool: cc[0], Package: "build-essential"}
	if strings.Contains(filepath.Base(cc[0]), "clang") {
		compiler.Package = "clang"
	}
	switch {
	case slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--with-cc=") }):
		compiler.Instead = "name one you have with --with-cc"
	case s.Env.CC != "":
		compiler.Instead = "set CC to one you have"
	}
	reqs := []requirement{compiler}
	if !s.Plan.ConfigureOnly {
		reqs = append(reqs, requirement{What: "make", Why: "it runs the build", Tool: "make", Package: "build-essential"})
	}
	reqs = append(reqs, programNeeds(s)...)
	return append(reqs, libraryNeeds(s.Resolved.Server(), confArgs(args))...)
}

// programNeeds are the programs the plan's parts need beyond the compiler.
func programNeeds(s *State) []requirement {
	var reqs []requirement
	server := s.Resolved.Server()
	if server.Name == "openresty" {
		reqs = append(reqs, requirement{What: "perl", Why: "OpenResty's configure is a perl script", Tool: "perl", Package: "perl"})
	} else if !s.Plan.ConfigureOnly && slices.ContainsFunc(s.Plan.Libraries, func(c plan.Component) bool { return c.Name == "openssl" }) {
		reqs = append(reqs, requirement{What: "perl", Why: "OpenSSL's build (-openssl) is configured by a perl script", Tool: "perl", Package: "perl",
			Instead: "leave out -openssl to link the system's OpenSSL"})
	}
	if len(s.Plan.Patches) > 0 {
		reqs = append(reqs, requirement{What: "patch", Why: "-patch applies patches with it", Tool: "patch", Package: "patch"})
	}
	for _, m := range s.Plan.Trees() {
		switch m.Form {
		case module3rd.FormGit:
			reqs = append(reqs, requirement{What: "git", Why: m.Name + " comes from a git repository", Tool: "git", Package: "git"})
		case module3rd.FormHg:
			reqs = append(reqs, requirement{What: "hg (Mercurial)", Why: m.Name + " comes from a Mercurial repository", Tool: "hg", Package: "mercurial"})
		}
	}
	return reqs
}

// confArgs answers questions about configure arguments.
type confArgs []string

func (a confArgs) has(arg string) bool { return slices.Contains(a, arg) }

// enabled reports whether a module is asked for, built in or dynamic.
func (a confArgs) enabled(arg string) bool { return a.has(arg) || a.has(arg+"=dynamic") }

// embeds reports whether lib (openssl, pcre, zlib) is built from a source
// tree (--with-openssl=DIR): then its headers are that tree's.
func (a confArgs) embeds(lib string) bool {
	return slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "--with-"+lib+"=") })
}

// libraryNeeds are the headers of the system libraries nginx's configure
// will look for with these arguments (nginx's auto/modules and
// auto/lib/conf decide the same way). A library built from a source tree
// needs none.
func libraryNeeds(server pin.Component, a confArgs) []requirement {
	var reqs []requirement
	http := !a.has("--without-http")
	if r, ok := pcreNeed(server, a, http); ok {
		reqs = append(reqs, r)
	}
	if !a.embeds("zlib") && http && (!a.has("--without-http_gzip_module") || a.enabled("--with-http_gunzip_module")) {
		why := "nginx's gzip module needs zlib"
		if a.has("--without-http_gzip_module") {
			why = "--with-http_gunzip_module needs zlib"
		}
		reqs = append(reqs, requirement{What: "the zlib headers (zlib.h)", Why: why, Headers: []string{"zlib.h"}, Package: "zlib1g-dev",
			Instead: "-zlib builds zlib into nginx, or --without-http_gzip_module leaves out the module that needs it"})
	}
	if why := sslUser(server, a, http); why != "" && !a.embeds("openssl") {
		reqs = append(reqs, requirement{What: "the OpenSSL headers (openssl/ssl.h)", Why: why + " needs OpenSSL", Headers: []string{"openssl/ssl.h"}, Package: "libssl-dev",
			Instead: "-openssl or -libressl builds one into nginx"})
	}
	for _, m := range []struct {
		arg, what, header, pkg string
		flags                  []string
	}{
		// nginx's configure adds libxml2's include dir itself.
		{"--with-http_xslt_module", "the libxslt headers (libxslt/xslt.h)", "libxslt/xslt.h", "libxslt1-dev",
			[]string{"-idirafter", "/usr/include/libxml2", "-idirafter", "/usr/local/include/libxml2"}},
		{"--with-http_image_filter_module", "the GD headers (gd.h)", "gd.h", "libgd-dev", nil},
		{"--with-http_geoip_module", "the GeoIP headers (GeoIP.h)", "GeoIP.h", "libgeoip-dev", nil},
		{"--with-stream_geoip_module", "the GeoIP headers (GeoIP.h)", "GeoIP.h", "libgeoip-dev", nil},
	} {
		if a.enabled(m.arg) && (http || strings.HasPrefix(m.arg, "--with-stream")) {
			reqs = append(reqs, requirement{What: m.what, Why: m.arg + " needs it", Headers: []string{m.header}, Flags: m.flags, Package: m.pkg})
		}
	}
	return reqs
}

// pcreNeed is PCRE's headers when nginx will look for a system PCRE: for
// the rewrite module (unless --without-pcre) or --with-pcre. nginx before
// 1.21.5 (OpenResty before 1.21.5.1) takes only the old PCRE; later ones
// PCRE2 or, failing that, the old one.
func pcreNeed(server pin.Component, a confArgs, http bool) (requirement, bool) {
	rewrite := http && !a.has("--without-http_rewrite_module") && !a.has("--without-pcre")
	if a.embeds("pcre") || !(rewrite || a.has("--with-pcre")) {
		return requirement{}, false
	}
	why := "nginx's rewrite module needs PCRE"
	if !rewrite {
		why = "--with-pcre asks for PCRE"
	}
	instead := "-pcre builds PCRE2 into nginx, or --without-http_rewrite_module leaves out the module that needs it"
	oldOnly := a.has("--without-pcre2") || ((server.Name == "nginx" || server.Name == "openresty") && server.CustomURL == "" &&
		source.ValidVersion(server.Version) && source.CompareVersions(server.Version, "1.21.5") < 0)
	if oldOnly {
		return requirement{What: "the PCRE headers (pcre.h)", Why: why, Headers: []string{"pcre.h"}, Package: "libpcre3-dev", Instead: instead}, true
	}
	return requirement{What: "the PCRE2 headers (pcre2.h)", Why: why, Headers: []string{"pcre2.h", "pcre.h"},
		Flags: []string{"-DPCRE2_CODE_UNIT_WIDTH=8"}, Package: "libpcre2-dev", Instead: instead}, true
}

// sslUser is the configure argument that makes nginx link OpenSSL ("" for
// none). OpenResty builds the SSL module unless told not to.
func sslUser(server pin.Component, a confArgs, http bool) string {
	switch {
	case http && a.has("--with-http_ssl_module"):
		return "--with-http_ssl_module"
	case http && a.has("--with-http_v3_module"):
		return "--with-http_v3_module"
	case a.enabled("--with-stream") && a.has("--with-stream_ssl_module"):
		return "--with-stream_ssl_module"
	case a.enabled("--with-mail") && a.has("--with-mail_ssl_module"):
		return "--with-mail_ssl_module"
	case server.Name == "openresty" && http && !a.has("--without-http_ssl_module"):
		return "OpenResty's SSL module"
	}
	return ""
}

// toolProbe looks for programs on Path and for headers with the compiler.
type toolProbe struct {
	Path  string
	CC    []string
	CCOpt []string
}

// headerDirs are where nginx's configure also looks for libraries'
// headers (FreeBSD's ports, NetBSD's pkgsrc, MacPorts).
func headerDirs() []string {
	return []string{"-idirafter", "/usr/local/include", "-idirafter", "/usr/pkg/include", "-idirafter", "/opt/local/include"}
}

// missing is the requirements that are not met. Headers are not looked
// for without a compiler: that is the one missing then.
func (p toolProbe) missing(ctx context.Context, reqs []requirement) []requirement {
	var out []requirement
	cc := lookIn(p.Path, p.CC[0])
	var headers, flags []string
	for _, r := range reqs {
		headers, flags = append(headers, r.Headers...), append(flags, r.Flags...)
	}
	var found map[string]bool
	if cc != "" && len(headers) > 0 {
		found = p.findHeaders(ctx, cc, headers, flags)
	}
	for _, r := range reqs {
		switch {
		case r.Tool != "":
			if lookIn(p.Path, r.Tool) == "" && !slices.ContainsFunc(out, func(o requirement) bool { return o.Tool == r.Tool }) {
				out = append(out, r)
			}
		case found != nil && !slices.ContainsFunc(r.Headers, func(h string) bool { return found[h] }):
			out = append(out, r)
		}
	}
	return out
}

// findHeaders asks the compiler which headers it finds, all in one run
// of its preprocessor (__has_include), or one run per header for a
// compiler without __has_include. nil means it could not tell: the
// verdict is then configure's.
func (p toolProbe) findHeaders(ctx context.Context, cc string, headers, flags []string) map[string]bool {
	var src strings.Builder
	src.WriteString("#if defined(__has_include)\n")
	for i, h := range headers {
		fmt.Fprintf(&src, "#if __has_include(<%s>)\nnginx_build_has_header %d\n#endif\n", h, i)
	}
	src.WriteString("#else\nnginx_build_no_has_include\n#endif\n")
	out, err := p.preprocess(ctx, cc, flags, src.String())
	if err != nil {
		return nil
	}
	if !strings.Contains(out, "nginx_build_no_has_include") {
		found := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(l, "nginx_build_has_header "); ok {
				if i, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil && i < len(headers) {
					found[headers[i]] = true
				}
			}
		}
		return found
	}
	found := map[string]bool{}
	for _, h := range headers {
		out, err := p.preprocess(ctx, cc, flags, "#include <"+h+">\n")
		// Only a header it says it cannot find counts as missing.
		found[h] = err == nil || !headerNotFound(out, h)
	}
	return found
}

// preprocess runs the compiler's preprocessor on src, with
// --with-cc-opt, flags and the places nginx's configure also looks in.
func (p toolProbe) preprocess(ctx context.Context, cc string, flags []string, src string) (string, error) {
	args := append(append(append(append(slices.Clone(p.CC[1:]), p.CCOpt...), flags...), headerDirs()...), "-E", "-x", "c", "-")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := proc.Command(ctx, cc, args...)
	cmd.Stdin = strings.NewReader(src)
	cmd.Env = append(os.Environ(), "PATH="+p.Path, "LC_ALL=C")
	out, err := proc.CombinedOutput(cmd)
	return string(out), err
}

// headerNotFound reports whether a compiler's output says it cannot find
// header: gcc's "pcre2.h: No such file or directory", clang's "'pcre2.h'
// file not found".
func headerNotFound(out, header string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, header) && (strings.Contains(l, "No such file or directory") || strings.Contains(l, "file not found")) {
			return true
		}
	}
	return false
}

// lookIn finds a program as a shell would on path ("" when it is not
// there). A name with a slash is taken as a path.
func lookIn(path, name string) string {
	if strings.Contains(name, "/") {
		if isExecutable(name) {
			return name
		}
		return ""
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue // the current directory: not where configure looks
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
