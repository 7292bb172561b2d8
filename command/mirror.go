package command

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
)

func newMirrorCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var bf buildFlags
	cmd := &cobra.Command{
		Use:   "mirror DIR [build flags | --lockfile FILE]",
		Short: "Copy every tarball and module a build needs into a mirror directory, verified",
		Long: `mirror resolves what a build with the same flags would use (or takes
exactly what a lockfile pins), downloads and verifies every tarball, and
copies them into DIR in the mirror layout, with the signatures published
beside them and a .sha256 of each verified tarball. The modules of -m
modules.json go under DIR/modules/<name>/: tarball modules and Debian's
orig tarballs as they are, git modules (and -customnginx/-customssl git
sources) as git bundles of their repositories. DIR/index.json lists
everything with its sha256, each module's URL and, for git, the commit its
rev pinned. Serve DIR over HTTP or copy it into an air-gapped network, then
build there with --mirror DIR (or its URL) and the same flags and
modules.json: nothing else is contacted. Running it again only adds what is
missing. It takes the flags of build; those that only matter for compiling
(-d, -c, -j, -patch …) are accepted and ignored.`,
		Example: `  nginx-build mirror /srv/nginx-build-mirror -v 1.22.1 -openssl -opensslversion 3.0.20 -pcre -zlib -m modules.json
  nginx-build mirror /srv/nginx-build-mirror --lockfile nginx-build.lock
  nginx-build -d work --mirror /srv/nginx-build-mirror -v 1.22.1 -openssl -opensslversion 3.0.20 -pcre -zlib -m modules.json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			io.Verbose = g.verbose
			dir, err := g.f.abs(args[0])
			if err != nil {
				return err
			}
			if bf.workDir == "" {
				bf.workDir = dir // nothing is built: any work dir will do
			}
			plan, err := bf.plan(g, changedFunc(cmd.Flags()), io.Warnf, nil)
			if err != nil {
				return err
			}
			plan.MirrorDir = dir
			if cmd.Flags().Changed("lockfile") {
				if err := lockfilePlan(plan, bf.trust.lockfile); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("create mirror dir: %w", err)
			}
			state := &builder.State{Plan: plan, Env: g.env(io)}
			return builder.Run(cmd.Context(), state, builder.MirrorStages())
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addBuildFlags(cmd.Flags(), &bf, g.f)
	cmd.Flags().SortFlags = false
	return cmd
}

// lockfilePlan makes the plan mirror exactly what the lockfile pins,
// whatever the flags say: its components (custom tarballs by their URL)
// and its modules (git sources of custom components among them).
func lockfilePlan(plan *builder.Plan, path string) error {
	l, err := lockfile.Read(plan.Lockfile)
	if err != nil {
		return err
	}
	if l == nil || len(l.Components) == 0 && len(l.Modules) == 0 {
		return usagef("--lockfile %s: no lockfile there (write one with nginx-build lock)", path)
	}
	var specs []builder.ComponentSpec
	for _, c := range l.Components {
		spec := builder.ComponentSpec{Name: c.Name, Constraint: c.Constraint}
		if _, err := source.Lookup(c.Name); err != nil {
			// A custom component (-customnginx/-customssl tarball).
			spec = builder.ComponentSpec{Name: c.Name, Constraint: c.Constraint, Version: c.Version, CustomURL: c.URL}
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		// Only git trees: which of them is the server, the lockfile does not say.
		return usagef("--lockfile %s pins no tarballs, only git trees: mirror them with the build's flags and modules.json instead", path)
	}
	plan.Server, plan.Libraries = specs[0], specs[1:]
	plan.GitSources, plan.Modules = nil, nil
	for _, m := range l.Modules {
		if m.Form == "local" {
			continue // a directory on the machine that built it: nothing to copy
		}
		plan.Modules = append(plan.Modules, module3rd.Module{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Dynamic: m.Dynamic})
	}
	plan.Locked = true
	return nil
}
