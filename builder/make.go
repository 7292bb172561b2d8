package builder

import (
	"context"
	"fmt"
	"path/filepath"
)

// makeStage compiles with make -j N.
type makeStage struct{}

func (makeStage) Name() string { return "make" }

func (makeStage) Run(ctx context.Context, s *State) error {
	src := s.sourceDir()
	logPath := filepath.Join(src, "nginx-build.log")
	s.Env.IO.Infof("compiling with make -j%d (log: %s)", s.Plan.Jobs, logPath)
	var before ccacheStats
	if s.toolchain.CCache != "" {
		before = readCCacheStats(ctx, s.toolchain.CCache)
	}
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
	if s.toolchain.CCache != "" {
		s.Built.CCacheSummary = readCCacheStats(ctx, s.toolchain.CCache).summary(before)
	}
	s.Built.Binary = builtBinary(src)
	if s.Built.Binary == "" {
		return fmt.Errorf("make succeeded but produced no nginx binary in %s/objs", src)
	}
	return nil
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
