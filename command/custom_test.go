package command

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
)

func TestCustomNginxFromGitAndCustomSSLTarball(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	// A git tree of an nginx fork: like nginx's own repository, it has
	// auto/configure and no ./configure.
	repo := filepath.Join(dir, "mynginx")
	os.MkdirAll(filepath.Join(repo, "auto"), 0o755)
	os.WriteFile(filepath.Join(repo, "auto", "configure"), []byte(testmirror.FakeConfigure("mynginx", "2.0.0")), 0o755)
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "fork")
	git(t, repo, "tag", "r2.0")
	// A custom SSL library published as a tarball.
	f.m.AddLibrary(t, "boring", "boringssl-x.tar.gz", "boringssl-x")
	sslURL := f.m.URL + "/boring/boringssl-x.tar.gz"

	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "r2.0",
		"-customssl", sslURL, "-customsslname", "myssl", "-sbom", "custom.cdx.json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	// The SBOM knows the fork by its repository and commit, and the SSL
	// library by where it came from and its sha256; neither has a
	// license nginx-build could know.
	_, d := readSBOM(t, filepath.Join(dir, "custom.cdx.json"))
	if len(d.Components) != 2 {
		t.Fatalf("SBOM components %+v", d.Components)
	}
	fork, ssl := d.Components[0], d.Components[1]
	if fork.Name != "mynginx" || fork.Type != "application" || fork.Version != "r2.0" || fork.license() != "" ||
		len(fork.prop("commit")) != 1 || fork.prop("commit")[0] != gitHead(t, repo) ||
		len(fork.ExternalReferences) != 1 || fork.ExternalReferences[0].Type != "vcs" || fork.ExternalReferences[0].URL != repo {
		t.Errorf("SBOM: custom nginx %+v", fork)
	}
	if ssl.Name != "myssl" || ssl.Type != "library" || ssl.sha256() != fileSHA256(t, filepath.Join(f.m.Dir, "boring", "boringssl-x.tar.gz")) ||
		ssl.PURL != "pkg:generic/myssl@custom?download_url="+sslURL || ssl.license() != "" {
		t.Errorf("SBOM: custom SSL %+v", ssl)
	}
	if d.Metadata.Component.Name != "mynginx" {
		t.Errorf("SBOM subject %q, want mynginx", d.Metadata.Component.Name)
	}
	src := filepath.Join(f.work, "mynginx", "r2.0", "mynginx-r2.0")
	b, err := os.ReadFile(filepath.Join(src, "configure.args"))
	if err != nil {
		t.Fatalf("configure did not run in %s: %v", src, err)
	}
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "--with-openssl=../myssl-custom --with-http_ssl_module" {
		t.Errorf("configure args %q", got)
	}
	if _, err := os.Stat(filepath.Join(f.work, "mynginx", "r2.0", "myssl-custom", "README")); err != nil {
		t.Errorf("custom SSL tarball not extracted: %v", err)
	}
	mustContain(t, "output", r.err, "mynginx/2.0.0", "nothing to verify boringssl-x.tar.gz")

	// Patches can target custom components by name.
	patch := filepath.Join(dir, "ssl.patch")
	os.WriteFile(patch, []byte("--- a/README\n+++ b/README\n@@ -1 +1,2 @@\n boring synthetic source\n+patched\n"), 0o644)
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "r2.0",
		"-customssl", sslURL, "-customsslname", "myssl", "-patch", "myssl="+patch, "-patch-opt", "-p1")
	if r.code != 0 {
		t.Fatalf("patched: exit %d\n%s", r.code, r.err)
	}
	readme, _ := os.ReadFile(filepath.Join(f.work, "mynginx", "r2.0", "myssl-custom", "README"))
	if !strings.Contains(string(readme), "patched") {
		t.Errorf("patch for the custom SSL library not applied:\n%s", readme)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", f.work, "-customnginx", repo, "-customnginxname", "mynginx"}, "is a git repository: give the tag"},
		{[]string{"-d", f.work, "-customnginx", repo, "-customnginxtag", "x"}, "-customnginx needs -customnginxname"},
		{[]string{"-d", f.work, "-customssl", sslURL, "-customsslname", "openssl"}, "name of a built-in component"},
		{[]string{"-d", f.work, "-customssl", sslURL, "-customsslname", "../x"}, "must be a plain name"},
		{[]string{"-d", f.work, "-customssl", sslURL, "-customsslname", "x", "-openssl"}, "-openssl and -customssl cannot be used together"},
	} {
		if r := run(t, tc.args...); r.code != 2 || !strings.Contains(r.err, tc.want) {
			t.Errorf("%q: exit %d\n%s", tc.args, r.code, r.err)
		}
	}
}

func TestOpenRestyBundle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// OpenResty's bundle: its configure takes -jN and nginx's options, and
	// make leaves the binary in build/nginx-<core>/objs/nginx.
	configure := `#!/bin/sh
printf '%s\n' "$@" > configure.args
for a in "$@"; do
	case "$a" in --with-pcre=*) d=${a#*=}; [ -d "$d" ] || { echo "missing $d" >&2; exit 1; } ;; esac
done
mkdir -p build/nginx-1.27.1/objs
printf '#!/bin/sh\necho "nginx version: openresty/1.27.1.2" >&2\n' > build/nginx-1.27.1/objs/nginx.in
printf 'all:\n\tcp build/nginx-1.27.1/objs/nginx.in build/nginx-1.27.1/objs/nginx\n\tchmod +x build/nginx-1.27.1/objs/nginx\n' > Makefile
`
	f.m.Add(t, "openresty", "openresty-1.27.1.2.tar.gz", []testmirror.Entry{
		{Name: "openresty-1.27.1.2/configure", Body: configure, Mode: 0o755},
	})
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-openresty", "-openrestyversion", "1.27.1.2", "-pcre", "-pcreversion", "10.42", "-j", "3")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	build := filepath.Join(f.work, "openresty", "1.27.1.2")
	b, _ := os.ReadFile(filepath.Join(build, "openresty-1.27.1.2", "configure.args"))
	// Library paths are absolute: OpenResty runs nginx's configure from build/nginx-*/.
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "--with-pcre="+filepath.Join(build, "pcre2-10.42")+" -j3" {
		t.Errorf("configure args %q", got)
	}
	mustContain(t, "output", r.err, "openresty/1.27.1.2", filepath.Join(build, "openresty-1.27.1.2", "build", "nginx-1.27.1", "objs", "nginx"))
}

// A custom nginx from a tarball of a git tree (GitHub's archive/…tar.gz)
// has auto/configure and no ./configure, like a git checkout.
func TestCustomNginxFromGitArchiveTarball(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.m.Add(t, "fork", "release-2.0.tar.gz", []testmirror.Entry{
		{Name: "nginx-release-2.0/", Type: tar.TypeDir},
		{Name: "nginx-release-2.0/auto/configure", Body: testmirror.FakeConfigure("fork", "2.0"), Mode: 0o755},
		{Name: "nginx-release-2.0/src/core/nginx.h", Body: "#define NGINX_VERSION \"2.0\"\n"},
	})
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", f.m.URL+"/fork/release-2.0.tar.gz",
		"-customnginxname", "fork", "-customnginxtag", "2.0", "--", "--with-debug")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	src := filepath.Join(f.work, "fork", "2.0", "fork-2.0")
	if got := strings.Join(readLines(t, filepath.Join(src, "configure.args")), " "); got != "--with-debug" {
		t.Errorf("configure args %q", got)
	}
	mustContain(t, "output", r.err, "fork/2.0")
}
