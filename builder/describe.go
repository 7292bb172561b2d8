package builder

import (
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/pin"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
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
	// constraint, version, URL and how they will be verified.
	Components []pin.Component `json:"-"`
	// ComponentsJSON is Components as --json writes them (MarshalJSON
	// fills it).
	ComponentsJSON []componentJSON `json:"components"`
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
}

// Describe returns the resolved plan of a state that has passed the
// resolve stage (and, for builds, the script stage).
func Describe(s *State) (PlanView, error) {
	v := PlanView{Components: []pin.Component{}, Configure: []string{}, Script: s.Script, Mirror: s.Plan.Mirror.String()}
	if s.Plan.WorkDir != "" {
		v.WorkDir, v.SourceDir = s.Plan.WorkDir, s.Plan.SourceDir()
		upToDate := s.UpToDate
		v.UpToDate = &upToDate
		if s.Plan.Clear {
			v.WouldRemove = s.Plan.BuildDir()
		}
	}
	for _, a := range s.Artifacts {
		cp := pin.Component{Name: a.Component, Version: a.Version, URL: a.URLs[0], Verify: verifyPlan(a, s), Constraint: s.Plan.spec(a.Component).Constraint}
		v.Components = append(v.Components, cp)
	}
	for _, g := range s.Plan.GitSources {
		v.Components = append(v.Components, pin.Component{Name: g.Name, Constraint: g.Rev, Version: s.ModuleCommits[g.Name], URL: g.URL, Verify: "git commit"})
	}
	if s.Script != "" {
		args, err := configure.Args(s.Script)
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

// verifyPlan says how a tarball will be checked once downloaded.
func verifyPlan(a source.Artifact, s *State) string {
	if s.Plan.Verify == fetch.PolicyOff {
		return "nothing (--verify off)"
	}
	maybe := ""
	if a.SidecarsOptional {
		maybe = " (if published)"
	}
	var checks []string
	if a.SignatureURL != "" {
		keys, _ := verify.Keyring(a.Component)
		if len(keys)+len(s.Plan.ComponentKeys[a.Component])+len(s.Plan.ExtraKeys) > 0 {
			checks = append(checks, "OpenPGP signature "+a.SignatureURL+maybe)
		} else {
			checks = append(checks, "signature "+a.SignatureURL+maybe+" cannot be checked: no "+a.Component+" key")
		}
	}
	if a.ChecksumURL != "" {
		checks = append(checks, "sha256 from "+a.ChecksumURL+maybe)
	}
	if sum, ok := verify.KnownChecksum(a.Component, a.FileName); ok {
		checks = append(checks, "built-in "+sum.Algo)
	}
	if s.pins[fetch.PinKey(a.Component, a.Version)] != "" {
		checks = append(checks, "sha256 pinned in "+filepath.Base(s.Plan.Lockfile))
	}
	if len(checks) == 0 {
		return "none: nothing published to verify against"
	}
	return strings.Join(checks, "; ")
}

// MarshalJSON writes the --dry-run --json plan.
func (v PlanView) MarshalJSON() ([]byte, error) {
	type plain PlanView // without this method
	p := plain(v)
	p.ComponentsJSON = []componentJSON{}
	for _, c := range v.Components {
		p.ComponentsJSON = append(p.ComponentsJSON, componentJSON{Name: c.Name, Constraint: c.Constraint, Version: c.Version, URL: c.URL, Verify: c.Verify})
	}
	return jsonfile.Compact(p)
}
