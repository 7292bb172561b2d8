package source

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzComponents is every component, in a fixed order so that a fuzzer's
// byte picks the same one on every run.
func fuzzComponents(t testing.TB) []Component {
	var cs []Component
	for _, name := range Names() {
		c, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

func addFixtures(f *testing.F, add func(data []byte)) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue // testdata/fuzz holds the corpora
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// checkVersionList asserts what every caller relies on from versionsIn:
// valid versions only, no duplicates, newest first.
func checkVersionList(t *testing.T, what string, vs []string) {
	t.Helper()
	seen := map[string]bool{}
	for i, v := range vs {
		if !ValidVersion(v) {
			t.Errorf("%s: invalid version %q listed", what, v)
		}
		if seen[v] {
			t.Errorf("%s: %q listed twice", what, v)
		}
		seen[v] = true
		if i > 0 && CompareVersions(vs[i-1], v) < 0 {
			t.Errorf("%s: %q listed before newer %q", what, vs[i-1], v)
		}
	}
}

// seedExcerpt keeps fuzz seeds small, because the fuzzer minimizes each
// new input in a number of steps quadratic in its length: a real GitHub
// releases page keeps only the fields we read, and an HTML listing its
// first lines.
func seedExcerpt(b []byte) []byte {
	var releases []struct {
		Tag        string `json:"tag_name"`
		Prerelease bool   `json:"prerelease"`
	}
	if json.Unmarshal(b, &releases) == nil {
		out, err := json.Marshal(releases)
		if err == nil {
			return out
		}
	}
	const max = 640
	if len(b) <= max {
		return b
	}
	if i := bytes.LastIndexByte(b[:max], '\n'); i > 0 {
		return b[:i+1]
	}
	return b[:max]
}

// FuzzIndex feeds arbitrary bodies to the index parsers: HTML listings for
// mirrors and upstream pages, and GitHub's releases JSON.
func FuzzIndex(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(seedExcerpt(b), "nginx-1.22.1.tar.gz", uint8(len(b))) })
	for i, s := range []string{
		``,
		`<a href="nginx-1.22.1.tar.gz">x</a><a href=nginx-1.23.0.tar.gz.asc><A HREF='../'>`,
		`<a href="/download/zlib-1.3.1.tar.gz?x=1#y"><a href="https://zlib.net/fossils/zlib-1.2.13.tar.xz">`,
		`[{"tag_name": "OpenSSL_1_1_1w", "prerelease": false}, {"tag_name": "openssl-3.0.0-alpha1", "prerelease": true}]`,
		`[{"tag_name": "pcre2-10.42"}, {"tag_name": 1}]`,
		`{"message": "API rate limit exceeded"}`,
		`<a href="&#0;&amp;&lt;"><a href=`,
	} {
		f.Add([]byte(s), "a&b\"c'd<e>", uint8(i))
	}
	comps := fuzzComponents(f)
	f.Fuzz(func(t *testing.T, body []byte, href string, pick uint8) {
		// The parse depends only on whether the URL is GitHub's API (and
		// on the component for OpenSSL's old tags); versionsIn is where
		// the component matters, and one per input keeps runs fast.
		htmlNames, err := indexFileNames(comps[0], comps[0].IndexURL, body)
		if err != nil {
			t.Fatalf("indexFileNames on an HTML page: %v", err)
		}
		for _, n := range htmlNames {
			if strings.Contains(n, "/") {
				t.Errorf("link read as file name %q", n)
			}
		}
		names := htmlNames
		for _, c := range comps {
			if !strings.HasPrefix(c.IndexURL, "https://api.github.com/") {
				continue
			}
			found, err := indexFileNames(c, c.IndexURL, body)
			if err != nil {
				if found != nil {
					t.Errorf("indexFileNames returned names and an error")
				}
				if !strings.Contains(err.Error(), c.Name) {
					t.Errorf("error %q does not name %s", err, c.Name)
				}
				continue
			}
			for _, n := range found {
				if !strings.HasSuffix(n, ".tar.gz") {
					t.Errorf("release tag read as %q", n)
				}
			}
			names = append(names, found...)
		}
		c := comps[int(pick)%len(comps)]
		checkVersionList(t, c.Name, versionsIn(c, names))

		// A link written out the way a listing does must be read back.
		if !utf8.ValidString(href) || strings.ContainsAny(href, "\x00\r") {
			return
		}
		page := `<html><body><a class="x" href="` + html.EscapeString(href) + `">file</a></body></html>`
		if got := Links([]byte(page)); !slices.Equal(got, []string{href}) {
			t.Errorf("Links(%q) = %q, want [%q]", page, got, href)
		}
	})
}

var plainVersion = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)

// incDecimal adds one to a string of decimal digits of any length.
func incDecimal(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// FuzzCompareVersions checks that CompareVersions is a consistent order on
// valid versions, whatever their length.
func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][3]string{
		{"1.22.1", "1.9.15", "1.22.1"},
		{"1.1.1w", "1.1.1", "1.1.1a"},
		{"1.15.8.1rc1", "1.15.8.1", "1.15.8.1RC2"},
		{"3.0.0-alpha1", "3.0.0-beta1", "3.0.0.pre"},
		{"1.0", "1.0.0", "01.0"},
		{"10.42", "10.9", "1.27.1.2"},
		{"99999999999999999999", "9223372036854775807", "1.0rc10"},
		{"", "x", "1..2"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ab := CompareVersions(a, b)
		if ab < -1 || ab > 1 {
			t.Fatalf("CompareVersions(%q, %q) = %d, not -1, 0 or +1", a, b, ab)
		}
		if got := CompareVersions(a, a); got != 0 {
			t.Fatalf("CompareVersions(%q, itself) = %d", a, got)
		}
		if !ValidVersion(a) || !ValidVersion(b) {
			return
		}
		if ba := CompareVersions(b, a); ab != -ba {
			t.Fatalf("CompareVersions(%q, %q) = %d but reversed = %d", a, b, ab, ba)
		}
		if ValidVersion(c) {
			bc, ac := CompareVersions(b, c), CompareVersions(a, c)
			if ab <= 0 && bc <= 0 && ac > 0 || ab >= 0 && bc >= 0 && ac < 0 {
				t.Fatalf("not transitive: %q %q %q compare %d %d %d", a, b, c, ab, bc, ac)
			}
		}
		if IsPrerelease(a) {
			return
		}
		// A pre-release sorts before its release.
		if pre := a + "-rc1"; ValidVersion(pre) {
			if got := CompareVersions(pre, a); got >= 0 || !IsPrerelease(pre) {
				t.Fatalf("CompareVersions(%q, %q) = %d, IsPrerelease = %v", pre, a, got, IsPrerelease(pre))
			}
		}
		// Bumping the last number, however long, makes a newer version.
		if plainVersion.MatchString(a) {
			i := strings.LastIndexByte(a, '.') + 1
			next := a[:i] + incDecimal(a[i:])
			if ValidVersion(next) {
				if got := CompareVersions(next, a); got != 1 {
					t.Fatalf("CompareVersions(%q, %q) = %d, want 1", next, a, got)
				}
			}
		}
	})
}

// FuzzConstraint parses arbitrary constraints and picks from arbitrary
// version lists (Debian's versions reach Pick unvalidated).
func FuzzConstraint(f *testing.F) {
	for _, s := range [][5]string{
		{"1.22.1", "1.22.1", "1.23.0", "1.21.9", "nginx"},
		{"latest", "1.27.3", "1.28.0rc1", "1.26.2", "nginx"},
		{"stable", "1.27.3", "1.26.2", "1.29.0", "nginx"},
		{"mainline", "1.27.3", "1.26.2", "", "freenginx"},
		{"1.27.x", "1.27.3", "1.27.10", "1.28.0", "nginx"},
		{"~1.26", "1.26.0", "1.26.1.2", "1.27.0", "openresty"},
		{"^3.0", "3.0.20", "3.5.0-beta1", "1.1.1w", "openssl"},
		{">=1.25, <1.27", "1.25.5", "1.26.3", "1.27.0", "nginx"},
		{" 10.42 ", "10.42", "10.40", "10.9", "pcre2"},
		{"stable", "1.3.1", "1.2.13", "1.3", "zlib"},
		{"1.2.x || >= 4", "4.0.0", "x", "1.2", "libressl"},
		{"*", "garbage", "1..2", "99999999999999999999.0", "nginx"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	comps := fuzzComponents(f)
	f.Fuzz(func(t *testing.T, s, v1, v2, v3, comp string) {
		c := comps[0]
		for _, cc := range comps {
			if cc.Name == comp {
				c = cc
			}
		}
		k, err := ParseConstraint(c, s)
		if err != nil {
			if k.Raw != "" || k.rng != nil || k.exact != "" || k.alias != "" {
				t.Errorf("error %v with non-zero constraint %+v", err, k)
			}
			if !strings.Contains(err.Error(), c.Name) {
				t.Errorf("error %q does not name %s", err, c.Name)
			}
			return
		}
		if k.String() != strings.TrimSpace(s) {
			t.Errorf("String() = %q, want %q", k.String(), strings.TrimSpace(s))
		}
		exact, isExact := k.Exact()
		if isExact && !ValidVersion(exact) {
			t.Errorf("exact constraint %q is not a valid version", exact)
		}

		versions := []string{v1, v2, v3}
		got, err := k.Pick(c, versions)
		if err != nil {
			if !strings.Contains(err.Error(), c.Name) {
				t.Errorf("error %q does not name %s", err, c.Name)
			}
			return
		}
		if !slices.Contains(versions, got) {
			t.Fatalf("Pick = %q, not one of %q", got, versions)
		}
		if isExact {
			if got != exact {
				t.Fatalf("Pick = %q for exact %q", got, exact)
			}
			return
		}
		if IsPrerelease(got) {
			t.Fatalf("Pick(%q) = pre-release %q", s, got)
		}
		matches := func(v string) bool {
			switch k.alias {
			case "latest":
				return true
			case "stable", "mainline":
				return IsStableLine(v) == (k.alias == "stable")
			}
			sv, err := toSemver(v)
			return err == nil && k.rng.Check(sv)
		}
		if !matches(got) {
			t.Fatalf("Pick(%q) = %q, which does not match", s, got)
		}
		if k.alias == "stable" || k.alias == "mainline" {
			// Only the newest line of the kind counts, so "newer" is
			// only checked within got's line.
			for _, v := range versions {
				if Line(v) == Line(got) && !IsPrerelease(v) && CompareVersions(v, got) > 0 {
					t.Fatalf("Pick(%q) = %q, but %q is newer in the same line", s, got, v)
				}
			}
			return
		}
		for _, v := range versions {
			if !IsPrerelease(v) && matches(v) && CompareVersions(v, got) > 0 {
				t.Fatalf("Pick(%q) = %q, but %q also matches and is newer", s, got, v)
			}
		}
	})
}

// FuzzShowsrc feeds arbitrary `apt-cache showsrc` output to parseShowsrc.
func FuzzShowsrc(f *testing.F) {
	real, err := os.ReadFile(filepath.Join("testdata", "apt-showsrc-zlib.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(real), "zlib")
	f.Add(string(real), "zlib1g")
	f.Add("Package: nginx\nVersion: 1.22.1-9+deb12u9\nChecksums-Sha256:\n"+
		" aa 1073948 nginx_1.22.1.orig.tar.gz\n bb 833 nginx_1.22.1.orig.tar.gz.asc\n cc 86524 nginx_1.22.1-9+deb12u9.debian.tar.xz\n\n", "nginx")
	f.Add("Package: pcre2\nChecksums-Sha256:\n x 1 pcre2_10.42.orig.tar.gz\nVersion: 10.42-1\n", "pcre2")
	f.Add("Package: openssl\r\nVersion: 3.0.20-1~deb12u2\r\nChecksums-Sha256:\r\n a 1 openssl_3.0.20.orig.tar.gz\r\n", "openssl")
	f.Add("Package: \nVersion: \nChecksums-Sha256:\n a 1 .orig.tar.\n", "")
	f.Fuzz(func(t *testing.T, out, pkg string) {
		vs := parseShowsrc(out, pkg)
		seen := map[string]bool{}
		for _, v := range vs {
			if !strings.Contains(v.Orig, ".orig.tar.") || strings.HasSuffix(v.Orig, ".asc") {
				t.Errorf("orig tarball %q is not one", v.Orig)
			}
			if v.OrigSHA256 == "" || strings.ContainsAny(v.OrigSHA256+v.Orig, " \t\n") {
				t.Errorf("bad checksum line parsed: %+v", v)
			}
			if v.OrigASC != "" && !strings.HasSuffix(v.OrigASC, ".asc") {
				t.Errorf("signature %q is not a .asc", v.OrigASC)
			}
			if seen[v.Debian] {
				t.Errorf("version %q listed twice", v.Debian)
			}
			seen[v.Debian] = true
			if v.Upstream != UpstreamOf(v.Debian) {
				t.Errorf("upstream %q of %q, want %q", v.Upstream, v.Debian, UpstreamOf(v.Debian))
			}
			if !strings.HasPrefix(origExt(v.Orig), ".tar.") {
				t.Errorf("origExt(%q) = %q", v.Orig, origExt(v.Orig))
			}
		}
	})
}

// Regression (found by FuzzCompareVersions): parts beyond int64 all
// parsed as the same clamped number, so distinct valid versions compared
// equal and sorted arbitrarily.
func TestCompareVersionsHugeParts(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"100000000000000000000", "99999999999999999999", 1},
		{"1.9223372036854775808", "1.9223372036854775807", 1},
		{"1.99999999999999999999a", "1.99999999999999999999", 1},
		{"1.0000000000000000000000001", "1.1", 0},
		{"1.00", "1.0", 0},
		{"2.0", "10.0", -1},
	}
	for _, tc := range tests {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
