package builder

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
)

// BuildRecord is written next to the build as build-info.json: what an
// auditor or an SBOM generator needs to know about the binary.
type BuildRecord struct {
	Tool         string    `json:"tool"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	Binary       string    `json:"binary"`
	BinarySHA256 string    `json:"binary_sha256"`
	NginxV       string    `json:"nginx_v"`
	// Server names the component that was built (nginx, freenginx,
	// openresty or a custom name): a Components entry, or a Modules entry
	// whose Component it is when the server came from git.
	Server        string            `json:"server"`
	Components    []RecordComponent `json:"components"`
	Modules       []RecordModule    `json:"modules,omitempty"`
	Patches       []string          `json:"patches,omitempty"`
	ConfigureArgs []string          `json:"configure_args"`
}

// RecordComponent is one component of a build record.
type RecordComponent struct {
	Name         string             `json:"name"`
	Constraint   string             `json:"constraint"`
	Version      string             `json:"version"`
	URL          string             `json:"url"`
	SHA256       string             `json:"sha256"`
	Verification fetch.Verification `json:"verification"`
}

// RecordModule is one tree a build took from git, or a third-party
// module. The lockfile's fields come first, so the record reads like it.
type RecordModule struct {
	LockedModule
	// Component is set for a git tree that is the source of a component
	// (-customnginx or -customssl from git): that component's name.
	// Empty for third-party modules.
	Component string `json:"component,omitempty"`
	// License is the module's SPDX expression from modules.json.
	License string `json:"license,omitempty"`
}

// RecordFile is the build record's name in the build dir.
const RecordFile = "build-info.json"

func writeRecord(s *State, nginxV string) (string, error) {
	args, err := configure.Args(s.Script)
	if err != nil {
		return "", err
	}
	sum, err := fetch.FileSHA256(s.Binary)
	if err != nil {
		return "", err
	}
	rec := BuildRecord{
		Tool: "nginx-build " + s.Env.ToolVersion, StartedAt: s.started.UTC(), FinishedAt: s.Env.now().UTC(),
		Binary: s.Binary, BinarySHA256: sum, NginxV: nginxV, ConfigureArgs: args,
	}
	for _, r := range s.Fetched {
		rec.Components = append(rec.Components, RecordComponent{
			Name: r.Artifact.Component, Constraint: s.Plan.spec(r.Artifact.Component).Constraint, Version: r.Artifact.Version,
			URL: r.Artifact.URLs[0], SHA256: r.SHA256, Verification: r.Verification,
		})
	}
	rec.Server = s.Plan.Server.Name
	for _, m := range s.Plan.gitTrees() {
		rec.Modules = append(rec.Modules, RecordModule{LockedModule: s.lockedModule(m), License: m.License})
	}
	// gitTrees lists the git component sources first; they are named
	// <component>-<tag> (see GitSources).
	for i := range s.Plan.GitSources {
		for _, c := range s.Plan.Components() {
			if c.Custom() && c.Name+"-"+c.Version == s.Plan.GitSources[i].Name {
				rec.Modules[i].Component = c.Name
			}
		}
	}
	for _, p := range s.Plan.Patches {
		psum, err := fetch.FileSHA256(p.Path)
		if err != nil {
			return "", err
		}
		rec.Patches = append(rec.Patches, fmt.Sprintf("%s=%s (sha256 %s)", p.Target, p.Path, psum))
	}
	b, err := marshalJSON(rec)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.Plan.BuildDir(), RecordFile)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", fmt.Errorf("write build record: %w", err)
	}
	return path, nil
}

// ReadRecord reads the build record in buildDir, for a build that is up
// to date and so writes none.
func ReadRecord(buildDir string) (BuildRecord, error) {
	path := filepath.Join(buildDir, RecordFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return BuildRecord{}, fmt.Errorf("read build record: %w", err)
	}
	var rec BuildRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return BuildRecord{}, fmt.Errorf("build record %s is damaged: %v (rebuild with -clear)", path, err)
	}
	return rec, nil
}
