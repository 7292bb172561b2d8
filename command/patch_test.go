package command

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/plan"
)

// A patch that is already in the tree must not be silently reversed
// (patch --batch assumes -R for it): it is an error naming the patch and
// its target, with patch's own words.
func TestAlreadyAppliedPatchIsAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	// The synthetic nginx.h already is this patch's result.
	patch := filepath.Join(dir, "applied.patch")
	os.WriteFile(patch, []byte("--- a/src/core/nginx.h\n+++ b/src/core/nginx.h\n@@ -1,2 +1 @@\n #define NGINX_VERSION \"1.30.1\"\n-#define OLD 1\n"), 0o644)
	r := run(t, f.args("-patch", patch, "-patch-opt", "-p1")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "patch "+patch+" (target nginx) failed", "previously applied")
	h, _ := os.ReadFile(filepath.Join(f.src(), "src/core/nginx.h"))
	if strings.Contains(string(h), "OLD") {
		t.Errorf("the patch was reversed into the tree:\n%s", h)
	}
}

// A patch naming a file outside the tree is refused before patch runs,
// naming the patch and the line, and nothing outside the tree changes.
func TestPatchLeavingTheTreeIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	patch := filepath.Join(dir, "escape.patch")
	os.WriteFile(patch, []byte("--- /dev/null\n+++ ../../../escaped.h\n@@ -0,0 +1 @@\n+#define ESCAPED 1\n"), 0o644)
	r := run(t, f.args("-patch", patch)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "patch "+patch+" line 2:", "+++ ../../../escaped.h", "outside the source tree")
	if _, err := os.Stat(filepath.Join(f.work, "escaped.h")); err == nil {
		t.Errorf("the patch wrote outside the tree")
	}
}

// nginx-patch.log keeps every patch's output, each under a header naming
// it, not only the last one's.
func TestPatchLogKeepsEveryPatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	pdir := filepath.Join(dir, "patches")
	os.MkdirAll(pdir, 0o755)
	os.WriteFile(filepath.Join(pdir, "01-a.patch"), []byte("--- a/src/core/nginx.h\n+++ b/src/core/nginx.h\n@@ -1 +1,2 @@\n #define NGINX_VERSION \"1.30.1\"\n+#define A 1\n"), 0o644)
	os.WriteFile(filepath.Join(pdir, "02-b.patch"), []byte("--- a/src/core/b.h\n+++ b/src/core/b.h\n@@ -0,0 +1 @@\n+#define B 1\n"), 0o644)
	r := run(t, f.args("-patch", pdir, "-patch-opt", "-p1")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	b, err := os.ReadFile(filepath.Join(f.work, "nginx", "1.30.1", "nginx-patch.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	mustContain(t, "nginx-patch.log", log,
		"=== patch "+filepath.Join(pdir, "01-a.patch")+" (target nginx)", "patching file src/core/nginx.h",
		"=== patch "+filepath.Join(pdir, "02-b.patch")+" (target nginx)", "patching file src/core/b.h")
	if strings.Index(log, "01-a.patch") > strings.Index(log, "02-b.patch") {
		t.Errorf("patches logged out of order:\n%s", log)
	}
	// A rebuild starts the log afresh.
	r = run(t, f.args("-patch", pdir, "-patch-opt", "-p1", "--", "--with-debug")...)
	if r.code != 0 {
		t.Fatalf("rebuild: exit %d\n%s", r.code, r.err)
	}
	b, _ = os.ReadFile(filepath.Join(f.work, "nginx", "1.30.1", "nginx-patch.log"))
	if n := strings.Count(string(b), "=== patch"); n != 2 {
		t.Errorf("after a rebuild the log has %d patch headers, want 2:\n%s", n, b)
	}
}

// A tree checked out from git is reused across runs: it must start from
// the pristine commit each time, or a patch meets its own earlier result.
func TestPatchedGitTreeStartsFreshEachRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := filepath.Join(dir, "mynginx")
	os.MkdirAll(filepath.Join(repo, "auto"), 0o755)
	os.WriteFile(filepath.Join(repo, "auto", "configure"), []byte(testmirror.FakeConfigure("mynginx", "2.0.0")), 0o755)
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "fork")
	patch := filepath.Join(dir, "new-file.patch")
	os.WriteFile(patch, []byte("--- /dev/null\n+++ b/NEWS.patched\n@@ -0,0 +1 @@\n+patched once\n"), 0o644)
	args := []string{"-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "main",
		"-patch", patch, "-patch-opt", "-p1"}
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("first build: exit %d\n%s", r.code, r.err)
	}
	r := run(t, append(args, "--", "--with-debug")...)
	if r.code != 0 {
		t.Fatalf("second build: exit %d\n%s", r.code, r.err)
	}
	src := filepath.Join(f.work, "nginx", "mynginx", "mynginx-custom")
	b, err := os.ReadFile(filepath.Join(src, "NEWS.patched"))
	if err != nil || string(b) != "patched once\n" {
		t.Errorf("NEWS.patched = %q, %v; want the patch applied once", b, err)
	}
	if _, err := os.Stat(filepath.Join(src, "NEWS.patched.orig")); err == nil {
		t.Errorf("patch left a .orig: it met an earlier copy of its file")
	}
	if got := strings.Join(readLines(t, filepath.Join(src, "configure.args")), " "); got != "--with-debug" {
		t.Errorf("second build configured with %q", got)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestParsePatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Relative paths are taken from the working directory, here dir.
	wd := &Factory{Dir: dir}
	for _, p := range []string{"a.patch", "a,b.patch", "x=y.patch", "d/02-b.patch", "d/01-a.patch", "d/.hidden", "d/sub/c.patch"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte("patch\n"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	os.WriteFile(filepath.Join(dir, "empty", ".keep"), nil, 0o644)
	abs := func(p string) string { return filepath.Join(dir, p) }
	nginx := []plan.Component{{Name: "nginx"}, {Name: "pcre2"}, {Name: "myssl", CustomURL: "https://example.test/myssl.tar.gz"}}
	fork := []plan.Component{{Name: "mynginx", CustomURL: "https://example.test/fork.git"}, {Name: "zlib"}}
	for _, tc := range []struct {
		name  string
		spec  string
		comps []plan.Component
		want  []plan.Patch
		err   string
	}{
		{"default target is the server", "a.patch", nginx, []plan.Patch{{Target: "nginx", Path: abs("a.patch")}}, ""},
		{"default target is a custom server", "a.patch", fork, []plan.Patch{{Target: "mynginx", Path: abs("a.patch")}}, ""},
		{"absolute path", abs("a.patch"), nginx, []plan.Patch{{Target: "nginx", Path: abs("a.patch")}}, ""},
		{"named library", "pcre2=a.patch", nginx, []plan.Patch{{Target: "pcre2", Path: abs("a.patch")}}, ""},
		{"named server", "nginx=a.patch", nginx, []plan.Patch{{Target: "nginx", Path: abs("a.patch")}}, ""},
		{"custom SSL by name", "myssl=a.patch", nginx, []plan.Patch{{Target: "myssl", Path: abs("a.patch")}}, ""},
		{"custom server by name", "mynginx=a.patch", fork, []plan.Patch{{Target: "mynginx", Path: abs("a.patch")}}, ""},
		{"= in a file name", "x=y.patch", nginx, []plan.Patch{{Target: "nginx", Path: abs("x=y.patch")}}, ""},
		{"directory in name order, files only", "d", nginx, []plan.Patch{
			{Target: "nginx", Path: abs("d/01-a.patch")}, {Target: "nginx", Path: abs("d/02-b.patch")}}, ""},
		{"directory for a library", "pcre2=d", nginx, []plan.Patch{
			{Target: "pcre2", Path: abs("d/01-a.patch")}, {Target: "pcre2", Path: abs("d/02-b.patch")}}, ""},
		{"known component not in this build", "openssl=a.patch", nginx, nil, "-patch openssl=a.patch: openssl is not part of this build (add -openssl?)"},
		{"pcre2 names its flag", "pcre2=a.patch", fork, nil, "pcre2 is not part of this build (add -pcre?)"},
		{"unknown target", "bogus=a.patch", nginx, nil, `-patch bogus=a.patch: "bogus" is not a patch target here (nginx, pcre2, myssl), and there is no patch file bogus=a.patch`},
		// The other names nginx-build takes for a target, and its comma lists.
		{"pcre is pcre2", "pcre=a.patch", nginx, []plan.Patch{{Target: "pcre2", Path: abs("a.patch")}}, ""},
		{"customssl is the custom SSL", "customssl=a.patch", nginx, []plan.Patch{{Target: "myssl", Path: abs("a.patch")}}, ""},
		{"customnginx is the custom server", "customnginx=a.patch", fork, []plan.Patch{{Target: "mynginx", Path: abs("a.patch")}}, ""},
		{"nginx is a custom server", "nginx=a.patch", fork, []plan.Patch{{Target: "mynginx", Path: abs("a.patch")}}, ""},
		{"target in any case", "PCRE2=a.patch", nginx, []plan.Patch{{Target: "pcre2", Path: abs("a.patch")}}, ""},
		{"comma list", "a.patch, pcre=d", nginx, []plan.Patch{{Target: "nginx", Path: abs("a.patch")},
			{Target: "pcre2", Path: abs("d/01-a.patch")}, {Target: "pcre2", Path: abs("d/02-b.patch")}}, ""},
		{"comma in a file name", "a,b.patch", nginx, []plan.Patch{{Target: "nginx", Path: abs("a,b.patch")}}, ""},
		{"comma list with a missing file", "a.patch,none.patch", nginx, nil, "-patch none.patch: patch file none.patch not found"},
		{"customnginx without one", "customnginx=a.patch", nginx, nil, `"customnginx" is not a patch target here`},
		{"missing file", "none.patch", nginx, nil, "-patch none.patch: patch file none.patch not found"},
		{"missing file for a target", "pcre2=none.patch", nginx, nil, "patch file none.patch not found"},
		{"empty directory", "empty", nginx, nil, "-patch empty: directory empty holds no patch files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := plan.ParsePatch(tc.spec, tc.comps, wd.absOr)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != ExitUsage {
					t.Fatalf("parsePatch(%q) = %v, %v; want a usage error containing %q", tc.spec, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parsePatch(%q): %v", tc.spec, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parsePatch(%q) =\n%+v\nwant\n%+v", tc.spec, got, tc.want)
			}
		})
	}
}
