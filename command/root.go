// Package command is nginx-build's command line: cobra commands, flag
// definitions (including the Go-flag style single-dash long flags that
// nginx-build users have in their scripts), help texts, and the mapping of
// errors to exit codes. It turns flags into a plan.Plan and prints
// results; the work itself happens in builder and below.
package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/source"
)

// Version is this tool's release.
const Version = "0.1.0"

// offlineHint follows an error that says a host could not be reached.
const offlineHint = "no network? use --mirror DIR or --source debian (see README: Air-gapped builds)"

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return RunWith(ctx, System(), os.Args[1:])
}

// Run is Execute with explicit streams and arguments and the process's
// environment.
func Run(ctx context.Context, io *iostreams.IO, args []string) int {
	return RunWith(ctx, &Factory{IO: io}, args)
}

// RunWith runs the command line with what f gives (streams, HTTP client,
// environment, working directory, clock) and returns the exit code.
func RunWith(ctx context.Context, f *Factory, args []string) (code int) {
	f = f.withDefaults()
	io := f.IO
	// A bug must still end in one readable line and exit 1, never a
	// stack trace in a user's CI log.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(io.Err, "nginx-build: internal error: %v (please report this)\n", r)
			code = ExitFailure
		}
	}()
	root := newRoot(f)
	err := execute(ctx, root, f, args)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		// cobra's own argument errors are usage errors too.
		err = &usageError{msg: err.Error()}
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// Ctrl-C or SIGTERM: children are gone, nothing partial is trusted.
		fmt.Fprintln(io.Err, "nginx-build: interrupted; nothing half-done is trusted, run it again to continue")
	default:
		fmt.Fprintf(io.Err, "nginx-build: %v\n", err)
		if isUsage(err) {
			fmt.Fprintln(io.Err, "Run 'nginx-build --help' for usage.")
		}
		for _, hint := range networkHints(netfail.All(err), givenMirrors(root)) {
			fmt.Fprintln(io.Err, "hint: "+hint)
		}
	}
	return exitCode(err)
}

// givenMirror is a --mirror the user gave, and where it was given.
type givenMirror struct {
	mirror source.Mirror
	// from is "--mirror" or "NGINX_BUILD_MIRROR".
	from string
}

// givenMirrors are the mirrors of the run that just ended: --mirror, or
// NGINX_BUILD_MIRROR (the flag's default).
func givenMirrors(root *cobra.Command) []givenMirror {
	fl := root.PersistentFlags().Lookup("mirror")
	values, err := root.PersistentFlags().GetStringArray("mirror")
	if fl == nil || err != nil {
		return nil
	}
	from := "--mirror"
	if !fl.Changed {
		from = "NGINX_BUILD_MIRROR"
	}
	var out []givenMirror
	for _, v := range values {
		if m, err := source.ParseMirror(v); err == nil && !m.IsZero() {
			out = append(out, givenMirror{m, from})
		}
	}
	return out
}

// networkHints say what to do about the hosts a run could not reach. A
// mirror the user gave that is down is named, with where it was given:
// telling them to use a mirror would be no help. Any other host
// (upstream, a key server) gets the hint at building offline.
func networkHints(failed []*netfail.Error, mirrors []givenMirror) []string {
	var hints []string
	named := map[string]bool{}
	offline := false
	for _, f := range failed {
		m, ok := mirrorOf(f.URL, mirrors)
		switch {
		case !ok:
			offline = true
		case !named[m.mirror.String()]:
			named[m.mirror.String()] = true
			hints = append(hints, fmt.Sprintf("the mirror %s (%s) cannot be reached (%s): check that it is up and its URL is right, or give another (repeat --mirror for fallbacks)", m.mirror, m.from, f.Cause))
		}
	}
	if offline {
		hints = append(hints, offlineHint)
	}
	return hints
}

// mirrorOf finds the mirror a URL is on.
func mirrorOf(u string, mirrors []givenMirror) (givenMirror, bool) {
	for _, m := range mirrors {
		if base := m.mirror.String(); m.mirror.IsFileTree() && strings.HasPrefix(u, base) {
			return m, true
		}
	}
	return givenMirror{}, false
}

// execute parses args the way nginx-build users write them and runs
// the command they name.
func execute(ctx context.Context, root *cobra.Command, f *Factory, args []string) error {
	io := f.IO
	line, err := normalizeArgs(root, args, f.absOr)
	if err != nil {
		return err
	}
	if len(line.legacyConfigure) > 0 {
		io.Infof("note: %s passed to configure; the current form puts configure options after \"--\"", strings.Join(line.legacyConfigure, " "))
	}
	root.SetArgs(line.args)
	return root.ExecuteContext(ctx)
}

const rootLong = `nginx-build builds nginx from source, with static OpenSSL/LibreSSL, PCRE2
and zlib, third-party modules and patches: it downloads and verifies every
tarball (concurrently, into a cache), generates the configure script, and
compiles. Running it again with the same inputs does nothing.

Flags work with one dash or two: "-openssl -opensslversion 3.0.20" and
"--openssl --opensslversion=3.0.20" mean the same, as in nginx-build.
nginx configure options go after "--" and are passed through verbatim;
given as flags (-conf-path=/etc/nginx/nginx.conf, the form scripts for
nginx-build before v0.16 use) they are passed on too. -help-all lists
every flag and every configure option accepted that way.`

const rootExample = `  # nginx with the default version and system libraries
  nginx-build -d work

  # static OpenSSL, PCRE2 and zlib, plus configure options
  nginx-build -d work -v 1.22.1 -openssl -opensslversion 3.0.20 -pcre -zlib \
      -- --with-http_v2_module --prefix=/opt/nginx

  # your own configure script and third-party modules
  nginx-build -d work -c configure.sh -m modules.json

  # air-gapped: every tarball from a local mirror
  nginx-build -d work --mirror /srv/mirror -openssl`

func newRoot(f *Factory) *cobra.Command {
	io := f.IO
	var (
		g           = globalFlags{f: f}
		bf          buildFlags
		pf          planFlags
		showVersion bool
		listVers    bool
		helpAll     bool
	)
	root := &cobra.Command{
		Use:           "nginx-build [flags] [-- nginx configure options]",
		Short:         "Build nginx from source, verified and reproducible",
		Long:          rootLong,
		Example:       rootExample,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case showVersion:
				return printVersion(io)
			case helpAll:
				return printHelpAll(io.Out, cmd)
			case listVers:
				return printDefaultVersions(io.Out)
			case cmd.Flags().NFlag() == 0 && len(args) == 0:
				return cmd.Help()
			}
			return runBuild(cmd, io, &g, &bf, &pf, args)
		},
	}
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetFlagErrorFunc(flagError)
	root.Annotations = map[string]string{acceptsConfigure: "yes"}
	root.CompletionOptions.HiddenDefaultCmd = false
	addGlobalFlags(root.PersistentFlags(), &g, f)
	addBuildFlags(root.Flags(), &bf, f)
	addPlanFlags(root.Flags(), &pf)
	addNoWaitFlag(root.Flags(), &pf.noWait)
	root.Flags().BoolVar(&showVersion, "version", false, "print nginx-build's version and exit")
	root.Flags().BoolVar(&listVers, "versions", false, "print the default nginx, OpenResty and freenginx versions and exit ('nginx-build versions' lists them all)")
	root.Flags().BoolVar(&helpAll, "help-all", false, "print every flag, and the nginx configure options also accepted as flags, and exit")
	root.Flags().SortFlags = false

	root.AddCommand(newBuildCmd(io, &g), newFetchCmd(io, &g), newLockCmd(io, &g), newModulesCmd(io, &g), newPackageCmd(io, &g), newMirrorCmd(io, &g), newCacheCmd(io, &g), newVersionsCmd(io, &g), newVersionCmd(io))
	strictCompletion(root)
	// Added now rather than at Execute, so that the argument normalizer
	// knows "help" is a command.
	root.InitDefaultHelpCmd()
	return root
}

// strictCompletion makes `completion SHELL` with a shell cobra cannot
// generate for a usage error naming the ones it can (cobra would print
// the help and exit 0).
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return usagef("completion: unsupported shell %q; use one of bash, zsh, fish, powershell", args[0])
		}
	}
}

func newBuildCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var (
		bf      buildFlags
		pf      planFlags
		helpAll bool
	)
	cmd := &cobra.Command{
		Use:         "build [flags] [-- nginx configure options]",
		Short:       "Build nginx (the default command)",
		Long:        rootLong,
		Example:     rootExample,
		Annotations: map[string]string{acceptsConfigure: "yes"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if helpAll {
				return printHelpAll(io.Out, cmd)
			}
			return runBuild(cmd, io, g, &bf, &pf, args)
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addBuildFlags(cmd.Flags(), &bf, g.f)
	addPlanFlags(cmd.Flags(), &pf)
	addNoWaitFlag(cmd.Flags(), &pf.noWait)
	cmd.Flags().BoolVar(&helpAll, "help-all", false, "print every flag, and the nginx configure options also accepted as flags, and exit")
	cmd.Flags().SortFlags = false
	return cmd
}

// flagError makes every flag parsing problem a usage error (exit 2) and
// points nginx configure options that were given as flags to "--".
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var bad *pflag.InvalidValueError
	if errors.As(err, &bad) && bad.GetFlag() != nil && bad.GetFlag().Value.Type() == "int" {
		// Not pflag's `invalid argument "abc" for "-j, --jobs" flag: strconv.ParseInt: …`.
		name := bad.GetFlag().Shorthand
		if name == "" {
			name = bad.GetFlag().Name
		}
		msg = fmt.Sprintf("-%s: %q is not a number", name, bad.GetValue())
	}
	if strings.Contains(msg, "unknown flag: --with") || strings.Contains(msg, "unknown flag: --without") ||
		strings.Contains(msg, "unknown flag: --prefix") || strings.Contains(msg, "unknown flag: --add-") {
		msg += " (nginx configure options go after \"--\", e.g. nginx-build -d work -- --with-http_v2_module)"
	}
	return &usageError{msg: msg}
}

// configureArgs splits positional arguments: everything after "--" is for
// configure; anything before it is a mistake.
func configureArgs(cmd *cobra.Command, args []string) ([]string, error) {
	dash := cmd.ArgsLenAtDash()
	before := args
	if dash >= 0 {
		before = args[:dash]
	}
	if len(before) > 0 {
		return nil, usagef("unexpected argument %q: not a command or flag; nginx configure options go after \"--\" (e.g. nginx-build -d work -- --with-http_v2_module)", before[0])
	}
	if dash < 0 {
		return nil, nil
	}
	return args[dash:], nil
}

func changedFunc(fs *pflag.FlagSet) func(string) bool {
	return func(name string) bool { return fs.Changed(name) }
}

func runBuild(cmd *cobra.Command, io *iostreams.IO, g *globalFlags, bf *buildFlags, pf *planFlags, args []string) error {
	extra, err := configureArgs(cmd, args)
	if err != nil {
		return err
	}
	io.Verbose = g.verbose
	if pf.json && !pf.dryRun {
		return usagef("--json goes with --dry-run")
	}
	pl, err := bf.toPlan(cmd.Context(), g, changedFunc(cmd.Flags()), io.Warnf, extra, buildsInWorkDir)
	if err != nil {
		return err
	}
	bom, err := checkSBOM(bf.sbom, pf, bf, g.f)
	if err != nil {
		return err
	}
	state, err := g.pipeline(cmd.Context(), io, pl, builder.Mode{DryRun: pf.dryRun, NoWait: pf.noWait}, builder.BuildStages())
	if !pf.dryRun {
		printBuild(io, io.Out, state)
	}
	if err != nil {
		return err
	}
	if pf.dryRun {
		return printPlan(io, state, pf.json)
	}
	if bom != nil {
		if state.Built.Binary == "" {
			// -idempotent found the installed nginx current: nothing was
			// built here, and that binary's make-up is not on record.
			io.Warnf("--sbom: nothing was built (-idempotent), so no SBOM was written to %s", bom.path)
			return nil
		}
		return bom.write(io, state.Resolved.BuildDir())
	}
	return nil
}

// usageArgs makes a positional-argument check's failure a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{msg: err.Error()}
		}
		return nil
	}
}
