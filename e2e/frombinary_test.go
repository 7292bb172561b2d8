package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestModulesFromBinary builds dynamic modules for an existing nginx with
// `nginx-build modules --from-binary`, and checks that the binary loads the
// .so and that the module runs: first for an nginx built here, then for
// Debian's packaged nginx when it is installed (CI installs nginx-core).
func TestModulesFromBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	mirror := mirrorDir(t)
	tool := buildTool(t)
	srv := serveDir(t, mirror)
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "cache")
	hello, _ := filepath.Abs("../testdata/hello-module")
	modules := filepath.Join(tmp, "modules.json")
	os.WriteFile(modules, []byte(`[{"name": "hello", "form": "local", "url": "`+hello+`"}]`), 0o644)

	run := func(args ...string) string {
		t.Helper()
		out, _ := runTool(t, tool, tmp, cache, args...)
		return out
	}

	// An nginx built here, with --with-compat as distributions build theirs.
	prefix := filepath.Join(tmp, "prefix")
	run("-d", filepath.Join(tmp, "base"), "-v", "1.22.1", "--mirror", srv.URL, "--", "--with-compat", "--prefix="+prefix)
	base := filepath.Join(tmp, "base", "nginx", "1.22.1", "nginx-1.22.1")
	if b, err := exec.Command("make", "-C", base, "install").CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, b)
	}
	targets := []string{filepath.Join(prefix, "sbin", "nginx")}
	if out, err := exec.Command("/usr/sbin/nginx", "-V").CombinedOutput(); err == nil && strings.Contains(string(out), "nginx/1.22.1") {
		targets = append(targets, "/usr/sbin/nginx")
	} else if os.Getenv("CI") == "true" {
		t.Errorf("CI installs Debian's nginx 1.22.1 (nginx-core), but /usr/sbin/nginx -V says: %v %s", err, out)
	}
	for i, bin := range targets {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(bin)))+"-"+filepath.Base(bin), func(t *testing.T) {
			outDir := filepath.Join(tmp, fmt.Sprintf("mods%d", i))
			out := run("modules", "--from-binary", bin, "-m", modules, "-d", filepath.Join(tmp, fmt.Sprintf("mw%d", i)), "-o", outDir, "--mirror", srv.URL)
			so := filepath.Join(outDir, "ngx_http_nb_hello_module.so")
			if !strings.Contains(out, bin+" loads all 1 module(s)") || !strings.Contains(out, "load_module "+so+";") {
				t.Fatalf("modules output:\n%s", out)
			}
			if entries, _ := os.ReadDir(outDir); len(entries) != 1 {
				t.Errorf("output dir holds %d files, want only the requested module", len(entries))
			}
			serveWithModule(t, bin, so)
		})
	}
}

// serveWithModule starts bin with the module loaded and checks that the
// module adds its response header.
func serveWithModule(t *testing.T, bin, so string) {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	port := freePort(t)
	conf := fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
pid %[2]s/nginx.pid;
error_log stderr;
events { worker_connections 16; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    server {
        listen 127.0.0.1:%[3]d;
        location / { return 200 "hello\n"; }
    }
}
`, so, dir, port)
	confPath := filepath.Join(dir, "nginx.conf")
	os.WriteFile(confPath, []byte(conf), 0o644)
	out := startNginx(t, bin, "-p", dir, "-e", "stderr", "-c", confPath)
	resp := getRetry(t, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/", port), out)
	resp.Body.Close()
	if resp.Header.Get("X-Nb-Hello") != "1" {
		t.Errorf("%s with the module: no X-Nb-Hello header (headers %v)", bin, resp.Header)
	}
}
