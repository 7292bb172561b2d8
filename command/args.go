package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/suggest"
)

// acceptsConfigure marks the commands that pass options after "--" to
// nginx's configure; only they take configure options given as flags.
const acceptsConfigure = "nginx-build/configure-args"

// flagShape is what the normalizer needs to know about one flag.
type flagShape struct {
	takesValue bool
	shorthand  bool
}

// flagsOf indexes the flags cmd accepts (its own and those it inherits)
// by name and shorthand.
func flagsOf(cmd *cobra.Command) map[string]flagShape {
	known := map[string]flagShape{"help": {}, "h": {shorthand: true}}
	visit := func(f *pflag.Flag) {
		takes := f.NoOptDefVal == ""
		known[f.Name] = flagShape{takesValue: takes}
		if f.Shorthand != "" {
			known[f.Shorthand] = flagShape{takesValue: takes, shorthand: true}
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.PersistentFlags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return known
}

// subcommand is cmd's subcommand called name, or nil.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, sub := range cmd.Commands() {
		if sub.Name() == name || slices.Contains(sub.Aliases, name) {
			return sub
		}
	}
	return nil
}

// commandLine is a command line made ready for cobra.
type commandLine struct {
	args []string
	// legacyConfigure are nginx configure options that were written as
	// flags (nginx-build before v0.16: -conf-path=/etc/nginx.conf,
	// -with-ld-opt '-lwebp'); they now follow "--" in args.
	legacyConfigure []string
}

// normalizeArgs makes Go-flag style command lines (what nginx-build users
// have in their scripts: -openssl, -opensslversion=3.0.20, --d work) parse
// exactly like GNU style ones: every known long flag gets two dashes and
// every known one-letter flag one. Values are never rewritten, and nothing
// after "--" is touched: those are configure options. An nginx configure
// option given as a flag joins them, for the commands that take them.
//
// A flag the command does not know is reported here, by the name the
// user wrote and with the closest known one, rather than by cobra, which
// would take the next word for its value and might then report that
// word as an unknown command.
func normalizeArgs(root *cobra.Command, args []string) (commandLine, error) {
	// Shell completion hands over half-typed words: never refuse them.
	lenient := len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd)
	configureOptions := configure.Options(mentionsOpenResty(args))
	cmd, known := root, flagsOf(root)
	var line commandLine
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if sub := subcommand(cmd, a); sub != nil {
				cmd, known = sub, flagsOf(sub)
			}
			out = append(out, a)
			continue
		}
		body := strings.TrimLeft(a, "-")
		dashes := a[:len(a)-len(body)]
		if len(dashes) > 2 || body == "" {
			out = append(out, a) // pflag names these itself
			continue
		}
		name, value, hasValue := strings.Cut(body, "=")
		if shape, ok := known[name]; ok {
			if shape.shorthand {
				out = append(out, "-"+body)
			} else {
				out = append(out, "--"+body)
			}
			// The next word is this flag's value, even if it starts with a
			// dash (e.g. -patch-opt -p1): keep it verbatim.
			if shape.takesValue && !hasValue && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		// Before shorthands: -conf-path is configure's, not -c onf-path.
		if kind, ok := configureOptions["--"+name]; ok && cmd.Annotations[acceptsConfigure] != "" {
			opt := "--" + name
			switch {
			case hasValue:
				opt += "=" + value
			case kind == configure.Value && i+1 < len(args):
				i++
				opt += "=" + args[i]
			case kind == configure.Value:
				return commandLine{}, usagef("%s%s needs a value: %s%s=VALUE (a configure option, passed to configure)", dashes, name, dashes, name)
			}
			line.legacyConfigure = append(line.legacyConfigure, opt)
			continue
		}
		if first, ok := known[name[:1]]; ok && len(dashes) == 1 && first.shorthand && first.takesValue {
			out = append(out, a) // -j8, -v1.22.1: a shorthand with its value attached
			continue
		}
		if lenient {
			out = append(out, a)
			continue
		}
		return commandLine{}, unknownFlag(cmd, dashes, name, known)
	}
	line.args = withConfigure(out, line.legacyConfigure)
	return line, nil
}

// withConfigure puts configure options given as flags first after "--",
// as if the user had written them there.
func withConfigure(args, opts []string) []string {
	if len(opts) == 0 {
		return args
	}
	dash := slices.Index(args, "--")
	if dash < 0 {
		return append(append(args, "--"), opts...)
	}
	return slices.Concat(args[:dash+1], opts, args[dash+1:])
}

// mentionsOpenResty reports whether the command line asks for OpenResty,
// whose configure takes options of its own.
func mentionsOpenResty(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch strings.TrimLeft(a, "-") {
		case "openresty", "openresty=true", "openresty=1":
			return true
		}
	}
	return false
}

// unknownFlag says which flag is unknown as the user wrote it, and which
// known flag of the command it is closest to.
func unknownFlag(cmd *cobra.Command, dashes, name string, known map[string]flagShape) error {
	var names []string
	for n, shape := range known {
		if !shape.shorthand {
			names = append(names, n)
		}
	}
	msg := fmt.Sprintf("unknown flag %s%s", dashes, name)
	if cmd.HasParent() {
		msg += " for " + cmd.CommandPath()
	}
	if len(name) > 1 {
		if best := suggest.Closest(name, names); best != "" {
			return usagef("%s (did you mean %s%s?)", msg, dashes, best)
		}
	}
	if strings.HasPrefix(name, "with") || strings.HasPrefix(name, "add-") || strings.HasPrefix(name, "prefix") {
		return usagef("%s (nginx configure options go after \"--\", e.g. nginx-build -d work -- --with-http_v2_module)", msg)
	}
	return usagef("%s", msg)
}
