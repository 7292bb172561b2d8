// Package purl builds package URLs (https://github.com/package-url/purl-spec),
// the identifiers SBOM tools match components by, for the two types
// nginx-build needs: github (a repository's tag or commit) and generic
// (anything else, located by a download_url or vcs_url qualifier).
package purl

import (
	"fmt"
	"strings"
)

// GitHub is pkg:github/OWNER/REPO@VERSION, where version is a tag or a
// commit ("" for none). GitHub names are case-insensitive, and the purl
// type lower-cases them.
func GitHub(owner, repo, version string) string {
	return "pkg:github/" + Escape(strings.ToLower(owner)) + "/" + Escape(strings.ToLower(repo)) + at(version)
}

// Generic is pkg:generic/NAME@VERSION?KEY=VALUE ("" version: none; ""
// key: no qualifier).
func Generic(name, version, key, value string) string {
	s := "pkg:generic/" + Escape(name) + at(version)
	if key != "" {
		s += "?" + key + "=" + Escape(value)
	}
	return s
}

func at(version string) string {
	if version == "" {
		return ""
	}
	return "@" + Escape(version)
}

// Escape percent-encodes s for a purl name, version or qualifier value,
// keeping ":" and "/" readable as the purl spec's own examples do
// (download_url=https://…).
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9',
			strings.IndexByte("-._~:/", ch) >= 0:
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}
