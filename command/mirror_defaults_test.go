package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
)

// TestMirrorWithoutVersions: a build from a mirror given no version flags
// takes the newest stable release the mirror has of each component (not
// nginx-build's built-in defaults, which this mirror lacks) and says so;
// the lockfile pins what was taken. Over HTTP and from a directory.
func TestMirrorWithoutVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // nginx 1.30.1 (stable) and 1.31.0 (mainline), pcre2 10.42, openssl 3.0.20, zlib 1.2.13
	f.m.AddLibrary(t, "pcre2", "pcre2-10.43-RC1.tar.gz", "pcre2-10.43-RC1")
	for name, mirror := range map[string]string{"http": f.m.URL + "/", "directory": f.m.Dir} {
		t.Run(name, func(t *testing.T) {
			work := filepath.Join(t.TempDir(), "work")
			r := run(t, "-d", work, "--mirror", mirror, "--cache-dir", t.TempDir(), "-pcre", "-openssl", "-zlib")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.err)
			}
			for _, want := range []string{
				"nginx: no version asked; using 1.30.1, the newest stable on mirror " + mirror + "\n",
				"pcre2: no version asked; using 10.42, the newest stable on mirror " + mirror + "\n",
				"openssl: no version asked; using 3.0.20, the newest stable on mirror " + mirror + "\n",
				"zlib: no version asked; using 1.2.13, the newest stable on mirror " + mirror + "\n",
				"nginx version: nginx/1.30.1",
			} {
				if !strings.Contains(r.err, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.err)
				}
			}
			b, _ := os.ReadFile(filepath.Join(work, "nginx", "1.30.1", "nginx-1.30.1", "configure.args"))
			mustContain(t, "configure args", string(b), "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--with-zlib=../zlib-1.2.13")
			lock := filepath.Join(t.TempDir(), "nginx-build.lock")
			if r := run(t, "lock", "--mirror", mirror, "--cache-dir", t.TempDir(), "--lockfile", lock, "-pcre"); r.code != 0 {
				t.Fatalf("lock: exit %d\n%s", r.code, r.err)
			}
			l, _ := os.ReadFile(lock)
			mustContain(t, "lockfile", strings.Join(strings.Fields(string(l)), " "),
				`"name": "nginx", "constraint": "stable", "version": "1.30.1"`, `"name": "pcre2", "constraint": "latest", "version": "10.42"`)
		})
	}
}

// TestMirrorMainlineOnly: a mirror with no stable nginx gives its newest,
// saying that it is not a stable one.
func TestMirrorMainlineOnly(t *testing.T) {
	t.Parallel()
	m := testmirror.New(t)
	m.AddNginx(t, "nginx", "1.29.2")
	m.AddNginx(t, "nginx", "1.31.0")
	r := run(t, "-d", filepath.Join(t.TempDir(), "work"), "--mirror", m.Dir, "--cache-dir", t.TempDir(), "--dry-run")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "stderr", r.err, "nginx: no version asked; using 1.31.0, the newest on mirror "+m.Dir+" (it has no stable nginx)")
}

// TestMirrorNamesEveryMissingComponent: whatever a mirror lacks, one run
// names all of it: components it has no release of at all (no version
// asked), and exact versions it does not hold.
func TestMirrorNamesEveryMissingComponent(t *testing.T) {
	t.Parallel()
	m := testmirror.New(t)
	m.AddNginx(t, "nginx", "1.30.1")
	m.AddLibrary(t, "openssl", "openssl-3.0.20.tar.gz", "openssl-3.0.20")
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"no release at all", []string{"-pcre", "-zlib"}, []string{
			"2 components cannot be resolved:\n",
			"\n  pcre2: no version asked, and no pcre2 release found on mirror " + m.Dir,
			"\n  zlib: no version asked, and no zlib release found on mirror " + m.Dir,
		}},
		{"exact versions", []string{"-v", "1.30.9", "-openssl", "-opensslversion", "3.0.99", "-zlib", "-zlibversion", "1.2.13"}, []string{
			"3 components cannot be resolved:\n",
			"\n  resolve nginx 1.30.9: nginx 1.30.9: mirror " + m.Dir + " has no nginx-1.30.9.tar.{gz,xz,bz2} in nginx/; nearest it has: 1.30.1",
			"\n  resolve openssl 3.0.99: openssl 3.0.99: mirror " + m.Dir + " has no openssl-3.0.99.tar.{gz,xz,bz2} in openssl/; nearest it has: 3.0.20",
			"\n  resolve zlib 1.2.13: ",
		}},
		{"both", []string{"-pcre", "-zlib", "-zlibversion", "1.2.13", "-openssl", "-opensslversion", "3.0.20"}, []string{
			"2 components cannot be resolved:\n",
			"\n  pcre2: no version asked, and no pcre2 release found on mirror " + m.Dir,
			"\n  resolve zlib 1.2.13: ",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-d", filepath.Join(t.TempDir(), "work"), "--mirror", m.Dir, "--cache-dir", t.TempDir()}, tc.flags...)
			r := run(t, args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.err, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.err)
				}
			}
			if strings.Contains(r.err, "openssl 3.0.20") {
				t.Errorf("a component the mirror has is named as missing:\n%s", r.err)
			}
		})
	}
}
