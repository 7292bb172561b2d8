package command

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nginx-build/nginx-build/configure"
)

// printDefaultVersions is the legacy -versions flag: the default version
// of each server, one per line, as nginx-build prints them.
func printDefaultVersions(w io.Writer) error {
	for _, name := range []string{"nginx", "openresty", "freenginx"} {
		if _, err := fmt.Fprintf(w, "%s-%s\n", name, defaultVersion(name)); err != nil {
			return err
		}
	}
	return nil
}

// printHelpAll is -help-all: every flag of the build command, hidden ones
// too, and the nginx (and OpenResty) configure options that are also
// accepted as flags.
func printHelpAll(w io.Writer, cmd *cobra.Command) error {
	all := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	all.SortFlags = false
	for _, fs := range []*pflag.FlagSet{cmd.LocalFlags(), cmd.InheritedFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if all.Lookup(f.Name) == nil {
				shown := *f
				shown.Hidden = false
				all.AddFlag(&shown)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  %s\n\nFlags (one dash or two):\n%s\n", cmd.UseLine(), all.FlagUsages())
	nginx := configure.Options(false)
	fmt.Fprintf(&b, "nginx configure options, also accepted as flags (the form before nginx-build v0.16;\n"+
		"they are passed to configure as if they followed \"--\"):\n%s\n", optionColumns(nginx, nil))
	fmt.Fprintf(&b, "With -openresty, also OpenResty's configure options:\n%s", optionColumns(configure.Options(true), nginx))
	_, err := io.WriteString(w, b.String())
	return err
}

// optionColumns lays out the options in opts but not in except, sorted,
// several to a line.
func optionColumns(opts, except map[string]configure.OptionArg) string {
	var names []string
	for name, arg := range opts {
		if _, dup := except[name]; dup {
			continue
		}
		switch arg {
		case configure.Value:
			name += "=VALUE"
		case configure.OptionalValue:
			name += "[=VALUE]"
		}
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	line := " "
	for _, n := range names {
		if len(line)+1+len(n) > 100 {
			b.WriteString(line + "\n")
			line = " "
		}
		line += " " + n
	}
	b.WriteString(line + "\n")
	return b.String()
}
