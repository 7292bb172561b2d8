package command

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func newCacheCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	cacheDir := func() (string, error) {
		return g.f.cacheDir(g.cacheDir)
	}
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect, verify and clean the download cache",
		Long: `The cache ($NGINX_BUILD_CACHE, else $XDG_CACHE_HOME/nginx-build, else
~/.cache/nginx-build) holds verified tarballs, version indexes and git
module clones. Every tarball sits beside a record of its sha256 and how it
was verified; runs sharing the cache take turns per file.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the cached tarballs",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := cacheDir()
			if err != nil {
				return err
			}
			entries, err := fetch.ListCache(dir)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(entries)
			}
			tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COMPONENT\tSIZE\tSHA256\tVERIFIED\tPATH")
			var total int64
			for _, e := range entries {
				sum, ver := e.SHA256, e.Verified
				if !e.Complete {
					sum, ver = "-", "incomplete (never used; `cache clean` removes it)"
				} else if len(sum) > 16 {
					sum = sum[:16] + "…"
				}
				if ver == "" {
					ver = "nothing to verify against"
				}
				total += e.Size
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Component, fetch.HumanBytes(e.Size), sum, ver, e.Path)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			io.Infof("%d tarball(s), %s, in %s", len(entries), fetch.HumanBytes(total), dir)
			return nil
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every cached tarball; remove damaged and incomplete ones",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := cacheDir()
			if err != nil {
				return err
			}
			checked, problems, err := fetch.VerifyCache(cmd.Context(), dir, waitingFor(io))
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintf(io.Out, "%s: %s\n", p.Path, p.Problem)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d of %d cached tarball(s) failed verification and were removed; the next build downloads them again", len(problems), checked)
			}
			io.Infof("all %d cached tarball(s) match their recorded sha256", checked)
			return nil
		},
	}
	var olderThan time.Duration
	clean := &cobra.Command{
		Use:   "clean [--older-than DURATION]",
		Short: "Remove cached downloads (all, or those unused for a while)",
		Example: `  nginx-build cache clean                    # everything
  nginx-build cache clean --older-than 720h  # tarballs untouched for 30 days`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if olderThan < 0 {
				return usagef("--older-than must be positive")
			}
			dir, err := cacheDir()
			if err != nil {
				return err
			}
			freed, err := fetch.CleanCache(cmd.Context(), dir, olderThan, time.Now(), waitingFor(io))
			if err != nil {
				return err
			}
			io.Infof("freed %s in %s", fetch.HumanBytes(freed), dir)
			return nil
		},
	}
	clean.Flags().DurationVar(&olderThan, "older-than", 0, "only remove tarballs not modified for this long (e.g. 720h)")
	for _, c := range []*cobra.Command{ls, verify, clean} {
		c.SetFlagErrorFunc(flagError)
	}
	cmd.AddCommand(ls, verify, clean)
	return cmd
}

// waitingFor tells the user that a cache command waits for another
// nginx-build that holds a slot's lock.
func waitingFor(io *iostreams.IO) func(string) {
	return func(path string) {
		io.Infof("waiting for another nginx-build using %s", path)
	}
}
