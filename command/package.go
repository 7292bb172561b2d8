package command

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/packaging"
	"github.com/nginx-build/nginx-build/record"
)

// packageFlags are the package command's own flags; the build flags are
// build's.
type packageFlags struct {
	format      string
	name        string
	version     string
	release     string
	maintainer  string
	description string
	license     string
	arch        string
	output      string
	depends     []string
	// force allows a name distributions use for their own nginx packages.
	force bool
}

// defaultPackageName is not "nginx": a package of that name would replace
// the distribution's nginx package and collide with nginx-common's files
// (packaging.ReservedName).
const defaultPackageName = "nginx-custom"

func newPackageCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var bf buildFlags
	var pk packageFlags
	var pf planFlags
	cmd := &cobra.Command{
		Use:         "package [--format deb|rpm|apk|tar.gz] [build flags] [-- nginx configure options]",
		Annotations: map[string]string{acceptsConfigure: "yes"},
		Short:       "Build nginx and write a deb, rpm, apk or tar.gz package of it",
		Long: `package builds nginx exactly as build does (an up-to-date build is reused)
and writes a package of it: the binary, the dynamic modules, the source
tree's default configuration (conf/, marked as configuration files: kept
across upgrades and removal) and pages (html/), a systemd unit, and
dependencies on the shared libraries the binary really loads (what is
embedded statically, such as -pcre, adds none). The package's path is
printed on stdout.

Files go where the binary looks for them. Without --prefix among the
configure options, package paths named after the package are compiled in:
/usr/sbin/NAME, /etc/NAME/nginx.conf, /var/log/NAME/, /run/NAME.pid,
/var/lib/NAME/ (temp files), /usr/lib/NAME/modules/, /usr/share/NAME/html/.
With --prefix, nginx's own layout under that prefix is packaged.

The default name, nginx-custom, installs beside the distribution's nginx.
The names of the distributions' own nginx packages (nginx, nginx-common,
nginx-full, libnginx-mod-*, ...) are refused: such a package would replace
theirs; --force allows them. The service is never started or enabled by
installing the package.

--dry-run resolves everything, prints the plan and the package that would
be written (name, version, format, architecture, path), and downloads and
builds nothing.`,
		Example: `  nginx-build package -d work --format deb -pcre -zlib -- --with-http_ssl_module
  nginx-build package -d work --format rpm --name nginx-edge --release 2 --maintainer "Ops <ops@example.com>"
  nginx-build package -d work --format tar.gz -- --prefix=/opt/nginx
  nginx-build package -d work --format rpm --dry-run`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPackage(cmd, io, g, &bf, &pk, &pf, args)
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	fs := cmd.Flags()
	fs.StringVar(&pk.format, "format", "deb", "package format: deb, rpm, apk or tar.gz")
	fs.StringVar(&pk.name, "name", defaultPackageName, "package name (also names the package's paths, service and unit)")
	fs.StringVar(&pk.version, "pkg-version", "", "package version (default: the nginx version)")
	fs.StringVar(&pk.release, "release", "1", "package release (Debian revision, rpm release, apk -rN)")
	fs.StringVar(&pk.maintainer, "maintainer", "nginx-build <nginx-build@localhost>", "package maintainer, \"Name <email>\"")
	fs.StringVar(&pk.description, "description", "", "package description; the first line is the summary (default: the nginx version and configure arguments)")
	fs.StringVar(&pk.license, "license", "BSD-2-Clause", "package license (nginx's; change it when modules or embedded libraries add others)")
	fs.StringVar(&pk.arch, "arch", "", "package architecture, Go's name (amd64, arm64) or the format's own (default: the binary's)")
	fs.StringVarP(&pk.output, "output", "o", ".", "directory to write the package to")
	fs.StringArrayVar(&pk.depends, "depends", nil, "add a dependency, in the format's syntax (repeatable)")
	fs.BoolVar(&pk.force, "force", false, "allow a --name that the distributions' own nginx packages have (nginx, nginx-common, …): the package then replaces theirs")
	fs.BoolVar(&pf.dryRun, "dry-run", false, "resolve everything and print the plan and the package that would be written; download and build nothing")
	fs.BoolVar(&pf.json, "json", false, "with --dry-run: print the plan, and the package, as JSON")
	addNoWaitFlag(fs, &pf.noWait)
	addBuildFlags(fs, &bf, g.f)
	fs.SortFlags = false
	return cmd
}

func runPackage(cmd *cobra.Command, io *iostreams.IO, g *globalFlags, bf *buildFlags, pk *packageFlags, pf *planFlags, args []string) error {
	extra, err := configureArgs(cmd, args)
	if err != nil {
		return err
	}
	io.Verbose = g.verbose
	if pf.json && !pf.dryRun {
		return usagef("--json goes with --dry-run")
	}
	format, err := packaging.ParseFormat(pk.format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if err := packaging.CheckName(pk.name); err != nil {
		return usagef("--name: %v", err)
	}
	if why := packaging.ReservedName(pk.name); why != "" && !pk.force {
		return usagef("--name %s: %s; keep the default name %s or choose another, or add --force if replacing it is what you want", pk.name, why, defaultPackageName)
	}
	if pk.version != "" {
		if err := packaging.CheckVersion(pk.version); err != nil {
			return usagef("--pkg-version: %v", err)
		}
	}
	if err := packaging.CheckRelease(pk.release); err != nil {
		return usagef("--release: %v", err)
	}
	sourceDate, dateSet, err := g.f.sourceDate()
	if err != nil {
		return usagef("%v (used for the package's file times)", err)
	}
	switch {
	case bf.configureOnly:
		return usagef("-configureonly stops before there is a binary to package")
	case bf.idempotent:
		return usagef("-idempotent skips the build when the installed nginx matches; package needs the build")
	case pk.output == "":
		return usagef("--output: give a directory")
	}
	pl, err := bf.toPlan(cmd.Context(), g, changedFunc(cmd.Flags()), io.Warnf, extra, buildsInWorkDir)
	if err != nil {
		return err
	}
	// The build's own path options: those after "--" and the -c script's.
	given := append([]string(nil), pl.ExtraArgs...)
	if strings.TrimSpace(pl.ConfigureScript) != "" {
		scriptArgs, err := configure.Args(pl.ConfigureScript)
		if err != nil {
			return fmt.Errorf("-c %s: %w", bf.configureFile, err)
		}
		given = append(given, scriptArgs...)
	}
	defaults := packaging.DefaultPathArgs(pk.name, given)
	if len(defaults) > 0 {
		io.Infof("package layout for %s (no --prefix given): %s", pk.name, strings.Join(defaults, " "))
		pl.ExtraArgs = append(pl.ExtraArgs, defaults...)
	}
	requested := append(given, defaults...)
	// A layout a package cannot have is the user's to fix: say so before
	// compiling anything.
	if _, err := packaging.LayoutFromArgs(requested); err != nil {
		return usagef("%v", err)
	}
	out, err := g.f.abs(pk.output)
	if err != nil {
		return fmt.Errorf("--output %s: %w", pk.output, err)
	}
	state, err := g.pipeline(cmd.Context(), io, pl, builder.Mode{Packaging: true, DryRun: pf.dryRun, NoWait: pf.noWait}, builder.BuildStages())
	if pf.dryRun {
		if err != nil {
			return err
		}
		return printPackagePlan(io, state, pk, format, out, pf.json)
	}
	// Stdout is for the package's path alone: the build's results,
	// binary path included, go to stderr.
	printBuild(io, io.Err, state)
	if err != nil {
		return err
	}
	if state.Built.Binary == "" {
		return fmt.Errorf("the build left no nginx binary to package")
	}
	version, err := packageVersion(pk, state)
	if err != nil {
		return err
	}
	req := packaging.Request{
		Format: format,
		Meta: packaging.Meta{
			Name: pk.name, Version: version, Release: pk.release, Maintainer: pk.maintainer,
			Description: pk.description, License: pk.license, Arch: pk.arch, Depends: pk.depends,
		},
		Build: packaging.Build{
			Binary: state.Built.Binary, Record: filepath.Join(state.Resolved.BuildDir(), record.File), Requested: requested,
		},
		OutDir: out,
		Warn:   io.Warnf,
	}
	if dateSet {
		req.SourceDate = &sourceDate
	}
	if format == packaging.Deb {
		// dpkg knows the real package of each library on this machine,
		// where the binary was built for.
		req.Owner = packaging.DpkgOwner("")
	}
	io.Infof("packaging %s as %s", state.Built.Binary, format)
	res, err := packaging.Make(cmd.Context(), req)
	if err != nil {
		return fmt.Errorf("package %s: %w", format, err)
	}
	var sonames []string
	for _, n := range res.Needed {
		sonames = append(sonames, n.Soname)
	}
	io.Infof("shared libraries: %s", orNone(strings.Join(sonames, ", ")))
	if format != packaging.TarGz {
		io.Infof("depends: %s", orNone(strings.Join(res.Depends, ", ")))
	}
	io.Infof("configuration: %s (kept on upgrade and removal)", res.Layout.ConfDir())
	io.Infof("wrote %s", res.Path)
	fmt.Fprintln(io.Out, res.Path)
	return nil
}

// packageVersion is --pkg-version, else the server's version, which must
// be one a package can have.
func packageVersion(pk *packageFlags, state *builder.State) (string, error) {
	if pk.version != "" {
		return pk.version, nil
	}
	server := state.Resolved.Server()
	if err := packaging.CheckVersion(server.Version); err != nil {
		return "", usagef("%s %s cannot be a package version (%v): give --pkg-version", server.Name, server.Version, err)
	}
	return server.Version, nil
}

// printPackagePlan prints a dry run's plan with the package it would
// write: its name, version, format, architecture (--arch, else this
// machine's, where the binary is built) and path.
func printPackagePlan(io *iostreams.IO, state *builder.State, pk *packageFlags, format packaging.Format, outDir string, asJSON bool) error {
	version, err := packageVersion(pk, state)
	if err != nil {
		return err
	}
	arch := pk.arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	meta := packaging.Meta{Name: pk.name, Version: version, Release: pk.release, Arch: arch}
	name, err := packaging.FileName(format, meta)
	if err != nil {
		return err
	}
	v, err := builder.Describe(state)
	if err != nil {
		return err
	}
	v.Package = &builder.PackageView{Name: pk.name, Version: version, Release: pk.release, Format: string(format), Arch: arch, Path: filepath.Join(outDir, name)}
	return printPlanView(io, v, asJSON)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
