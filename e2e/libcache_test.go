package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStaticLibrariesReproducibleAndCached builds real nginx 1.22.1 with
// static OpenSSL 3.0.20, PCRE2 and zlib in two work dirs with two caches:
// the binaries are byte-identical, hold neither work dir, and OpenSSL's
// directories are the platform's. A third build in a new work dir beside
// the first cache restores all three libraries, compiles only nginx, and
// gives the same bytes again: what is restored is what was built (zlib's
// configure rewrites zconf.h, which nginx compiles against).
func TestStaticLibrariesReproducibleAndCached(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	mirror := mirrorDir(t)
	tool := buildTool(t)
	srv := serveDir(t, mirror)
	tmp := t.TempDir()
	env := []string{"NGINX_BIN=", "SOURCE_DATE_EPOCH=", "CCACHE_DIR=" + filepath.Join(tmp, "ccache")}
	build := func(work, cache string, opts ...string) string {
		args := append([]string{"-d", filepath.Join(tmp, work), "-v", "1.22.1", "--mirror", srv.URL, "-j", "2", "--ccache=false",
			"-openssl", "-opensslversion", "3.0.20", "-pcre", "-pcreversion", "10.42", "-zlib", "-zlibversion", "1.2.13", "--"}, opts...)
		out, took := runToolEnv(t, tool, tmp, filepath.Join(tmp, cache), env, args...)
		t.Logf("%s: %s", work, took.Round(time.Second))
		return out
	}
	binary := func(work string) string {
		return filepath.Join(tmp, work, "nginx", "1.22.1", "nginx-1.22.1", "objs", "nginx")
	}

	out := build("w1", "c1")
	for _, want := range []string{"building openssl 3.0.20: libraries only", "with nginx's rules", "compiled pcre2 10.42", "compiled zlib 1.2.13", "built with OpenSSL 3.0.20"} {
		if !strings.Contains(out, want) {
			t.Errorf("w1: output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "restored") {
		t.Errorf("w1 restored from an empty cache:\n%s", out)
	}
	b, err := os.ReadFile(binary("w1"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), filepath.Join(tmp, "w1")) {
		t.Errorf("the w1 binary holds its work dir")
	}
	wantDir := "/usr/local/ssl"
	if v, err := exec.Command("openssl", "version", "-d").Output(); err == nil {
		if m := regexp.MustCompile(`OPENSSLDIR: "([^"]+)"`).FindSubmatch(v); m != nil {
			wantDir = string(m[1])
		}
	}
	if !strings.Contains(string(b), `OPENSSLDIR: "`+wantDir+`"`) {
		t.Errorf("the w1 binary's OpenSSL does not look for openssl.cnf in the platform's %s", wantDir)
	}

	build("w2", "c2")
	if a, b := sha(t, binary("w1")), sha(t, binary("w2")); a != b {
		t.Errorf("static OpenSSL: w1 (cache c1) %s, w2 (cache c2) %s: not reproducible", a, b)
	}

	out = build("w3", "c1")
	for _, want := range []string{"restored openssl 3.0.20 from the library cache", "restored pcre2 10.42 from the library cache",
		"restored zlib 1.2.13 from the library cache", "built with OpenSSL 3.0.20"} {
		if !strings.Contains(out, want) {
			t.Errorf("w3: output lacks %q:\n%s", want, out)
		}
	}
	for _, built := range []string{"building openssl", "building pcre2", "compiled openssl", "compiled pcre2", "compiled zlib"} {
		if strings.Contains(out, built) {
			t.Errorf("w3 built a library the cache has (%q):\n%s", built, out)
		}
	}
	if a, b := sha(t, binary("w1")), sha(t, binary("w3")); a != b {
		t.Errorf("w1 (libraries built) %s, w3 (libraries restored) %s: the restored libraries differ from the built ones", a, b)
	}
}
