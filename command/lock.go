package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func newLockCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var bf buildFlags
	cmd := &cobra.Command{
		Use:         "lock [build flags] [-- nginx configure options]",
		Annotations: map[string]string{acceptsConfigure: "yes"},
		Short:       "Resolve, download and verify everything, and write nginx-build.lock",
		Long: `lock resolves every component's constraint afresh, downloads and verifies
the tarballs, pins git modules to commits, and writes the lockfile
(./nginx-build.lock, or --lockfile): for each component the version, URL,
sha256 and how it was verified. Nothing is built.

lock takes the same flags as a build, so the build's command line can be
reused as is: the component flags and -m modules.json decide what is pinned;
the others (-d, -c, -j, -patch, -clear, configure options after "--", ...)
are checked but change nothing in the lockfile.

Builds run where a lockfile exists use its pins — the same versions even when
newer ones exist — and check its sha256s; with --locked, any difference
between the flags and the lockfile is fatal. Commit the lockfile.`,
		Example: `  nginx-build lock -v stable -openssl -opensslversion '~3.5' -pcre -zlib
  nginx-build -d work -v stable -openssl -opensslversion '~3.5' -pcre -zlib --locked`,
		RunE: func(cmd *cobra.Command, args []string) error {
			extra, err := configureArgs(cmd, args)
			if err != nil {
				return err
			}
			io.Verbose = g.verbose
			pl, err := bf.toPlan(cmd.Context(), g, changedFunc(cmd.Flags()), io.Warnf, extra, noWorkDir)
			if err != nil {
				return err
			}
			if pl.Locked {
				return usagef("--locked makes no sense with lock, which writes the lockfile")
			}
			if _, err := g.pipeline(cmd.Context(), io, pl, builder.Mode{Relock: true}, builder.LockStages()); err != nil {
				return err
			}
			fmt.Fprintln(io.Out, pl.Lockfile)
			return nil
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addBuildFlags(cmd.Flags(), &bf, g.f)
	cmd.Flags().SortFlags = false
	return cmd
}
