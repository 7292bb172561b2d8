package command

import (
	"fmt"
	"slices"
	"strconv"
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
// option given as a flag joins them, for the commands that take them;
// abs makes the paths of -add-module given that way absolute, as
// nginx-build did.
//
// A flag the command does not know is reported here, by the name the
// user wrote and with the closest known one, rather than by cobra, which
// would take the next word for its value and might then report that
// word as an unknown command.
func normalizeArgs(root *cobra.Command, args []string, abs func(string) string) (commandLine, error) {
	// Shell completion hands over half-typed words: never refuse or move
	// them.
	lenient := len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd)
	configureOptions := configure.Options(mentionsOpenResty(args, flagsOf(root)))
	cmd, known := root, flagsOf(root)
	var line commandLine
	var firstLegacy [2]string // dashes, name
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
		if lenient {
			out = append(out, a)
			continue
		}
		// Before shorthands: -conf-path is configure's, not -c onf-path.
		if opt, ok := legacyOption(configureOptions, name); ok {
			var next *string
			if i+1 < len(args) {
				next = &args[i+1]
			}
			opts, usedNext, err := opt.expand(dashes, value, hasValue, next, abs)
			if err != nil {
				return commandLine{}, err
			}
			if usedNext {
				i++
			}
			if firstLegacy[1] == "" {
				firstLegacy = [2]string{dashes, name}
			}
			line.legacyConfigure = append(line.legacyConfigure, opts...)
			continue
		}
		if attachedValue(known, dashes, body) {
			out = append(out, a) // -j8, -v1.22.1: a shorthand with its value attached
			continue
		}
		return commandLine{}, unknownFlag(cmd, dashes, name, known)
	}
	if firstLegacy[1] != "" && cmd.Annotations[acceptsConfigure] == "" {
		// Given before a subcommand that passes nothing to configure.
		return commandLine{}, unknownFlag(cmd, firstLegacy[0], firstLegacy[1], known)
	}
	line.args = withConfigure(out, line.legacyConfigure)
	return line, nil
}

// attachedValue reports whether -j8 or -v1.22.1 is a shorthand with its
// value attached. Only these two, and only with a value that looks like
// one: nginx-build never took attached values, so -dryrun or -verbos must
// be reported as the typos they are, not read as -d ryrun or -v erbos.
func attachedValue(known map[string]flagShape, dashes, body string) bool {
	if len(dashes) != 1 || len(body) < 2 || !known[body[:1]].shorthand {
		return false
	}
	rest := body[1:]
	switch body[0] {
	case 'j':
		return strings.Trim(rest, "0123456789") == ""
	case 'v':
		return rest[0] >= '0' && rest[0] <= '9'
	}
	return false
}

// legacyConfigureOption is a configure option given as a flag.
type legacyConfigureOption struct {
	name string // with two dashes
	arg  configure.OptionArg
	// dynamic: the nginx-build spelling -with-stream_dynamic of
	// --with-stream=dynamic.
	dynamic bool
}

// legacyOption finds the configure option a flag name stands for.
func legacyOption(options map[string]configure.OptionArg, name string) (legacyConfigureOption, bool) {
	if arg, ok := options["--"+name]; ok {
		return legacyConfigureOption{name: "--" + name, arg: arg}, true
	}
	if base, ok := strings.CutSuffix(name, "_dynamic"); ok && options["--"+base] == configure.OptionalValue {
		return legacyConfigureOption{name: "--" + base, dynamic: true}, true
	}
	return legacyConfigureOption{}, false
}

// expand turns the flag into configure options, as nginx-build read them:
// a switch takes true/false (Go's flag syntax), a value may be the next
// word, and -add-module takes a comma list of paths relative to the
// current directory.
func (o legacyConfigureOption) expand(dashes, value string, hasValue bool, next *string, abs func(string) string) (opts []string, usedNext bool, err error) {
	flag := dashes + strings.TrimPrefix(o.name, "--")
	switch {
	case o.dynamic:
		if hasValue {
			if on, err := strconv.ParseBool(value); err != nil || !on {
				return nil, false, usagef("%s_dynamic=%s: give %s_dynamic alone", flag, value, flag)
			}
		}
		return []string{o.name + "=dynamic"}, false, nil
	case o.arg == configure.NoValue && hasValue:
		on, err := strconv.ParseBool(value)
		if err != nil {
			return nil, false, usagef("%s=%s: %s is a switch; give it alone (or =true/=false)", flag, value, flag)
		}
		if !on {
			return nil, false, nil
		}
		return []string{o.name}, false, nil
	case o.arg == configure.NoValue:
		return []string{o.name}, false, nil
	case !hasValue && next != nil && (o.arg == configure.Value || !strings.HasPrefix(*next, "-")):
		value, hasValue, usedNext = *next, true, true
	case !hasValue && o.arg == configure.Value:
		return nil, false, usagef("%s needs a value: %s=VALUE (a configure option, passed to configure)", flag, flag)
	}
	if !hasValue {
		return []string{o.name}, false, nil
	}
	if o.name == "--add-module" || o.name == "--add-dynamic-module" {
		for m := range strings.SplitSeq(value, ",") {
			if m = strings.TrimSpace(m); m != "" {
				opts = append(opts, o.name+"="+abs(m))
			}
		}
		return opts, usedNext, nil
	}
	return []string{o.name + "=" + value}, usedNext, nil
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
// whose configure takes options of its own. Values of flags (-d openresty)
// do not count.
func mentionsOpenResty(args []string, known map[string]flagShape) bool {
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		body := strings.TrimLeft(args[i], "-")
		if body == args[i] {
			continue
		}
		name, value, hasValue := strings.Cut(body, "=")
		if name == "openresty" {
			on, err := strconv.ParseBool(value)
			return !hasValue || (err == nil && on)
		}
		if shape, ok := known[name]; ok && shape.takesValue && !hasValue {
			i++
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
