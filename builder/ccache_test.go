package builder

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/record"
)

// The ccache policy: by default ccache is on only where it pays (a warm
// cache, a cache dir or remote storage the user set up), and the reason
// is always given.
func TestDecideCCache(t *testing.T) {
	t.Parallel()
	const bin = "/usr/bin/ccache"
	home := ccacheConfig{CacheDir: "/root/.cache/ccache", CacheDirFrom: "default", RemoteFrom: "default"}
	cold := ccacheStats{ok: true}
	warm := ccacheStats{ok: true, files: 1234, kib: 40960}
	withDir := home
	withDir.CacheDir, withDir.CacheDirFrom = "/srv/ccache", "environment"
	inConf := home
	inConf.CacheDir, inConf.CacheDirFrom = "/srv/ccache", "/etc/ccache.conf"
	remoteEnv := home
	remoteEnv.Remote, remoteEnv.RemoteFrom = "redis://:hunter2@cache.example:6379", "environment"
	remoteConf := home
	remoteConf.Remote, remoteConf.RemoteFrom = "http://cache.example/ccache", "/root/.config/ccache/ccache.conf"
	for _, tc := range []struct {
		name    string
		f       ccacheFacts
		use     bool
		why     string
		told    bool
		wantErr string
	}{
		{name: "cold cache", f: ccacheFacts{Path: bin, Config: home, Stats: cold},
			why: "its cache (/root/.cache/ccache) is empty, so a first build through it would be slower; --ccache fills it"},
		{name: "warm cache", f: ccacheFacts{Path: bin, Config: home, Stats: warm}, use: true, why: "its cache (/root/.cache/ccache) holds 1,234 files"},
		{name: "size but no file count", f: ccacheFacts{Path: bin, Config: home, Stats: ccacheStats{ok: true, kib: 8}}, use: true, why: "holds 0 files"},
		{name: "CCACHE_DIR set, cold", f: ccacheFacts{Path: bin, Config: withDir, Stats: cold}, use: true, why: "its cache dir is configured (/srv/ccache, from CCACHE_DIR)"},
		{name: "cache_dir in ccache.conf", f: ccacheFacts{Path: bin, Config: inConf, Stats: cold}, use: true, why: "its cache dir is configured (/srv/ccache, from /etc/ccache.conf)"},
		{name: "CCACHE_REMOTE_STORAGE, cold", f: ccacheFacts{Path: bin, Config: remoteEnv, Stats: cold}, use: true,
			why: "remote storage is configured (redis://:xxxxx@cache.example:6379, from CCACHE_REMOTE_STORAGE)"},
		{name: "remote_storage in ccache.conf", f: ccacheFacts{Path: bin, Config: remoteConf, Stats: cold}, use: true,
			why: "remote storage is configured (http://cache.example/ccache, from /root/.config/ccache/ccache.conf)"},
		{name: "--ccache, cold", f: ccacheFacts{Mode: plan.CCacheOn, Path: bin}, use: true, why: "--ccache"},
		{name: "--ccache-remote", f: ccacheFacts{Mode: plan.CCacheOn, Remote: "redis://u:pw@127.0.0.1:6379|connect-timeout=50", Path: bin}, use: true,
			why: "--ccache-remote redis://u:xxxxx@127.0.0.1:6379|connect-timeout=50"},
		{name: "--ccache-remote beats NGINX_BUILD_CCACHE=0", f: ccacheFacts{Mode: plan.CCacheOn, Remote: "redis://127.0.0.1", Disabled: true, Path: bin}, use: true,
			why: "--ccache-remote redis://127.0.0.1"},
		{name: "--ccache=false, warm", f: ccacheFacts{Mode: plan.CCacheOff, Path: bin, Config: home, Stats: warm}, why: "--ccache=false", told: true},
		{name: "NGINX_BUILD_CCACHE=0, warm", f: ccacheFacts{Disabled: true, Path: bin, Config: home, Stats: warm}, why: "NGINX_BUILD_CCACHE=0", told: true},
		{name: "not installed", f: ccacheFacts{}, why: "ccache is not on PATH"},
		{name: "unreadable configuration", f: ccacheFacts{Path: bin, ConfigErr: errors.New("exit status 1")}, why: "its configuration could not be read (exit status 1)"},
		{name: "unreadable statistics", f: ccacheFacts{Path: bin, Config: home}, why: "its statistics could not be read"},
		{name: "--ccache, not installed", f: ccacheFacts{Mode: plan.CCacheOn}, wantErr: "--ccache: ccache is not on PATH; install it (apt-get install ccache)"},
		{name: "--ccache-remote, not installed", f: ccacheFacts{Mode: plan.CCacheOn, Remote: "redis://127.0.0.1"},
			wantErr: "--ccache-remote: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache-remote out"},
	} {
		c, err := decideCCache(tc.f)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.Use != tc.use || !strings.Contains(c.Why, tc.why) || c.Told != tc.told {
			t.Errorf("%s: %+v, %v; want use %v, told %v, why %q", tc.name, c, err, tc.use, tc.told, tc.why)
		}
	}
}

// ccache 4.7.5's own output, as `ccache -p` and `ccache --print-stats`
// print it.
func TestParseCCacheOutput(t *testing.T) {
	t.Parallel()
	conf := parseCCacheConfig([]byte("(default) base_dir = \n(environment) cache_dir = /tmp/cc\n(default) compression = true\n" +
		"(/etc/ccache.conf) remote_storage = redis://127.0.0.1:6379 http://h/c\n(default) sloppiness = \n"))
	if want := (ccacheConfig{CacheDir: "/tmp/cc", CacheDirFrom: "environment", Remote: "redis://127.0.0.1:6379 http://h/c", RemoteFrom: "/etc/ccache.conf"}); conf != want {
		t.Errorf("config %+v, want %+v", conf, want)
	}
	st := parseCCacheStats([]byte("cache_miss\t12\ncache_size_kibibyte\t4096\ndirect_cache_hit\t100\nfiles_in_cache\t250\n" +
		"preprocessed_cache_hit\t8\nremote_storage_hit\t90\nremote_storage_miss\t12\nremote_storage_read_hit\t90\nstats_updated_timestamp\t1764522000\n"))
	if want := (ccacheStats{hits: 108, misses: 12, remoteHits: 90, remoteMisses: 12, files: 250, kib: 4096, ok: true}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestCCacheSummary(t *testing.T) {
	t.Parallel()
	before := ccacheStats{hits: 10, misses: 5, remoteHits: 3, ok: true}
	after := ccacheStats{hits: 205, misses: 10, remoteHits: 3, ok: true}
	served := after.served(before)
	served.Reason = "its cache (/root/.cache/ccache) holds 1,234 files"
	if got, want := ccacheSummary(served, false), "ccache: 195 hits, 5 misses (98% hit rate) — on because its cache (/root/.cache/ccache) holds 1,234 files"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	remote := &record.CCache{Used: true, Reason: "--ccache-remote redis://127.0.0.1:6379", Hits: 119, Misses: 1, RemoteHits: 119, RemoteMisses: 1}
	if got, want := ccacheSummary(remote, false), "ccache: 119 hits, 1 misses (99% hit rate); remote storage: 119 hits, 1 misses — on because --ccache-remote redis://127.0.0.1:6379"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	off := &record.CCache{Reason: "its cache (/root/.cache/ccache) is empty, so a first build through it would be slower; --ccache fills it"}
	if got, want := ccacheSummary(off, false), "ccache: off — "+off.Reason; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if got := ccacheSummary(&record.CCache{Reason: "--ccache=false"}, true); got != "" {
		t.Errorf("summary of a ccache the user turned off = %q, want nothing", got)
	}
	if after.served(ccacheStats{}) != nil || ccacheSummary(nil, false) != "" {
		t.Errorf("counters without a first reading were used")
	}
}

// isolateCCache points the real ccache at a private home: no CCACHE_DIR,
// an empty configuration file, its default cache dir under tmp.
func isolateCCache(t *testing.T) (cacheDir string) {
	t.Helper()
	tmp := t.TempDir()
	conf := filepath.Join(tmp, "ccache.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CCACHE_CONFIGPATH", conf)
	t.Setenv("XDG_CACHE_HOME", tmp)
	for _, v := range []string{"CCACHE_DIR", "CCACHE_REMOTE_STORAGE", "CCACHE_DISABLE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return filepath.Join(tmp, "ccache")
}

// The policy with the real ccache, asked through its own -p and
// --print-stats: off on a cold default cache, on once it holds objects,
// on for a CCACHE_DIR or CCACHE_REMOTE_STORAGE of the user's, and
// --ccache-remote reaches make's environment.
func TestChooseCCacheAsksCCache(t *testing.T) {
	ccache, err := exec.LookPath("ccache")
	if err != nil {
		t.Skip("ccache is not installed")
	}
	cacheDir := isolateCCache(t)
	choose := func(p *plan.Plan) *toolchain {
		t.Helper()
		tc := &toolchain{}
		if err := chooseCCache(context.Background(), &State{Plan: p}, tc); err != nil {
			t.Fatal(err)
		}
		return tc
	}
	tc := choose(&plan.Plan{})
	if tc.CCache != "" || !strings.Contains(tc.CCacheWhy, "its cache ("+cacheDir+") is empty") {
		t.Errorf("cold cache: ccache %q, why %q", tc.CCache, tc.CCacheWhy)
	}

	t.Setenv("CCACHE_REMOTE_STORAGE", "redis://127.0.0.1:1")
	if tc := choose(&plan.Plan{}); tc.CCache != ccache || tc.CCacheWhy != "remote storage is configured (redis://127.0.0.1:1, from CCACHE_REMOTE_STORAGE)" {
		t.Errorf("CCACHE_REMOTE_STORAGE: ccache %q, why %q", tc.CCache, tc.CCacheWhy)
	}
	os.Unsetenv("CCACHE_REMOTE_STORAGE")

	tc = choose(&plan.Plan{CCache: plan.CCacheOn, CCacheRemote: "redis://127.0.0.1:6379"})
	if v, _ := envValue(tc.Env, "CCACHE_REMOTE_STORAGE"); tc.CCache != ccache || v != "redis://127.0.0.1:6379" {
		t.Errorf("--ccache-remote: ccache %q, env %q", tc.CCache, tc.Env)
	}

	mine := t.TempDir()
	t.Setenv("CCACHE_DIR", mine)
	if tc := choose(&plan.Plan{}); tc.CCache != ccache || tc.CCacheWhy != "its cache dir is configured ("+mine+", from CCACHE_DIR)" {
		t.Errorf("CCACHE_DIR: ccache %q, why %q", tc.CCache, tc.CCacheWhy)
	}
	os.Unsetenv("CCACHE_DIR")

	// One object in the default cache makes it warm.
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler to warm the cache with")
	}
	src := filepath.Join(t.TempDir(), "one.c")
	os.WriteFile(src, []byte("int one(void) { return 1; }\n"), 0o644)
	if out, err := exec.Command(ccache, "cc", "-c", src, "-o", src+".o").CombinedOutput(); err != nil {
		t.Fatalf("ccache cc: %v\n%s", err, out)
	}
	if tc := choose(&plan.Plan{}); tc.CCache != ccache || !strings.Contains(tc.CCacheWhy, "its cache ("+cacheDir+") holds") {
		t.Errorf("warm cache: ccache %q, why %q", tc.CCache, tc.CCacheWhy)
	}
}
