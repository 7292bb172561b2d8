package command

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/plan"
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
			pl, err := bf.toPlan(cmd.Context(), g, changedFunc(cmd.Flags()), io.Warnf, nil, noWorkDir)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("lockfile") {
				if pl, err = lockfilePlan(pl, bf.trust.lockfile); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("create mirror dir: %w", err)
			}
			_, err = g.pipeline(cmd.Context(), io, pl, builder.Mode{MirrorDir: dir}, builder.MirrorStages())
			return err
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addBuildFlags(cmd.Flags(), &bf, g.f)
	cmd.Flags().SortFlags = false
	return cmd
}

// lockfilePlan makes the plan mirror exactly what the lockfile pins,
// whatever the flags say (plan.WithLockfile).
func lockfilePlan(pl *plan.Plan, path string) (*plan.Plan, error) {
	l, err := lockfile.Read(pl.Lockfile)
	if err != nil {
		return nil, err
	}
	if l == nil || len(l.Components) == 0 && len(l.Modules) == 0 {
		return nil, usagef("--lockfile %s: no lockfile there (write one with nginx-build lock)", path)
	}
	locked, err := plan.WithLockfile(pl, l)
	if errors.Is(err, plan.ErrNoTarballs) {
		return nil, usagef("--lockfile %s pins no tarballs, only git trees: mirror them with the build's flags and modules.json instead", path)
	}
	return locked, err
}
