package command

import (
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/plan"
)

// --ccache-remote takes only the storage backends ccache has, and is a
// usage error (exit 2) before anything is fetched otherwise: ccache
// itself would only log a bad URL and compile without sharing anything.
func TestCCacheRemoteUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown scheme", []string{"--ccache-remote", "ftp://cache.example/ccache"}, `--ccache-remote "ftp://cache.example/ccache": ccache has no ftp: storage; use one of redis, redis+unix, http, file`},
		{"https", []string{"--ccache-remote", "https://cache.example/"}, "ccache has no https: storage"},
		{"no scheme", []string{"--ccache-remote", "127.0.0.1:6379"}, `"127.0.0.1:6379" is not a URL`},
		{"not a URL", []string{"--ccache-remote", "cache"}, `--ccache-remote "cache" is not a URL: give e.g. redis://127.0.0.1:6379`},
		{"blank", []string{"--ccache-remote", "  "}, "--ccache-remote is empty"},
		{"second of two", []string{"--ccache-remote", "redis://127.0.0.1 gopher://x"}, `"gopher://x": ccache has no gopher: storage`},
		{"with --ccache=false", []string{"--ccache=false", "--ccache-remote", "redis://127.0.0.1:6379"}, "--ccache=false and --ccache-remote cannot be used together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := run(t, append([]string{"-d", t.TempDir(), "--mirror", f.m.URL, "-v", "1.30.1"}, tc.args...)...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.err)
			}
			mustContain(t, "error", r.err, tc.want)
			if n := f.m.TarballRequests(); n != 0 {
				t.Errorf("%d tarballs fetched before the refusal", n)
			}
		})
	}
}

// The plan's ccache mode and remote storage from --ccache and
// --ccache-remote: the remote storage implies ccache.
func TestCCacheFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		set, on    bool
		remote     string
		wantMode   plan.CCacheMode
		wantRemote string
	}{
		{"default", false, false, "", plan.CCacheAuto, ""},
		{"--ccache", true, true, "", plan.CCacheOn, ""},
		{"--ccache=false", true, false, "", plan.CCacheOff, ""},
		{"redis", false, false, "redis://127.0.0.1:6379", plan.CCacheOn, "redis://127.0.0.1:6379"},
		{"redis with --ccache", true, true, "redis://:secret@cache.example:6379|connect-timeout=50", plan.CCacheOn, "redis://:secret@cache.example:6379|connect-timeout=50"},
		{"redis+unix", false, false, "redis+unix:/run/redis.sock", plan.CCacheOn, "redis+unix:/run/redis.sock"},
		{"http and file", false, false, "http://cache.example/ccache file:///srv/ccache", plan.CCacheOn, "http://cache.example/ccache file:///srv/ccache"},
	} {
		mode, remote, err := ccacheFlags(tc.set, tc.on, tc.remote)
		if err != nil || mode != tc.wantMode || remote != tc.wantRemote {
			t.Errorf("%s: ccacheFlags = %v, %q, %v; want %v, %q", tc.name, mode, remote, err, tc.wantMode, tc.wantRemote)
		}
	}
	if _, _, err := ccacheFlags(false, false, "ftp://x"); err == nil || !strings.Contains(err.Error(), "ftp") {
		t.Errorf("ftp:// accepted: %v", err)
	}
}

// --ccache and --ccache-remote on a machine without ccache are refused
// before anything is fetched, saying how to get it.
func TestCCacheMissingIsAUsageError(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no ccache anywhere (process-wide: not parallel)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ccache-remote", "redis://127.0.0.1:6379"}, "--ccache-remote: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache-remote out"},
		{[]string{"--ccache"}, "--ccache: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache out"},
	} {
		f := newFixture(t)
		r := run(t, append([]string{"-d", t.TempDir(), "--mirror", f.m.URL, "-v", "1.30.1"}, tc.args...)...)
		if r.code != 2 {
			t.Fatalf("%q: exit %d, want 2\n%s", tc.args, r.code, r.err)
		}
		mustContain(t, "error", r.err, tc.want)
		if n := f.m.TarballRequests(); n != 0 {
			t.Errorf("%q: %d tarballs fetched before the refusal", tc.args, n)
		}
	}
}
