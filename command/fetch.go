package command

import (
	"encoding/json"
	"slices"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func newFetchCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	var bf buildFlags
	var pf planFlags
	cmd := &cobra.Command{
		Use:         "fetch [build flags] [-- nginx configure options]",
		Annotations: map[string]string{acceptsConfigure: "yes"},
		Short:       "Download and verify tarballs into the cache, without building",
		Long: `fetch resolves the components a build with the same flags would use,
downloads their tarballs (and the modules of -m modules.json) concurrently
into the cache and verifies them, and builds nothing. A later build (even
offline) finds them there.

fetch takes the same flags as a build, so a build's command line turns
into a cache warm-up as is: the component flags and -m modules.json decide
what is fetched; the others (-d, -c, -j, -patch, -clear, configure options
after "--", ...) are checked but change nothing.

It prints a table of what is in the cache: on a terminal fitted to its
width (sha256s shortened to 12 characters, long paths cut with "…"),
otherwise every value in full; --json prints it as JSON.`,
		Example: `  nginx-build fetch -v 1.22.1 -openssl -pcre -zlib
  nginx-build fetch -d work -v 1.22.1 -openssl -pcre -zlib -- --with-http_v2_module
  nginx-build fetch --mirror https://mirror.example/nginx-build -openssl`,
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
			// Nothing is laid out in a work dir: a dry run's plan names
			// none, as a build's would.
			pl.WorkDir = ""
			state, err := g.pipeline(cmd.Context(), io, pl, builder.Mode{DryRun: pf.dryRun}, builder.FetchStages())
			if err != nil {
				return err
			}
			if pf.dryRun {
				return printPlan(io, state, pf.json)
			}
			return printFetched(io, fetchedOf(state.Fetched), pf.json, g.f.OutWidth())
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	addBuildFlags(cmd.Flags(), &bf, g.f)
	cmd.Flags().BoolVar(&pf.dryRun, "dry-run", false, "resolve everything and print the plan (versions, URLs, verification); download nothing")
	cmd.Flags().BoolVar(&pf.json, "json", false, "print JSON: what was fetched (with full sha256s), or with --dry-run the plan")
	cmd.Flags().SortFlags = false
	return cmd
}

// fetchedTarball is one tarball fetch put into the cache, as the table
// and --json show it.
type fetchedTarball struct {
	Component string `json:"component"`
	// Module is the module of modules.json the tarball is ("" for a
	// component).
	Module  string `json:"module,omitempty"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	// Verified says how it was verified; "" when there was nothing to
	// verify it against.
	Verified string `json:"verified"`
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	Cached   bool   `json:"cached"`
}

// fetchedOf lists the components' tarballs, then the modules' by name.
func fetchedOf(f builder.Fetched) []fetchedTarball {
	view := func(r fetch.Result) fetchedTarball {
		return fetchedTarball{Component: r.Artifact.Component, Version: r.Artifact.Version, SHA256: r.SHA256,
			Verified: r.Verified, Path: r.Path, Size: r.Size, Cached: r.Cached}
	}
	out := []fetchedTarball{}
	for _, r := range f.Components {
		out = append(out, view(r))
	}
	names := make([]string, 0, len(f.Modules))
	for name := range f.Modules {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := view(f.Modules[name])
		t.Module = name
		out = append(out, t)
	}
	return out
}

// printFetched prints what fetch put into the cache: as JSON, or as a
// table fitted to width (0: not a terminal, every value in full).
func printFetched(io *iostreams.IO, tarballs []fetchedTarball, asJSON bool, width int) error {
	if asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(tarballs)
	}
	t := newTable(column{"COMPONENT", fitKeep}, column{"VERSION", fitKeep}, column{"SHA256", fitHash}, column{"VERIFIED", fitEnd}, column{"PATH", fitMiddle})
	for _, f := range tarballs {
		name, v := f.Component, f.Verified
		if f.Module != "" {
			name = "module " + f.Module
		}
		if v == "" {
			v = "not verified (nothing published)"
		}
		t.add(name, f.Version, f.SHA256, v, f.Path)
	}
	return t.write(io.Out, width)
}
