// Package record reads and writes build-info.json, written next to every
// build: what an auditor or an SBOM generator needs to know about the
// binary. Its components and modules are the pin types, encoded with the
// fields the file has always had.
package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/pin"
)

// File is the build record's name in the build dir.
const File = "build-info.json"

// Record describes one built binary.
type Record struct {
	Tool         string
	StartedAt    time.Time
	FinishedAt   time.Time
	Binary       string
	BinarySHA256 string
	NginxV       string
	// Server names the component that was built (nginx, freenginx,
	// openresty or a custom name): a Components entry, or a Modules entry
	// whose Component it is when the server came from git.
	Server        string
	Components    []pin.Component
	Modules       []pin.Module
	Patches       []string
	ConfigureArgs []string
	// Timings is how long each phase of the build took: download,
	// extract, configure, each library, the server, its modules.
	Timings []Timing
	// CCache is whether ccache served the compile, why, and what it
	// served (nil when the compiler was not ours to wrap: --with-cc).
	CCache *CCache
}

// CCache is ccache's part in a build.
type CCache struct {
	// Used says whether ccache was in front of the compiler; Reason why
	// (or why not).
	Used   bool   `json:"used"`
	Reason string `json:"reason"`
	// Hits and Misses count the compiles ccache served and did not;
	// RemoteHits and RemoteMisses those it looked up in remote storage
	// (RemoteHits are part of Hits).
	Hits         int64 `json:"hits"`
	Misses       int64 `json:"misses"`
	RemoteHits   int64 `json:"remote_hits,omitempty"`
	RemoteMisses int64 `json:"remote_misses,omitempty"`
}

// Timing is how long one phase of a build took.
type Timing struct {
	Phase string
	Took  time.Duration
}

// timingJSON keeps a duration readable by any tool: seconds, to the
// millisecond.
type timingJSON struct {
	Phase   string  `json:"phase"`
	Seconds float64 `json:"seconds"`
}

type recordJSON struct {
	Tool          string          `json:"tool"`
	StartedAt     time.Time       `json:"started_at"`
	FinishedAt    time.Time       `json:"finished_at"`
	Binary        string          `json:"binary"`
	BinarySHA256  string          `json:"binary_sha256"`
	NginxV        string          `json:"nginx_v"`
	Server        string          `json:"server"`
	Components    []componentJSON `json:"components"`
	Modules       []moduleJSON    `json:"modules,omitempty"`
	Patches       []string        `json:"patches,omitempty"`
	ConfigureArgs []string        `json:"configure_args"`
	Timings       []timingJSON    `json:"timings,omitempty"`
	CCache        *CCache         `json:"ccache,omitempty"`
}

type componentJSON struct {
	Name         string             `json:"name"`
	Constraint   string             `json:"constraint"`
	Version      string             `json:"version"`
	URL          string             `json:"url"`
	SHA256       string             `json:"sha256"`
	Verification fetch.Verification `json:"verification"`
}

// A module reads like the lockfile's entry, then says what it is.
type moduleJSON struct {
	lockfile.ModuleJSON
	Component string `json:"component,omitempty"`
	License   string `json:"license,omitempty"`
}

// MarshalJSON writes the build-info.json format.
func (r Record) MarshalJSON() ([]byte, error) {
	j := recordJSON{Tool: r.Tool, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Binary: r.Binary, BinarySHA256: r.BinarySHA256,
		NginxV: r.NginxV, Server: r.Server, Patches: r.Patches, ConfigureArgs: r.ConfigureArgs, CCache: r.CCache}
	for _, c := range r.Components {
		j.Components = append(j.Components, componentJSON{Name: c.Name, Constraint: c.Constraint, Version: c.Version, URL: c.URL, SHA256: c.SHA256, Verification: c.Verification})
	}
	for _, m := range r.Modules {
		j.Modules = append(j.Modules, moduleJSON{ModuleJSON: lockfile.EncodeModule(m), Component: m.Component, License: m.License})
	}
	for _, t := range r.Timings {
		j.Timings = append(j.Timings, timingJSON{Phase: t.Phase, Seconds: float64(t.Took.Round(time.Millisecond).Milliseconds()) / 1000})
	}
	return jsonfile.Compact(j)
}

// UnmarshalJSON reads the build-info.json format.
func (r *Record) UnmarshalJSON(b []byte) error {
	var j recordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Record{Tool: j.Tool, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Binary: j.Binary, BinarySHA256: j.BinarySHA256,
		NginxV: j.NginxV, Server: j.Server, Patches: j.Patches, ConfigureArgs: j.ConfigureArgs, CCache: j.CCache}
	for _, c := range j.Components {
		r.Components = append(r.Components, pin.Component{Name: c.Name, Constraint: c.Constraint, Version: c.Version, URL: c.URL, SHA256: c.SHA256, Verification: c.Verification})
	}
	for _, m := range j.Modules {
		pm := lockfile.DecodeModule(m.ModuleJSON)
		pm.Component, pm.License = m.Component, m.License
		r.Modules = append(r.Modules, pm)
	}
	for _, t := range j.Timings {
		r.Timings = append(r.Timings, Timing{Phase: t.Phase, Took: time.Duration(t.Seconds * float64(time.Second)).Round(time.Millisecond)})
	}
	return nil
}

// Write stores the record in buildDir and returns its path.
func Write(buildDir string, r Record) (string, error) {
	b, err := jsonfile.Marshal(r)
	if err != nil {
		return "", err
	}
	path := filepath.Join(buildDir, File)
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return "", fmt.Errorf("write build record: %w", err)
	}
	return path, nil
}

// Read reads the build record in buildDir, for a build that is up to date
// and so writes none.
func Read(buildDir string) (Record, error) {
	path := filepath.Join(buildDir, File)
	b, err := os.ReadFile(path)
	if err != nil {
		return Record{}, fmt.Errorf("read build record: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, fmt.Errorf("build record %s is damaged: %v (rebuild with -clear)", path, err)
	}
	return rec, nil
}
