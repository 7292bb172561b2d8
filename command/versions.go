package command

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/source"
)

// versionsFlags shape the versions listing.
type versionsFlags struct {
	all  bool
	json bool
}

func newVersionsCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var vf versionsFlags
	cmd := &cobra.Command{
		Use:   "versions [component]",
		Short: "List the versions of a component that upstream (or the mirror) offers",
		Long: `versions lists the release versions of a component, newest first, from
upstream's download index (cached for an hour; --refresh re-reads it) or from
--mirror. By default it shows the newest release of each release line; --all
shows every release, pre-releases included. nginx and freenginx lines are
marked stable (even minor) or mainline (odd minor); the version a build uses
by default is marked too.

Components: ` + strings.Join(source.Names(), ", ") + ".",
		Example:   "  nginx-build versions\n  nginx-build versions openssl --all\n  nginx-build versions nginx --json --mirror /srv/mirror",
		Args:      usageArgs(cobra.MaximumNArgs(1)),
		ValidArgs: source.Names(),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "nginx"
			if len(args) == 1 {
				name = args[0]
			}
			return runVersions(cmd.Context(), io, g, name, vf)
		},
	}
	cmd.Flags().BoolVar(&vf.all, "all", false, "list every release, not only the newest of each line")
	cmd.Flags().BoolVar(&vf.json, "json", false, "print JSON")
	return cmd
}

// versionInfo is one row of the versions listing.
type versionInfo struct {
	Version    string `json:"version"`
	Line       string `json:"line"`
	Stable     bool   `json:"stable,omitempty"`
	Mainline   bool   `json:"mainline,omitempty"`
	Prerelease bool   `json:"prerelease,omitempty"`
	Default    bool   `json:"default,omitempty"`
}

func runVersions(ctx context.Context, io *iostreams.IO, g *globalFlags, name string, vf versionsFlags) error {
	c, err := source.Lookup(name)
	if err != nil {
		return usagef("%v", err)
	}
	cacheDir, _ := g.f.cacheDir(g.cacheDir)
	origins, err := g.origins(cacheDir)
	if err != nil {
		return err
	}
	ix := &source.Index{HTTP: g.f.HTTPClient, CacheDir: cacheDir, Refresh: g.refresh, Warn: io.Warnf}
	listing, m, err := ix.VersionsFrom(ctx, c, origins)
	if err != nil {
		return err
	}
	if len(listing.Versions) == 0 {
		return fmt.Errorf("no %s versions found at %s", name, where(m, c))
	}
	rows := versionRows(c, listing.Versions, vf.all)
	if vf.json {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"component": c.Name, "from": listing.From, "versions": rows})
	}
	for _, r := range rows {
		var marks []string
		if r.Stable {
			marks = append(marks, "stable")
		}
		if r.Mainline {
			marks = append(marks, "mainline")
		}
		if r.Prerelease {
			marks = append(marks, "pre-release")
		}
		if r.Default {
			marks = append(marks, "default")
		}
		if len(marks) > 0 {
			fmt.Fprintf(io.Out, "%s (%s)\n", r.Version, strings.Join(marks, ", "))
		} else {
			fmt.Fprintln(io.Out, r.Version)
		}
	}
	io.Debugf("versions from %s", listing.From)
	return nil
}

// versionRows marks each version; unless all is set it keeps the newest
// release of each line (and drops pre-releases).
func versionRows(c source.Component, versions []string, all bool) []versionInfo {
	stableLine, mainlineLine := "", ""
	if c.HasStableLines() {
		for _, v := range versions {
			if source.IsPrerelease(v) {
				continue
			}
			if source.IsStableLine(v) && stableLine == "" {
				stableLine = source.Line(v)
			}
			if !source.IsStableLine(v) && mainlineLine == "" {
				mainlineLine = source.Line(v)
			}
		}
	}
	seenLine := map[string]bool{}
	var rows []versionInfo
	for _, v := range versions {
		pre := source.IsPrerelease(v)
		line := source.Line(v)
		if !all && (pre || seenLine[line]) {
			continue
		}
		seenLine[line] = true
		r := versionInfo{Version: v, Line: line, Prerelease: pre, Default: v == c.DefaultVersion}
		if !pre && c.HasStableLines() {
			r.Stable = line == stableLine
			r.Mainline = line == mainlineLine
		}
		rows = append(rows, r)
	}
	return rows
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
		Args:  usageArgs(cobra.NoArgs),
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
