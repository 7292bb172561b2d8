package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fetch takes a build's command line as is: the build-only flags (-d,
// -c, -j, -patch, configure options after "--" or given as flags) are
// checked, then ignored, as lock and mirror do.
func TestFetchTakesTheBuildsCommandLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := filepath.Join(dir, "configure.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n./configure --with-http_ssl_module\n"), 0o644)
	patch := filepath.Join(dir, "fix.patch")
	os.WriteFile(patch, []byte("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // on stderr when refused
	}{
		{name: "build flags", args: []string{"-j", "2", "-c", script, "-patch", patch, "-patch-opt", "-p1", "-clear"}},
		{name: "configure options after --", args: []string{"--", "--with-http_v2_module"}},
		{name: "configure options as flags", args: []string{"-with-http_v2_module"}},
		{name: "bad -j", args: []string{"-j", "0"}, code: ExitUsage, want: "-j must be at least 1"},
		{name: "missing -c", args: []string{"-c", filepath.Join(dir, "none.sh")}, code: ExitUsage, want: "-c " + filepath.Join(dir, "none.sh")},
		{name: "--sudo alone", args: []string{"--sudo"}, code: ExitUsage, want: "--sudo goes with --install"},
		{name: "stray word", args: []string{"stray"}, code: ExitUsage, want: `unexpected argument "stray"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			args := append([]string{"fetch", "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.42"}, tc.args...)
			r := run(t, args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.err)
			}
			if tc.code != 0 {
				mustContain(t, "stderr", r.err, tc.want)
				if n := f.m.TarballRequests(); n != 0 {
					t.Errorf("%d tarball requests before the usage error", n)
				}
				return
			}
			mustContain(t, "fetch table", r.out, "nginx-1.30.1.tar.gz", "pcre2-10.42.tar.gz")
			if _, err := os.Stat(f.work); err == nil {
				t.Errorf("fetch created the work dir %s", f.work)
			}
		})
	}
}

var hexRun = regexp.MustCompile(`\b[0-9a-f]{12,}\b`)

// The fetch table fits a terminal's width (sha256s shortened to 12
// characters, paths cut in the middle); piped, every value is in full;
// --json has them all in full.
func TestFetchTableFitsTheTerminal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	args := []string{"fetch", "--mirror", f.m.URL, "-v", "1.30.1", "-openssl", "-opensslversion", "3.0.20", "-pcre", "-pcreversion", "10.42"}
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.err)
	}
	r := run(t, append(args, "--json")...)
	var fetched []fetchedTarball
	if err := json.Unmarshal([]byte(r.out), &fetched); err != nil || len(fetched) != 3 {
		t.Fatalf("--json: %v (%d entries)\n%s", err, len(fetched), r.out)
	}
	for _, x := range fetched {
		if len(x.SHA256) != 64 || !strings.HasPrefix(x.Path, f.cache) || !x.Cached {
			t.Errorf("--json entry %+v: want the full sha256 and path, cached", x)
		}
	}

	for _, tc := range []struct {
		name  string
		width int
	}{
		{"not a terminal", 0},
		{"terminal of 100 columns", 100},
		{"terminal of 80 columns", 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setWidth(t, tc.width)
			newFixtureCache(t, f)
			r := run(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.err)
			}
			lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
			if len(lines) != 4 {
				t.Fatalf("want a header and 3 rows:\n%s", r.out)
			}
			for i, x := range fetched {
				line := lines[i+1]
				if tc.width == 0 {
					mustContain(t, "row", line, x.SHA256, x.Path)
					continue
				}
				if n := utf8.RuneCountInString(line); n > tc.width {
					t.Errorf("line of %d columns on a terminal of %d:\n%s", n, tc.width, line)
				}
				if got := hexRun.FindString(line); got != x.SHA256[:12] {
					t.Errorf("sha256 shown as %q, want %q:\n%s", got, x.SHA256[:12], line)
				}
				if base := filepath.Base(x.Path); !strings.HasSuffix(line, base) {
					t.Errorf("the path's file name %s is cut:\n%s", base, line)
				}
			}
		})
	}
}

// newFixtureCache points t's runs at f's cache and mirror (a subtest has
// its own environment).
func newFixtureCache(t *testing.T, f *fixture) {
	t.Helper()
	setenv(t, "NGINX_BUILD_CACHE", f.cache)
	setenv(t, "NGINX_BUILD_MIRROR", "")
}

// The "nothing to verify" warning is given once per cached tarball,
// whichever command fetched it; fetch, lock, mirror and build after that
// name the unverified tarballs in one line.
func TestUnverifiedWarningOncePerCachedTarball(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	comps := []string{"--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.42", "-zlib", "-zlibversion", "1.2.13"}
	lock := filepath.Join(t.TempDir(), "nginx-build.lock")
	const summary = "warning: 3 tarballs unverified (nginx 1.30.1, pcre2 10.42, zlib 1.2.13): nothing to check them against, as said when they were first fetched"
	for i, args := range [][]string{
		append([]string{"fetch"}, comps...),
		append([]string{"fetch"}, comps...),
		append([]string{"lock", "--lockfile", lock}, comps...),
		append([]string{"mirror", t.TempDir()}, comps...),
		append([]string{"-d", f.work, "--lockfile", filepath.Join(t.TempDir(), "none.lock")}, comps...),
	} {
		r := run(t, args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", args[0], r.code, r.err)
		}
		full := strings.Count(r.err, ": nothing to verify ")
		switch {
		case i == 0 && (full != 3 || strings.Contains(r.err, "unverified (")):
			t.Errorf("first fetch: want the full warning for each of 3 tarballs, no summary:\n%s", r.err)
		case i > 0 && (full != 0 || strings.Count(r.err, summary) != 1):
			t.Errorf("%s after the first fetch: want only the summary line:\n%s", args[0], r.err)
		}
	}
}
