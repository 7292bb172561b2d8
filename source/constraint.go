package source

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ConstraintForms is shown whenever a version constraint does not parse.
const ConstraintForms = `an exact version (1.22.1), a wildcard (1.27.x, OpenResty 1.27.1.x), a tilde or caret range (~1.26, ^3.0), ` +
	`a range (">=1.25, <1.27"), or an alias: latest, and for nginx/freenginx also stable and mainline`

// Constraint is what a version flag asks for: an exact version, an alias,
// or a semver range. Ranges compare the first three numeric parts of a
// version (OpenResty's fourth part and OpenSSL's letter only order releases
// within a match); pre-releases match only when asked for exactly.
type Constraint struct {
	Raw   string
	alias string // "latest", "stable", "mainline"
	exact string
	rng   *semver.Constraints
	// prefix is a wildcard deeper than semver's three parts, such as
	// OpenResty's 1.27.1.x: every version whose parts begin with it.
	prefix string
}

// deepWildcard matches a wildcard after three or more numeric parts.
var deepWildcard = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+){2,})\.[xX*]$`)

// ParseConstraint parses a version flag's value for component c.
func ParseConstraint(c Component, s string) (Constraint, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return Constraint{}, fmt.Errorf("%s: empty version; use %s", c.Name, ConstraintForms)
	case "latest":
		return Constraint{Raw: s, alias: s}, nil
	case "stable", "mainline":
		if !c.HasStableLines() {
			return Constraint{}, fmt.Errorf("%s: %q applies only to nginx and freenginx (they alternate stable and mainline lines); use latest or a range", c.Name, s)
		}
		return Constraint{Raw: s, alias: s}, nil
	}
	if ValidVersion(s) && !strings.ContainsAny(s, "xX*") {
		return Constraint{Raw: s, exact: s}, nil
	}
	if m := deepWildcard.FindStringSubmatch(s); m != nil {
		return Constraint{Raw: s, prefix: m[1] + "."}, nil
	}
	rng, err := semver.NewConstraint(s)
	if err != nil {
		return Constraint{}, fmt.Errorf("%s: %q is not a version or constraint: use %s", c.Name, s, ConstraintForms)
	}
	return Constraint{Raw: s, rng: rng}, nil
}

// Exact returns the version when the constraint names one exactly; such a
// constraint needs no version index at all.
func (k Constraint) Exact() (string, bool) { return k.exact, k.exact != "" }

// String returns the constraint as the user wrote it.
func (k Constraint) String() string { return k.Raw }

// Pick chooses the newest version matching the constraint. versions may be
// in any order.
func (k Constraint) Pick(c Component, versions []string) (string, error) {
	sorted := SortVersions(versions)
	if v, ok := k.Exact(); ok {
		for _, have := range sorted {
			if have == v {
				return v, nil
			}
		}
		return "", k.noMatch(c, sorted)
	}
	line := ""
	if k.alias == "stable" || k.alias == "mainline" {
		line = newestLine(sorted, k.alias == "stable")
		if line == "" {
			return "", k.noMatch(c, sorted)
		}
	}
	for _, v := range sorted {
		if IsPrerelease(v) {
			continue // never picked unless named exactly
		}
		switch {
		case k.alias == "latest":
			return v, nil
		case line != "":
			if Line(v) == line {
				return v, nil
			}
		case k.prefix != "":
			if strings.HasPrefix(v, k.prefix) {
				return v, nil
			}
		case k.rng != nil:
			if sv, err := toSemver(v); err == nil && k.rng.Check(sv) {
				return v, nil
			}
		}
	}
	return "", k.noMatch(c, sorted)
}

func (k Constraint) noMatch(c Component, sorted []string) error {
	if len(sorted) == 0 {
		return fmt.Errorf("%s: no versions known to match %q", c.Name, k.Raw)
	}
	return fmt.Errorf("%s: no version matches %q; nearest available: %s", c.Name, k.Raw, strings.Join(nearestTo(k, sorted, 6), ", "))
}

// nearestTo lists the available versions closest to what was asked: around
// the exact version or the range's first bound, else the newest.
func nearestTo(k Constraint, sorted []string, n int) []string {
	target := k.exact
	if target == "" && (k.rng != nil || k.prefix != "") {
		if m := regexp.MustCompile(`[0-9]+(\.[0-9]+)*`).FindString(k.Raw); m != "" {
			target = m
		}
	}
	if target == "" || len(sorted) <= n {
		return nearest(sorted, n)
	}
	i := 0
	for i < len(sorted) && CompareVersions(sorted[i], target) > 0 {
		i++
	}
	lo := max(0, i-n/2)
	hi := min(len(sorted), lo+n)
	lo = max(0, hi-n)
	return sorted[lo:hi]
}

// HasStableLines reports whether the component alternates stable (even
// minor) and mainline (odd minor) release lines, as nginx and freenginx do.
func (c Component) HasStableLines() bool { return c.Name == "nginx" || c.Name == "freenginx" }

// Line is a version's release line: its major.minor.
func Line(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// IsStableLine applies nginx's rule: an even minor number is a stable line.
func IsStableLine(v string) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	n, err := strconv.Atoi(parts[1])
	return err == nil && n%2 == 0
}

// newestLine returns the newest stable (even) or mainline (odd) release line.
func newestLine(sorted []string, stable bool) string {
	for _, v := range sorted {
		if !IsPrerelease(v) && IsStableLine(v) == stable {
			return Line(v)
		}
	}
	return ""
}

// SortVersions returns a copy sorted newest first, duplicates removed.
func SortVersions(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sortNewestFirst(out)
	return out
}

var numericParts = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?`)

// toSemver maps a release version onto semver for range checks: the first
// three numeric parts, pre-release kept.
func toSemver(v string) (*semver.Version, error) {
	release, pre := splitPre(v)
	m := numericParts.FindStringSubmatch(release)
	if m == nil {
		return nil, fmt.Errorf("not a version: %q", v)
	}
	parts := []string{m[1], "0", "0"}
	for i := 2; i <= 3; i++ {
		if m[i] != "" {
			parts[i-1] = m[i]
		}
	}
	s := strings.Join(parts, ".")
	if pre != "" {
		s += "-" + pre
	}
	return semver.StrictNewVersion(s)
}
