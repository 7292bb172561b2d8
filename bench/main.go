// Command bench measures the performance targets of nginx-build on the
// real release tarballs of the e2e mirror (scripts/e2e-mirror.sh) and prints
// the results as a Markdown table. bench/run.sh builds the binary, prepares
// the mirror and runs this; see there.
//
//  1. Fetching nginx, PCRE2, OpenSSL and zlib concurrently takes about as
//     long as fetching the largest (OpenSSL) alone.
//  2. A build whose sources are cached is within 10% of doing the same by
//     hand (tar + configure + make).
//  3. nginx-build fetch peaks below 100 MB of RSS.
//  4. Static OpenSSL, PCRE2 and zlib: a cold build against the same by
//     hand, a variant with the library cache warm, a build through a warm
//     remote ccache, reproducibility across work dirs, and the default
//     settings against by hand (bench/static.go).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The versions scripts/e2e-mirror.sh puts into the mirror.
var (
	nginx   = []string{"-v", "1.22.1"}
	pcre    = []string{"-pcre", "-pcreversion", "10.42"}
	openssl = []string{"-openssl", "-opensslversion", "3.0.20"}
	zlib    = []string{"-zlib", "-zlibversion", "1.2.13"}
)

var (
	nb     = flag.String("nb", "", "nginx-build binary to measure (required)")
	mirror = flag.String("mirror", "testdata/e2e-mirror", "mirror directory made by scripts/e2e-mirror.sh")
	rate   = flag.Float64("rate", 8, "bandwidth of the HTTP mirror, MB/s per connection")
	runs   = flag.Int("runs", 2, "runs of each measurement; the best time counts")
	static = flag.String("static", "3.0.20,3.5.7", "OpenSSL versions of the static-library rows (comma-separated; \"\" skips them)")
	remote = flag.Bool("remote", true, "also measure a build through a warm remote ccache (needs ccache and redis-server)")
)

func main() {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "nginx-build-bench-")
	missed := false
	if err == nil {
		missed, err = bench(tmp)
		os.RemoveAll(tmp)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if missed {
		os.Exit(1)
	}
}

// bench measures, prints the table and reports whether a target was missed.
func bench(tmp string) (missed bool, err error) {
	if *nb == "" {
		return false, fmt.Errorf("-nb is required")
	}
	if *nb, err = filepath.Abs(*nb); err != nil {
		return false, err
	}
	if *mirror, err = filepath.Abs(*mirror); err != nil {
		return false, err
	}

	load := loadavg() // a busy machine skews the build comparison; say so

	// 1 and 3: fetch over HTTP. On loopback the four tarballs arrive in
	// milliseconds whatever nginx-build does, so the server paces every
	// response to -rate: then downloading one after another visibly costs
	// the sum of the transfer times and downloading concurrently the longest.
	srv := httptest.NewServer(throttle(http.FileServer(http.Dir(*mirror)), *rate*1e6))
	defer srv.Close()
	var all, largest, seq time.Duration
	var rss int64 // KiB
	for i := 1; i <= *runs; i++ {
		progress("fetch, run %d/%d", i, *runs)
		// Every run starts from an empty cache, so everything is downloaded.
		d, r, err := fetch(srv.URL, mkdir(tmp, "cache-all", i), nginx, pcre, openssl, zlib)
		if err != nil {
			return false, err
		}
		all, rss = best(all, d), max(rss, r)
		// The CLI cannot fetch OpenSSL without nginx, so "largest alone" is
		// nginx (1 MB) and OpenSSL (15 MB) together: nginx arrives while
		// OpenSSL is still downloading, so this is OpenSSL's time.
		if d, _, err = fetch(srv.URL, mkdir(tmp, "cache-largest", i), nginx, openssl); err != nil {
			return false, err
		}
		largest = best(largest, d)
		// Sequential: four runs sharing one cache, each adding one tarball
		// (nginx is cached after the first), summed.
		cache, sum := mkdir(tmp, "cache-seq", i), time.Duration(0)
		for _, lib := range [][]string{nil, pcre, zlib, openssl} {
			d, _, err := fetch(srv.URL, cache, nginx, lib)
			if err != nil {
				return false, err
			}
			sum += d
		}
		seq = best(seq, sum)
	}

	// 2: cached build vs by hand, both with make -j$(nproc) and both
	// starting from an empty directory; runs alternate so that any drift in
	// the machine's speed hits both alike.
	progress("warming the cache for the build")
	cache := mkdir(tmp, "cache-build", 0)
	if _, _, err := fetch(*mirror, cache, nginx, pcre, zlib); err != nil {
		return false, err
	}
	jobs := fmt.Sprint(runtime.NumCPU())
	var tool, hand, toolCPU, handCPU time.Duration
	for i := 1; i <= *runs; i++ {
		progress("nginx-build build, run %d/%d", i, *runs)
		args := append(flat(nginx, pcre, zlib), "-d", mkdir(tmp, "work", i), "--mirror", *mirror, "-clear", "-j", jobs,
			"--ccache=false") // by hand has no ccache either
		out, d, cpu, err := run(tmp, []string{"NGINX_BUILD_CACHE=" + cache}, *nb, args...)
		if err != nil {
			return false, err
		}
		if strings.Contains(out, "downloading") { // the point is to measure a cached build
			return false, fmt.Errorf("nginx-build downloaded despite the warm cache:\n%s", out)
		}
		tool, toolCPU = best(tool, d), best(toolCPU, cpu)
		progress("by hand, run %d/%d", i, *runs)
		if _, d, cpu, err = run(mkdir(tmp, "hand", i), []string{"M=" + *mirror, "J=" + jobs}, "sh", "-ec", byHand); err != nil {
			return false, err
		}
		hand, handCPU = best(hand, d), best(handCPU, cpu)
		// Each tree is ~100 MB; keep only one at a time.
		os.RemoveAll(filepath.Join(tmp, fmt.Sprint("work", i)))
		os.RemoveAll(filepath.Join(tmp, fmt.Sprint("hand", i)))
	}

	// 4-8: static libraries, the default build, remote ccache.
	st, err := benchStatic(tmp, jobs)
	if err != nil {
		return false, err
	}

	fmt.Printf("Machine: nproc %d (%s), %s %s/%s, %s; load average %s before, %s after\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Now().UTC().Format("2006-01-02 15:04 MST"), load, loadavg())
	fmt.Println("| measure | result | target | ok |")
	fmt.Println("|---|---|---|---|")
	row := func(measure, result, target string, ok bool) {
		yes := "yes"
		if !ok {
			yes, missed = "**no**", true
		}
		fmt.Printf("| %s | %s | %s | %s |\n", measure, result, target, yes)
	}
	r := ratio(all, largest)
	row("fetch 4 tarballs concurrently vs largest alone",
		fmt.Sprintf("%s vs %s (%.2fx; sequential sum %s)", secs(all), secs(largest), r, secs(seq)),
		"≈ largest alone (≤ 1.20x)", r <= 1.2)
	r = ratio(tool, hand)
	row("cached build vs by hand (nginx + PCRE2 + zlib)",
		fmt.Sprintf("%s vs %s (%.2fx; CPU %s vs %s)", secs(tool), secs(hand), r, secs(toolCPU), secs(handCPU)), "within 10% (≤ 1.10x)", r <= 1.1)
	mb := float64(rss) * 1024 / 1e6
	row("peak RSS of nginx-build fetch (4 tarballs, 20 MB)", fmt.Sprintf("%.1f MB", mb), "< 100 MB", mb < 100)
	st.rows(row)
	fmt.Printf(`
Best of %d runs each for the first three rows and the default-settings row; one run each for the static rows (see bench/static.go). Fetch: mirror served over loopback HTTP at %g MB/s per
connection, empty cache; "largest alone" fetches nginx 1.22.1 + OpenSSL 3.0.20
(the CLI always fetches nginx), "sequential sum" is four fetches sharing one
cache, each adding one tarball. Build: nginx-build -clear with the cache warm
vs tar + ./configure --with-pcre --with-zlib + make -j%s, both from empty
directories; CPU is user+system time of the whole process tree. RSS: max over
the concurrent fetch runs.
%s`, *runs, *rate, jobs, st.notes())
	return missed, nil
}

// byHand is what nginx-build automates, timed from the same tarballs.
const byHand = `
tar -xzf "$M/nginx/nginx-1.22.1.tar.gz"
tar -xzf "$M/pcre2/pcre2-10.42.tar.gz"
# Debian's zlib tarball unpacks to zlib-1.2.13.dfsg/.
mkdir zlib-1.2.13
tar -xjf "$M/zlib/zlib-1.2.13.tar.bz2" -C zlib-1.2.13 --strip-components=1
cd nginx-1.22.1
./configure --with-pcre=../pcre2-10.42 --with-zlib=../zlib-1.2.13
make -j"$J"
`

// fetch times `nginx-build fetch` with the given cache and component flags
// and returns the process's peak RSS in KiB.
func fetch(from, cache string, flags ...[]string) (time.Duration, int64, error) {
	args := append([]string{"fetch", "--mirror", from}, flat(flags...)...)
	cmd := exec.Command(*nb, args...)
	cmd.Env = append(os.Environ(), "NGINX_BUILD_CACHE="+cache)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("nginx-build %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	// Maxrss comes from wait4(2), so measuring costs nothing; it is in KiB on Linux.
	return time.Since(start), cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, nil
}

// run times a command in dir, with env added to the environment ("NAME="
// removes NAME), and returns its output, wall time and the CPU time of its
// whole process tree.
func run(dir string, env []string, name string, args ...string) (string, time.Duration, time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, environ(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return "", 0, 0, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(out.String()))
	}
	return out.String(), time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// environ is this process's environment with env applied: NAME=VALUE set,
// NAME= removed.
func environ(env []string) []string {
	out := os.Environ()
	for _, e := range env {
		name, value, _ := strings.Cut(e, "=")
		out = slices.DeleteFunc(out, func(o string) bool { return strings.HasPrefix(o, name+"=") })
		if value != "" {
			out = append(out, e)
		}
	}
	return out
}

// throttle paces every response of h to rate bytes/s.
func throttle(h http.Handler, rate float64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&slowWriter{ResponseWriter: w, rate: rate, start: time.Now()}, r)
	})
}

// slowWriter hides http.ResponseWriter's ReaderFrom, so the file server
// copies through Write in 32 KiB pieces, which it delays.
type slowWriter struct {
	http.ResponseWriter
	rate  float64
	start time.Time
	sent  int64
}

func (w *slowWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.sent += int64(n)
	// Sleep until the total so far is due: pacing against the start rather
	// than per write keeps the average exact despite sleep overshoot.
	time.Sleep(time.Until(w.start.Add(time.Duration(float64(w.sent) / w.rate * float64(time.Second)))))
	return n, err
}

func flat(flags ...[]string) []string {
	var args []string
	for _, f := range flags {
		args = append(args, f...)
	}
	return args
}

func mkdir(tmp, name string, i int) string {
	d := filepath.Join(tmp, fmt.Sprint(name, i))
	os.MkdirAll(d, 0o755)
	return d
}

func best(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadavg is the 1-minute load average.
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// tail keeps the end of a long log, where make and configure say what failed.
func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
