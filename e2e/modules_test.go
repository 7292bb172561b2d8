package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// moduleTarballs returns the mirror's two real third-party module tarballs
// (echo-nginx-module 0.63 and headers-more-nginx-module 0.34, from Debian's
// source packages; see scripts/e2e-mirror.sh), skipping like mirrorDir
// when they are missing, or failing under CI=true.
func moduleTarballs(t *testing.T, mirror string) (echo, headersMore string) {
	t.Helper()
	echo = filepath.Join(mirror, "modules", "echo-nginx-module.tar.gz")
	headersMore = filepath.Join(mirror, "modules", "headers-more-nginx-module.tar.gz")
	for _, p := range []string{echo, headersMore} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("e2e mirror lacks %s under CI: run scripts/e2e-mirror.sh", p)
			}
			t.Skipf("e2e mirror lacks %s: run scripts/e2e-mirror.sh to enable the real-module tier", p)
		}
	}
	return echo, headersMore
}

// nginxHPatch makes the Server header observable: nginx-1.22.1's
// src/core/nginx.h with NGINX_VER renamed, in -p1 form.
const nginxHPatch = `--- a/src/core/nginx.h
+++ b/src/core/nginx.h
@@ -11,7 +11,7 @@
 
 #define nginx_version      1022001
 #define NGINX_VERSION      "1.22.1"
-#define NGINX_VER          "nginx/" NGINX_VERSION
+#define NGINX_VER          "nginx-build-e2e/" NGINX_VERSION
 
 #ifdef NGX_BUILD
 #define NGINX_VER_BUILD    NGINX_VER " (" NGX_BUILD ")"
`

// TestRealModulesAndPatch builds nginx 1.22.1 against the system libraries
// with two real third-party modules — echo-nginx-module statically from a
// git repository at a tag that is not HEAD, headers-more as a dynamic module
// from a local directory — and a -p1 patch to nginx itself, then installs
// it, loads the .so and checks over HTTP that both modules and the patch
// are in the running server.
func TestRealModulesAndPatch(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	mirror := mirrorDir(t)
	echoTGZ, hmTGZ := moduleTarballs(t, mirror)
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for git modules: %v", err)
	}
	tool := buildTool(t)
	srv := serveDir(t, mirror)

	tmp := t.TempDir()
	work, prefix, cache := filepath.Join(tmp, "work"), filepath.Join(tmp, "prefix"), filepath.Join(tmp, "cache")

	// echo-nginx-module as a git repository: v0.63 is the release, and one
	// more commit after the tag makes HEAD differ from what must be built.
	echoRepo := filepath.Join(tmp, "echo-nginx-module")
	untar(t, echoTGZ, echoRepo)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.email=e2e@nginx-build.invalid", "-c", "user.name=nginx-build e2e",
			"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		cmd.Dir = echoRepo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+tmp)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "--quiet")
	git("add", "--all")
	git("commit", "--quiet", "-m", "echo-nginx-module 0.63")
	git("tag", "v0.63")
	const afterTag = "AFTER-THE-TAG"
	if err := os.WriteFile(filepath.Join(echoRepo, afterTag), []byte("not part of v0.63\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", afterTag)
	git("commit", "--quiet", "-m", "work after the release")
	tagCommit, headCommit := git("rev-parse", "v0.63^{commit}"), git("rev-parse", "HEAD")
	if tagCommit == headCommit {
		t.Fatalf("tag and HEAD are the same commit %s", tagCommit)
	}

	// headers-more as a plain local directory, used in place.
	hmDir := filepath.Join(tmp, "headers-more-nginx-module")
	untar(t, hmTGZ, hmDir)

	modules := []map[string]any{
		{"name": "echo-nginx-module", "form": "git", "url": echoRepo, "rev": "v0.63"},
		{"name": "headers-more", "form": "local", "url": hmDir, "dynamic": true},
	}
	mb, _ := json.MarshalIndent(modules, "", "  ")
	modulesJSON, patchFile := filepath.Join(tmp, "modules.json"), filepath.Join(tmp, "fix.patch")
	if err := os.WriteFile(modulesJSON, mb, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(patchFile, []byte(nginxHPatch), 0o644); err != nil {
		t.Fatal(err)
	}

	args := []string{
		"-d", work, "-v", "1.22.1", "--mirror", srv.URL,
		"-m", modulesJSON, "-patch", patchFile, "-patch-opt", "-p1",
		// A configure option as a flag, as scripts written for
		// nginx-build before v0.16 have them: real configure must get it.
		"-with-http_stub_status_module",
		"--", "--prefix=" + prefix,
	}
	run := func() (string, time.Duration) { return runTool(t, tool, tmp, cache, args...) }
	out, took := run()
	t.Logf("real build with modules took %s", took.Round(time.Second))
	buildDir := filepath.Join(work, "nginx", "1.22.1")
	src := filepath.Join(buildDir, "nginx-1.22.1")
	for _, want := range []string{
		"cloning echo-nginx-module from " + echoRepo,
		"applying " + patchFile + " to nginx-1.22.1",
		"nginx version: nginx-build-e2e/1.22.1",
		"--add-module=../echo-nginx-module",
		"--with-compat",
		"--add-dynamic-module=" + hmDir,
		"--with-http_stub_status_module",
		`note: --with-http_stub_status_module passed to configure`,
		"build record: " + filepath.Join(buildDir, "build-info.json"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}

	// The module tree beside nginx is the tag, not HEAD.
	if _, err := os.Stat(filepath.Join(buildDir, "echo-nginx-module", "config")); err != nil {
		t.Errorf("echo-nginx-module not provisioned beside nginx: %v", err)
	}
	if _, err := os.Stat(filepath.Join(buildDir, "echo-nginx-module", afterTag)); err == nil {
		t.Errorf("echo-nginx-module was checked out at HEAD, not at v0.63")
	}

	// The build record names the tag's commit and the patch.
	var rec struct {
		NginxV  string `json:"nginx_v"`
		Modules []struct {
			Name, Form, URL, Rev, Commit string
		} `json:"modules"`
		Patches       []string `json:"patches"`
		ConfigureArgs []string `json:"configure_args"`
	}
	rb, err := os.ReadFile(filepath.Join(buildDir, "build-info.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rb, &rec); err != nil {
		t.Fatalf("build-info.json: %v\n%s", err, rb)
	}
	var found bool
	for _, m := range rec.Modules {
		if m.Name == "echo-nginx-module" {
			found = true
			if m.Form != "git" || m.URL != echoRepo || m.Rev != "v0.63" || m.Commit != tagCommit {
				t.Errorf("build record module %+v, want form git, url %s, rev v0.63, commit %s (HEAD is %s)", m, echoRepo, tagCommit, headCommit)
			}
		}
	}
	if !found {
		t.Errorf("build record lists no echo-nginx-module:\n%s", rb)
	}
	if len(rec.Patches) != 1 || !strings.Contains(rec.Patches[0], patchFile) {
		t.Errorf("build record patches %q, want %s", rec.Patches, patchFile)
	}
	if !slices.Contains(rec.ConfigureArgs, "--with-compat") || !slices.Contains(rec.ConfigureArgs, "--add-dynamic-module="+hmDir) {
		t.Errorf("build record configure args %q", rec.ConfigureArgs)
	}
	if !strings.Contains(rec.NginxV, "nginx-build-e2e/1.22.1") {
		t.Errorf("build record nginx_v %q", rec.NginxV)
	}

	// Same inputs again: nothing to do, well under a second.
	out2, took := run()
	if !strings.Contains(out2, "up to date") || took > 2*time.Second {
		t.Errorf("rerun took %s and said:\n%s", took, out2)
	}

	// Install, load the dynamic module and serve from 127.0.0.1.
	if b, err := exec.Command("make", "-C", src, "install").CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, b)
	}
	so := filepath.Join(prefix, "modules", "ngx_http_headers_more_filter_module.so")
	if _, err := os.Stat(so); err != nil {
		t.Fatalf("dynamic module not installed: %v", err)
	}
	port := freePort(t)
	conf := fmt.Sprintf(`load_module modules/ngx_http_headers_more_filter_module.so;
daemon off;
master_process off;
error_log %[1]s/logs/error.log;
pid %[1]s/logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%[2]d;
        location /echo { echo "hello from echo"; }
        location /hm { more_set_headers "X-Built-By: nginx-build"; return 200 "ok\n"; }
    }
}
`, prefix, port)
	confPath := filepath.Join(prefix, "conf", "modules.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	nginx := filepath.Join(prefix, "sbin", "nginx")
	if b, err := exec.Command(nginx, "-t", "-c", confPath).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, b)
	}
	srvOut := startNginx(t, nginx, "-c", confPath)

	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		url := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
		resp := getRetry(t, client, url, srvOut)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		return resp, string(body)
	}
	resp, body := get("/echo")
	if resp.StatusCode != 200 || body != "hello from echo\n" {
		t.Errorf("GET /echo: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Server"); got != "nginx-build-e2e/1.22.1" {
		t.Errorf("GET /echo: Server header %q, want the patched nginx-build-e2e/1.22.1", got)
	}
	resp, body = get("/hm")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /hm: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Built-By"); got != "nginx-build" {
		t.Errorf("GET /hm: X-Built-By %q, want nginx-build (headers-more not loaded?)", got)
	}
	if got := resp.Header.Get("Server"); got != "nginx-build-e2e/1.22.1" {
		t.Errorf("GET /hm: Server header %q, want the patched nginx-build-e2e/1.22.1", got)
	}
}

// untar unpacks a release tarball into dir, dropping its top directory.
func untar(t *testing.T, tarball, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("tar", "-xzf", tarball, "-C", dir, "--strip-components=1").CombinedOutput(); err != nil {
		t.Fatalf("unpack %s: %v\n%s", tarball, err, b)
	}
}
