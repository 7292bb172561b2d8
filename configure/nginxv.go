package configure

import (
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
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
	// ConfigureArgs are the configure arguments after shell quote removal.
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
// The configure arguments are split with shell quoting rules, because nginx
// prints them re-quoted the way they would be typed (values with spaces are
// single-quoted). Words that need the environment to expand, such as
// -Wl,-rpath,$ORIGIN, are kept as written. When several "version:" lines
// appear (Tengine prints its own before nginx's), the first names the product.
// Unknown lines are ignored; output without a version line is an error.
func ParseV(out string) (VersionInfo, error) {
	var info VersionInfo
	seenVersion := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "configure arguments:"); ok {
			args, err := splitWords(rest)
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

// splitWords splits s into shell words after quote removal. Operators such as
// ";" or "|" are rejected rather than guessed at, since nginx never prints them
// unquoted unless an argument was mangled.
func splitWords(s string) ([]string, error) {
	args := []string{}
	err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Words(strings.NewReader(s), func(w *syntax.Word) bool {
		args = append(args, wordValue(s, w))
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, nil
	}
	return args, nil
}
