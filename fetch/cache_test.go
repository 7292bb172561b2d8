package fetch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestDefaultCacheDir(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name, cache, xdg, want string
	}{
		{"NGINX_BUILD_CACHE wins", "/srv/nb-cache", "/xdg", "/srv/nb-cache"},
		{"NGINX_BUILD_CACHE alone", "/srv/nb-cache", "", "/srv/nb-cache"},
		{"XDG_CACHE_HOME", "", "/xdg", "/xdg/nginx-build"},
		{"home", "", "", filepath.Join(home, ".cache", "nginx-build")},
		// The XDG spec: a relative path is invalid and must be ignored.
		{"relative XDG_CACHE_HOME is ignored", "", "rel/xdg", filepath.Join(home, ".cache", "nginx-build")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("NGINX_BUILD_CACHE", tt.cache)
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			got, err := DefaultCacheDir()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DefaultCacheDir() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultCacheDirRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("NGINX_BUILD_CACHE", "rel/cache")
	got, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "rel", "cache"); got != want {
		t.Errorf("DefaultCacheDir() = %q, want absolute %q", got, want)
	}
}

func TestURLKey(t *testing.T) {
	a := URLKey("https://nginx.org/download/nginx-1.27.1.tar.gz")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a) {
		t.Errorf("urlKey = %q, want 16 hex digits", a)
	}
	if b := URLKey("https://nginx.org/download/nginx-1.27.1.tar.gz"); a != b {
		t.Errorf("urlKey is not stable: %q, %q", a, b)
	}
	if b := URLKey("https://mirror.example/nginx/nginx-1.27.1.tar.gz"); a == b {
		t.Errorf("two URLs share the cache key %q", a)
	}
}

func TestFileSHA256(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("hello world"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != sumB { // sha256("hello world")
		t.Errorf("FileSHA256 = %s, want %s", got, sumB)
	}
	if _, err := FileSHA256(p + ".missing"); err == nil {
		t.Error("FileSHA256 of a missing file succeeded")
	}
}

func TestIsMismatch(t *testing.T) {
	m := &MismatchError{What: "fetch nginx 1.27.1", File: "f.tar.gz", Want: sumA, Got: sumB}
	if !IsMismatch(m) || !IsMismatch(fmt.Errorf("outer: %w", m)) {
		t.Error("IsMismatch does not see a (wrapped) MismatchError")
	}
	if IsMismatch(errors.New("sha256 mismatch")) || IsMismatch(nil) {
		t.Error("IsMismatch is true for other errors")
	}
}

func TestRecordRoundTrip(t *testing.T) {
	final := filepath.Join(t.TempDir(), "nginx-1.27.1.tar.gz")
	for _, r := range []record{
		{SHA256: sumA, Verified: "sha256 from https://example/x.sha256"},
		{SHA256: sumB},
		{SHA256: sumB, WarnedUnverified: true},
		{SHA256: sumA, Verified: "sha256 from https://example/x.sha256", WarnedUnverified: true},
	} {
		if err := writeRecord(final, r); err != nil {
			t.Fatal(err)
		}
		got, err := readRecord(final)
		if err != nil {
			t.Fatal(err)
		}
		if got != r {
			t.Errorf("readRecord = %+v, want %+v", got, r)
		}
	}
	for _, bad := range []string{"", "not a digest\n", sumA[:60] + "\n"} {
		if err := os.WriteFile(final+recordSuffix, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readRecord(final); err == nil {
			t.Errorf("readRecord accepted %q", bad)
		}
	}
}

func TestCacheDirFrom(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NGINX_BUILD_CACHE wins", map[string]string{"NGINX_BUILD_CACHE": "/srv/nb", "XDG_CACHE_HOME": "/xdg", "HOME": "/h"}, "/srv/nb"},
		{"relative NGINX_BUILD_CACHE is made absolute", map[string]string{"NGINX_BUILD_CACHE": "rel/c"}, filepath.Join(wd, "rel", "c")},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/xdg", "HOME": "/h"}, "/xdg/nginx-build"},
		{"relative XDG_CACHE_HOME is ignored", map[string]string{"XDG_CACHE_HOME": "xdg", "HOME": "/h"}, "/h/.cache/nginx-build"},
		{"empty values are unset", map[string]string{"NGINX_BUILD_CACHE": "", "XDG_CACHE_HOME": "", "HOME": "/h"}, "/h/.cache/nginx-build"},
		{"HOME", map[string]string{"HOME": "/home/u"}, "/home/u/.cache/nginx-build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := CacheDirFrom(func(k string) (string, bool) {
				v, ok := tc.env[k]
				return v, ok
			}, filepath.Abs)
			if err != nil || got != tc.want {
				t.Errorf("CacheDirFrom(%v) = %q, %v; want %q", tc.env, got, err, tc.want)
			}
		})
	}
}

// TestCacheDirFromNoHome: without HOME in the given environment the
// process's home directory is the last resort.
func TestCacheDirFromNoHome(t *testing.T) {
	t.Parallel()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory here:", err)
	}
	got, err := CacheDirFrom(func(string) (string, bool) { return "", false }, filepath.Abs)
	if want := filepath.Join(home, ".cache", "nginx-build"); err != nil || got != want {
		t.Errorf("CacheDirFrom(empty) = %q, %v; want %q", got, err, want)
	}
}
