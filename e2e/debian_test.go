package e2e

import (
	"crypto/tls"
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

// TestDebianSourceWithoutDebSrc is the README's first command on a system
// whose apt sources have no deb-src: APT_CONFIG points apt at a copy of
// the system's sources with their deb entries only (Signed-By kept).
// nginx-build fetches Debian's source indexes into its own cache,
// without root and without touching /etc/apt, and builds. It needs
// network access to the system's Debian or Ubuntu archive.
func TestDebianSourceWithoutDebSrc(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("apt is not installed under CI")
		}
		t.Skip("apt is not installed")
	}
	env := []string{"APT_CONFIG=" + debOnlyAptConfig(t)}
	showsrc := exec.Command("apt-cache", "showsrc", "nginx")
	showsrc.Env = append(os.Environ(), env...)
	if out, _ := showsrc.Output(); len(out) > 0 {
		t.Fatalf("with %s, apt still knows source packages: the test would prove nothing", env[0])
	}
	tool := buildTool(t)
	tmp := t.TempDir()
	work, cache := filepath.Join(tmp, "work"), filepath.Join(tmp, "cache")
	out, took := runToolEnv(t, tool, tmp, cache, env, "-d", work, "--source", "debian", "-pcre", "-zlib")
	t.Logf("build took %s", took.Round(time.Second))
	for _, want := range []string{
		"the system's apt sources have no deb-src",
		"sha256 pinned in Debian's Sources index (nginx ",
		"--with-pcre=../pcre2-", "--with-zlib=../zlib-",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	bins, _ := filepath.Glob(filepath.Join(work, "nginx", "*", "nginx-*", "objs", "nginx"))
	if len(bins) != 1 {
		t.Fatalf("built binaries %v, want one", bins)
	}
	if v, err := exec.Command(bins[0], "-V").CombinedOutput(); err != nil || !strings.Contains(string(v), "--with-zlib=../zlib-") {
		t.Errorf("%s -V: %v\n%s", bins[0], err, v)
	}
	if lists, _ := filepath.Glob(filepath.Join(cache, "debian", "apt", "lists", "*_Sources*")); len(lists) == 0 {
		t.Errorf("no Sources lists in nginx-build's own apt lists under %s", cache)
	}
}

// debOnlyAptConfig writes an apt configuration for APT_CONFIG whose
// sources are the system's (where apt-config says they are) without
// their deb-src entries: one-line deb-src lines are left out, and deb822
// stanzas keep deb alone among their Types.
func debOnlyAptConfig(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("apt-config", "shell", "SL", "Dir::Etc::sourcelist/f", "SP", "Dir::Etc::sourceparts/d").Output()
	if err != nil {
		t.Fatalf("apt-config shell: %v", err)
	}
	paths := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			paths[k] = strings.Trim(v, "'")
		}
	}
	dir := t.TempDir()
	parts := filepath.Join(dir, "sources.list.d")
	os.MkdirAll(parts, 0o755)
	files, _ := filepath.Glob(filepath.Join(paths["SP"], "*.list"))
	files = append([]string{paths["SL"]}, files...)
	var oneLine []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "deb ") {
				oneLine = append(oneLine, line)
			}
		}
	}
	os.WriteFile(filepath.Join(parts, "system.list"), []byte(strings.Join(oneLine, "\n")+"\n"), 0o644)
	deb822, _ := filepath.Glob(filepath.Join(paths["SP"], "*.sources"))
	for _, f := range deb822 {
		b, _ := os.ReadFile(f)
		var keep []string
		for _, stanza := range strings.Split(string(b), "\n\n") {
			lines := strings.Split(stanza, "\n")
			isDeb := false
			for i, l := range lines {
				if types, ok := strings.CutPrefix(l, "Types:"); ok {
					isDeb = slices.Contains(strings.Fields(types), "deb")
					lines[i] = "Types: deb"
				}
			}
			if isDeb {
				keep = append(keep, strings.Join(lines, "\n"))
			}
		}
		os.WriteFile(filepath.Join(parts, filepath.Base(f)), []byte(strings.Join(keep, "\n\n")+"\n"), 0o644)
	}
	conf := filepath.Join(dir, "apt.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("Dir::Etc::sourcelist \"/dev/null\";\nDir::Etc::sourceparts %q;\n", parts)), 0o644)
	return conf
}
