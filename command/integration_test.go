package command

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/proctest"
	"github.com/nginx-build/nginx-build/internal/testmirror"
)

type result struct {
	code     int
	out, err string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	return runCtx(t, context.Background(), args...)
}

func runCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := RunWith(ctx, cliFor(t).factory(iostreams.New(&out, &errb)), args)
	return result{code, out.String(), errb.String()}
}

// fixture is a synthetic mirror with nginx and all three libraries, and a
// fresh cache and work dir.
type fixture struct {
	m     *testmirror.Mirror
	work  string
	cache string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{m: testmirror.New(t), work: filepath.Join(t.TempDir(), "work"), cache: t.TempDir()}
	setenv(t, "NGINX_BUILD_CACHE", f.cache)
	setenv(t, "NGINX_BUILD_MIRROR", "")
	f.m.AddNginx(t, "nginx", "1.30.1")
	f.m.AddNginx(t, "nginx", "1.31.0")
	f.m.AddLibrary(t, "pcre2", "pcre2-10.42.tar.gz", "pcre2-10.42")
	sum := f.m.AddLibrary(t, "openssl", "openssl-3.0.20.tar.gz", "openssl-3.0.20")
	f.m.PublishSHA256(t, "openssl", "openssl-3.0.20.tar.gz", sum)
	// Debian's zlib repack has another top-level dir name; it must be renamed.
	f.m.Add(t, "zlib", "zlib-1.2.13.tar.xz", []testmirror.Entry{
		{Name: "zlib-1.2.13.dfsg/", Type: tar.TypeDir},
		{Name: "zlib-1.2.13.dfsg/zlib.h", Body: "/* zlib */\n"},
	})
	return f
}

func (f *fixture) args(extra ...string) []string {
	return append([]string{"-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1"}, extra...)
}

func (f *fixture) src() string { return filepath.Join(f.work, "nginx", "1.30.1", "nginx-1.30.1") }

func (f *fixture) configureArgs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.src(), "configure.args"))
	if err != nil {
		t.Fatalf("configure did not run: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func TestBuildWholePipeline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := run(t, f.args("-openssl", "-opensslversion", "3.0.20", "-pcre", "-pcreversion", "10.42",
		"-zlib", "-zlibversion", "1.2.13", "--", "--with-http_v2_module", "--with-cc-opt=-O2 -g")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	want := []string{
		"--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--with-zlib=../zlib-1.2.13",
		"--with-http_ssl_module", "--with-http_v2_module", "--with-cc-opt=-O2 -g",
	}
	if got := f.configureArgs(t); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("configure got args\n%q\nwant\n%q", got, want)
	}
	bin := filepath.Join(f.src(), "objs", "nginx")
	if strings.TrimSpace(r.out) != bin {
		t.Errorf("stdout = %q, want the binary path %s", r.out, bin)
	}
	mustContain(t, "stderr", r.err, "nginx version: nginx/1.30.1", "sudo make -C "+f.src()+" install", "verified openssl 3.0.20: sha256 published at")
	for _, p := range []string{"nginx-configure", "nginx-configure.log", "nginx-build.log", "../zlib-1.2.13/zlib.h", "../openssl-3.0.20/README"} {
		if _, err := os.Stat(filepath.Join(f.src(), p)); err != nil {
			t.Errorf("work dir layout: %v", err)
		}
	}
	script, _ := os.ReadFile(filepath.Join(f.src(), "nginx-configure"))
	mustContain(t, "nginx-configure", string(script), "'--with-cc-opt=-O2 -g'")
}

func TestRerunIsNoOpAndChangesRebuild(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	args := f.args("-pcre", "-pcreversion", "10.42")
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("first build: exit %d\n%s", r.code, r.err)
	}
	before := f.m.TarballRequests()
	start := time.Now()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("no-op rerun took %s", d)
	}
	mustContain(t, "rerun stderr", r.err, "up to date")
	if f.m.TarballRequests() != before {
		t.Errorf("rerun downloaded again")
	}
	if strings.Contains(r.err, "configuring") {
		t.Errorf("rerun configured again:\n%s", r.err)
	}

	// The Go-flag spelling of the same build is the same build.
	r = run(t, "--workdir="+f.work, "--mirror="+f.m.URL, "--nginxversion=1.30.1", "--pcre", "--pcreversion=10.42")
	mustContain(t, "double-dash rerun", r.err, "up to date")

	// Any change of inputs rebuilds, from the cache (no new download).
	r = run(t, append(args, "--", "--with-debug")...)
	if r.code != 0 {
		t.Fatalf("changed build: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "changed build", r.err, "configuring")
	if got := f.configureArgs(t); got[len(got)-1] != "--with-debug" {
		t.Errorf("changed build did not pass --with-debug: %q", got)
	}
	if f.m.TarballRequests() != before {
		t.Errorf("changed build downloaded again instead of using the cache")
	}
}

func TestSingleAndDoubleDashFlagsAreEquivalent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := run(t, "-d", f.work, "-mirror", f.m.URL, "-v=1.30.1", "-zlib", "-zlibversion", "1.2.13", "-j", "1", "-verbose")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "verbose output", r.err, "checking for OS ... synthetic")
	r = run(t, "--d", f.work, "--mirror", f.m.URL, "--v", "1.30.1", "--zlib", "--zlibversion=1.2.13")
	mustContain(t, "double dash", r.err, "up to date")
}

func TestChecksumMismatchIsFatalAndLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.m.PublishSHA256(t, "pcre2", "pcre2-10.42.tar.gz", strings.Repeat("0", 64))
	r := run(t, f.args("-pcre", "-pcreversion", "10.42")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "pcre2 10.42", "sha256 mismatch", "want "+strings.Repeat("0", 64))
	filepath.WalkDir(f.cache, func(p string, d os.DirEntry, err error) error {
		if d != nil && !d.IsDir() && strings.Contains(p, "pcre2") && d.Name() != ".lock" {
			t.Errorf("bad tarball left in cache: %s", p)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(f.work, "nginx", "1.30.1", "pcre2-10.42")); err == nil {
		t.Errorf("a tarball that failed verification was extracted")
	}
}

func TestUnsafeTarballIsRejected(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.m.Add(t, "zlib", "zlib-1.3.2.tar.gz", []testmirror.Entry{
		{Name: "zlib-1.3.2/", Type: tar.TypeDir},
		{Name: "zlib-1.3.2/../../../evil", Body: "x"},
	})
	r := run(t, f.args("-zlib", "-zlibversion", "1.3.2")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "zlib-1.3.2/../../../evil", "removed it from the cache")
	if _, err := os.Stat(filepath.Join(filepath.Dir(f.work), "evil")); err == nil {
		t.Errorf("entry escaped the work dir")
	}
	// The refused tarball does not stay in the cache marked verified.
	filepathWalk(t, f.cache, func(p string) {
		if strings.Contains(filepath.Base(p), "zlib-1.3.2.tar.gz") {
			t.Errorf("cache still holds %s", p)
		}
	})
}

func TestConfigureAndMakeFailuresShowTheLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := run(t, f.args("--", "--test-fail-configure")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	mustContain(t, "configure failure", r.err, "configure failed", "the first error is in nginx 1.30.1", "failing on purpose", filepath.Join(f.src(), "nginx-configure.log"))

	r = run(t, f.args("--", "--test-fail-make")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	// The lines around the error, not the whole log.
	mustContain(t, "make failure", r.err, "make failed", "the first error is in nginx 1.30.1", "synthetic failure", "file60.c",
		"at line 61 of "+filepath.Join(f.src(), "nginx-build.log"), "full log: "+filepath.Join(f.src(), "nginx-build.log"))
	if strings.Contains(r.err, "cc -c src/file20.c\n") {
		t.Errorf("more than the lines around the error shown")
	}
}

// A machine without PCRE2's headers: the build stops before anything is
// downloaded and names the package, where nginx's configure would have
// failed deep in its log; a dry run warns. The compiler's own include
// dirs are hidden (-nostdinc), so that only zlib.h is there.
func TestMissingHeadersAreNamedBeforeTheBuild(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	f := newFixture(t)
	inc := t.TempDir()
	if err := os.WriteFile(filepath.Join(inc, "zlib.h"), []byte("/* zlib */\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ccOpt := "--with-cc-opt=-nostdinc -I" + inc
	r := run(t, f.args("--", ccOpt)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "this machine lacks what the build needs", "the PCRE2 headers (pcre2.h): not found by the C compiler",
		"-pcre builds PCRE2 into nginx", "libpcre2-dev")
	if strings.Contains(r.err, "zlib1g-dev") || strings.Contains(r.err, "downloading") {
		t.Errorf("zlib.h is there, and nothing is to be downloaded:\n%s", r.err)
	}
	if _, err := os.Stat(f.work); err == nil {
		t.Errorf("the work dir was created before the check")
	}

	r = run(t, f.args("--dry-run", "--", ccOpt)...)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "dry run", r.err, "warning: the build would fail: the PCRE2 headers (pcre2.h): not found by the C compiler", "warning: install it with: apt-get install libpcre2-dev")

	// With -pcre the headers are PCRE2's own tree's: nothing is missing.
	r = run(t, f.args("-pcre", "-pcreversion", "10.42", "--", ccOpt)...)
	if r.code != 0 {
		t.Fatalf("-pcre: exit %d\n%s", r.code, r.err)
	}
}

func TestInterruptKillsChildProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCtx(t, ctx, f.args("--", "--test-slow-make")...) }()
	pidFile := filepath.Join(f.src(), "sleep.pid")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(pidFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("make never started: %v", <-done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(pidFile)
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("build did not stop after cancellation")
	}
	if r.code == 0 {
		t.Fatalf("cancelled build exited 0")
	}
	var pid int
	if _, err := fmtSscan(string(bytes.TrimSpace(b)), &pid); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if proctest.Alive(pid) {
		t.Errorf("make's child %d survived cancellation", pid)
	}
}

func TestConfigureOnlyAndConfigureScript(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	script := filepath.Join(t.TempDir(), "configure.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n\n# built by ops\n\n"), 0o644)
	r := run(t, f.args("-c", script, "-configureonly", "-zlib", "-zlibversion", "1.2.13")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(f.src(), "objs", "nginx")); err == nil {
		t.Errorf("-configureonly compiled")
	}
	if got := strings.Join(f.configureArgs(t), " "); got != "--prefix=/opt/nginx --with-zlib=../zlib-1.2.13" {
		t.Errorf("configure args = %s", got)
	}
	gen, _ := os.ReadFile(filepath.Join(f.src(), "nginx-configure"))
	if !strings.HasSuffix(string(gen), "--with-zlib=../zlib-1.2.13\n# built by ops\n") {
		t.Errorf("generated script:\n%s", gen)
	}
}

func TestDuplicateOptionsFailBeforeDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := run(t, f.args("-openssl", "-opensslversion", "3.0.20", "--", "--with-openssl=/usr/src/openssl")...)
	if r.code == 0 {
		t.Fatalf("conflicting --with-openssl accepted")
	}
	mustContain(t, "error", r.err, "--with-openssl")
	if n := f.m.TarballRequests(); n != 0 {
		t.Errorf("%d tarball requests before the conflict was reported", n)
	}
}

func TestPatchesAndModules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	patch := filepath.Join(dir, "fix.patch")
	os.WriteFile(patch, []byte("--- a/src/core/nginx.h\n+++ b/src/core/nginx.h\n@@ -1 +1,2 @@\n #define NGINX_VERSION \"1.30.1\"\n+#define PATCHED 1\n"), 0o644)

	// A real git repository as a module source.
	repo := filepath.Join(dir, "echo-module")
	os.MkdirAll(repo, 0o755)
	os.WriteFile(filepath.Join(repo, "config"), []byte("ngx_addon_name=echo\n"), 0o644)
	for _, c := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "init"}, {"tag", "v1"}} {
		cmd := exec.Command("git", c...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", c, err, out)
		}
	}
	local := filepath.Join(dir, "local-mod")
	os.MkdirAll(local, 0o755)
	os.WriteFile(filepath.Join(local, "config"), []byte("ngx_addon_name=local\n"), 0o644)
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[
  {"name": "echo-module", "form": "git", "url": "`+repo+`", "rev": "v1", "shprov": "touch provisioned"},
  {"name": "local-mod", "form": "local", "url": "local-mod", "dynamic": true}
]`), 0o644)

	r := run(t, f.args("-m", mods, "-patch", patch, "-patch-opt", "-p1")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	h, _ := os.ReadFile(filepath.Join(f.src(), "src/core/nginx.h"))
	mustContain(t, "patched nginx.h", string(h), "PATCHED")
	got := strings.Join(f.configureArgs(t), " ")
	mustContain(t, "configure args", got, "--add-module=../echo-module", "--add-dynamic-module="+local)
	if _, err := os.Stat(filepath.Join(f.work, "nginx", "1.30.1", "echo-module", "provisioned")); err != nil {
		t.Errorf("shprov did not run: %v", err)
	}

	// Editing the local module rebuilds.
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(filepath.Join(local, "ngx_local.c"), []byte("/* new */\n"), 0o644)
	r = run(t, f.args("-m", mods, "-patch", patch, "-patch-opt", "-p1")...)
	if strings.Contains(r.err, "up to date") {
		t.Errorf("a changed local module did not rebuild")
	}
}

func TestMirrorForms(t *testing.T) {
	t.Parallel()
	for _, form := range []string{"dir", "file"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			m := f.m.Dir
			if form == "file" {
				m = "file://" + f.m.Dir
			}
			setenv(t, "NGINX_BUILD_MIRROR", m)
			r := run(t, "-d", f.work, "-v", "1.30.1", "-zlib", "-zlibversion", "1.2.13")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.err)
			}
			if f.m.TarballRequests() != 0 {
				t.Errorf("%s mirror went over HTTP", form)
			}
		})
	}
}

func TestVersionsAndFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := run(t, "versions", "--mirror", f.m.URL)
	if r.code != 0 || r.out != "1.31.0 (mainline)\n1.30.1 (stable)\n" {
		t.Errorf("versions: exit %d, out %q, err %s", r.code, r.out, r.err)
	}
	r = run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1", "-openssl", "-opensslversion", "3.0.20", "-pcre", "-pcreversion", "10.42")
	if r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "fetch table", r.out, "openssl", "3.0.20", "sha256 published at", "pcre2", "not verified")
	if _, err := os.Stat(f.work); err == nil {
		t.Errorf("fetch created a work dir")
	}
	if n := f.m.TarballRequests(); n != 3 {
		t.Errorf("fetch made %d tarball requests, want 3", n)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	setenv(t, "NGINX_BUILD_CACHE", t.TempDir()) // never the user's cache, even when a case is not refused
	setenv(t, "NGINX_BUILD_MIRROR", "")
	badJSON := filepath.Join(dir, "modules.json")
	os.WriteFile(badJSON, []byte("[\n  {\"name\": \"x\",\n   \"form\": git}\n]"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build"}, "missing -d"},
		{[]string{"-d", dir, "-bogus"}, "unknown flag -bogus"},
		{[]string{"-d", dir, "-j", "0"}, "-j must be at least 1"},
		{[]string{"-d", dir, "-j", "many"}, `-j: "many" is not a number`},
		{[]string{"-d", dir, "--jobs=2x"}, `-j: "2x" is not a number`},
		{[]string{"-d", dir, "--mirror", ""}, "--mirror: empty"},
		{[]string{"fetch", "--mirror="}, "--mirror: empty"},
		{[]string{"-d", dir, "-openssl", "-libressl"}, "-openssl and -libressl cannot be used together"},
		{[]string{"-d", dir, "-openresty", "-freenginx"}, "-openresty and -freenginx"},
		{[]string{"-d", dir, "-c", filepath.Join(dir, "nope.sh")}, "-c " + filepath.Join(dir, "nope.sh")},
		{[]string{"-d", dir, "-m", badJSON}, badJSON + ":3:12"},
		{[]string{"-d", dir, "-v", "1.30.1;rm"}, `-v: nginx: "1.30.1;rm" is not a version or constraint: use an exact version`},
		{[]string{"-d", dir, "-patch", "zlib=x.patch"}, "zlib is not part of this build"},
		{[]string{"-d", dir, "-patch", filepath.Join(dir, "none.patch")}, "patch file"},
		{[]string{"-d", dir, "-customsslname", "x"}, "-customsslname needs -customssl"},
		{[]string{"-d", dir, "-customnginx", "/r.git", "-customnginxname", "x", "-customssl", "/s.git", "-customsslname", "X"}, "their trees would be the same x-custom directory"},
		{[]string{"-d", dir, "-customnginx", "/r.git", "-customnginxname", "customssl", "-customssl", "/s.git"}, "both \"customssl\""},
		{[]string{"-d", dir, "-customnginx", "/r.git", "-customnginxname", "1.22.1"}, "like an nginx version"},
		{[]string{"-d", dir, "--mirror", "ftp://x"}, "unsupported scheme"},
		{[]string{"-d", dir, "stray"}, `"stray"`},
		{[]string{"-d", dir, "--with-http_v2_modul"}, `go after "--"`},
		{[]string{"versions", "nosuch"}, `unknown component "nosuch"`},
	} {
		r := run(t, tc.args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %s)", tc.args, r.code, r.err)
		}
		mustContain(t, strings.Join(tc.args, " "), r.err, tc.want)
		if strings.Contains(r.err, "goroutine") || strings.Contains(r.err, "panic") {
			t.Errorf("%q: stack trace in output", tc.args)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-version"}, {"--version"}, {"version"}} {
		r := run(t, args...)
		if r.code != 0 || !strings.HasPrefix(r.out, "nginx-build "+Version) {
			t.Errorf("%v: exit %d, out %q", args, r.code, r.out)
		}
	}
	r := run(t, "-help")
	if r.code != 0 {
		t.Errorf("-help exit %d", r.code)
	}
	mustContain(t, "help", r.out, "-opensslversion", "nginx-build -d work")
	r = run(t, "completion", "bash")
	if r.code != 0 || !strings.Contains(r.out, "bash completion") {
		t.Errorf("completion bash: exit %d", r.code)
	}
}

func TestAlternativeServerAndSSL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.m.AddNginx(t, "freenginx", "1.29.3")
	f.m.AddLibrary(t, "libressl", "libressl-4.3.0.tar.gz", "libressl-4.3.0")
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-freenginx", "-freenginxversion", "1.29.3", "-libressl", "-libresslversion", "4.3.0")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	src := filepath.Join(f.work, "freenginx", "1.29.3", "freenginx-1.29.3")
	b, err := os.ReadFile(filepath.Join(src, "configure.args"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "--with-openssl=../libressl-4.3.0 --with-http_ssl_module" {
		t.Errorf("configure args %q", got)
	}
	mustContain(t, "output", r.err, "freenginx/1.29.3")
}

func TestInstallAndDestDir(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	prefix := filepath.Join(t.TempDir(), "prefix")
	stage := filepath.Join(t.TempDir(), "stage")
	r := run(t, f.args("--destdir", stage, "--", "--prefix="+prefix)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	staged := filepath.Join(stage, prefix, "sbin", "nginx")
	mustContain(t, "stderr", r.err, "installed "+staged)
	if _, err := os.Stat(staged); err != nil {
		t.Errorf("--destdir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(prefix, "sbin", "nginx")); err == nil {
		t.Errorf("--destdir installed into the live prefix")
	}
	// An up-to-date build is installed too (a changed --sbin-path is a
	// new build; the same flags again are not).
	r = run(t, f.args("--install", "--", "--prefix="+prefix)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	mustContain(t, "stderr", r.err, "up to date", "installed "+filepath.Join(prefix, "sbin", "nginx"))
	// --dry-run installs nothing.
	os.RemoveAll(prefix)
	if r = run(t, f.args("--install", "--dry-run", "--", "--prefix="+prefix)...); r.code != 0 {
		t.Fatalf("dry run: exit %d: %s", r.code, r.err)
	}
	if _, err := os.Stat(prefix); err == nil {
		t.Errorf("--dry-run installed")
	}
}

// A build that succeeded is reported, binary path on stdout, even when
// installing it then fails; so is an up-to-date one.
func TestFailedInstallStillReportsTheBuild(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	blocker := filepath.Join(t.TempDir(), "blocker")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	args := f.args("--install", "--", "--prefix="+filepath.Join(blocker, "prefix"))
	bin := filepath.Join(f.src(), "objs", "nginx")
	for _, run1 := range []string{"built now", "up to date"} {
		r := run(t, args...)
		if r.code != 1 {
			t.Fatalf("%s: exit %d, want 1 (make install cannot create its dirs)\n%s", run1, r.code, r.err)
		}
		if strings.TrimSpace(r.out) != bin {
			t.Errorf("%s: stdout = %q, want the binary %s", run1, r.out, bin)
		}
		mustContain(t, run1+": stderr", r.err, "make install failed")
		if run1 == "built now" {
			mustContain(t, "stderr", r.err, "built "+bin, "nginx version: nginx/1.30.1")
		}
	}
}

func TestIdempotentComparesTheInstalledNginx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	prefix := filepath.Join(t.TempDir(), "prefix")
	if r := run(t, f.args("--install", "--", "--prefix="+prefix, "--with-http_v2_module")...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	f.work = filepath.Join(t.TempDir(), "work2")
	r := run(t, f.args("-idempotent", "--", "--prefix="+prefix, "--with-http_v2_module")...)
	mustContain(t, "unchanged", r.err, "is already nginx 1.30.1", "nothing to do")
	if _, err := os.Stat(f.src()); err == nil {
		t.Errorf("-idempotent skipped, yet sources were unpacked")
	}
	r = run(t, f.args("-idempotent", "-pcre", "-pcreversion", "10.42", "--", "--prefix="+prefix)...)
	mustContain(t, "changed", r.err, "differs from the requested build",
		"pcre: installed the system library, requested static pcre2-10.42",
		"configure arguments: removed --with-http_v2_module")
	if _, err := os.Stat(filepath.Join(f.src(), "objs", "nginx")); err != nil {
		t.Errorf("changed build not built: %v", err)
	}
	// $NGINX_BIN names the nginx to compare with.
	setenv(t, "NGINX_BIN", filepath.Join(t.TempDir(), "none"))
	f.work = filepath.Join(t.TempDir(), "work3")
	r = run(t, f.args("-idempotent", "-pcre", "-pcreversion", "10.42", "--", "--prefix="+prefix)...)
	mustContain(t, "NGINX_BIN", r.err, "no working nginx at "+getenv(t, "NGINX_BIN"))
}

// -idempotent with nothing to do leaves no trace, as nginx-build's does:
// no work dir and no lockfile, only what the download cache holds. A run
// that does build creates the work dir as before.
func TestIdempotentNothingToDoCreatesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	prefix := filepath.Join(t.TempDir(), "prefix")
	if r := run(t, f.args("--install", "--", "--prefix="+prefix)...); r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, r.err)
	}
	built := f.src()
	cwd := t.TempDir()
	chdir(t, cwd)
	// -clear, with nothing to do, removes nothing either.
	if r := run(t, f.args("-idempotent", "-clear", "--", "--prefix="+prefix)...); r.code != 0 || strings.Contains(r.err, "removing") {
		t.Errorf("-idempotent -clear, unchanged: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(built, "objs", "nginx")); err != nil {
		t.Errorf("-idempotent -clear with nothing to do removed the build: %v", err)
	}
	f.work = filepath.Join(t.TempDir(), "work2")

	r := run(t, f.args("-idempotent", "--", "--prefix="+prefix)...)
	if r.code != 0 {
		t.Fatalf("unchanged: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "unchanged", r.err, "nothing to do")
	if _, err := os.Stat(f.work); !os.IsNotExist(err) {
		t.Errorf("-idempotent had nothing to do, yet -d %s exists (%v)", f.work, err)
	}
	if left, _ := os.ReadDir(cwd); len(left) != 0 {
		t.Errorf("-idempotent had nothing to do, yet it left %v in the current directory", left)
	}

	r = run(t, f.args("-idempotent", "--", "--prefix="+prefix, "--with-http_v2_module")...)
	if r.code != 0 {
		t.Fatalf("changed: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "changed", r.err, "differs from the requested build")
	if _, err := os.Stat(filepath.Join(f.src(), "objs", "nginx")); err != nil {
		t.Errorf("changed build not built in -d: %v", err)
	}
}

func TestInstallUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", dir, "--sudo"}, "--sudo goes with --install"},
		{[]string{"-d", dir, "--install", "--sudo", "--destdir", dir}, "--sudo and --destdir cannot be used together"},
		{[]string{"-d", dir, "--install", "-configureonly"}, "--install and -configureonly"},
	} {
		r := run(t, tc.args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %s)", tc.args, r.code, r.err)
		}
		mustContain(t, strings.Join(tc.args, " "), r.err, tc.want)
	}
}
