package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPickOverNginxOrgVersionList(t *testing.T) {
	c, _ := Lookup("nginx")
	versions := EmbeddedVersions(c) // nginx.org's xml/versions.xml
	if len(versions) != 320 {       // 321 items; 1.3.16 is listed twice
		t.Fatalf("embedded nginx list has %d versions, want 320", len(versions))
	}
	for _, tc := range []struct{ constraint, want string }{
		{"stable", "1.30.4"},
		{"mainline", "1.31.3"},
		{"latest", "1.31.3"},
		{"1.22.1", "1.22.1"},
		{"1.27.x", "1.27.5"},
		{"~1.26", "1.26.3"},
		{"~1.26.1", "1.26.3"},
		{">=1.25, <1.27", "1.26.3"},
		{"^1.22", "1.31.3"},
		{"<1.10", "1.9.15"},
		{"1.9.x", "1.9.15"},
		{"0.5.x", "0.5.38"},
	} {
		k, err := ParseConstraint(c, tc.constraint)
		if err != nil {
			t.Errorf("ParseConstraint(%q): %v", tc.constraint, err)
			continue
		}
		got, err := k.Pick(c, versions)
		if err != nil || got != tc.want {
			t.Errorf("Pick(%q) = %q, %v; want %q", tc.constraint, got, err, tc.want)
		}
	}
}

func TestPickOtherSchemes(t *testing.T) {
	for _, tc := range []struct {
		component, constraint string
		versions              []string
		want                  string
	}{
		// OpenResty: four parts, and release candidates never picked unless named.
		{"openresty", "latest", []string{"1.27.1.2", "1.27.1.1", "1.29.2.1rc1", "1.25.3.2"}, "1.27.1.2"},
		{"openresty", "~1.27", []string{"1.27.1.1", "1.27.1.2", "1.25.3.2"}, "1.27.1.2"},
		{"openresty", "1.15.8.1rc1", []string{"1.15.8.1rc1", "1.15.8.1"}, "1.15.8.1rc1"},
		{"openresty", "<1.10", []string{"1.9.7.2", "1.9.15.1", "1.11.2.5"}, "1.9.15.1"},
		// A wildcard deeper than semver's three parts.
		{"openresty", "1.27.1.x", []string{"1.27.10.1", "1.27.1.2", "1.27.1.1", "1.27.2.1", "1.27.1.3rc1"}, "1.27.1.2"},
		{"openresty", "1.21.4.*", []string{"1.21.4.1", "1.21.4.3", "1.25.3.2"}, "1.21.4.3"},
		// PCRE2: two parts.
		{"pcre2", "^10.40", []string{"10.42", "10.47", "10.9", "10.39"}, "10.47"},
		{"pcre2", "10.4x", nil, ""},
		// OpenSSL 1.1.1 letter releases order by letter within 1.1.1.
		{"openssl", "~1.1.1", []string{"1.1.1a", "1.1.1w", "1.1.1k", "1.1.0l"}, "1.1.1w"},
		{"openssl", "3.0.x", []string{"3.0.20", "3.0.9", "3.5.6", "3.0.0-alpha1"}, "3.0.20"},
		{"openssl", "latest", []string{"3.6.0-beta1", "3.5.6"}, "3.5.6"},
		{"zlib", "1.2.x", []string{"1.3.2", "1.2.13", "1.2.9", "1.2.11"}, "1.2.13"},
	} {
		c, _ := Lookup(tc.component)
		k, err := ParseConstraint(c, tc.constraint)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s %q parsed, want an error", tc.component, tc.constraint)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.component, tc.constraint, err)
			continue
		}
		got, err := k.Pick(c, tc.versions)
		if err != nil || got != tc.want {
			t.Errorf("%s Pick(%q) = %q, %v; want %q", tc.component, tc.constraint, got, err, tc.want)
		}
	}
}

func TestConstraintErrors(t *testing.T) {
	nginx, _ := Lookup("nginx")
	openssl, _ := Lookup("openssl")
	if _, err := ParseConstraint(nginx, "newest"); err == nil || !strings.Contains(err.Error(), "~1.26") || !strings.Contains(err.Error(), "stable") {
		t.Errorf("unparsable constraint error should show the accepted forms: %v", err)
	}
	if _, err := ParseConstraint(openssl, "stable"); err == nil || !strings.Contains(err.Error(), "only to nginx and freenginx") {
		t.Errorf("stable for openssl: %v", err)
	}
	k, _ := ParseConstraint(nginx, "1.22.99")
	_, err := k.Pick(nginx, EmbeddedVersions(nginx))
	if err == nil || !strings.Contains(err.Error(), "nginx: no version matches \"1.22.99\"") || !strings.Contains(err.Error(), "1.22.1") || !strings.Contains(err.Error(), "1.23.0") {
		t.Errorf("no-match error should name the component and the nearest versions: %v", err)
	}
	k, _ = ParseConstraint(nginx, "~2.0")
	if _, err := k.Pick(nginx, []string{"1.2.3"}); err == nil || !strings.Contains(err.Error(), "1.2.3") {
		t.Errorf("no-match error: %v", err)
	}
}

func TestIndexCachesAndFallsBack(t *testing.T) {
	var requests atomic.Int32
	up := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if !up {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`<a href="nginx-1.24.0.tar.gz">x</a> <a href="nginx-1.25.1.tar.gz">y</a>`))
	}))
	defer srv.Close()
	m, _ := ParseMirror(srv.URL)
	c, _ := Lookup("nginx")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var warnings []string
	cache := t.TempDir()
	ix := &Index{HTTP: srv.Client(), Mirror: m, CacheDir: cache, Now: func() time.Time { return now },
		Warn: func(f string, a ...any) { warnings = append(warnings, f) }}
	ctx := context.Background()

	l, err := ix.Versions(ctx, c)
	if err != nil || strings.Join(l.Versions, " ") != "1.25.1 1.24.0" || requests.Load() != 1 {
		t.Fatalf("live listing: %v %v, %d requests", l, err, requests.Load())
	}
	// Within the TTL the cache answers.
	now = now.Add(30 * time.Minute)
	if l, _ = ix.Versions(ctx, c); requests.Load() != 1 || !strings.Contains(l.From, "cache") {
		t.Errorf("fresh cache not used: %d requests, from %q", requests.Load(), l.From)
	}
	// --refresh asks again.
	ix.Refresh = true
	ix.Versions(ctx, c)
	if requests.Load() != 2 {
		t.Errorf("--refresh did not re-read the index")
	}
	ix.Refresh = false
	// After the TTL, with the server down: the stale cache, with a warning.
	now = now.Add(2 * time.Hour)
	up = false
	l, err = ix.Versions(ctx, c)
	if err != nil || !strings.Contains(l.From, "stale cache") || len(warnings) != 1 || requests.Load() != 3 {
		t.Errorf("stale fallback: %v %v warnings %q", l, err, warnings)
	}
	// No cache at all and a mirror that is down: an error, not a guess.
	os.RemoveAll(filepath.Join(cache, "index"))
	if _, err := ix.Versions(ctx, c); err == nil {
		t.Errorf("a dead mirror with no cache should be an error")
	}
}

func TestIndexEmbeddedFallbackForUpstream(t *testing.T) {
	c, _ := Lookup("nginx")
	dead := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("network is unreachable")
	})}
	var warned string
	ix := &Index{HTTP: dead, CacheDir: t.TempDir(), Warn: func(f string, a ...any) { warned = f }}
	l, err := ix.Versions(context.Background(), c)
	if err != nil || l.From != "embedded list" || l.Versions[0] != "1.31.3" || !strings.Contains(warned, "embedded") {
		t.Errorf("embedded fallback: %v %v %q", l.From, err, warned)
	}
}

// TestIndexFormats parses saved copies of each upstream index format.
func TestIndexFormats(t *testing.T) {
	for _, tc := range []struct {
		component, url, fixture, want string
	}{
		{"nginx", "https://nginx.org/download/", "nginx-org-download.html", "1.27.1 1.22.1 1.9.15 1.3.9 0.1.0"},
		{"freenginx", "https://freenginx.org/download/", "freenginx-org-download.html", "1.29.3 1.27.4 1.26.2"},
		{"openresty", "https://openresty.org/download/", "openresty-org-download.html",
			"1.29.2.1rc1 1.27.1.2 1.25.3.2 1.15.8.1rc1 1.9.7.3 1.9.7.2 1.7.10.2"},
		{"libressl", "https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/", "apache-libressl.html", "4.1.0 4.0.0 3.9.2 2.10.0"},
		{"zlib", "https://zlib.net/fossils/", "zlib-fossils.html", "1.3.1 1.3 1.2.13 1.2.11"},
		{"openssl", "https://api.github.com/repos/openssl/openssl/releases?per_page=100", "github-openssl-releases.json", "3.5.6 3.5.0-beta1 3.0.20 1.1.1w"},
		{"pcre2", "https://api.github.com/repos/PCRE2Project/pcre2/releases?per_page=100", "github-pcre2-releases.json", "10.47 10.46-RC1 10.45 10.42 10.9"},
	} {
		c, _ := Lookup(tc.component)
		body, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
		if err != nil {
			t.Fatal(err)
		}
		names, err := indexFileNames(c, tc.url, body)
		if err != nil {
			t.Errorf("%s: %v", tc.fixture, err)
			continue
		}
		if got := strings.Join(versionsIn(c, names), " "); got != tc.want {
			t.Errorf("%s: versions %q, want %q", tc.fixture, got, tc.want)
		}
	}
}

func TestOpenRestyHistoricTarballName(t *testing.T) {
	c, _ := Lookup("openresty")
	if got := c.UpstreamURLs("1.9.7.2")[0]; got != "https://openresty.org/download/ngx_openresty-1.9.7.2.tar.gz" {
		t.Errorf("old name: %s", got)
	}
	if got := c.UpstreamURLs("1.27.1.2")[0]; got != "https://openresty.org/download/openresty-1.27.1.2.tar.gz" {
		t.Errorf("new name: %s", got)
	}
}
