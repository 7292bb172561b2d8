package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func newLockCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var (
		cf      componentFlags
		tf      trustFlags
		modules string
	)
	cmd := &cobra.Command{
		Use:   "lock [component flags] [-m modules.json]",
		Short: "Resolve, download and verify everything, and write nginx-build.lock",
		Long: `lock resolves every component's constraint afresh, downloads and verifies
the tarballs, pins git modules to commits, and writes the lockfile
(./nginx-build.lock, or --lockfile): for each component the version, URL,
sha256 and how it was verified. Nothing is built.

Builds run where a lockfile exists use its pins — the same versions even when
newer ones exist — and check its sha256s; with --locked, any difference
between the flags and the lockfile is fatal. Commit the lockfile.`,
		Example: `  nginx-build lock -v stable -openssl -opensslversion '~3.5' -pcre -zlib
  nginx-build -d work -v stable -openssl -opensslversion '~3.5' -pcre -zlib --locked`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			io.Verbose = g.verbose
			server, libs, err := cf.specs(changedFunc(cmd.Flags()), io.Warnf)
			if err != nil {
				return err
			}
			plan := &builder.Plan{Server: server, Libraries: libs, Relock: true}
			plan.GitSources = gitSources(plan.Components())
			if modules != "" {
				mods, _, err := loadModules(modules)
				if err != nil {
					return err
				}
				plan.Modules = mods
			}
			if err := g.apply(plan); err != nil {
				return err
			}
			debianDefaults(plan, changedFunc(cmd.Flags()))
			if err := tf.apply(plan); err != nil {
				return err
			}
			if plan.Locked {
				return usagef("--locked makes no sense with lock, which writes the lockfile")
			}
			state := &builder.State{Plan: plan, Env: builder.Env{IO: io, HTTP: fetch.NewHTTPClient(), ToolVersion: Version}}
			if err := builder.Run(cmd.Context(), state, builder.LockStages()); err != nil {
				return err
			}
			fmt.Fprintln(io.Out, plan.Lockfile)
			return nil
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addComponentFlags(cmd.Flags(), &cf)
	cmd.Flags().StringVarP(&modules, "modules", "m", "", "modules.json whose git modules are pinned to commits")
	addTrustFlags(cmd.Flags(), &tf)
	cmd.Flags().SortFlags = false
	return cmd
}
