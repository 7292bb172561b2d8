package command

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

// printPlan shows a --dry-run's resolved plan, as text or JSON.
func printPlan(io *iostreams.IO, s *builder.State, asJSON bool) error {
	v, err := builder.Describe(s)
	if err != nil {
		return err
	}
	return printPlanView(io, v, asJSON)
}

// printPlanView shows a described plan, as text or JSON.
func printPlanView(io *iostreams.IO, v builder.PlanView, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tASKED\tVERSION\tURL\tVERIFY")
	for _, c := range v.Components {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Constraint, c.Version, c.URL, c.Verify)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range v.Modules {
		fmt.Fprintf(io.Out, "module %s\n", m)
	}
	for _, p := range v.Patches {
		fmt.Fprintf(io.Out, "patch %s\n", p)
	}
	if v.Script != "" {
		fmt.Fprintf(io.Out, "\nconfigure script (%s/nginx-configure):\n%s", v.SourceDir, v.Script)
	}
	if v.WouldRemove != "" {
		fmt.Fprintf(io.Out, "\nwould remove %s (-clear)\n", v.WouldRemove)
	}
	if v.UpToDate != nil {
		yes := "no"
		if *v.UpToDate {
			yes = "yes (a real run would do nothing)"
		}
		fmt.Fprintf(io.Out, "up to date: %s\n", yes)
	}
	if p := v.Package; p != nil {
		fmt.Fprintf(io.Out, "\npackage: %s %s-%s, %s for %s\nwould write %s\n", p.Name, p.Version, p.Release, p.Format, p.Arch, p.Path)
	}
	fmt.Fprintln(io.Out, "\n(dry run: nothing was downloaded or built)")
	return nil
}
