package command

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/plan"
)

func newFetchCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var cf componentFlags
	var pf planFlags
	var tf trustFlags
	cmd := &cobra.Command{
		Use:   "fetch [component flags]",
		Short: "Download and verify tarballs into the cache, without building",
		Long: `fetch resolves the components a build with the same flags would use,
downloads their tarballs concurrently into the cache and verifies them, and
builds nothing. A later build (even offline) finds them there.`,
		Example: `  nginx-build fetch -v 1.22.1 -openssl -pcre -zlib
  nginx-build fetch --mirror https://mirror.example/nginx-build -openssl`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			io.Verbose = g.verbose
			if pf.json && !pf.dryRun {
				return usagef("--json goes with --dry-run")
			}
			server, libs, err := cf.specs(changedFunc(cmd.Flags()), io.Warnf)
			if err != nil {
				return err
			}
			pl := &plan.Plan{Server: server, Libraries: libs}
			if err := g.apply(pl); err != nil {
				return err
			}
			pl = plan.WithDebianDefaults(pl, versionChosen(changedFunc(cmd.Flags())))
			if err := tf.apply(pl, g.f); err != nil {
				return err
			}
			state, err := g.pipeline(cmd.Context(), io, pl, builder.Mode{DryRun: pf.dryRun}, builder.FetchStages())
			if err != nil {
				return err
			}
			if pf.dryRun {
				return printPlan(io, state, pf.json)
			}
			tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COMPONENT\tVERSION\tSHA256\tVERIFIED\tPATH")
			for _, r := range state.Fetched.Components {
				v := r.Verified
				if v == "" {
					v = "not verified (nothing published)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Artifact.Component, r.Artifact.Version, r.SHA256, v, r.Path)
			}
			return tw.Flush()
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addComponentFlags(cmd.Flags(), &cf)
	addPlanFlags(cmd.Flags(), &pf)
	addTrustFlags(cmd.Flags(), &tf)
	cmd.Flags().SortFlags = false
	return cmd
}
