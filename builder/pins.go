package builder

import (
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/pin"
)

// pinnedComponents describes every fetched tarball of the build as the pin
// type: the one place the lockfile's, the build record's and the mirror's
// entries are filled from.
func (s *State) pinnedComponents() []pin.Component {
	var out []pin.Component
	for _, r := range s.Fetched.Components {
		out = append(out, s.pinnedComponent(r))
	}
	return out
}

func (s *State) pinnedComponent(r fetch.Result) pin.Component {
	c, _ := s.Resolved.Component(r.Artifact.Component)
	c.Version, c.URL, c.SHA256 = r.Artifact.Version, r.Artifact.URLs[0], r.SHA256
	c.Verification, c.Verified = r.Verification, pin.VerifiedLines(r.Verification, false)
	if l := s.Resolved.Lock; l != nil && r.Verification.Unchecked != "" {
		// A signature left unchecked (its key not at hand) on the very
		// tarball the lockfile pins: what was verified when it was
		// locked still holds, and a lockfile is not rewritten for less.
		if e := l.Component(c.Name); e != nil && e.Version == c.Version && e.SHA256 == c.SHA256 {
			c.Verified = e.Verified
		}
	}
	return c
}

// pinnedModules describes every git tree and module of the build as the
// pin type: the commit of a git or hg module, the version and sha256 of a
// tarball or debian one, and which component a git source is the tree of.
func (s *State) pinnedModules() []pin.Module {
	var out []pin.Module
	for _, m := range s.Plan.Trees() {
		e := s.Resolved.Tree(m)
		if r, ok := s.Fetched.Modules[m.Name]; ok {
			e.Version, e.SHA256 = r.Artifact.Version, r.SHA256
		}
		if c, ok := s.Plan.SourceOf(m); ok {
			e.Component = c.Name
		}
		out = append(out, e)
	}
	return out
}
