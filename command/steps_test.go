package command

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
)

// stepsNginx is a synthetic nginx whose configure counts its runs in
// configure.runs (a marker that re-extraction would wipe) and whose make
// hangs while the file named by $NGINX_TEST_SLOW_MAKE exists: the same
// inputs, slow or fast at will.
func stepsNginx(version string) []testmirror.Entry {
	top := "nginx-" + version + "/"
	configure := `#!/bin/sh
echo ran >> configure.runs
for a in "$@"; do
	case "$a" in --with-pcre=*) d=${a#*=}; [ -d "$d" ] || { echo "missing $d" >&2; exit 1; } ;; esac
done
mkdir -p objs
printf '#!/bin/sh\necho "nginx version: nginx/` + version + `" >&2\n' > objs/nginx.in
{
	echo 'all: objs/nginx'
	echo 'objs/nginx: objs/nginx.in'
	printf '\t@if [ -n "$$NGINX_TEST_SLOW_MAKE" ] && [ -f "$$NGINX_TEST_SLOW_MAKE" ]; then echo slow; sleep 60; fi\n'
	printf '\tcp objs/nginx.in objs/nginx\n\tchmod +x objs/nginx\n'
} > Makefile
`
	return []testmirror.Entry{
		{Name: top, Type: tar.TypeDir},
		{Name: top + "configure", Body: configure, Mode: 0o755},
		{Name: top + "src/core/nginx.h", Body: "#define NGINX_VERSION \"" + version + "\"\n"},
	}
}

// TestStepStamps: an interrupted extraction is redone from scratch; after
// a make interrupted by SIGINT, the next run with the same inputs neither
// extracts nor configures again (configure's marker survives, configure
// ran once) and resumes make, which produces a working binary.
func TestStepStamps(t *testing.T) {
	t.Parallel()
	tool := buildTool(t)
	f := newFixture(t)
	f.m.Add(t, "nginx", "nginx-1.30.2.tar.gz", stepsNginx("1.30.2"))
	// A big PCRE2 (mostly zeros, small compressed) makes extraction slow
	// enough to interrupt.
	entries := []testmirror.Entry{{Name: "pcre2-10.99/", Type: tar.TypeDir}}
	zeros := strings.Repeat("\x00", 4<<20)
	for i := range 60 {
		entries = append(entries, testmirror.Entry{Name: "pcre2-10.99/big" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Body: zeros})
	}
	f.m.Add(t, "pcre2", "pcre2-10.99.tar.gz", entries)
	args := []string{"-d", f.work, "--mirror", f.m.URL, "-v", "1.30.2", "-pcre", "-pcreversion", "10.99", "--lockfile", filepath.Join(t.TempDir(), "none.lock")}
	if r := run(t, append([]string{"fetch"}, args[2:]...)...); r.code != 0 {
		t.Fatalf("fetch: %s", r.err)
	}
	build := filepath.Join(f.work, "nginx", "1.30.2")
	src := filepath.Join(build, "nginx-1.30.2")
	slow := filepath.Join(t.TempDir(), "slow")
	os.WriteFile(slow, nil, 0o644)
	// make reads it: it goes to the interrupted processes' environment.
	slowMake := []string{"NGINX_TEST_SLOW_MAKE=" + slow}

	// 1. Interrupted during extraction.
	code, out, _ := interrupt(t, tool, f.cache, slowMake, func(string) bool {
		m, _ := filepath.Glob(filepath.Join(build, ".extract-*"))
		return len(m) > 0
	}, args...)
	if code == 0 || strings.Contains(out, "extracted 2 source trees") {
		t.Fatalf("the extraction was not interrupted: exit %d\n%s", code, out)
	}

	// 2. The next run extracts again, from scratch, and is interrupted
	// during make.
	code, out, _ = interrupt(t, tool, f.cache, slowMake, func(o string) bool { return strings.Contains(o, "compiling with make") }, args...)
	if code == 0 {
		t.Fatalf("make was not interrupted:\n%s", out)
	}
	mustContain(t, "run after the interrupted extraction", out, "extracted 2 source trees", "configuring nginx 1.30.2")
	if strings.Contains(out, "reusing") {
		t.Errorf("a tree whose extraction was interrupted was reused:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(src, "objs", "nginx")); err == nil {
		t.Fatalf("make was interrupted, yet objs/nginx exists")
	}

	// 3. Same inputs: make resumes in the same tree.
	os.Remove(slow)
	r := runCtx(t, context.Background(), args...)
	if r.code != 0 {
		t.Fatalf("run after the interrupted make: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "run after the interrupted make", r.err,
		"reusing the sources an earlier run with the same inputs extracted and patched",
		"was configured with the same inputs by an earlier run; not running configure again",
		"compiling with make", "nginx version: nginx/1.30.2")
	if strings.Contains(r.err, "extracted 2 source trees") || strings.Contains(r.err, "configuring nginx") {
		t.Errorf("extracted or configured again:\n%s", r.err)
	}
	if b, err := os.ReadFile(filepath.Join(src, "configure.runs")); err != nil || string(b) != "ran\n" {
		t.Errorf("configure.runs = %q (%v): want configure's one run, kept", b, err)
	}
	if _, err := os.Stat(filepath.Join(src, "objs", "nginx")); err != nil {
		t.Errorf("no binary: %v", err)
	}
	// And then the build is up to date.
	if r := run(t, args...); r.code != 0 || !strings.Contains(r.err, "is up to date") {
		t.Errorf("rerun: exit %d\n%s", r.code, r.err)
	}
}
