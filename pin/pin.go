// Package pin is the one description of a pinned build input: a component
// tarball (nginx, a library, a custom source) at an exact version, URL and
// sha256 with how it is verified, and a module or git tree at an exact
// commit. The lockfile, build-info.json, the --dry-run --json plan and a
// mirror's index.json are encodings of these two types (see the lockfile,
// record, mirrorindex and builder packages), each writing the fields its
// file format has always had.
package pin

import "github.com/nginx-build/nginx-build/fetch"

// Component is one pinned component tarball.
type Component struct {
	Name string
	// Constraint is what was asked for (1.22.1, ~1.26, stable); Version
	// what it resolved to.
	Constraint string
	Version    string
	// URL is where the tarball is downloaded from (the first of its URLs).
	URL string
	// SHA256 is the tarball's checksum once fetched (or as pinned).
	SHA256 string
	// Verify says how the tarball will be checked once downloaded (a
	// plan, before anything is fetched).
	Verify string
	// Verification is how it was checked when fetched.
	Verification fetch.Verification
	// Verified lists the checks that passed, one line each, as the
	// lockfile and a mirror's index record them.
	Verified []string
	// UnverifiedUpstream is set in a mirror's index for a tarball that
	// nothing upstream verified when it was mirrored (no signature by a
	// trusted key, no published or built-in checksum, no pin): the
	// .sha256 the mirror wrote beside it is only its own.
	UnverifiedUpstream bool
	// CustomURL is a custom component's own address (-customnginx or
	// -customssl), where a mirror's copy stands in for it.
	CustomURL string
	// Path is the tarball's place in a mirror tree.
	Path string
}

// Module is one pinned third-party module, or a component tree taken
// from git (-customnginx/-customssl with a repository).
type Module struct {
	Name string
	// Form is git, hg, local, tarball or debian, as in modules.json; URL
	// and Rev are modules.json's too.
	Form string
	URL  string
	Rev  string
	// Commit is what Rev resolved to (git commit, hg changeset).
	Commit  string
	Dynamic bool
	// Version is the upstream version of a debian module's orig tarball.
	Version string
	// SHA256 is the verified tarball of a tarball or debian module, or a
	// mirror's bundle of a git repository.
	SHA256 string
	// Component names the component whose tree this is, for a git tree
	// that is a custom nginx or SSL library; empty for modules.
	Component string
	// License is the module's SPDX expression from modules.json.
	License string
	// Path is the module's file in a mirror tree.
	Path string
}

// VerifiedLines lists the checks a fetched tarball passed, as the lockfile
// records them: the lockfile does not vouch for itself, and --verify off
// says so instead of listing nothing.
func VerifiedLines(v fetch.Verification, withLockfile bool) []string {
	if v.Skipped {
		return []string{"not verified (--verify off)"}
	}
	lines := []string{}
	for _, c := range v.Checks {
		if withLockfile || c.Kind != "lockfile" {
			lines = append(lines, c.Detail)
		}
	}
	return lines
}
