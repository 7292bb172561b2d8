package builder

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/plan"
)

// toolchain is how configure and make are run: the compiler wrapper that
// makes the output independent of the work dir, the build date, and ccache.
type toolchain struct {
	// Env is added to the environment of configure and make.
	Env []string
	// CCache is the ccache binary in use ("" when none).
	CCache string
	// Notes say what the toolchain does differently from plain cc, for the log.
	Notes []string
}

// wrapperName is the compiler wrapper's file in the build dir.
const wrapperName = ".nginx-build-cc"

// setupToolchain writes the compiler wrapper into the build dir and returns
// the environment for configure and make.
//
// Reproducibility: the only trace of the work dir in an nginx binary is the
// compilation directory in its debug information (nginx builds with -g and
// relative source paths). -ffile-prefix-map rewrites it to ".". Passing the
// flag through --with-cc-opt would put the work dir into `nginx -V` instead,
// so it goes into a wrapper that nginx's configure takes as $CC (and hands
// on to the libraries it builds). SOURCE_DATE_EPOCH fixes the one date that
// is embedded (OpenSSL's "built on").
//
// ccache: with CCACHE_NOHASHDIR the working directory is left out of the
// hash, and ccache ignores the old half of -ffile-prefix-map, so a build in
// a new work dir hits the cache and the objects it gets are the same bytes.
func setupToolchain(ctx context.Context, s *State) (*toolchain, error) {
	tc := &toolchain{}
	args, err := configure.Args(s.Resolved.Script)
	if err != nil {
		return nil, err
	}
	epoch := s.Env.SourceDateEpoch
	if epoch == "" {
		epoch = sourceDateEpoch(s.sourceDir())
		tc.Env = append(tc.Env, "SOURCE_DATE_EPOCH="+epoch)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--with-cc=") {
			// The user chose the compiler command; nginx's configure then
			// ignores $CC, and so would our wrapper.
			tc.Notes = append(tc.Notes, "--with-cc given: the compiler is used as is (no ccache, no -ffile-prefix-map)")
			return tc, nil
		}
	}
	switch s.Plan.CCache {
	case plan.CCacheOn, plan.CCacheAuto:
		p, err := exec.LookPath("ccache")
		switch {
		case err == nil && (s.Plan.CCache == plan.CCacheOn || !s.Env.CCacheDisabled):
			tc.CCache = p
		case err != nil && s.Plan.CCache == plan.CCacheOn:
			return nil, fmt.Errorf("--ccache: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache out")
		}
	}
	cc := s.Env.CC
	if cc == "" {
		cc = "cc"
	}
	var w strings.Builder
	w.WriteString("#!/bin/sh\n# Written by nginx-build: the compiler for this build (see README, \"Reproducible builds\").\n")
	w.WriteString("exec ")
	if tc.CCache != "" {
		w.WriteString(configure.Quote(tc.CCache) + " ")
		tc.Env = append(tc.Env, "CCACHE_NOHASHDIR=1")
		tc.Notes = append(tc.Notes, "ccache in front of the compiler ("+tc.CCache+")")
	}
	// $CC may hold flags ("gcc -m32"): it is word-split on purpose.
	fmt.Fprintf(&w, "%s %s \"$@\"\n", cc, configure.Quote("-ffile-prefix-map="+s.buildDir()+"=."))
	wrapper := filepath.Join(s.buildDir(), wrapperName)
	if err := os.WriteFile(wrapper, []byte(w.String()), 0o755); err != nil {
		return nil, fmt.Errorf("write compiler wrapper: %w", err)
	}
	tc.Env = append(tc.Env, "CC="+wrapper)
	return tc, nil
}

// sourceDateEpoch is the build date recorded in the binary: the
// modification time of a file that comes from the release tarball (and so
// is the same in every work dir). A git checkout has no such time: set
// SOURCE_DATE_EPOCH yourself for those.
func sourceDateEpoch(src string) string {
	for _, f := range []string{"src/core/nginx.h", "configure", "auto/configure"} {
		if info, err := os.Stat(filepath.Join(src, f)); err == nil {
			return strconv.FormatInt(info.ModTime().Unix(), 10)
		}
	}
	return "0"
}

// ccacheStats are the counters of `ccache --print-stats` that the summary uses.
type ccacheStats struct {
	hits, misses int64
	ok           bool
}

// readCCacheStats reads ccache's counters; ok is false when this ccache
// cannot print them (older than 4.x).
func readCCacheStats(ctx context.Context, ccache string) ccacheStats {
	out, err := proc.Output(proc.Command(ctx, ccache, "--print-stats"))
	if err != nil {
		return ccacheStats{}
	}
	st := ccacheStats{ok: true}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "direct_cache_hit", "preprocessed_cache_hit":
			st.hits += n
		case "cache_miss":
			st.misses += n
		}
	}
	return st
}

// summary says what this build got from ccache: the difference between
// two readings.
func (after ccacheStats) summary(before ccacheStats) string {
	if !after.ok || !before.ok {
		return ""
	}
	h, m := after.hits-before.hits, after.misses-before.misses
	pct := 0.0
	if h+m > 0 {
		pct = 100 * float64(h) / float64(h+m)
	}
	return fmt.Sprintf("ccache: %d hits, %d misses (%.0f%% hit rate)", h, m, pct)
}
