package command

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A work dir whose path holds a character nginx's configure cannot take
// is refused before anything is fetched, saying why: configure used to
// fail with "eval: Syntax error: Unterminated quoted string".
func TestWorkDirPathConfigureCannotTake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, c string }{
		{"quote", "'"}, {"double quote", `"`}, {"dollar", "$"}, {"backtick", "`"}, {"newline", "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			work := filepath.Join(t.TempDir(), "my"+tc.c+"work")
			r := run(t, "-d", work, "--mirror", f.m.URL, "-v", "1.30.1")
			if r.code != 2 {
				t.Fatalf("-d %q: exit %d, want 2\n%s", work, r.code, r.err)
			}
			mustContain(t, "error", r.err, "-d: the work directory", "contains "+strconv.Quote(tc.c)+", which nginx's configure cannot handle")
			if _, err := os.Stat(work); !os.IsNotExist(err) {
				t.Errorf("the work dir was created: %v", err)
			}
			if n := f.m.TarballRequests(); n != 0 {
				t.Errorf("%d tarballs fetched before the refusal", n)
			}
		})
	}
}

// NGINX_BUILD_MIRROR set to a list of nothing (",,,") is an error naming
// the variable: it was taken as no mirror, and the run went upstream.
func TestEmptyMirrorListFromTheEnvironment(t *testing.T) {
	t.Parallel()
	for _, v := range []string{",,,", " ", " , "} {
		for _, cmd := range [][]string{{"-d", "work", "-v", "1.30.1"}, {"versions"}, {"fetch", "-v", "1.30.1"}} {
			t.Run(strconv.Quote(v)+" "+cmd[0], func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				setenv(t, "NGINX_BUILD_MIRROR", v)
				r := run(t, cmd...)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2\n%s", r.code, r.err)
				}
				mustContain(t, "error", r.err, "NGINX_BUILD_MIRROR="+strconv.Quote(v)+" names no mirror")
				if n := f.m.TarballRequests(); n != 0 {
					t.Errorf("%d tarballs fetched", n)
				}
			})
		}
	}
	// --mirror replaces the variable, whatever it holds.
	f := newFixture(t)
	setenv(t, "NGINX_BUILD_MIRROR", ",,,")
	if r := run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1"); r.code != 0 {
		t.Errorf("--mirror with NGINX_BUILD_MIRROR=\",,,\": exit %d\n%s", r.code, r.err)
	}
}
