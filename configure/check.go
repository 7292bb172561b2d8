package configure

import (
	"errors"
	"fmt"
	"strings"
)

// Arg is one configure option together with where it came from, so that an
// error can tell the user which of the clashing places to edit.
type Arg struct {
	// Value is the option as configure receives it, e.g. "--prefix=/opt/nginx".
	Value string
	// Origin names its source as a noun phrase, e.g. "the configure script",
	// "the command line" or "-openssl (embedded ../openssl-3.0.20)".
	Origin string
	// Embedded marks options nginx-build adds for a library it embeds
	// (--with-openssl=DIR and the like). The same option from the user then
	// means two sources compete for one library, which is reported as such
	// rather than as a plain duplicate.
	Embedded bool
	// Replaced marks an option of the configure script that an embedded
	// library's option of the same key replaces (--with-openssl=/opt/ssl in
	// the -c script while -openssl embeds one). nginx-build hands configure
	// both and configure keeps the last, the embedded one, so the two do not
	// clash: [Generate] drops the script's option instead. A clash with any
	// other option the user wrote is still reported.
	Replaced bool
}

// repeatable lists options that configure accumulates instead of overriding,
// so only an identical repeat is a mistake.
var repeatable = map[string]bool{
	"--add-module":         true,
	"--add-dynamic-module": true,
}

// Check reports duplicate or conflicting options across the whole argument
// list, because nginx's configure silently keeps the last of them:
//
//   - the same option twice with the same value:
//     "duplicate option --with-http_ssl_module (from ...)";
//   - the same key with different values:
//     "conflicting options --prefix=/a and --prefix=/b (from ...)", which
//     includes --with-cc-opt and --with-ld-opt given twice;
//   - --with-X together with --without-X;
//   - an option given by the user for a library nginx-build also embeds:
//     "--with-openssl=/x in the command line conflicts with -openssl (embedded ../openssl-3.0.20)",
//     unless it is marked Replaced.
//
// --with-pcre (no value) and --with-pcre=DIR may coexist, since they mean
// different things, and --add-module= / --add-dynamic-module= may repeat with
// different paths. All problems are reported, one sentence per line, in the
// order the offending options appear; nil means none.
func Check(args []Arg) error {
	var errs []error
	byValue := map[string]int{}  // option text → first index
	byKey := map[string]int{}    // "--key" of a --key=value option → first index
	withs := map[string]int{}    // X of --with-X[=...] → first index
	withouts := map[string]int{} // X of --without-X[=...] → first index

	for i, a := range args {
		key, hasValue := optionKey(a.Value)
		// A replaced option gives way to the embedded one: later options
		// are then checked against what configure will receive.
		if j, ok := byValue[a.Value]; ok && !replaces(args[j], a) {
			errs = append(errs, clash(args[j], a, "duplicate option "+a.Value))
			continue
		}
		byValue[a.Value] = i

		if hasValue && !repeatable[key] {
			if j, ok := byKey[key]; ok && !replaces(args[j], a) {
				errs = append(errs, clash(args[j], a, fmt.Sprintf("conflicting options %s and %s", args[j].Value, a.Value)))
				continue
			}
			byKey[key] = i
		}

		if stem, ok := strings.CutPrefix(key, "--with-"); ok {
			if j, ok := withouts[stem]; ok {
				errs = append(errs, clash(args[j], a, fmt.Sprintf("conflicting options %s and %s", args[j].Value, a.Value)))
				continue
			}
			if _, ok := withs[stem]; !ok {
				withs[stem] = i
			}
		} else if stem, ok := strings.CutPrefix(key, "--without-"); ok {
			if j, ok := withs[stem]; ok {
				errs = append(errs, clash(args[j], a, fmt.Sprintf("conflicting options %s and %s", args[j].Value, a.Value)))
				continue
			}
			if _, ok := withouts[stem]; !ok {
				withouts[stem] = i
			}
		}
	}
	return errors.Join(errs...)
}

// replaces reports whether one of a and b is a replaced option of the
// configure script and the other the embedded option that replaces it.
func replaces(a, b Arg) bool {
	return (a.Replaced && b.Embedded) || (a.Embedded && b.Replaced)
}

// optionKey splits "--key=value" into "--key" and reports whether a value was
// given; an option without "=" is its own key.
func optionKey(opt string) (key string, hasValue bool) {
	key, _, hasValue = strings.Cut(opt, "=")
	return key, hasValue
}

// clash builds the error for a later option b that clashes with an earlier
// option a. When exactly one of them was added for an embedded library, the
// message blames the user's option and names the library flag, because that
// is the choice the user has to make.
func clash(a, b Arg, what string) error {
	if a.Embedded != b.Embedded {
		user, lib := a, b
		if a.Embedded {
			user, lib = b, a
		}
		return fmt.Errorf("%s%s conflicts with %s", user.Value, originSuffix(" in ", user.Origin), orDefault(lib.Origin, "an embedded library"))
	}
	switch {
	case a.Origin == "" && b.Origin == "":
		return errors.New(what)
	case a.Origin == b.Origin:
		return fmt.Errorf("%s (both from %s)", what, a.Origin)
	default:
		return fmt.Errorf("%s (from %s and %s)", what, orDefault(a.Origin, "an unnamed source"), orDefault(b.Origin, "an unnamed source"))
	}
}

func originSuffix(prep, origin string) string {
	if origin == "" {
		return ""
	}
	return prep + origin
}

func orDefault(origin, fallback string) string {
	if origin == "" {
		return fallback
	}
	return origin
}
