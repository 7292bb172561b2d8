package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	nbfetch "github.com/nginx-build/nginx-build/fetch"
)

// staticResults are the rows of issue 16: static libraries built lean and
// kept, the default settings, remote ccache.
type staticResults struct {
	cold []coldBuild // one per OpenSSL version
	// warm is a variant (another nginx option, a new work dir) with the
	// library cache of cold[0] warm, against cold[0]'s by hand.
	warm time.Duration
	// remote is a static build in a new work dir with new local caches
	// through a remote ccache that an earlier build filled; remoteWhy
	// says why it was not measured.
	remote        time.Duration
	remoteSummary string
	remoteWhy     string
	// same says whether two work dirs with two caches gave one binary.
	same, sameMeasured bool
	// def is nginx-build with nothing cached and no flags, against the
	// same by hand (system libraries): best of -runs.
	def, defHand time.Duration
}

// coldBuild is a static-library build with every cache empty and no
// ccache, through nginx-build and by hand.
type coldBuild struct {
	openssl    string
	tool, hand time.Duration
	sha        string
}

// benchStatic measures the static-library rows.
func benchStatic(tmp, jobs string) (*staticResults, error) {
	st := &staticResults{}
	if err := st.measureDefault(tmp, jobs); err != nil {
		return nil, err
	}
	for _, v := range strings.Split(*static, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		c, err := measureCold(tmp, jobs, v)
		if err != nil {
			return nil, err
		}
		st.cold = append(st.cold, c)
	}
	if len(st.cold) == 0 {
		return st, nil
	}
	first := st.cold[0]
	progress("static build, variant with the library cache warm (OpenSSL %s)", first.openssl)
	_, d, _, err := staticBuild(tmp, jobs, "variant", first.openssl, []string{"NGINX_BUILD_CACHE=" + filepath.Join(tmp, "cache-cold-"+first.openssl)},
		[]string{"--ccache=false"}, "--with-http_v2_module")
	if err != nil {
		return nil, err
	}
	st.warm = d
	if err := st.measureRemote(tmp, jobs, first); err != nil {
		return nil, err
	}
	if !st.sameMeasured {
		progress("static build, a second work dir and cache (OpenSSL %s), for the checksum", first.openssl)
		_, _, sum, err := staticBuild(tmp, jobs, "second", first.openssl, []string{"NGINX_BUILD_CACHE=" + mkdir(tmp, "cache-second", 0)}, []string{"--ccache=false"})
		if err != nil {
			return nil, err
		}
		st.same, st.sameMeasured = sum == first.sha, true
	}
	return st, nil
}

// measureDefault times nginx-build as a first-time user runs it — a new
// home (nothing in ccache's or nginx-build's cache, no CCACHE_DIR), no
// flags but the work dir and the mirror — against the same by hand.
func (st *staticResults) measureDefault(tmp, jobs string) error {
	for i := 1; i <= *runs; i++ {
		progress("default settings, run %d/%d", i, *runs)
		home := mkdir(tmp, "home", i)
		env := []string{"HOME=" + home, "XDG_CACHE_HOME=", "CCACHE_DIR=", "CCACHE_REMOTE_STORAGE=", "NGINX_BUILD_CACHE=", "NGINX_BUILD_CCACHE="}
		_, d, _, err := run(tmp, env, *nb, "-d", mkdir(tmp, "default", i), "--mirror", *mirror, "-v", "1.22.1")
		if err != nil {
			return err
		}
		st.def = best(st.def, d)
		progress("by hand, system libraries, run %d/%d", i, *runs)
		_, d, _, err = run(mkdir(tmp, "hand-default", i), []string{"M=" + *mirror, "J=" + jobs}, "sh", "-ec", byHandSystem)
		if err != nil {
			return err
		}
		st.defHand = best(st.defHand, d)
		for _, d := range []string{"home", "default", "hand-default"} {
			os.RemoveAll(filepath.Join(tmp, fmt.Sprint(d, i)))
		}
	}
	return nil
}

// measureCold times a static build with every cache empty, by
// nginx-build (no ccache) and by hand.
func measureCold(tmp, jobs, version string) (coldBuild, error) {
	c := coldBuild{openssl: version}
	progress("static build, cold (OpenSSL %s): nginx-build", version)
	cache := filepath.Join(tmp, "cache-cold-"+version)
	_, d, sum, err := staticBuild(tmp, jobs, "cold-"+version, version, []string{"NGINX_BUILD_CACHE=" + cache}, []string{"--ccache=false"})
	if err != nil {
		return c, err
	}
	c.tool, c.sha = d, sum
	progress("static build, cold (OpenSSL %s): by hand", version)
	hand := mkdir(tmp, "hand-"+version, 0)
	_, d, _, err = run(hand, []string{"M=" + *mirror, "J=" + jobs, "V=" + version}, "sh", "-ec", byHandStatic)
	os.RemoveAll(hand)
	if err != nil {
		return c, err
	}
	c.hand = d
	return c, nil
}

// measureRemote times a static build through a remote ccache (a Redis
// started here) that one build filled, each in a new work dir with new
// local caches; the second's binary is compared with the cold one's.
func (st *staticResults) measureRemote(tmp, jobs string, cold coldBuild) error {
	if !*remote {
		st.remoteWhy = "not measured (-remote=false)"
		return nil
	}
	for _, tool := range []string{"ccache", "redis-server"} {
		if _, err := exec.LookPath(tool); err != nil {
			st.remoteWhy = "not measured (" + tool + " is not installed)"
			return nil
		}
	}
	url, stop, err := startRedis(mkdir(tmp, "redis", 0))
	if err != nil {
		return err
	}
	defer stop()
	var out, sum string
	for i, name := range []string{"remote-fill", "remote"} {
		progress("static build through remote ccache: %s", name)
		env := []string{"NGINX_BUILD_CACHE=" + mkdir(tmp, "cache-"+name, 0), "CCACHE_DIR=" + mkdir(tmp, "ccache-"+name, 0)}
		var d time.Duration
		out, d, sum, err = staticBuild(tmp, jobs, name, cold.openssl, env, []string{"--ccache-remote", url})
		if err != nil {
			return err
		}
		if i == 1 {
			st.remote = d
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ccache") {
			st.remoteSummary = strings.TrimSpace(line)
		}
	}
	st.same, st.sameMeasured = sum == cold.sha, true
	return nil
}

// staticBuild runs nginx-build with static OpenSSL version, PCRE2 and
// zlib in a new work dir called name, and returns its output, time and
// the binary's sha256; the work dir is removed afterwards.
func staticBuild(tmp, jobs, name, version string, env, flags []string, configure ...string) (string, time.Duration, string, error) {
	work := mkdir(tmp, "work-"+name, 0)
	defer os.RemoveAll(work)
	args := append(flat(nginx, pcre, zlib, []string{"-openssl", "-opensslversion", version}), "-d", work, "--mirror", *mirror, "-j", jobs)
	args = append(append(args, flags...), "--")
	out, d, _, err := run(tmp, env, *nb, append(args, configure...)...)
	if err != nil {
		return "", 0, "", err
	}
	sum, err := nbfetch.FileSHA256(filepath.Join(work, "nginx", "1.22.1", "nginx-1.22.1", "objs", "nginx"))
	return out, d, sum, err
}

// startRedis runs redis-server on a free loopback port with its data in
// dir, and returns its URL and how to stop it.
func startRedis(dir string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("redis-server: %w", err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "redis://" + addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server did not listen on %s within 10 s", addr)
		}
	}
}

// rows prints the static-library rows.
func (st *staticResults) rows(row func(measure, result, target string, ok bool)) {
	r := ratio(st.def, st.defHand)
	row("default settings (nothing cached, no flags) vs by hand, system libraries",
		fmt.Sprintf("%s vs %s (%.2fx)", secs(st.def), secs(st.defHand), r), "≤ 1.05x", r <= 1.05)
	for _, c := range st.cold {
		r := ratio(c.tool, c.hand)
		row(fmt.Sprintf("cold static build (OpenSSL %s + PCRE2 + zlib, caches empty, no ccache) vs by hand", c.openssl),
			fmt.Sprintf("%s vs %s (%.2fx)", secs(c.tool), secs(c.hand), r), "≤ 0.75x", r <= 0.75)
	}
	if len(st.cold) == 0 {
		return
	}
	first := st.cold[0]
	r = ratio(st.warm, first.hand)
	row(fmt.Sprintf("variant in a new work dir, library cache warm, no ccache (OpenSSL %s) vs by hand", first.openssl),
		fmt.Sprintf("%s vs %s (%.2fx)", secs(st.warm), secs(first.hand), r), "≤ 0.30x", r <= 0.30)
	if st.remote > 0 {
		r = ratio(st.remote, first.tool)
		row("static build through a warm remote ccache (Redis), new work dir and local caches, vs cold",
			fmt.Sprintf("%s vs %s (%.2fx; %s)", secs(st.remote), secs(first.tool), r, st.remoteSummary), "report", true)
	} else {
		row("static build through a warm remote ccache vs cold", st.remoteWhy, "report", true)
	}
	same := "no"
	if st.same {
		same = "yes"
	}
	row("two work dirs and two caches, static OpenSSL: identical sha256", same, "yes", st.same || !st.sameMeasured)
}

// notes explains how the static-library rows were measured.
func (st *staticResults) notes() string {
	return `Default settings: nginx-build -d DIR --mirror M -v 1.22.1 with a new HOME
(ccache's and nginx-build's caches empty, no CCACHE_DIR) vs tar + ./configure
+ make -j$(nproc). Static rows: nginx 1.22.1 with static OpenSSL, PCRE2 10.42
and zlib 1.2.13, one run each: cold = new work dir and cache dir,
--ccache=false, vs tar + ./configure --with-openssl --with-pcre --with-zlib +
make -j$(nproc); the variant adds --with-http_v2_module in a new work dir
with the cold build's cache (the library cache warm) and is compared with
the cold build by hand (by hand has nothing to reuse). Remote ccache: a
redis-server on loopback, one build to fill it (not timed), then a build in
a new work dir with a new cache dir and a new local CCACHE_DIR, with
--ccache-remote; its binary is the one compared with the cold build's for
the sha256 row (two work dirs, two cache dirs, with and without ccache).
`
}

// byHandSystem builds nginx with the system's libraries, by hand.
const byHandSystem = `
tar -xzf "$M/nginx/nginx-1.22.1.tar.gz"
cd nginx-1.22.1
./configure
make -j"$J"
`

// byHandStatic is a static OpenSSL $V, PCRE2 and zlib build, by hand.
const byHandStatic = `
tar -xzf "$M/nginx/nginx-1.22.1.tar.gz"
tar -xzf "$M/pcre2/pcre2-10.42.tar.gz"
tar -xzf "$M/openssl/openssl-$V.tar.gz"
mkdir zlib-1.2.13
tar -xjf "$M/zlib/zlib-1.2.13.tar.bz2" -C zlib-1.2.13 --strip-components=1
cd nginx-1.22.1
./configure --with-pcre=../pcre2-10.42 --with-zlib=../zlib-1.2.13 --with-openssl=../openssl-$V --with-http_ssl_module
make -j"$J"
`
