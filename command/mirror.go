package command

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func newMirrorCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var (
		cf componentFlags
		tf trustFlags
	)
	cmd := &cobra.Command{
		Use:   "mirror DIR [component flags] [--lockfile FILE]",
		Short: "Copy every tarball a build needs into a mirror directory, verified",
		Long: `mirror resolves what a build with the same flags would use (or takes the
versions pinned in a lockfile), downloads and verifies every tarball, and
copies them into DIR in the mirror layout, with the signatures published
beside them and a .sha256 of each verified tarball, plus DIR/index.json
listing everything with its sha256. Serve DIR over HTTP or copy it into an
air-gapped network, then build there with --mirror DIR (or its URL).
Running it again only adds what is missing.`,
		Example: `  nginx-build mirror /srv/nginx-build-mirror -v 1.22.1 -openssl -opensslversion 3.0.20 -pcre -zlib
  nginx-build mirror /srv/nginx-build-mirror --lockfile nginx-build.lock
  nginx-build -d work --mirror /srv/nginx-build-mirror -v 1.22.1 -openssl -opensslversion 3.0.20 -pcre -zlib`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			io.Verbose = g.verbose
			server, libs, err := cf.specs(changedFunc(cmd.Flags()), io.Warnf)
			if err != nil {
				return err
			}
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			plan := &builder.Plan{Server: server, Libraries: libs, MirrorDir: dir}
			if err := g.apply(plan); err != nil {
				return err
			}
			debianDefaults(plan, changedFunc(cmd.Flags()))
			if err := tf.apply(plan); err != nil {
				return err
			}
			if cmd.Flags().Changed("lockfile") {
				// Mirror exactly what the lockfile pins, whatever the flags say.
				l, err := builder.ReadLockfile(plan.Lockfile)
				if err != nil {
					return err
				}
				if l == nil || len(l.Components) == 0 {
					return usagef("--lockfile %s: no lockfile there (write one with nginx-build lock)", tf.lockfile)
				}
				plan.Server, plan.Libraries = builder.ComponentSpec{Name: l.Components[0].Name, Constraint: l.Components[0].Constraint}, nil
				for _, c := range l.Components[1:] {
					plan.Libraries = append(plan.Libraries, builder.ComponentSpec{Name: c.Name, Constraint: c.Constraint})
				}
				plan.Locked = true
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("create mirror dir: %w", err)
			}
			state := &builder.State{Plan: plan, Env: builder.Env{IO: io, HTTP: fetch.NewHTTPClient(), ToolVersion: Version}}
			return builder.Run(cmd.Context(), state, builder.MirrorStages())
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addComponentFlags(cmd.Flags(), &cf)
	addTrustFlags(cmd.Flags(), &tf)
	cmd.Flags().SortFlags = false
	return cmd
}
