package command

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagShape is what the normalizer needs to know about one flag.
type flagShape struct {
	takesValue bool
	shorthand  bool
}

// collectFlags indexes every flag of every command by name and shorthand.
func collectFlags(root *cobra.Command) map[string]flagShape {
	known := map[string]flagShape{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		visit := func(f *pflag.Flag) {
			takes := f.NoOptDefVal == ""
			known[f.Name] = flagShape{takesValue: takes}
			if f.Shorthand != "" {
				known[f.Shorthand] = flagShape{takesValue: takes, shorthand: true}
			}
		}
		c.Flags().VisitAll(visit)
		c.PersistentFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	known["help"] = flagShape{}
	known["h"] = flagShape{shorthand: true}
	return known
}

// normalizeArgs makes Go-flag style command lines (what nginx-build users
// have in their scripts: -openssl, -opensslversion=3.0.20, --d work) parse
// exactly like GNU style ones: every known long flag gets two dashes and
// every known one-letter flag one. Values are never rewritten, and nothing
// after "--" is touched: those are configure options.
func normalizeArgs(args []string, known map[string]flagShape) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
			continue
		}
		body := strings.TrimLeft(a, "-")
		if len(a)-len(body) > 2 {
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(body, "=")
		shape, ok := known[name]
		if !ok {
			if first, isShort := known[name[:1]]; len(a)-len(body) == 1 && isShort && first.shorthand && first.takesValue {
				out = append(out, a) // -j8, -v1.22.1: a shorthand with its value attached
			} else if len(name) > 1 {
				out = append(out, "--"+body) // so the error names the whole flag
			} else {
				out = append(out, a)
			}
			continue
		}
		if shape.shorthand {
			out = append(out, "-"+body)
		} else {
			out = append(out, "--"+body)
		}
		// The next word is this flag's value, even if it starts with a dash
		// (e.g. -patch-opt -p1): keep it verbatim.
		if shape.takesValue && !hasValue && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}
