package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/proc"
)

// makeModulesStage runs `make modules`, collects the .so files and checks
// that the target nginx accepts them.
type makeModulesStage struct{}

func (makeModulesStage) Name() string { return "make modules" }

func (makeModulesStage) Run(ctx context.Context, s *State) error {
	src := s.sourceDir()
	logPath := filepath.Join(src, "nginx-build.log")
	s.Env.IO.Infof("compiling modules with make -j%d modules (log: %s)", s.Plan.Jobs, logPath)
	mon := startCompile(ctx, s, src, "modules")
	err := runLogged(ctx, "make modules", src, logPath, mon.tee(teeFor(s)), s.toolchain.Env, "make", fmt.Sprintf("-j%d", s.Plan.Jobs), "modules")
	s.Timings = append(s.Timings, mon.stop(err == nil)...)
	if err != nil {
		return explainFailure(s, err)
	}
	built, err := filepath.Glob(filepath.Join(src, "objs", "*.so"))
	if err != nil || len(built) == 0 {
		return fmt.Errorf("make modules produced no .so files in %s/objs", src)
	}
	if err := os.MkdirAll(s.Mode.ModulesOut, 0o755); err != nil {
		return fmt.Errorf("create output dir: %w", err)
	}
	builtin := builtinDynamicModules(s.Plan.ExtraArgs)
	var out []string
	for _, so := range built {
		if builtin[filepath.Base(so)] {
			continue // nginx's own (--with-stream=dynamic …): the binary's package has it
		}
		dst := filepath.Join(s.Mode.ModulesOut, filepath.Base(so))
		if err := atomicfile.Copy(so, dst, 0o755); err != nil {
			return fmt.Errorf("copy %s: %w", so, err)
		}
		out = append(out, dst)
	}
	s.Built.Modules = out
	if s.Mode.TargetBinary != "" {
		if err := checkModulesLoad(ctx, s.Mode.TargetBinary, out); err != nil {
			return err
		}
		s.Env.IO.Infof("%s loads all %d module(s)", s.Mode.TargetBinary, len(out))
	}
	return nil
}

// checkModulesLoad asks the target nginx to parse a configuration that
// loads every module: nginx refuses a module built with incompatible
// options or for another version, which is exactly what must be caught.
func checkModulesLoad(ctx context.Context, binary string, modules []string) error {
	dir, err := os.MkdirTemp("", "nginx-build-modcheck-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var conf strings.Builder
	for _, so := range modules {
		fmt.Fprintf(&conf, "load_module %s;\n", so)
	}
	fmt.Fprintf(&conf, "pid %s/nginx.pid;\nerror_log stderr;\nevents {}\n", dir)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		return err
	}
	out, err := proc.CombinedOutput(proc.Command(ctx, binary, "-t", "-q", "-p", dir, "-e", "stderr", "-c", confPath))
	if err != nil {
		return fmt.Errorf("%s refuses the built modules: %s", binary, strings.TrimSpace(string(out)))
	}
	return nil
}

// builtinDynamicModules names the .so files of nginx's own modules that
// configure arguments build dynamically: --with-stream=dynamic builds
// ngx_stream_module.so, --with-stream_geoip_module=dynamic
// ngx_stream_geoip_module.so.
func builtinDynamicModules(args []string) map[string]bool {
	names := map[string]bool{}
	for _, a := range args {
		name, ok := strings.CutPrefix(a, "--with-")
		if !ok {
			continue
		}
		if name, ok = strings.CutSuffix(name, "=dynamic"); !ok {
			continue
		}
		if !strings.HasSuffix(name, "_module") {
			name += "_module"
		}
		names["ngx_"+name+".so"] = true
	}
	return names
}
