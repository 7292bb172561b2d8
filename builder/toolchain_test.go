package builder

import (
	"cmp"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/plan"
)

func TestInstallPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "/usr/local/nginx/sbin/nginx"},
		{[]string{"--prefix=/opt/nginx"}, "/opt/nginx/sbin/nginx"},
		{[]string{"--prefix=/opt/nginx", "--sbin-path=bin/nginx"}, "/opt/nginx/bin/nginx"},
		{[]string{"--prefix=/opt/nginx", "--sbin-path=/usr/sbin/nginx"}, "/usr/sbin/nginx"},
		{[]string{"--sbin-path=sbin/ngx"}, "/usr/local/nginx/sbin/ngx"},
	}
	for _, tt := range tests {
		if got := installPath(tt.args); got != tt.want {
			t.Errorf("installPath(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}

// toolchainState is a State whose build dir exists and holds a script.
func toolchainState(t *testing.T, script string, mode plan.CCacheMode) *State {
	t.Helper()
	p := &plan.Plan{WorkDir: t.TempDir(), Server: plan.Component{Name: "nginx", Constraint: "1.22.1"}, CCache: mode}
	r := resolved(p)
	r.Script = script
	if err := os.MkdirAll(r.SourceDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	return &State{Plan: p, Resolved: r}
}

func envValue(env []string, key string) (string, bool) {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, key+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestToolchainWrapperMapsTheBuildDir(t *testing.T) {
	t.Parallel()
	s := toolchainState(t, "./configure --with-http_v2_module\n", plan.CCacheOff)
	stamp := time.Date(2022, 10, 19, 8, 2, 20, 0, time.UTC)
	nginxH := filepath.Join(s.sourceDir(), "src", "core", "nginx.h")
	os.MkdirAll(filepath.Dir(nginxH), 0o755)
	os.WriteFile(nginxH, []byte("#define NGINX_VERSION \"1.22.1\"\n"), 0o644)
	os.Chtimes(nginxH, stamp, stamp)

	tc, err := setupToolchain(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if tc.CCache != "" {
		t.Errorf("ccache used although off: %s", tc.CCache)
	}
	if v, _ := envValue(tc.Env, "SOURCE_DATE_EPOCH"); v != "1666166540" {
		t.Errorf("SOURCE_DATE_EPOCH = %q, want the release time of nginx.h (1666166540)", v)
	}
	cc, ok := envValue(tc.Env, "CC")
	if !ok {
		t.Fatalf("no CC in %q", tc.Env)
	}
	b, err := os.ReadFile(cc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "-ffile-prefix-map=" + s.buildDir() + "=."; !strings.Contains(string(b), want) {
		t.Errorf("wrapper does not map the build dir (%s):\n%s", want, b)
	}
	if _, err := exec.LookPath("cc"); err == nil {
		// The wrapper is a working compiler: what configure probes first.
		out, err := exec.Command(cc, "--version").CombinedOutput()
		if err != nil {
			t.Errorf("wrapper --version: %v\n%s", err, out)
		}
	}
}

func TestToolchainRespectsUserChoices(t *testing.T) {
	s := toolchainState(t, "./configure --with-cc=/usr/bin/clang\n", plan.CCacheAuto)
	s.Env.SourceDateEpoch = "42"
	tc, err := setupToolchain(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := envValue(tc.Env, "CC"); ok {
		t.Errorf("--with-cc given, but CC is still set: %q", tc.Env)
	}
	if _, ok := envValue(tc.Env, "SOURCE_DATE_EPOCH"); ok {
		t.Errorf("the user's SOURCE_DATE_EPOCH must be left alone: %q", tc.Env)
	}

	t.Setenv("PATH", t.TempDir()) // no ccache anywhere
	s = toolchainState(t, "./configure\n", plan.CCacheOn)
	if _, err := setupToolchain(context.Background(), s); err == nil || !strings.Contains(err.Error(), "ccache is not on PATH") {
		t.Errorf("--ccache without ccache: error %v", err)
	}
	s = toolchainState(t, "./configure\n", plan.CCacheAuto)
	if tc, err := setupToolchain(context.Background(), s); err != nil || tc.CCache != "" {
		t.Errorf("auto without ccache: %v, ccache %q", err, tc.CCache)
	}
}

// needsState is a State for checking the needs of a build of server
// configured with script's options.
func needsState(t *testing.T, server, version, script string, change func(p *plan.Plan)) *State {
	t.Helper()
	p := &plan.Plan{WorkDir: t.TempDir(), Server: plan.Component{Name: server, Constraint: version}}
	if change != nil {
		change(p)
	}
	r := resolved(p)
	r.Script = "#!/bin/sh\n./configure " + script + "\n"
	return &State{Plan: p, Resolved: r}
}

func TestRequirements(t *testing.T) {
	t.Parallel()
	const (
		cc    = "a C compiler (cc) [build-essential]"
		mk    = "make [build-essential]"
		pcre2 = "the PCRE2 headers (pcre2.h) [libpcre2-dev]"
		pcre1 = "the PCRE headers (pcre.h) [libpcre3-dev]"
		zlib  = "the zlib headers (zlib.h) [zlib1g-dev]"
		ssl   = "the OpenSSL headers (openssl/ssl.h) [libssl-dev]"
		perl  = "perl [perl]"
	)
	embedAll := "--with-pcre=../pcre2-10.42 --with-zlib=../zlib-1.3.2 --with-openssl=../openssl-3.0.20"
	tests := []struct {
		name    string
		server  string // nginx 1.30.1 when empty
		version string
		script  string
		envCC   string
		change  func(p *plan.Plan)
		want    []string
	}{
		{name: "defaults link the system's PCRE2 and zlib", want: []string{cc, mk, pcre2, zlib}},
		{name: "without rewrite and gzip", script: "--without-http_rewrite_module --without-http_gzip_module", want: []string{cc, mk}},
		{name: "without http", script: "--without-http --with-stream", want: []string{cc, mk}},
		{name: "--without-pcre leaves the error to configure", script: "--without-pcre --without-http_gzip_module", want: []string{cc, mk}},
		{name: "--with-pcre without rewrite", script: "--without-http_rewrite_module --with-pcre --without-http_gzip_module", want: []string{cc, mk, pcre2}},
		{name: "gunzip needs zlib without gzip", script: "--without-http_rewrite_module --without-http_gzip_module --with-http_gunzip_module", want: []string{cc, mk, zlib}},
		{name: "http ssl", script: "--with-http_ssl_module", want: []string{cc, mk, pcre2, zlib, ssl}},
		{name: "http v3", script: "--with-http_v3_module", want: []string{cc, mk, pcre2, zlib, ssl}},
		{name: "stream ssl without stream", script: "--with-stream_ssl_module", want: []string{cc, mk, pcre2, zlib}},
		{name: "dynamic stream ssl", script: "--with-stream=dynamic --with-stream_ssl_module", want: []string{cc, mk, pcre2, zlib, ssl}},
		{name: "mail ssl", script: "--with-mail --with-mail_ssl_module --without-http", want: []string{cc, mk, ssl}},
		{name: "http v2 needs no ssl library", script: "--with-http_v2_module", want: []string{cc, mk, pcre2, zlib}},
		{
			name: "embedded libraries need no headers, OpenSSL needs perl", script: embedAll + " --with-http_ssl_module",
			change: func(p *plan.Plan) {
				p.Libraries = []plan.Component{{Name: "pcre2", Constraint: "10.42"}, {Name: "openssl", Constraint: "3.0.20"}, {Name: "zlib", Constraint: "1.3.2"}}
			},
			want: []string{cc, mk, perl},
		},
		{
			name: "LibreSSL needs no perl", script: "--with-openssl=../libressl-4.3.2 --with-http_ssl_module --without-http_rewrite_module --without-http_gzip_module",
			change: func(p *plan.Plan) { p.Libraries = []plan.Component{{Name: "libressl", Constraint: "4.3.2"}} },
			want:   []string{cc, mk},
		},
		{
			name: "-configureonly needs no make and no perl yet", script: embedAll,
			change: func(p *plan.Plan) {
				p.ConfigureOnly = true
				p.Libraries = []plan.Component{{Name: "openssl", Constraint: "3.0.20"}}
			},
			want: []string{cc},
		},
		{name: "nginx before 1.21.5 takes only the old PCRE", version: "1.20.2", want: []string{cc, mk, pcre1, zlib}},
		{name: "--without-pcre2", script: "--without-pcre2", want: []string{cc, mk, pcre1, zlib}},
		{name: "OpenResty: perl, and SSL by default", server: "openresty", version: "1.21.4.1", want: []string{cc, mk, perl, pcre1, zlib, ssl}},
		{name: "OpenResty without SSL", server: "openresty", version: "1.27.1.2", script: "--without-http_ssl_module", want: []string{cc, mk, perl, pcre2, zlib}},
		{
			name: "patches, git and hg", script: "--without-http_rewrite_module --without-http_gzip_module",
			change: func(p *plan.Plan) {
				p.Patches = []plan.Patch{{Target: "nginx", Path: "/p.diff"}}
				p.Modules = []module3rd.Module{{Name: "echo", Form: module3rd.FormGit}, {Name: "hgmod", Form: module3rd.FormHg}, {Name: "mine", Form: module3rd.FormLocal}}
			},
			want: []string{cc, mk, "patch [patch]", "git [git]", "hg (Mercurial) [mercurial]"},
		},
		{name: "--with-cc", script: "--with-cc=/usr/bin/clang-16 --without-http", want: []string{"a C compiler (/usr/bin/clang-16) [clang]", mk}},
		{name: "$CC with flags", script: "--without-http", envCC: "gcc -m32", want: []string{"a C compiler (gcc) [build-essential]", mk}},
		{
			name: "nginx's modules with system libraries", script: "--without-http_rewrite_module --without-http_gzip_module --with-http_xslt_module=dynamic --with-http_image_filter_module --with-stream --with-stream_geoip_module",
			want: []string{cc, mk, "the libxslt headers (libxslt/xslt.h) [libxslt1-dev]", "the GD headers (gd.h) [libgd-dev]", "the GeoIP headers (GeoIP.h) [libgeoip-dev]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server, version := cmp.Or(tt.server, "nginx"), cmp.Or(tt.version, "1.30.1")
			s := needsState(t, server, version, tt.script, tt.change)
			s.Env.CC = tt.envCC
			args, err := configure.Args(s.Resolved.Script)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range requirements(s, args, compilerOf(args, tt.envCC)) {
				got = append(got, r.What+" ["+r.Package+"]")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("requirements\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// stubTools is a PATH of one directory holding an executable stub for
// each name.
func stubTools(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		testrepo.WriteFile(t, filepath.Join(dir, n), "#!/bin/sh\nexit 0\n", 0o755)
	}
	return dir
}

func TestToolProbeFindsPrograms(t *testing.T) {
	t.Parallel()
	reqs := []requirement{
		{What: "a C compiler (cc)", Tool: "cc"}, {What: "make", Tool: "make"}, {What: "perl", Tool: "perl"},
		{What: "git", Tool: "git"}, {What: "git again", Tool: "git"},
	}
	tests := []struct {
		name string
		have []string
		cc   []string
		want []string
	}{
		{name: "all there", have: []string{"cc", "make", "perl", "git"}, want: nil},
		{name: "nothing there", want: []string{"a C compiler (cc)", "make", "perl", "git"}},
		{name: "no perl", have: []string{"cc", "make", "git"}, want: []string{"perl"}},
		{name: "a file that is not executable does not count", have: []string{"cc", "make", "git"}, want: []string{"perl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := stubTools(t, tt.have...)
			if tt.name == "a file that is not executable does not count" {
				testrepo.WriteFile(t, filepath.Join(path, "perl"), "#!/bin/sh\n", 0o644)
			}
			var got []string
			for _, r := range (toolProbe{Path: path, CC: []string{"cc"}}).missing(context.Background(), reqs) {
				got = append(got, r.What)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("missing %q, want %q", got, tt.want)
			}
		})
	}
}

// TestToolProbeFindsHeaders asks a real compiler for headers in an
// include dir given by --with-cc-opt, with and without __has_include.
func TestToolProbeFindsHeaders(t *testing.T) {
	t.Parallel()
	realCC, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	inc := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(inc, "nb_present.h"), "#define NB_PRESENT 1\n", 0o644)
	testrepo.WriteFile(t, filepath.Join(inc, "nb_sub", "deep.h"), "#define NB_DEEP 1\n", 0o644)
	reqs := []requirement{
		{What: "present", Headers: []string{"nb_present.h"}},
		{What: "missing", Headers: []string{"nb_missing.h"}},
		{What: "one of two", Headers: []string{"nb_missing.h", "nb_sub/deep.h"}},
		{What: "needs a flag", Headers: []string{"deep.h"}, Flags: []string{"-I" + filepath.Join(inc, "nb_sub")}},
	}
	// A compiler without __has_include: the stub says so, then answers
	// #include as a preprocessor does.
	old := stubTools(t)
	testrepo.WriteFile(t, filepath.Join(old, "oldcc"), `#!/bin/sh
src=$(cat)
case "$src" in *__has_include*) echo nginx_build_no_has_include; exit 0 ;; esac
printf '%s\n' "$src" | exec `+realCC+` "$@"
`, 0o755)
	for _, cc := range []string{realCC, filepath.Join(old, "oldcc")} {
		t.Run(filepath.Base(cc), func(t *testing.T) {
			t.Parallel()
			p := toolProbe{Path: os.Getenv("PATH"), CC: []string{cc}, CCOpt: []string{"-O2", "-I" + inc}}
			var got []string
			for _, r := range p.missing(context.Background(), reqs) {
				got = append(got, r.What)
			}
			if want := []string{"missing"}; !slices.Equal(got, want) {
				t.Errorf("missing %q, want %q", got, want)
			}
			// Without the include dir, nothing of it is found.
			p.CCOpt = nil
			got = nil
			for _, r := range p.missing(context.Background(), reqs) {
				got = append(got, r.What)
			}
			if want := []string{"present", "missing", "one of two"}; !slices.Equal(got, want) {
				t.Errorf("without -I: missing %q, want %q", got, want)
			}
		})
	}
}

// TestToolchainCheckNamesThePackages runs the whole check on a PATH of
// stubs and the real compiler, its system headers hidden (-nostdinc) and
// only zlib.h in the include dir: PCRE2's headers are missing, and so is
// perl for the embedded OpenSSL.
func TestToolchainCheckNamesThePackages(t *testing.T) {
	t.Parallel()
	realCC, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	inc := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(inc, "zlib.h"), "/* zlib */\n", 0o644)
	s := needsState(t, "nginx", "1.30.1", "--with-openssl=../openssl-3.0.20 --with-http_ssl_module '--with-cc-opt=-nostdinc -I"+inc+"'",
		func(p *plan.Plan) { p.Libraries = []plan.Component{{Name: "openssl", Constraint: "3.0.20"}} })
	s.Env.CC = realCC
	path := stubTools(t, "make", "apt-get")
	err = checkToolchain(context.Background(), s, path)
	var te *ToolchainError
	if !errors.As(err, &te) {
		t.Fatalf("check: %v, want a ToolchainError", err)
	}
	want := `this machine lacks what the build needs:
  - perl: not on PATH; OpenSSL's build (-openssl) is configured by a perl script (or leave out -openssl to link the system's OpenSSL)
  - the PCRE2 headers (pcre2.h): not found by the C compiler; nginx's rewrite module needs PCRE (or -pcre builds PCRE2 into nginx, or --without-http_rewrite_module leaves out the module that needs it)
  install them with: apt-get install perl libpcre2-dev`
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant\n%s", err, want)
	}

	// Without apt-get the packages are still named; with everything
	// there, nothing is missing.
	te.Apt = false
	if !strings.Contains(te.Error(), "install them (Debian and Ubuntu packages: perl libpcre2-dev)") {
		t.Errorf("without apt-get:\n%s", te.Error())
	}
	testrepo.WriteFile(t, filepath.Join(inc, "pcre2.h"), "/* pcre2 */\n", 0o644)
	testrepo.WriteFile(t, filepath.Join(path, "perl"), "#!/bin/sh\n", 0o755)
	if err := checkToolchain(context.Background(), s, path); err != nil {
		t.Errorf("with everything there: %v", err)
	}
}
