package builder

import (
	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/pin"

	"github.com/nginx-build/nginx-build/configure"
)

// componentJSON is one resolved component, as --dry-run --json shows it.
type componentJSON struct {
	Name       string `json:"name"`
	Constraint string `json:"constraint"`
	Version    string `json:"version"`
	URL        string `json:"url"`
	Verify     string `json:"verify"`
}

// PlanView is the resolved plan: what --dry-run prints and --json encodes.
type PlanView struct {
	// Components are the pinned components; --json writes their name,
	// constraint, version, URL and how they will be verified (see
	// MarshalJSON).
	Components []pin.Component `json:"-"`
	// Configure is the configure arguments, as configure will receive them;
	// always present (an empty array without options).
	Configure []string `json:"configure"`
	Script    string   `json:"script,omitempty"`
	WorkDir   string   `json:"work_dir,omitempty"`
	SourceDir string   `json:"source_dir,omitempty"`
	Mirror    string   `json:"mirror,omitempty"`
	Modules   []string `json:"modules,omitempty"`
	Patches   []string `json:"patches,omitempty"`
	// UpToDate says whether the work dir already holds this build (builds
	// only; nil for fetch).
	UpToDate *bool `json:"up_to_date,omitempty"`
	// WouldRemove is the build dir that -clear would remove.
	WouldRemove string `json:"would_remove,omitempty"`
	// Package is the package `package --dry-run` would write (nil
	// otherwise); the command fills it in.
	Package *PackageView `json:"package,omitempty"`
}

// PackageView is the package a dry run of `package` would write.
type PackageView struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Release string `json:"release"`
	Format  string `json:"format"`
	// Arch is the architecture, as given or this machine's (the package
	// takes that of the binary built here).
	Arch string `json:"arch"`
	Path string `json:"path"`
}

// Describe returns the resolved plan of a state that has passed the
// locate stage: an encoding of the plan.Resolved value.
func Describe(s *State) (PlanView, error) {
	r := s.Resolved
	v := PlanView{Components: []pin.Component{}, Configure: []string{}, Script: r.Script, Mirror: s.Plan.Mirror.String()}
	if s.Plan.WorkDir != "" {
		v.WorkDir, v.SourceDir = s.Plan.WorkDir, r.SourceDir()
		upToDate := s.UpToDate
		v.UpToDate = &upToDate
		if s.Plan.Clear {
			v.WouldRemove = r.BuildDir()
		}
	}
	v.Components = append(v.Components, r.Located()...)
	for _, g := range s.Plan.GitSources {
		v.Components = append(v.Components, pin.Component{Name: g.Name, Constraint: g.Rev, Version: r.Commits[g.Name], URL: g.URL, Verify: "git commit"})
	}
	if r.Script != "" {
		args, err := configure.Args(r.Script)
		if err != nil {
			return v, err
		}
		v.Configure = append(v.Configure, args...)
	}
	for _, m := range s.Plan.Modules {
		v.Modules = append(v.Modules, m.Name+" ("+m.Form+" "+m.URL+")")
	}
	for _, p := range s.Plan.Patches {
		v.Patches = append(v.Patches, p.Target+"="+p.Path)
	}
	return v, nil
}

// MarshalJSON writes the --dry-run --json plan.
func (v PlanView) MarshalJSON() ([]byte, error) {
	type plain PlanView // without this method
	comps := []componentJSON{}
	for _, c := range v.Components {
		comps = append(comps, componentJSON{Name: c.Name, Constraint: c.Constraint, Version: c.Version, URL: c.URL, Verify: c.Verify})
	}
	// The outer field comes first, as "components" always has.
	return jsonfile.Compact(struct {
		Components []componentJSON `json:"components"`
		plain
	}{comps, plain(v)})
}
