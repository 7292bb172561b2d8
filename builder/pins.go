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
	for _, r := range s.Fetched {
		out = append(out, s.pinnedComponent(r))
	}
	return out
}

func (s *State) pinnedComponent(r fetch.Result) pin.Component {
	spec := s.Plan.spec(r.Artifact.Component)
	c := pin.Component{
		Name: r.Artifact.Component, Constraint: spec.Constraint, Version: r.Artifact.Version,
		URL: r.Artifact.URLs[0], SHA256: r.SHA256, Verification: r.Verification,
		Verified: pin.VerifiedLines(r.Verification, false),
	}
	if spec.Custom() {
		c.CustomURL = spec.CustomURL
	}
	return c
}

// pinnedModules describes every git tree and module of the build as the
// pin type: the commit of a git or hg module, the version and sha256 of a
// tarball or debian one, and which component a git source is the tree of.
func (s *State) pinnedModules() []pin.Module {
	var out []pin.Module
	for i, m := range s.Plan.gitTrees() {
		e := pin.Module{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Commit: s.ModuleCommits[m.Name], Dynamic: m.Dynamic, License: m.License}
		if r, ok := s.moduleTarballs[m.Name]; ok {
			e.Version, e.SHA256 = r.Artifact.Version, r.SHA256
		}
		// gitTrees lists the git component sources first; they are named
		// <component>-<tag> (see GitSources).
		if i < len(s.Plan.GitSources) {
			for _, c := range s.Plan.Components() {
				if c.Custom() && c.Name+"-"+c.Version == m.Name {
					e.Component = c.Name
				}
			}
		}
		out = append(out, e)
	}
	return out
}
