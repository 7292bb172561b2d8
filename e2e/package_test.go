package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pkgName is the test package's name; it names all its paths
// (/usr/sbin/nginx-e2e-pkg, /etc/nginx-e2e-pkg/, …), clear of Debian's
// nginx, which CI has installed.
const pkgName = "nginx-e2e-pkg"

// TestPackageDeb builds real nginx 1.22.1 against the system's PCRE2,
// OpenSSL and zlib with the stream module as a dynamic module, packages it
// as a deb with the package layout, installs it with dpkg -i, checks that
// the installed default configuration passes nginx -t, then runs the
// installed unit's own commands (ExecStartPre, ExecStart, ExecReload,
// ExecStop) against the installed configuration moved to a free port on
// 127.0.0.1, fetches the installed default page, and removes the package
// (dpkg -r keeps the edited conffile, dpkg -P removes it and the logs).
// The same build is then packaged as rpm, apk and tar.gz and read back.
func TestPackageDeb(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dpkg missing under CI")
		}
		t.Skip("needs dpkg")
	}
	if os.Geteuid() != 0 {
		t.Skip("installing a package needs root")
	}
	mirror := mirrorDir(t)
	tool := buildTool(t)
	srv := serveDir(t, mirror)

	sbin, etc, pidFile := "/usr/sbin/"+pkgName, "/etc/"+pkgName, "/run/"+pkgName+".pid"
	purge := func() {
		stopByPidFile(pidFile)
		if exec.Command("dpkg-query", "-W", pkgName).Run() == nil {
			if out, err := exec.Command("dpkg", "-P", pkgName).CombinedOutput(); err != nil {
				t.Errorf("dpkg -P %s: %v\n%s", pkgName, err, out)
			}
		}
		for _, d := range []string{etc, "/var/log/" + pkgName, "/var/lib/" + pkgName} {
			os.RemoveAll(d)
		}
	}
	purge() // a run that was killed may have left it installed
	t.Cleanup(purge)

	tmp := t.TempDir()
	work, out, cache := filepath.Join(tmp, "work"), filepath.Join(tmp, "out"), filepath.Join(tmp, "cache")
	args := func(format string) []string {
		return []string{
			"package", "-format", format, "-name", pkgName, "-o", out, "-maintainer", "e2e <e2e@example.test>",
			"-d", work, "-v", "1.22.1", "--mirror", srv.URL,
			"--", "--with-http_ssl_module", "--with-stream=dynamic",
		}
	}
	stdout, stderr, took := runToolSplit(t, tool, tmp, cache, args("deb")...)
	t.Logf("build and package took %s", took.Round(time.Second))
	deb := strings.TrimSpace(stdout)
	if filepath.Dir(deb) != out || !strings.HasSuffix(deb, ".deb") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout must be the package path alone, got %q\n%s", stdout, stderr)
	}
	if strings.Contains(stderr, "compiled-in") {
		t.Errorf("the package layout must match the binary:\n%s", stderr)
	}
	depends := output(t, "dpkg-deb", "-f", deb, "Depends")
	for _, want := range []string{"libc6", "libcrypt1", "libpcre2-8-0", "libssl3", "zlib1g"} {
		if !regexp.MustCompile(`(^|, )` + regexp.QuoteMeta(want) + `(,|$|\s)`).MatchString(depends) {
			t.Errorf("Depends lacks %s: %s", want, depends)
		}
	}
	mustHave(t, "conffiles", output(t, "dpkg-deb", "-I", deb, "conffiles"), etc+"/nginx.conf\n", etc+"/mime.types\n")

	output(t, "dpkg", "-i", deb)
	if st := strings.TrimSpace(output(t, "dpkg-query", "-W", "-f", "${Status}", pkgName)); st != "install ok installed" {
		t.Fatalf("after dpkg -i: status %q", st)
	}
	// The installed default configuration is valid as it is.
	mustHave(t, "nginx -t", output(t, sbin, "-t"), "syntax is ok", "test is successful", etc+"/nginx.conf")

	// An administrator's edit: a free port on loopback, and the packaged
	// dynamic module loaded.
	port := freePort(t)
	conf, err := os.ReadFile(etc + "/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	listen := regexp.MustCompile(`listen\s+80;`)
	if !listen.Match(conf) {
		t.Fatalf("the default nginx.conf has no 'listen 80;':\n%s", conf)
	}
	conf = listen.ReplaceAll(conf, []byte(fmt.Sprintf("listen 127.0.0.1:%d;", port)))
	conf = append([]byte("load_module /usr/lib/"+pkgName+"/modules/ngx_stream_module.so;\n"), conf...)
	if err := os.WriteFile(etc+"/nginx.conf", conf, 0o644); err != nil {
		t.Fatal(err)
	}

	// Start, reload and stop it the way the installed unit says.
	unit, err := os.ReadFile("/usr/lib/systemd/system/" + pkgName + ".service")
	if err != nil {
		t.Fatal(err)
	}
	u := parseUnit(string(unit))
	if !slices.Equal(u["Type"], []string{"forking"}) || !slices.Equal(u["PIDFile"], []string{pidFile}) {
		t.Errorf("unit: Type=%v PIDFile=%v", u["Type"], u["PIDFile"])
	}
	if len(u["ExecStart"]) != 1 || len(u["ExecStop"]) == 0 || len(u["ExecReload"]) == 0 {
		t.Fatalf("unit lacks ExecStart, ExecReload or ExecStop:\n%s", unit)
	}
	for _, key := range []string{"ExecStartPre", "ExecStart"} {
		for _, line := range u[key] {
			runUnitCommand(t, key, line)
		}
	}
	pid := waitPidFile(t, pidFile)
	client := &http.Client{Timeout: 5 * time.Second}
	page := func() {
		t.Helper()
		resp := getRetry(t, client, fmt.Sprintf("http://127.0.0.1:%d/", port), &bytes.Buffer{})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Welcome to nginx!") || resp.Header.Get("Server") != "nginx/1.22.1" {
			t.Errorf("GET /: %d %s %q", resp.StatusCode, resp.Header.Get("Server"), body)
		}
	}
	page()
	for _, line := range u["ExecReload"] {
		runUnitCommand(t, "ExecReload", line)
	}
	page()
	for _, line := range u["ExecStop"] {
		runUnitCommand(t, "ExecStop", line)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("nginx (pid %d) still running 10 s after ExecStop", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// dpkg -r removes the program and keeps the edited configuration;
	// dpkg -P removes that too, and the logs.
	output(t, "dpkg", "-r", pkgName)
	if _, err := os.Stat(sbin); !os.IsNotExist(err) {
		t.Errorf("%s survived dpkg -r: %v", sbin, err)
	}
	if b, err := os.ReadFile(etc + "/nginx.conf"); err != nil || !bytes.Contains(b, []byte(strconv.Itoa(port))) {
		t.Errorf("dpkg -r must keep the edited conffile: %v", err)
	}
	if st := strings.TrimSpace(output(t, "dpkg-query", "-W", "-f", "${Status}", pkgName)); st != "deinstall ok config-files" {
		t.Errorf("after dpkg -r: status %q", st)
	}
	output(t, "dpkg", "-P", pkgName)
	for _, gone := range []string{etc + "/nginx.conf", "/var/log/" + pkgName} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s survived dpkg -P: %v", gone, err)
		}
	}

	// The other formats reuse the build and are read back.
	stdout, stderr, _ = runToolSplit(t, tool, tmp, cache, args("rpm")...)
	mustHave(t, "rpm run", stderr, "is up to date")
	rpm := strings.TrimSpace(stdout)
	if _, err := exec.LookPath("rpm"); err == nil {
		requires := output(t, "rpm", "-qp", "--nosignature", "--requires", rpm)
		mustHave(t, "rpm requires", requires, "glibc\n", "libxcrypt\n", "openssl-libs\n", "pcre2\n", "zlib\n")
		mustHave(t, "rpm config files", output(t, "rpm", "-qp", "--nosignature", "--configfiles", rpm), etc+"/nginx.conf\n")
	} else if os.Getenv("CI") == "true" {
		t.Error("rpm missing under CI")
	}
	stdout, stderr, _ = runToolSplit(t, tool, tmp, cache, args("apk")...)
	mustHave(t, "apk run", stderr, "will not run on Alpine Linux")
	pkginfo := apkPKGINFO(t, strings.TrimSpace(stdout))
	mustHave(t, ".PKGINFO", pkginfo, "pkgname = "+pkgName+"\n", "pkgver = 1.22.1-r1\n", "depend = pcre2\n", "depend = libssl3\n", "depend = zlib\n")
	// SOURCE_DATE_EPOCH (2023-11-14 22:13:20 UTC) stamps every file.
	stdout, _, _ = runToolSplitEnv(t, tool, tmp, cache, []string{"SOURCE_DATE_EPOCH=1700000000"}, args("tar.gz")...)
	list := output(t, "tar", "-tzf", strings.TrimSpace(stdout))
	mustHave(t, "tar.gz", list, "./usr/sbin/"+pkgName+"\n", "./etc/"+pkgName+"/nginx.conf\n", "./usr/lib/"+pkgName+"/modules/ngx_stream_module.so\n")
	for _, line := range strings.Split(strings.TrimSpace(output(t, "tar", "--utc", "-tvzf", strings.TrimSpace(stdout))), "\n") {
		if !strings.Contains(line, " 2023-11-14 22:13") {
			t.Errorf("tar.gz entry not stamped with SOURCE_DATE_EPOCH: %s", line)
		}
	}
}

// runToolSplit is runTool with stdout and stderr kept apart.
func runToolSplit(t *testing.T, tool, dir, cache string, args ...string) (string, string, time.Duration) {
	t.Helper()
	return runToolSplitEnv(t, tool, dir, cache, nil, args...)
}

// runToolSplitEnv is runToolSplit with extra environment variables.
func runToolSplitEnv(t *testing.T, tool, dir, cache string, env []string, args ...string) (string, string, time.Duration) {
	t.Helper()
	cmd := toolCommand(t, tool, dir, cache, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.explain(cmd.Run()); err != nil {
		t.Fatalf("nginx-build %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String(), time.Since(start)
}

// output runs a command that must succeed and returns its output.
func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func mustHave(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// parseUnit reads Key=Value lines of a systemd unit, repeated keys kept
// in order.
func parseUnit(s string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = append(out[k], v)
		}
	}
	return out
}

// runUnitCommand runs an Exec line as systemd would (a leading "-" means
// failure is ignored); these lines have no quoting.
func runUnitCommand(t *testing.T, key, line string) {
	t.Helper()
	ignore := strings.HasPrefix(line, "-")
	words := strings.Fields(strings.TrimPrefix(line, "-"))
	cmd := exec.Command(words[0], words[1:]...)
	// Type=forking: the started process daemonizes and returns. Its
	// output goes to a file, not a pipe the daemon would hold open.
	log, err := os.CreateTemp(t.TempDir(), "exec-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil && !ignore {
		b, _ := os.ReadFile(log.Name())
		t.Fatalf("%s=%s: %v\n%s", key, line, err, b)
	}
}

func waitPidFile(t *testing.T, p string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(p)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid file %s 10 s after ExecStart: %v", p, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopByPidFile ends an nginx a failed test left running.
func stopByPidFile(p string) {
	b, err := os.ReadFile(p)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	os.Remove(p)
}

// apkPKGINFO returns the .PKGINFO of an apk (its control segment is the
// first gzip member holding a tar entry of that name).
func apkPKGINFO(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f) // members are read one after another
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no .PKGINFO", p)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == ".PKGINFO" {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}
