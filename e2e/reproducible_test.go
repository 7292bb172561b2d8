package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReproducibleInstallCCacheIdempotent builds real nginx 1.22.1 with
// static PCRE2 and zlib in three work dirs — without ccache, with a cold
// ccache, with a warm one — and requires byte-identical binaries. The first
// build is installed (--install) and serves a page; the second is staged
// (--destdir); then -idempotent skips an unchanged build and rebuilds, saying
// why, when one configure option changes.
func TestReproducibleInstallCCacheIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	mirror := mirrorDir(t)
	tool := buildTool(t)
	srv := serveDir(t, mirror)
	haveCCache := true
	if _, err := exec.LookPath("ccache"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ccache is not installed under CI (.ci/run installs it)")
		}
		haveCCache = false
	}

	tmp := t.TempDir()
	cache, prefix, stage := filepath.Join(tmp, "cache"), filepath.Join(tmp, "prefix"), filepath.Join(tmp, "stage")
	env := []string{"CCACHE_DIR=" + filepath.Join(tmp, "ccache"), "NGINX_BIN=", "SOURCE_DATE_EPOCH="}
	common := []string{"-v", "1.22.1", "--mirror", srv.URL, "-pcre", "-pcreversion", "10.42", "-zlib", "-zlibversion", "1.2.13", "-j", "2"}
	build := func(work string, flags ...string) string {
		args := append(append(append([]string{"-d", filepath.Join(tmp, work)}, common...), flags...), "--", "--prefix="+prefix)
		out, took := runToolEnv(t, tool, tmp, cache, env, args...)
		t.Logf("%s: %s", work, took.Round(time.Second))
		return out
	}
	binary := func(work string) string {
		return filepath.Join(tmp, work, "nginx", "1.22.1", "nginx-1.22.1", "objs", "nginx")
	}

	// 1. No ccache; installed into the prefix.
	out := build("w1", "--ccache=false", "--install")
	if strings.Contains(out, "ccache") {
		t.Errorf("--ccache=false, yet:\n%s", out)
	}
	installed := filepath.Join(prefix, "sbin", "nginx")
	if !strings.Contains(out, "installed "+installed) {
		t.Errorf("no install report:\n%s", out)
	}
	want := sha(t, binary("w1"))
	if got := sha(t, installed); got != want {
		t.Errorf("installed nginx %s differs from the built one %s", got, want)
	}
	// (The prefix is inside tmp and rightly compiled in; the work dir is not.)
	if b, _ := os.ReadFile(binary("w1")); strings.Contains(string(b), filepath.Join(tmp, "w1")) {
		t.Errorf("the binary contains its work dir %s", filepath.Join(tmp, "w1"))
	}
	servePage(t, installed, prefix)

	if haveCCache {
		// 2. A cold ccache, staged into a DESTDIR: same bytes.
		out = build("w2", "--ccache", "--destdir", stage)
		if !strings.Contains(out, "ccache in front of the compiler") {
			t.Errorf("--ccache not used:\n%s", out)
		}
		if got := sha(t, binary("w2")); got != want {
			t.Errorf("w2 (cold ccache) binary %s, w1 %s: not reproducible", got, want)
		}
		if got := sha(t, filepath.Join(stage, installed)); got != want {
			t.Errorf("staged nginx %s differs from the built one %s", got, want)
		}
		// 3. A warm ccache in yet another work dir: hits, same bytes.
		out = build("w3")
		hits, misses := ccacheCounts(t, out)
		if hits == 0 || hits < 4*misses {
			t.Errorf("warm ccache in a new work dir: %d hits, %d misses\n%s", hits, misses, out)
		}
		if got := sha(t, binary("w3")); got != want {
			t.Errorf("w3 (warm ccache) binary %s, w1 %s", got, want)
		}
	}

	// 4. -idempotent: the installed nginx is this build, so nothing is done...
	out = build("w4", "-idempotent")
	if !strings.Contains(out, "-idempotent: "+installed+" is already nginx 1.22.1") || !strings.Contains(out, "nothing to do") {
		t.Errorf("unchanged -idempotent build was not skipped:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(tmp, "w4")); err == nil {
		t.Errorf("-idempotent skipped, yet the work dir was created")
	}
	// ...and one more configure option is a rebuild that says why.
	args := append(append([]string{"-d", filepath.Join(tmp, "w4")}, common...), "-idempotent", "--", "--prefix="+prefix, "--with-http_v2_module")
	out, _ = runToolEnv(t, tool, tmp, cache, env, args...)
	if !strings.Contains(out, installed+" differs from the requested build") || !strings.Contains(out, "configure arguments: added --with-http_v2_module") {
		t.Errorf("changed -idempotent build did not print the difference:\n%s", out)
	}
	if _, err := os.Stat(binary("w4")); err != nil {
		t.Errorf("changed -idempotent build built nothing: %v", err)
	}
}

func sha(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func ccacheCounts(t *testing.T, out string) (hits, misses int) {
	t.Helper()
	m := regexp.MustCompile(`ccache: (\d+) hits, (\d+) misses`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ccache summary in:\n%s", out)
	}
	hits, _ = strconv.Atoi(m[1])
	misses, _ = strconv.Atoi(m[2])
	return hits, misses
}

// servePage starts an installed nginx on 127.0.0.1 and fetches its index page.
func servePage(t *testing.T, bin, prefix string) {
	t.Helper()
	port := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
error_log %[1]s/logs/error.log;
pid %[1]s/logs/e2e.pid;
events { worker_connections 16; }
http {
    access_log off;
    server { listen 127.0.0.1:%[2]d; root %[1]s/html; }
}
`, prefix, port)
	confPath := filepath.Join(prefix, "conf", "e2e-install.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	nginxOut := startNginx(t, bin, "-c", confPath)
	resp := getRetry(t, &http.Client{Timeout: 5 * time.Second}, fmt.Sprintf("http://127.0.0.1:%d/", port), nginxOut)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Welcome to nginx!") {
		t.Errorf("installed nginx: GET / = %d %s", resp.StatusCode, body)
	}
}
