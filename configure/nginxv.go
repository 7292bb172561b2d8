package configure

import (
	"errors"
	"fmt"
	"strings"
)

// VersionInfo is what `nginx -V` tells about a built binary.
type VersionInfo struct {
	// Name is the product, e.g. "nginx", "openresty", "freenginx" or "Tengine".
	Name string
	// Version is the product's version, e.g. "1.22.1" or "1.21.4.1".
	Version string
	// Compiler is the text after "built by", e.g. "gcc 12.2.0 (Debian 12.2.0-14)".
	Compiler string
	// SSL is the text after "built with", e.g. "OpenSSL 3.0.20 7 Apr 2026".
	SSL string
	// ConfigureArgs are the configure arguments as they were given to
	// configure (see splitConfigureArgs).
	ConfigureArgs []string
}

// ParseV parses the output of `nginx -V` (nginx prints it on stderr), e.g.
//
//	nginx version: nginx/1.22.1
//	built by gcc 12.2.0 (Debian 12.2.0-14)
//	built with OpenSSL 3.0.20 7 Apr 2026
//	TLS SNI support enabled
//	configure arguments: --prefix=/usr/local/nginx --with-cc-opt='-O2 -g'
//
// The configure arguments are split the way nginx prints them (see
// splitConfigureArgs): values with spaces single-quoted, verbatim, and
// everything else as it was given, so -Wl,-rpath,$ORIGIN is kept as written. When several "version:" lines
// appear (Tengine prints its own before nginx's), the first names the product.
// Unknown lines are ignored; output without a version line is an error.
func ParseV(out string) (VersionInfo, error) {
	var info VersionInfo
	seenVersion := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "configure arguments:"); ok {
			args, err := splitConfigureArgs(rest)
			if err != nil {
				return VersionInfo{}, fmt.Errorf("cannot split the configure arguments of nginx -V: %w", err)
			}
			info.ConfigureArgs = args
			continue
		}
		if rest, ok := strings.CutPrefix(line, "built by "); ok {
			info.Compiler = strings.TrimSpace(rest)
			continue
		}
		if rest, ok := strings.CutPrefix(line, "built with "); ok {
			info.SSL = strings.TrimSpace(rest)
			continue
		}
		if seenVersion {
			continue
		}
		if label, product, ok := strings.Cut(line, " version: "); ok && label != "" && !strings.ContainsAny(label, " \t") {
			name, version, _ := strings.Cut(strings.TrimSpace(product), "/")
			// Distributions append notes such as " (Ubuntu)" after the version.
			if f := strings.Fields(version); len(f) > 0 {
				version = f[0]
			}
			info.Name, info.Version = name, version
			seenVersion = true
		}
	}
	if !seenVersion {
		return VersionInfo{}, errors.New(`not nginx -V output: no "nginx version:" line`)
	}
	return info, nil
}

// splitConfigureArgs recovers the configure arguments from the way nginx
// prints them. nginx's auto/options builds the string (NGX_CONFIGURE) from
// each argument with
//
//	opt="$opt `echo $option | sed -e \"s/\(--[^=]*=\)\(.* .*\)/\1'\2'/\"`"
//
// so an argument whose value (after the first "=") contains a space is
// printed as --name='value', the value verbatim: quotes in it are not
// escaped. Every other argument is printed as it is, quotes, "(", "&" or
// "$" included. That is not shell quoting, so it is not parsed as such: a
// word runs to the next space, except that --name=' opens a quoted value,
// which ends at a quote followed by the end of the line or by a space and
// the next option ("-…"). When several quotes could end it, the first one
// that leaves the quotes inside the value balanced wins (a value such as
// -DMSG='a b' -DX=1), else the first one. A quote that would close a value
// without a space was printed as part of a word (--x='y' is nginx's
// output for that very argument). nginx's output is ambiguous in such
// corners; this reads it the way people write configure options. Every
// argument nginx accepts starts with "-"; a word that does not is an error.
//
// configure then writes the string into a C string literal
// (#define NGX_CONFIGURE "…"), so a double quote in an argument had to be
// given escaped, as \" (--with-cc-opt='-DNAME=\"my nginx\"'), and nginx
// prints it unescaped. It is escaped again here: the arguments come back
// as they were given to configure, ready to be given to it again.
func splitConfigureArgs(s string) ([]string, error) {
	var args []string
	space := func(c byte) bool { return c == ' ' || c == '\t' }
	i, n := 0, len(s)
	for {
		for i < n && space(s[i]) {
			i++
		}
		if i == n {
			break
		}
		end := i
		for end < n && !space(s[end]) {
			end++
		}
		word := s[i:end]
		if eq := strings.IndexByte(word, '='); strings.HasPrefix(word, "--") && eq > 0 && eq+1 < len(word) && word[eq+1] == '\'' {
			if k := closingQuote(s, i+eq+2); k >= 0 {
				args = append(args, cEscapeQuotes(s[i:i+eq+1]+s[i+eq+2:k]))
				i = k + 1
				continue
			}
		}
		if !strings.HasPrefix(word, "-") {
			return nil, fmt.Errorf("%q is not a configure option (nginx prints only options, starting with \"-\")", word)
		}
		args = append(args, cEscapeQuotes(word))
		i = end
	}
	return args, nil
}

// cEscapeQuotes turns the double quotes nginx printed back into the \"
// they were given as (see splitConfigureArgs).
func cEscapeQuotes(arg string) string {
	return strings.ReplaceAll(arg, `"`, `\"`)
}

// closingQuote finds the quote that ends a quoted value starting at from
// (see splitConfigureArgs), or -1.
func closingQuote(s string, from int) int {
	first := -1
	for k := from; k < len(s); k++ {
		if s[k] != '\'' {
			continue
		}
		rest := strings.TrimLeft(s[k+1:], " \t")
		if rest != "" && (len(rest) == len(s[k+1:]) || rest[0] != '-') {
			continue // not at the end of an argument
		}
		v := s[from:k]
		if !strings.ContainsAny(v, " \t") {
			// nginx quotes only values with spaces: this quote ends a
			// word printed as it was given, such as --x='y'.
			return first
		}
		if strings.Count(v, "'")%2 == 0 {
			return k
		}
		if first < 0 {
			first = k
		}
	}
	return first
}
