package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A patch that is already in the tree must not be silently reversed
// (patch --batch assumes -R for it): it is an error naming the patch and
// its target, with patch's own words.
func TestAlreadyAppliedPatchIsAnError(t *testing.T) {
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

// nginx-patch.log keeps every patch's output, each under a header naming
// it, not only the last one's.
func TestPatchLogKeepsEveryPatch(t *testing.T) {
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
