package command

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
)

// sslFixture is a synthetic mirror with nginx (whose configure writes
// nginx's rule for a static OpenSSL) and an OpenSSL with OpenSSL's build
// interface, and one cache shared by several work dirs.
type sslFixture struct {
	m     *testmirror.Mirror
	root  string
	cache string
}

func newSSLFixture(t *testing.T) *sslFixture {
	t.Helper()
	f := &sslFixture{m: testmirror.New(t), root: t.TempDir(), cache: t.TempDir()}
	setenv(t, "NGINX_BUILD_CACHE", f.cache)
	setenv(t, "NGINX_BUILD_MIRROR", "")
	setenv(t, "SOURCE_DATE_EPOCH", "")
	f.m.AddNginx(t, "nginx", "1.30.1")
	f.m.AddOpenSSL(t, "3.5.7")
	return f
}

// build builds in the work dir called work, with a static OpenSSL and the
// given flags; configure options go after them.
func (f *sslFixture) build(t *testing.T, work string, flags []string, opts ...string) result {
	t.Helper()
	args := append([]string{"-d", filepath.Join(f.root, work), "--mirror", f.m.URL, "-v", "1.30.1",
		"-openssl", "-opensslversion", "3.5.7", "--openssldir", "/etc/ssl-test", "--ccache=false"}, flags...)
	args = append(append(args, "--", "--test-ssl-rule"), opts...)
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("build in %s: exit %d\n%s", work, r.code, r.err)
	}
	return r
}

func (f *sslFixture) tree(work string) string {
	return filepath.Join(f.root, work, "nginx", "1.30.1", "openssl-3.5.7")
}

// configCalls is how often the OpenSSL in work was configured.
func (f *sslFixture) configCalls(t *testing.T, work string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.tree(work), "config.calls"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStaticOpenSSLIsBuiltLeanOnceAndRestored: the OpenSSL nginx links is
// built by nginx-build (libraries only, the platform's or the chosen
// directories, nginx's options), installed where nginx's Makefile wants
// it, and nginx's own rule does not run; a second build in another work
// dir restores it from the library cache; a changed option or patch
// builds it again.
func TestStaticOpenSSLIsBuiltLeanOnceAndRestored(t *testing.T) {
	f := newSSLFixture(t)

	r := f.build(t, "w1", nil, "--with-openssl-opt=enable-ktls")
	calls := f.configCalls(t, "w1")
	if len(calls) != 1 {
		t.Fatalf("w1: config ran %d times, want once: %q", len(calls), calls)
	}
	for _, want := range []string{"--prefix=", "--openssldir=/etc/ssl-test", "no-tests", "no-docs", "no-shared no-threads enable-ktls", "CC=cc"} {
		if !strings.Contains(calls[0], want) {
			t.Errorf("w1: config call %q lacks %q", calls[0], want)
		}
	}
	if strings.Contains(calls[0], filepath.Join(f.root, "w1")) {
		t.Errorf("w1: config got a directory in the work dir: %q", calls[0])
	}
	if fileExists(filepath.Join(f.tree("w1"), "nginx-rule-ran")) {
		t.Error("w1: nginx's own rule built OpenSSL as well")
	}
	for _, p := range []string{".openssl/include/openssl/ssl.h", ".openssl/lib/libcrypto.a", ".openssl/lib/libssl.a"} {
		if !fileExists(filepath.Join(f.tree("w1"), p)) {
			t.Errorf("w1: %s is not installed", p)
		}
	}
	mustContain(t, "w1", r.err, "building openssl 3.5.7: libraries only, OPENSSLDIR /etc/ssl-test")
	lib1 := readFile(t, filepath.Join(f.tree("w1"), ".openssl/lib/libcrypto.a"))

	// Another nginx configure option: the same library, restored.
	r = f.build(t, "w2", nil, "--with-openssl-opt=enable-ktls", "--with-http_v2_module")
	if calls := f.configCalls(t, "w2"); calls != nil {
		t.Errorf("w2: OpenSSL was configured again: %q", calls)
	}
	mustContain(t, "w2", r.err, "restored openssl 3.5.7 from the library cache")
	if got := readFile(t, filepath.Join(f.tree("w2"), ".openssl/lib/libcrypto.a")); got != lib1 {
		t.Errorf("w2: restored libcrypto.a %q, built %q", got, lib1)
	}
	if fileExists(filepath.Join(f.tree("w2"), "nginx-rule-ran")) {
		t.Error("w2: nginx's own rule rebuilt the restored OpenSSL")
	}

	// Another OpenSSL option: built again.
	f.build(t, "w3", nil, "--with-openssl-opt=no-ktls")
	if calls := f.configCalls(t, "w3"); len(calls) != 1 || !strings.Contains(calls[0], "no-ktls") {
		t.Errorf("w3: a changed --with-openssl-opt did not rebuild OpenSSL: %q", calls)
	}

	// A patch to OpenSSL: built again.
	patch := filepath.Join(f.root, "ssl.patch")
	body := "--- a/VERSION.dat\n+++ b/VERSION.dat\n@@ -1 +1,2 @@\n VERSION=3.5.7\n+PATCHED=1\n"
	if err := os.WriteFile(patch, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f.build(t, "w4", []string{"-patch", "openssl=" + patch, "-patch-opt", "-p1"}, "--with-openssl-opt=enable-ktls")
	if calls := f.configCalls(t, "w4"); len(calls) != 1 {
		t.Errorf("w4: a patch to OpenSSL did not rebuild it: %q", calls)
	}

	// The cache lists three libraries, verifies them, and cleans them.
	r = run(t, "cache", "ls")
	if n := strings.Count(r.out, "openssl 3.5.7"); n != 3 {
		t.Errorf("cache ls lists %d built openssl libraries, want 3:\n%s", n, r.out)
	}
	r = run(t, "cache", "verify")
	if r.code != 0 {
		t.Errorf("cache verify: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r = run(t, "cache", "clean"); r.code != 0 {
		t.Fatalf("cache clean: exit %d\n%s", r.code, r.err)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.cache, "lib")); len(entries) != 0 {
		t.Errorf("cache clean left %d entries in the library cache", len(entries))
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestStaticOpenSSLBuildFailureNamesOpenSSL: a failing OpenSSL build is
// reported with OpenSSL's first error and its log.
func TestStaticOpenSSLBuildFailureNamesOpenSSL(t *testing.T) {
	f := newSSLFixture(t)
	r := run(t, "-d", filepath.Join(f.root, "w"), "--mirror", f.m.URL, "-v", "1.30.1", "-openssl", "-opensslversion", "3.5.7",
		"--ccache=false", "--", "--test-ssl-rule", "--with-openssl-opt=test-fail-config")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "stderr", r.err, "the first error is in openssl 3.5.7", "Configure: error: failing on purpose",
		filepath.Join(f.tree("w"), "nginx-build.log"))
	entries, _ := os.ReadDir(filepath.Join(f.cache, "lib"))
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("a failed build left %s in the library cache", e.Name())
		}
	}
}

// TestSSLWithoutOpenSSLsBuildInterfaceIsLeftToNginx: a LibreSSL-like
// tree (autotools, no Configurations/unix-Makefile.tmpl) is built by
// nginx's own rule in every work dir, and nothing of it is cached.
func TestSSLWithoutOpenSSLsBuildInterfaceIsLeftToNginx(t *testing.T) {
	f := newSSLFixture(t)
	config := `#!/bin/sh
for a in "$@"; do case "$a" in --prefix=*) prefix=${a#*=} ;; esac; done
printf 'all:\n\ttouch built\ninstall_sw:\n\tmkdir -p %s/include/openssl %s/lib\n\ttouch %s/include/openssl/ssl.h %s/lib/libssl.a %s/lib/libcrypto.a\n' "$prefix" "$prefix" "$prefix" "$prefix" "$prefix" > Makefile
`
	f.m.Add(t, "libressl", "libressl-4.3.2.tar.gz", []testmirror.Entry{
		{Name: "libressl-4.3.2/", Type: tar.TypeDir},
		{Name: "libressl-4.3.2/config", Body: config, Mode: 0o755},
	})
	for _, work := range []string{"w1", "w2"} {
		r := run(t, "-d", filepath.Join(f.root, work), "--mirror", f.m.URL, "-v", "1.30.1", "-libressl", "-libresslversion", "4.3.2",
			"--ccache=false", "--", "--test-ssl-rule")
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", work, r.code, r.err)
		}
		mustContain(t, work, r.err, "libressl 4.3.2 has no OpenSSL 1.1+ build interface")
		if !fileExists(filepath.Join(f.root, work, "nginx", "1.30.1", "libressl-4.3.2", "nginx-rule-ran")) {
			t.Errorf("%s: nginx's rule did not build LibreSSL", work)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(f.cache, "lib"))
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("LibreSSL built by nginx's rule was cached: %s", e.Name())
		}
	}
}
