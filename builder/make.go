package builder

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/nginx-build/nginx-build/record"
)

// makeStage compiles with make -j N.
type makeStage struct{}

func (makeStage) Name() string { return "make" }

func (makeStage) Run(ctx context.Context, s *State) error {
	src := s.sourceDir()
	logPath := filepath.Join(src, "nginx-build.log")
	s.Env.IO.Infof("compiling with make -j%d (log: %s)", s.Plan.Jobs, logPath)
	before := s.toolchain.ccacheBaseline(ctx)
	if err := beginStep(s, stepMake); err != nil {
		return err
	}
	mon := startCompile(ctx, s, src)
	err := runLogged(ctx, "make", src, logPath, mon.tee(teeFor(s)), s.toolchain.Env, "make", fmt.Sprintf("-j%d", s.Plan.Jobs))
	s.Timings = append(s.Timings, mon.stop(err == nil)...)
	if err != nil {
		return explainFailure(s, err)
	}
	if err := finishStep(s, stepMake); err != nil {
		return err
	}
	s.Built.CCache = ccacheServed(ctx, s.toolchain, before)
	s.Built.CCacheSummary = ccacheSummary(s.Built.CCache, s.toolchain.CCacheTold)
	s.Built.Binary = builtBinary(src)
	if s.Built.Binary == "" {
		return fmt.Errorf("make succeeded but produced no nginx binary in %s/objs", src)
	}
	return nil
}

// ccacheServed is ccache's part in this build for its record: whether it
// was used, why, and what it served since the reading before.
func ccacheServed(ctx context.Context, tc *toolchain, before ccacheStats) *record.CCache {
	if tc.CCacheWhy == "" {
		return nil // --with-cc: not ours to say
	}
	if tc.CCache == "" {
		return &record.CCache{Reason: tc.CCacheWhy}
	}
	c := readCCacheStats(ctx, tc.CCache, tc.Env).served(before)
	if c == nil {
		c = &record.CCache{Used: true}
	}
	c.Reason = tc.CCacheWhy
	return c
}

// builtBinary finds the nginx that make produced: objs/nginx for nginx and
// freenginx, build/nginx-*/objs/nginx inside an OpenResty bundle.
func builtBinary(src string) string {
	if p := filepath.Join(src, "objs", "nginx"); fileExists(p) {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(src, "build", "nginx-*", "objs", "nginx"))
	if len(matches) == 1 {
		return matches[0]
	}
	return ""
}
