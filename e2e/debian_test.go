package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDebianSource builds nginx 1.22.1 with static PCRE2, zlib and OpenSSL
// from the upstream tarballs of Debian's source packages (--source debian,
// through apt: nothing but Debian's archive is reachable), with the echo
// module from Debian's libnginx-mod-http-echo source package, then serves
// HTTPS from 127.0.0.1.
func TestDebianSource(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	if out, _ := exec.Command("apt-cache", "showsrc", "nginx").Output(); len(out) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("apt has no source packages under CI: .ci/run enables deb-src")
		}
		t.Skip("deb-src is not enabled (see README: air-gapped builds)")
	}
	tool := buildTool(t)
	tmp := t.TempDir()
	work, prefix := filepath.Join(tmp, "work"), filepath.Join(tmp, "prefix")
	modules := filepath.Join(tmp, "modules.json")
	os.WriteFile(modules, []byte(`[{"name": "echo", "form": "debian", "url": "libnginx-mod-http-echo"}]`), 0o644)
	out, _ := runTool(t, tool, tmp, filepath.Join(tmp, "cache"), "-d", work, "--source", "debian", "-v", "1.22.1",
		"-pcre", "-pcreversion", "10.42", "-zlib", "-zlibversion", "1.2.13", "-openssl", "-opensslversion", "3.0.20",
		"-m", modules, "--", "--prefix="+prefix)
	for _, want := range []string{
		"verified nginx 1.22.1: sha256 pinned in Debian's Sources index",
		"verified openssl 3.0.20: sha256 pinned in Debian's Sources index (openssl 3.0.20-1~deb12u2); OpenPGP signature by OpenSSL",
		"verified zlib 1.2.13: sha256 pinned in Debian's Sources index (zlib 1:1.2.13.dfsg-1)",
		"built with OpenSSL 3.0.20", "--with-pcre=../pcre2-10.42", "--add-module=../echo",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	src := filepath.Join(work, "nginx", "1.22.1", "nginx-1.22.1")
	if b, err := exec.Command("make", "-C", src, "install").CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, b)
	}
	port := freePort(t)
	writeCert(t, filepath.Join(prefix, "conf"))
	conf := fmt.Sprintf(`daemon off;
master_process off;
error_log stderr;
pid %[1]s/logs/nginx.pid;
events { worker_connections 16; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%[2]d ssl;
        ssl_certificate cert.pem;
        ssl_certificate_key key.pem;
        location ~ ^/echo/(?<who>\w+)$ { echo "hello $who from Debian's sources"; }
    }
}
`, prefix, port)
	confPath := filepath.Join(prefix, "conf", "debian.conf")
	os.WriteFile(confPath, []byte(conf), 0o644)
	srvOut := startNginx(t, filepath.Join(prefix, "sbin", "nginx"), "-c", confPath)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp := getRetry(t, client, fmt.Sprintf("https://127.0.0.1:%d/echo/ops", port), srvOut)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello ops from Debian's sources\n" {
		t.Errorf("GET /echo/ops: %d %q", resp.StatusCode, body)
	}
}
