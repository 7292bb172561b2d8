package command

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/pin"
)

// fakeAptSource makes apt-cache and apt-get that know one source package,
// whose orig tarball is orig (a file), for "debian" modules. It returns
// the directory to put first on PATH.
func fakeAptSource(t *testing.T, pkg, debVersion, orig string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(orig)
	showsrc := fmt.Sprintf("Package: %s\nVersion: %s\nChecksums-Sha256:\n %s %d %s\n\n", pkg, debVersion, fileSHA256(t, orig), len(b), name)
	scripts := map[string]string{
		"apt-cache": "cat <<'EOF'\n" + showsrc + "EOF\n",
		"apt-get":   "cp '" + orig + "' ./" + name + "\n",
	}
	for n, body := range scripts {
		os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"+body), 0o755)
	}
	return dir
}

// noApt makes apt-get and apt-cache fail loudly: a build from the mirror
// must not need apt.
func noApt(t *testing.T) string {
	dir := t.TempDir()
	for _, n := range []string{"apt-get", "apt-cache"} {
		os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\necho \"$0 must not run\" >&2\nexit 100\n"), 0o755)
	}
	return dir
}

// TestMirrorModulesRoundTrip: `mirror -m modules.json` copies a git
// module as a bundle (with its pinned commit in index.json), a tarball
// module and a debian module's orig tarball; with the upstream server
// stopped, the git repository gone and no apt, a build with --mirror and
// the same modules.json takes every module from the mirror.
func TestMirrorModulesRoundTrip(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	// A git module at an annotated tag, which later commits leave behind.
	repo := gitRepo(t, filepath.Join(dir, "echo-module"))
	git(t, repo, "tag", "-a", "v1", "-m", "release 1")
	pinned := gitHead(t, repo)
	gitCommit(t, repo, "later")
	// A tarball module served by upstream, pinned in modules.json.
	hmSum := f.m.Add(t, "mods", "headers-more-0.34.tar.gz", []testmirror.Entry{
		{Name: "headers-more-0.34/", Type: tar.TypeDir},
		{Name: "headers-more-0.34/config", Body: "ngx_addon_name=hm\n"},
	})
	// A Debian-packaged module, through (fake) apt.
	f.m.Add(t, "debsrc", "libnginx-mod-http-echo_0.63.orig.tar.gz", []testmirror.Entry{
		{Name: "echo-nginx-module-0.63/", Type: tar.TypeDir},
		{Name: "echo-nginx-module-0.63/config", Body: "ngx_addon_name=debecho\n"},
	})
	apt := fakeAptSource(t, "libnginx-mod-http-echo", "0.63-4", filepath.Join(f.m.Dir, "debsrc", "libnginx-mod-http-echo_0.63.orig.tar.gz"))
	path := os.Getenv("PATH")
	t.Setenv("PATH", apt+string(os.PathListSeparator)+path)
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[
  {"name": "echo", "form": "git", "url": "`+repo+`", "rev": "v1"},
  {"name": "hm", "form": "tarball", "url": "`+f.m.URL+`/mods/headers-more-0.34.tar.gz", "checksum": "sha256:`+hmSum+`"},
  {"name": "debecho", "form": "debian", "url": "libnginx-mod-http-echo", "rev": "0.63"}
]`), 0o644)
	out := filepath.Join(dir, "airgap")
	flags := []string{"-v", "1.30.1", "-pcre", "-pcreversion", "10.42", "-m", mods}
	// Verified upstream, so that a build from the mirror may be strict.
	f.publishSHA256(t, "nginx", "nginx-1.30.1.tar.gz")
	f.publishSHA256(t, "pcre2", "pcre2-10.42.tar.gz")

	r := run(t, append([]string{"mirror", out, "--mirror", f.m.URL}, flags...)...)
	if r.code != 0 {
		t.Fatalf("mirror: exit %d\n%s", r.code, r.err)
	}
	for _, p := range []string{"modules/echo/echo.bundle", "modules/hm/headers-more-0.34.tar.gz", "modules/hm/headers-more-0.34.tar.gz.sha256",
		"modules/debecho/module-debecho-0.63.tar.gz", "nginx/nginx-1.30.1.tar.gz", "pcre2/pcre2-10.42.tar.gz"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("mirror lacks %s", p)
		}
	}
	idxBytes, _ := os.ReadFile(filepath.Join(out, "index.json"))
	var idx mirrorindex.Index
	if err := json.Unmarshal(idxBytes, &idx); err != nil || len(idx.Modules) != 3 {
		t.Fatalf("index.json: %v\n%s", err, idxBytes)
	}
	byName := map[string]pin.Module{}
	for _, m := range idx.Modules {
		byName[m.Name] = m
	}
	if e := byName["echo"]; e.Form != "git" || e.URL != repo || e.Rev != "v1" || e.Commit != pinned || e.Path != "modules/echo/echo.bundle" ||
		e.SHA256 != fileSHA256(t, filepath.Join(out, "modules", "echo", "echo.bundle")) {
		t.Errorf("index.json, git module: %+v (want commit %s)", e, pinned)
	}
	if e := byName["hm"]; e.Form != "tarball" || e.SHA256 != hmSum {
		t.Errorf("index.json, tarball module: %+v", e)
	}
	if e := byName["debecho"]; e.Form != "debian" || e.URL != "libnginx-mod-http-echo" || e.Version != "0.63" {
		t.Errorf("index.json, debian module: %+v", e)
	}

	// Again: nothing added, index.json unchanged to the byte.
	r = run(t, append([]string{"mirror", out, "--mirror", f.m.URL}, flags...)...)
	if r.code != 0 || !strings.Contains(r.err, "0 file(s) added, 5 already there") {
		t.Errorf("second mirror run: exit %d\n%s", r.code, r.err)
	}
	if again, _ := os.ReadFile(filepath.Join(out, "index.json")); string(again) != string(idxBytes) {
		t.Errorf("index.json changed although nothing was added")
	}

	// Upstream gone: server stopped, repository moved away, apt broken.
	f.m.Close()
	if err := os.Rename(repo, repo+".gone"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", noApt(t)+string(os.PathListSeparator)+path)
	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir(), "--verify", "strict"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build from the mirror", r.err, "module echo from mirror "+out, "module hm from mirror", "module debecho from mirror")
	mustContain(t, "configure args", strings.Join(f.configureArgs(t), " "), "--add-module=../echo", "--add-module=../hm", "--add-module=../debecho")
	build := filepath.Join(f.work, "nginx", "1.30.1")
	if got := git(t, filepath.Join(build, "echo"), "rev-parse", "HEAD"); got != pinned {
		t.Errorf("echo checked out at %s, want the pinned %s", got, pinned)
	}
	if _, err := os.Stat(filepath.Join(build, "echo", "later")); err == nil {
		t.Errorf("echo has the commit after v1")
	}
	for _, p := range []string{"hm/config", "debecho/config"} {
		if _, err := os.Stat(filepath.Join(build, p)); err != nil {
			t.Errorf("module from the mirror not extracted: %v", err)
		}
	}

	// The same mirror served over HTTP.
	srv := httptest.NewServer(http.FileServer(http.Dir(out)))
	defer srv.Close()
	work2 := filepath.Join(t.TempDir(), "work")
	r = run(t, append([]string{"-d", work2, "--mirror", srv.URL, "--cache-dir", t.TempDir(), "--verify", "strict"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("build from the mirror over HTTP: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build from the mirror over HTTP", r.err, "module echo from mirror "+srv.URL, "module hm from mirror", "module debecho from mirror")
	if got := git(t, filepath.Join(work2, "nginx", "1.30.1", "echo"), "rev-parse", "HEAD"); got != pinned {
		t.Errorf("over HTTP, echo checked out at %s, want %s", got, pinned)
	}
}

// TestMirrorLockfileCustomComponents: `mirror --lockfile` copies custom
// components too — a tarball (with its sha256) and a git source (as a
// bundle) — and a build with --mirror uses them with upstream gone.
func TestMirrorLockfileCustomComponents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := filepath.Join(dir, "fork")
	os.MkdirAll(filepath.Join(repo, "auto"), 0o755)
	os.WriteFile(filepath.Join(repo, "auto", "configure"), []byte(testmirror.FakeConfigure("fork", "2.0.0")), 0o755)
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "fork")
	git(t, repo, "tag", "r2.0")
	f.m.AddLibrary(t, "boring", "boringssl-x.tar.gz", "boringssl-x")
	sslURL := f.m.URL + "/boring/boringssl-x.tar.gz"
	flags := []string{"-customnginx", repo, "-customnginxname", "fork", "-customnginxtag", "r2.0", "-customssl", sslURL, "-customsslname", "myssl"}
	if r := run(t, append([]string{"lock", "--mirror", f.m.URL}, flags...)...); r.code != 0 {
		t.Fatalf("lock: exit %d\n%s", r.code, r.err)
	}
	out := filepath.Join(dir, "airgap")
	r := run(t, "mirror", out, "--lockfile", "nginx-build.lock")
	if r.code != 0 {
		t.Fatalf("mirror --lockfile with custom components: exit %d\n%s", r.code, r.err)
	}
	var idx mirrorindex.Index
	b, _ := os.ReadFile(filepath.Join(out, "index.json"))
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Files) != 1 || idx.Files[0].CustomURL != sslURL || idx.Files[0].Path != "myssl/myssl-custom.tar.gz" ||
		len(idx.Modules) != 1 || idx.Modules[0].Path != "modules/fork-custom/fork-custom.bundle" || idx.Modules[0].Commit != gitHead(t, repo) {
		t.Fatalf("index.json: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, "myssl", "myssl-custom.tar.gz.sha256")); err != nil {
		t.Errorf("no .sha256 beside the custom tarball: %v", err)
	}

	f.m.Close()
	os.Rename(repo, repo+".gone")
	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir()}, flags...)...)
	if r.code != 0 {
		t.Fatalf("build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build from the mirror", r.err, "myssl from mirror "+out, "module fork-custom from mirror", "fork/2.0.0")
	if _, err := os.Stat(filepath.Join(f.work, "nginx", "fork", "myssl-custom", "README")); err != nil {
		t.Errorf("custom SSL tarball from the mirror not extracted: %v", err)
	}
}

// TestMirrorCustomDefaultBranch: a custom nginx from the default branch
// of a repository is mirrored as a bundle with its pinned commit, and a
// build from the mirror (repository gone, no lockfile) checks that
// commit out.
func TestMirrorCustomDefaultBranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := forkRepo(t, filepath.Join(dir, "fork"), "main")
	pinned := gitHead(t, repo)
	out := filepath.Join(dir, "airgap")
	r := run(t, "mirror", out, "--mirror", f.m.URL, "-customnginx", repo)
	if r.code != 0 {
		t.Fatalf("mirror: exit %d\n%s", r.code, r.err)
	}
	var idx mirrorindex.Index
	b, _ := os.ReadFile(filepath.Join(out, "index.json"))
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Modules) != 1 || idx.Modules[0].Rev != "HEAD" || idx.Modules[0].Commit != pinned ||
		idx.Modules[0].Path != "modules/customnginx-custom/customnginx-custom.bundle" {
		t.Fatalf("index.json: %v\n%s", err, b)
	}

	gitCommit(t, repo, "newer")
	os.Rename(repo, repo+".gone")
	r = run(t, "-d", f.work, "--mirror", out, "--cache-dir", t.TempDir(), "-customnginx", repo)
	if r.code != 0 {
		t.Fatalf("build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build from the mirror", r.err, "customnginx: building the default branch of "+repo+" at commit "+pinned[:12]+" (pinned in a mirror's index.json)")
	if got := git(t, filepath.Join(f.work, "nginx", "customnginx", "customnginx-custom"), "rev-parse", "HEAD"); got != pinned {
		t.Errorf("built %s from the mirror, want %s", got, pinned)
	}
}
