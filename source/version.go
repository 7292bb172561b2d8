package source

import (
	"regexp"
	"strings"
)

// versionPattern accepts the version shapes upstreams actually publish:
// 1.22.1, 10.42, 1.27.1.2 (OpenResty), 1.1.1w (OpenSSL letter releases),
// 1.15.8.1rc1 and 3.0.0-alpha1 (pre-releases).
var versionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*[a-z]?([.-]?(?i:rc|alpha|beta|pre)[0-9]*)?$`)

// ValidVersion reports whether v looks like a release version of any
// component. It guards paths and URLs built from user input.
func ValidVersion(v string) bool {
	return len(v) <= 64 && versionPattern.MatchString(v)
}

// CompareVersions orders two versions numerically part by part (1.9.15 <
// 1.22.1), a trailing letter after a number sorting after the bare number
// (1.1.1 < 1.1.1a < 1.1.1w), and a pre-release before its release
// (1.15.8.1rc1 < 1.15.8.1). It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	an, apre := splitPre(a)
	bn, bpre := splitPre(b)
	ap, bp := strings.Split(an, "."), strings.Split(bn, ".")
	for i := 0; i < len(ap) || i < len(bp); i++ {
		var x, y string
		if i < len(ap) {
			x = ap[i]
		}
		if i < len(bp) {
			y = bp[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	return comparePre(apre, bpre)
}

// comparePre orders pre-release tags by label (alpha < beta < pre < rc), then
// by number, so that rc10 sorts after rc9.
func comparePre(x, y string) int {
	xl := strings.TrimRight(x, "0123456789")
	yl := strings.TrimRight(y, "0123456789")
	if c := strings.Compare(xl, yl); c != 0 {
		return c
	}
	return comparePart(x[len(xl):], y[len(yl):])
}

var preMarker = regexp.MustCompile(`[.-]?(?i:rc|alpha|beta|pre)`)

func splitPre(v string) (release, pre string) {
	if loc := preMarker.FindStringIndex(v); loc != nil {
		return v[:loc[0]], strings.TrimLeft(v[loc[0]:], ".-")
	}
	return v, ""
}

// comparePart compares "12" with "9" numerically and "1w" with "1a" by the
// numeric prefix first, then the suffix; a missing part counts as zero.
func comparePart(x, y string) int {
	xn, xs := numPrefix(x)
	yn, ys := numPrefix(y)
	if c := compareDigits(xn, yn); c != 0 {
		return c
	}
	return strings.Compare(xs, ys)
}

// numPrefix splits s into its leading decimal digits, leading zeros
// dropped, and the rest.
func numPrefix(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return strings.TrimLeft(s[:i], "0"), s[i:]
}

// compareDigits orders decimal numbers without leading zeros by value.
// Comparing the text rather than converting it keeps numbers beyond int64
// (valid versions allow them) from all comparing equal.
func compareDigits(x, y string) int {
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

// IsPrerelease reports whether v is a release candidate, alpha or beta.
func IsPrerelease(v string) bool {
	_, pre := splitPre(v)
	return pre != ""
}
