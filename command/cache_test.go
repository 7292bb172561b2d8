package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
)

// cache ls lists the git clones of modules beside the tarballs, and its
// total is what cache clean then frees.
func TestCacheListsClonesAndTheTotalCleanFrees(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	repo := gitRepo(t, filepath.Join(dir, "echo-module"))
	git(t, repo, "tag", "v1")
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "echo-module", "form": "git", "url": "`+repo+`", "rev": "v1"}]`), 0o644)
	if r := run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.42", "-m", mods); r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.err)
	}

	r := run(t, "cache", "ls")
	if r.code != 0 {
		t.Fatalf("cache ls: exit %d\n%s", r.code, r.err)
	}
	clone := regexp.MustCompile(`(?m)^git +\S+ \S+ +` + regexp.QuoteMeta(repo) + ` +` + regexp.QuoteMeta(filepath.Join(f.cache, "git")) + `/[0-9a-f]+\.git$`)
	if !clone.MatchString(r.out) {
		t.Errorf("cache ls does not list the clone of %s:\n%s", repo, r.out)
	}
	mustContain(t, "cache ls", r.out, "nginx-1.30.1.tar.gz", "pcre2-10.42.tar.gz", "CLONE")
	mustContain(t, "cache ls", r.err, "2 tarball(s)", "1 clone(s)")
	listed := regexp.MustCompile(`: (\S+ \S+) in `).FindStringSubmatch(r.err)
	if listed == nil {
		t.Fatalf("no total in:\n%s", r.err)
	}

	r = run(t, "cache", "ls", "--json")
	var entries []fetch.CacheEntry
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatalf("cache ls --json: %v\n%s", err, r.out)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		kinds[e.Kind]++
		if e.Kind == "git" && (e.URL != repo || e.Size == 0) {
			t.Errorf("clone entry %+v: want url %s and its size", e, repo)
		}
	}
	if kinds["tarball"] != 2 || kinds["git"] != 1 {
		t.Errorf("--json kinds %v, want 2 tarballs and 1 git clone", kinds)
	}

	r = run(t, "cache", "clean")
	freed := regexp.MustCompile(`freed (\S+ \S+) in `).FindStringSubmatch(r.err)
	if r.code != 0 || freed == nil {
		t.Fatalf("cache clean: exit %d\n%s", r.code, r.err)
	}
	if freed[1] != listed[1] {
		t.Errorf("cache ls totals %s, cache clean freed %s", listed[1], freed[1])
	}
}

// --older-than counts in days and weeks too.
func TestCacheCleanOlderThan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if r := run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1"); r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.err)
	}
	tarballs, _ := filepath.Glob(filepath.Join(f.cache, "sha256", "*", "nginx-1.30.1.tar.gz"))
	if len(tarballs) != 1 {
		t.Fatalf("cached nginx: %v", tarballs)
	}
	tenDays := time.Now().Add(-10 * 24 * time.Hour)
	os.Chtimes(tarballs[0], tenDays, tenDays)
	for _, tc := range []struct {
		age     string
		code    int
		removed bool
		want    string
	}{
		{age: "2w", want: "freed 0 B"},
		{age: "11d", want: "freed 0 B"},
		{age: "1w2d", removed: true, want: "freed "},
	} {
		r := run(t, "cache", "clean", "--older-than", tc.age)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("--older-than %s: exit %d, want %d and %q\n%s", tc.age, r.code, tc.code, tc.want, r.err)
		}
		_, err := os.Stat(tarballs[0])
		if gone := err != nil; gone != tc.removed {
			t.Errorf("--older-than %s: removed %v, want %v", tc.age, gone, tc.removed)
		}
	}
	r := run(t, "cache", "clean", "--older-than", "7x")
	if r.code != ExitUsage || !strings.Contains(r.err, `"7x" is not a duration: use e.g. 30d, 2w, 36h or 90m`) {
		t.Errorf("--older-than 7x: exit %d\n%s", r.code, r.err)
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "7d", want: 7 * day},
		{in: "2w", want: 14 * day},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "1w2d12h", want: 9*day + 12*time.Hour},
		{in: "36h", want: 36 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "0", want: 0},
		{in: "7", bad: true},
		{in: "d", bad: true},
		{in: "7x", bad: true},
		{in: "12h1d", bad: true},
		{in: "1..5d", bad: true},
		{in: "", bad: true},
	} {
		got, err := parseAge(tc.in)
		switch {
		case tc.bad && err == nil:
			t.Errorf("parseAge(%q) = %v, want an error", tc.in, got)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("parseAge(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// One tarball, named by a directory mirror and by the same mirror over
// HTTP, is stored once: the HTTP fetch finds it by the checksum published
// beside it and never asks for the tarball. cache ls lists it once, with
// both URLs; a damaged copy is caught by cache verify and fetched again;
// clean removes it and the records of both URLs.
func TestCacheStoresOneCopyPerSHA256(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.publishSHA256(t, "nginx", "nginx-1.30.1.tar.gz")
	const tarball = "/nginx/nginx-1.30.1.tar.gz"
	for _, mirror := range []string{f.m.Dir, f.m.URL, f.m.Dir} {
		if r := run(t, "fetch", "--mirror", mirror, "-v", "1.30.1"); r.code != 0 {
			t.Fatalf("fetch from %s: exit %d\n%s", mirror, r.code, r.err)
		}
	}
	if n := f.m.Requests(tarball); n != 0 {
		t.Errorf("the HTTP mirror's tarball was requested %d times, want 0 (the cache had it)", n)
	}
	stored, _ := filepath.Glob(filepath.Join(f.cache, "sha256", "*", "nginx-1.30.1.tar.gz"))
	if len(stored) != 1 {
		t.Fatalf("stored copies: %v, want one", stored)
	}

	r := run(t, "cache", "ls", "--json")
	var entries []fetch.CacheEntry
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatalf("cache ls --json: %v\n%s", err, r.out)
	}
	if len(entries) != 1 || entries[0].Path != stored[0] || len(entries[0].Sources) != 2 {
		t.Fatalf("cache ls --json: want the tarball once, with two URLs:\n%s", r.out)
	}
	r = run(t, "cache", "ls")
	mustContain(t, "cache ls", r.out, "file://"+filepath.Join(f.m.Dir, "nginx", "nginx-1.30.1.tar.gz"), f.m.URL+tarball)
	mustContain(t, "cache ls", r.err, "1 tarball(s)")

	os.WriteFile(stored[0], []byte("rotten"), 0o644)
	if r := run(t, "cache", "verify"); r.code != 1 || !strings.Contains(r.out, stored[0]+": damaged") {
		t.Errorf("cache verify of a damaged copy: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1"); r.code != 0 || f.m.Requests(tarball) != 1 {
		t.Fatalf("fetch after verify: exit %d, %d requests for the tarball, want 1\n%s", r.code, f.m.Requests(tarball), r.err)
	}
	if r := run(t, "cache", "clean"); r.code != 0 {
		t.Fatalf("cache clean: exit %d\n%s", r.code, r.err)
	}
	filepathWalk(t, f.cache, func(p string) {
		if strings.Contains(p, "nginx-1.30.1.tar.gz") {
			t.Errorf("cache clean left %s", p)
		}
	})
}
