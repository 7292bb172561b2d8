package configure

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Wanted describes a requested build in the terms `nginx -V` can confirm.
type Wanted struct {
	// Name is the flavour: nginx, freenginx, openresty ("" = do not compare).
	Name string
	// Version is the server version ("" = do not compare, e.g. a custom fork).
	Version string
	// Args are the configure arguments the build runs with.
	Args []string
	// Subset compares only that Args appear among the installed arguments:
	// OpenResty's configure adds its bundled modules to what it hands nginx.
	Subset bool
}

// libraryOption matches the configure options that embed a library from
// its source directory.
var libraryOption = regexp.MustCompile(`^--with-(openssl|pcre|zlib|libatomic)=(.*)$`)

// Differences lists, one line each, how an installed nginx (its `nginx -V`)
// differs from the wanted build: flavour and version, each embedded
// library, the modules, and the remaining configure arguments. No lines
// means the same build.
func Differences(want Wanted, have VersionInfo) []string {
	var diffs []string
	if want.Name != "" && !strings.EqualFold(want.Name, have.Name) {
		diffs = append(diffs, fmt.Sprintf("flavour: installed %s, requested %s", orNone(have.Name), want.Name))
	}
	if want.Version != "" && want.Version != have.Version {
		diffs = append(diffs, fmt.Sprintf("version: installed %s, requested %s", orNone(have.Version), want.Version))
	}
	wl, wm, wo := classify(want.Args)
	hl, hm, ho := classify(have.ConfigureArgs)
	for _, lib := range sortedKeys(wl, hl) {
		w, h := wl[lib], hl[lib]
		if w != h {
			diffs = append(diffs, fmt.Sprintf("%s: installed %s, requested %s", lib, libDesc(h), libDesc(w)))
		}
	}
	if want.Subset {
		if missing := minus(wm, hm); len(missing) > 0 {
			diffs = append(diffs, "modules: missing "+strings.Join(missing, " "))
		}
		if missing := minus(wo, ho); len(missing) > 0 {
			diffs = append(diffs, "configure arguments: missing "+strings.Join(missing, " "))
		}
		return diffs
	}
	diffs = append(diffs, listDiff("modules", wm, hm)...)
	diffs = append(diffs, listDiff("configure arguments", wo, ho)...)
	return diffs
}

// classify splits configure arguments into embedded libraries (name →
// directory base name), module options and the rest.
func classify(args []string) (libs map[string]string, modules, other []string) {
	libs = map[string]string{}
	for _, a := range args {
		switch {
		case libraryOption.MatchString(a):
			m := libraryOption.FindStringSubmatch(a)
			libs[m[1]] = path.Base(strings.TrimRight(m[2], "/"))
		case strings.HasPrefix(a, "--add-module=") || strings.HasPrefix(a, "--add-dynamic-module="):
			modules = append(modules, a)
		case strings.HasPrefix(a, "-j"):
			// OpenResty's parallelism: not part of the result.
		default:
			other = append(other, a)
		}
	}
	return libs, modules, other
}

func libDesc(dir string) string {
	if dir == "" {
		return "the system library"
	}
	return "static " + dir
}

func orNone(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func sortedKeys(maps ...map[string]string) []string {
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// minus is a without the elements of b (as a multiset), in a's order.
func minus(a, b []string) []string {
	left := slices.Clone(b)
	var out []string
	for _, x := range a {
		if i := slices.Index(left, x); i >= 0 {
			left = slices.Delete(left, i, i+1)
			continue
		}
		out = append(out, x)
	}
	return out
}

// listDiff reports what was added and removed between two argument lists,
// or that only their order differs (module order is load order).
func listDiff(what string, want, have []string) []string {
	if slices.Equal(want, have) {
		return nil
	}
	added, removed := minus(want, have), minus(have, want)
	if len(added) == 0 && len(removed) == 0 {
		return []string{what + ": same, in a different order"}
	}
	var out []string
	if len(added) > 0 {
		out = append(out, what+": added "+strings.Join(added, " "))
	}
	if len(removed) > 0 {
		out = append(out, what+": removed "+strings.Join(removed, " "))
	}
	return out
}
