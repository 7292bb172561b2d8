package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/nginxbin"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/source"
)

// modulesFlags are the modules command's own flags.
type modulesFlags struct {
	fromBinary  string
	fromArgs    string
	version     string
	modulesFile string
	workDir     string
	out         string
	jobs        int
	trust       trustFlags
	extract     extractFlags
	noWait      bool
}

func newModulesCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var mf modulesFlags
	cmd := &cobra.Command{
		Use:   "modules --from-binary NGINX -m modules.json",
		Short: "Build dynamic modules for an nginx you already run",
		Long: `modules builds binary-compatible dynamic modules (.so) for an nginx that is
already installed — a distribution's package, say. It reads the binary's
nginx -V (version and configure arguments), fetches and verifies that exact
nginx version, configures it with the same arguments (minus the modules the
binary was built with) plus every module of modules.json as a dynamic
module, runs make modules, copies the .so files to the output directory and
checks that the binary loads them.

The binary should have been built --with-compat (distribution packages are);
without it, nginx accepts only modules built with exactly its options, and a
different compiler or patch set makes it refuse them: you are warned.`,
		Example: `  nginx-build modules --from-binary /usr/sbin/nginx -m modules.json -o /usr/lib/nginx/modules
  nginx-build modules --from-configure-args "--with-compat --with-http_ssl_module" -v 1.22.1 -m modules.json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			io.Verbose = g.verbose
			return runModules(cmd, io, g, &mf)
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	fs := cmd.Flags()
	fs.StringVar(&mf.fromBinary, "from-binary", "", "the nginx binary to build modules for (its nginx -V is read)")
	fs.StringVar(&mf.fromArgs, "from-configure-args", "", "the configure arguments to match, instead of --from-binary (needs -v)")
	fs.StringVarP(&mf.version, "nginxversion", "v", "", "nginx version, with --from-configure-args")
	fs.StringVarP(&mf.modulesFile, "modules", "m", "", "modules.json of the modules to build (all are built as dynamic modules)")
	fs.StringVarP(&mf.workDir, "workdir", "d", "work", "work directory")
	fs.StringVarP(&mf.out, "output", "o", "modules", "directory to put the .so files in")
	fs.IntVarP(&mf.jobs, "jobs", "j", defaultJobs(), "parallel make jobs")
	addTrustFlags(fs, &mf.trust)
	addNoWaitFlag(fs, &mf.noWait)
	addExtractFlags(fs, &mf.extract, g.f)
	fs.SortFlags = false
	return cmd
}

func runModules(cmd *cobra.Command, io *iostreams.IO, g *globalFlags, mf *modulesFlags) error {
	switch {
	case mf.modulesFile == "":
		return usagef("missing -m modules.json: the modules to build")
	case (mf.fromBinary == "") == (mf.fromArgs == ""):
		return usagef("give exactly one of --from-binary NGINX and --from-configure-args ARGS")
	case mf.fromArgs != "" && mf.version == "":
		return usagef("--from-configure-args needs -v VERSION (the nginx version the arguments belong to)")
	case mf.jobs < 1:
		return usagef("-j must be at least 1, got %d", mf.jobs)
	}
	info := configure.VersionInfo{Name: "nginx", Version: mf.version}
	if mf.fromBinary != "" {
		out, err := nginxbin.NginxV(cmd.Context(), mf.fromBinary)
		if err != nil {
			return fmt.Errorf("--from-binary %s: cannot run %s -V: %v", mf.fromBinary, mf.fromBinary, err)
		}
		if info, err = configure.ParseV(out); err != nil {
			return fmt.Errorf("--from-binary %s: %w", mf.fromBinary, err)
		}
	} else {
		args, err := configure.Args("./configure " + mf.fromArgs)
		if err != nil {
			return usagef("--from-configure-args: %v", err)
		}
		info.ConfigureArgs = args
	}
	if _, err := source.Lookup(info.Name); err != nil {
		return fmt.Errorf("%s is %s %s, which nginx-build cannot build modules for", mf.fromBinary, info.Name, info.Version)
	}
	mods, data, err := plan.ReadModules(cmd.Context(), g.f.absOr(mf.modulesFile), io.Warnf)
	if err != nil {
		return err
	}
	work, err := g.f.abs(mf.workDir)
	if err != nil {
		return err
	}
	if err := checkWorkDirPath(work); err != nil {
		return err
	}
	outDir, err := g.f.abs(mf.out)
	if err != nil {
		return err
	}
	base := &plan.Plan{WorkDir: work, Modules: mods, ModulesFile: string(data), Jobs: mf.jobs}
	if err := g.apply(base); err != nil {
		return err
	}
	if err := mf.trust.apply(base, g.f); err != nil {
		return err
	}
	if err := mf.extract.apply(base); err != nil {
		return err
	}
	pl, dropped := plan.ForBinary(base, info)
	if len(dropped) > 0 {
		io.Infof("leaving out what the binary was built with but is not needed for new modules: %s", strings.Join(dropped, " "))
	}
	if !slices.Contains(pl.ExtraArgs, "--with-compat") {
		io.Warnf("%s %s was built without --with-compat: nginx will load only modules built with exactly its options and compiler; they are configured with its arguments, but any other difference makes it refuse them", info.Name, info.Version)
	}
	mode := builder.Mode{ModulesOut: outDir, NoWait: mf.noWait}
	if mf.fromBinary != "" {
		mode.TargetBinary = g.f.absOr(mf.fromBinary)
	}
	state, err := g.pipeline(cmd.Context(), io, pl, mode, builder.ModuleStages())
	if err != nil {
		return err
	}
	printModules(io, state)
	return nil
}
