package command

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/source"
)

func newVersionsCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "versions [component]",
		Short: "List the versions of a component that upstream (or the mirror) offers",
		Long: "versions lists the release versions of a component, newest first, from upstream's\n" +
			"download index or from --mirror. Components: " + strings.Join(source.Names(), ", ") + ".",
		Example:   "  nginx-build versions\n  nginx-build versions openssl --mirror /srv/mirror",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: source.Names(),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "nginx"
			if len(args) == 1 {
				name = args[0]
			}
			return runVersions(cmd.Context(), io, g, name)
		},
	}
}

func runVersions(ctx context.Context, io *iostreams.IO, g *globalFlags, name string) error {
	c, err := source.Lookup(name)
	if err != nil {
		return usagef("%v", err)
	}
	m, err := source.ParseMirror(g.mirror)
	if err != nil {
		return usagef("--mirror: %v", err)
	}
	vs, err := source.ListVersions(ctx, fetch.NewHTTPClient(), m, c)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return fmt.Errorf("no %s versions found at %s", name, where(m, c))
	}
	for _, v := range vs {
		if v == c.DefaultVersion {
			fmt.Fprintf(io.Out, "%s (default)\n", v)
			continue
		}
		fmt.Fprintln(io.Out, v)
	}
	return nil
}

func where(m source.Mirror, c source.Component) string {
	if m.IsZero() {
		return c.IndexURL
	}
	return m.String() + "/" + c.Name
}

func newVersionCmd(io *iostreams.IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print nginx-build's version",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return printVersion(io) },
	}
}

func printVersion(io *iostreams.IO) error {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(io.Out, "nginx-build %s%s (%s %s/%s)\n", Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
