// Package lockfile reads and writes nginx-build.lock, which pins a build's
// inputs like go.sum or Cargo.lock: for each component the exact version,
// URL and sha256 that were verified, for each git or hg tree the commit.
// It is an encoding of the pin types, JSON with a fixed key order so that
// it diffs well in review.
package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/pin"
)

// Version is the format version written into lockfiles.
const Version = 1

// File is a lockfile.
type File struct {
	LockfileVersion int
	GeneratedBy     string
	Components      []pin.Component
	Modules         []pin.Module
}

// The lockfile's JSON: these fields, in this order, and no others.
type fileJSON struct {
	LockfileVersion int             `json:"lockfile_version"`
	GeneratedBy     string          `json:"generated_by"`
	Components      []componentJSON `json:"components"`
	Modules         []moduleJSON    `json:"modules,omitempty"`
}

type componentJSON struct {
	Name       string   `json:"name"`
	Constraint string   `json:"constraint"`
	Version    string   `json:"version"`
	URL        string   `json:"url"`
	SHA256     string   `json:"sha256"`
	Verified   []string `json:"verified"`
}

type moduleJSON struct {
	Name    string `json:"name"`
	Form    string `json:"form"`
	URL     string `json:"url"`
	Rev     string `json:"rev,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Dynamic bool   `json:"dynamic,omitempty"`
	Version string `json:"version,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
}

// ModuleJSON is a module as the lockfile (and the build record, which
// reads like it) writes it.
type ModuleJSON = moduleJSON

// EncodeModule is m in the lockfile's form.
func EncodeModule(m pin.Module) ModuleJSON {
	return moduleJSON{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Commit: m.Commit, Dynamic: m.Dynamic, Version: m.Version, SHA256: m.SHA256}
}

// DecodeModule is the inverse of EncodeModule.
func DecodeModule(j ModuleJSON) pin.Module {
	return pin.Module{Name: j.Name, Form: j.Form, URL: j.URL, Rev: j.Rev, Commit: j.Commit, Dynamic: j.Dynamic, Version: j.Version, SHA256: j.SHA256}
}

// MarshalJSON writes the lockfile format.
func (l File) MarshalJSON() ([]byte, error) {
	// No components is written as null, as it always was.
	j := fileJSON{LockfileVersion: l.LockfileVersion, GeneratedBy: l.GeneratedBy}
	for _, c := range l.Components {
		verified := c.Verified
		if verified == nil {
			verified = []string{}
		}
		j.Components = append(j.Components, componentJSON{Name: c.Name, Constraint: c.Constraint, Version: c.Version, URL: c.URL, SHA256: c.SHA256, Verified: verified})
	}
	for _, m := range l.Modules {
		j.Modules = append(j.Modules, EncodeModule(m))
	}
	return jsonfile.Compact(j)
}

// UnmarshalJSON reads the lockfile format; unknown fields are an error.
func (l *File) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j fileJSON
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*l = File{LockfileVersion: j.LockfileVersion, GeneratedBy: j.GeneratedBy}
	for _, c := range j.Components {
		l.Components = append(l.Components, pin.Component{Name: c.Name, Constraint: c.Constraint, Version: c.Version, URL: c.URL, SHA256: c.SHA256, Verified: c.Verified})
	}
	for _, m := range j.Modules {
		l.Modules = append(l.Modules, DecodeModule(m))
	}
	return nil
}

// Read reads path; a missing file is (nil, nil).
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lockfile: %w", err)
	}
	var l File
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lockfile %s is damaged: %v (delete it and run `nginx-build lock` to write a new one)", path, err)
	}
	if l.LockfileVersion != Version {
		return nil, fmt.Errorf("lockfile %s has format version %d; this nginx-build reads version %d", path, l.LockfileVersion, Version)
	}
	for i, c := range l.Components {
		if err := checkComponent(c); err != nil {
			return nil, fmt.Errorf("lockfile %s: component %d (%q): %w (fix the entry, or delete the lockfile and run `nginx-build lock`)", path, i+1, c.Name, err)
		}
	}
	return &l, nil
}

// checkComponent says which field of a pinned component is missing or
// malformed, and what is wrong with it.
func checkComponent(c pin.Component) error {
	switch {
	case c.Name == "":
		return errors.New(`"name" is missing`)
	case c.Version == "":
		return errors.New(`"version" is missing`)
	case c.SHA256 == "":
		return errors.New(`"sha256" is missing`)
	}
	var wrong []string
	if n := utf8.RuneCountInString(c.SHA256); n != 64 {
		wrong = append(wrong, fmt.Sprintf("it has %d characters", n))
	}
	for _, r := range c.SHA256 {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			wrong = append(wrong, fmt.Sprintf("%q is not a hex digit", r))
			break
		}
	}
	if wrong != nil {
		return fmt.Errorf(`"sha256" %q is not a sha256 (64 hex digits): %s`, c.SHA256, strings.Join(wrong, ", and "))
	}
	return nil
}

// Write stores the lockfile atomically.
func (l *File) Write(path string) error {
	b, err := jsonfile.Marshal(l)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return fmt.Errorf("write lockfile: %w", err)
	}
	return nil
}

// Component is the pinned component called name, or nil.
func (l *File) Component(name string) *pin.Component {
	for i := range l.Components {
		if l.Components[i].Name == name {
			return &l.Components[i]
		}
	}
	return nil
}

// Module is the pinned module called name, or nil.
func (l *File) Module(name string) *pin.Module {
	for i := range l.Modules {
		if l.Modules[i].Name == name {
			return &l.Modules[i]
		}
	}
	return nil
}

// Same reports whether two lockfiles pin the same things (whoever
// generated them).
func Same(a, b *File) bool {
	x, _ := json.Marshal(File{Components: a.Components, Modules: a.Modules})
	y, _ := json.Marshal(File{Components: b.Components, Modules: b.Modules})
	return bytes.Equal(x, y)
}
