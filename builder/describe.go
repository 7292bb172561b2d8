package builder

import (
	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/source"
)

// ComponentPlan is one resolved component, as --dry-run shows it.
type ComponentPlan struct {
	Name       string `json:"name"`
	Constraint string `json:"constraint"`
	Version    string `json:"version"`
	URL        string `json:"url"`
	Verify     string `json:"verify"`
}

// PlanView is the resolved plan: what --dry-run prints and --json encodes.
type PlanView struct {
	Components []ComponentPlan `json:"components"`
	// Configure is the configure arguments, as configure will receive them.
	Configure []string `json:"configure,omitempty"`
	Script    string   `json:"script,omitempty"`
	WorkDir   string   `json:"work_dir,omitempty"`
	SourceDir string   `json:"source_dir,omitempty"`
	Mirror    string   `json:"mirror,omitempty"`
	Modules   []string `json:"modules,omitempty"`
	Patches   []string `json:"patches,omitempty"`
}

// Describe returns the resolved plan of a state that has passed the
// resolve stage (and, for builds, the script stage).
func Describe(s *State) (PlanView, error) {
	v := PlanView{Script: s.Script, Mirror: s.Plan.Mirror.String()}
	if s.Plan.WorkDir != "" {
		v.WorkDir, v.SourceDir = s.Plan.WorkDir, s.Plan.SourceDir()
	}
	specs := s.Plan.Components()
	for i, a := range s.Artifacts {
		cp := ComponentPlan{Name: a.Component, Version: a.Version, URL: a.URLs[0], Verify: verifyPlan(a)}
		if i < len(specs) {
			cp.Constraint = specs[i].Constraint
		}
		v.Components = append(v.Components, cp)
	}
	if s.Script != "" {
		args, err := configure.Args(s.Script)
		if err != nil {
			return v, err
		}
		v.Configure = args
	}
	for _, m := range s.Plan.Modules {
		v.Modules = append(v.Modules, m.Name+" ("+m.Form+" "+m.URL+")")
	}
	for _, p := range s.Plan.Patches {
		v.Patches = append(v.Patches, p.Target+"="+p.Path)
	}
	return v, nil
}

// verifyPlan says how a tarball will be checked once downloaded.
func verifyPlan(a source.Artifact) string {
	if a.ChecksumURL != "" {
		return "sha256 from " + a.ChecksumURL
	}
	return "none (no checksum published)"
}
