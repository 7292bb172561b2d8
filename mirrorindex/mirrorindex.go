// Package mirrorindex reads and writes a mirror's index.json: every
// tarball the mirror holds with its sha256 and how it was verified when it
// was mirrored, and every module (tarballs, Debian orig tarballs, git
// bundles) with the URL and rev modules.json names it by. Its entries are
// the pin types, encoded with the fields the file has always had. Keys
// lists the pinned signing keys the mirror carries (a later addition: an
// index without keys is written as before).
package mirrorindex

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"time"

	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/pin"
)

// Index is DIR/index.json.
type Index struct {
	// Updated is when something was last added or changed; a run that
	// adds nothing leaves the file as it was, byte for byte.
	Updated time.Time
	// Files are the tarballs: Path, SHA256, Verified, UnverifiedUpstream and, for a custom
	// component, CustomURL (a build asking for that URL with --mirror
	// takes this file instead).
	Files []pin.Component
	// Modules are modules and git sources under modules/<name>/: Name,
	// Form, URL, Rev, Commit (git), Version (debian), Path, SHA256.
	Modules []pin.Module
	// Keys are the signing keys that verified the mirrored tarballs,
	// under keys/<component>/<FINGERPRINT>.asc.
	Keys []Key
}

// Key is a pinned signing key a mirror carries for a component. A build
// from the mirror accepts it only if its fingerprint is pinned for the
// component: a mirror is not trusted more than upstream.
type Key struct {
	Component   string `json:"component"`
	Fingerprint string `json:"fingerprint"`
	Path        string `json:"path"`
	SHA256      string `json:"sha256"`
}

type indexJSON struct {
	Updated time.Time    `json:"updated"`
	Files   []fileJSON   `json:"files"`
	Modules []moduleJSON `json:"modules,omitempty"`
	Keys    []Key        `json:"keys,omitempty"`
}

type fileJSON struct {
	Path     string   `json:"path"`
	SHA256   string   `json:"sha256"`
	Verified []string `json:"verified"`
	// UnverifiedUpstream is a later addition: older indexes say the
	// same with an empty verified list.
	UnverifiedUpstream bool   `json:"unverified_upstream,omitempty"`
	URL                string `json:"url,omitempty"`
}

type moduleJSON struct {
	Name    string `json:"name"`
	Form    string `json:"form"`
	URL     string `json:"url"`
	Rev     string `json:"rev,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Version string `json:"version,omitempty"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
}

// MarshalJSON writes the index.json format.
func (x Index) MarshalJSON() ([]byte, error) {
	j := indexJSON{Updated: x.Updated, Keys: x.Keys}
	for _, f := range x.Files {
		j.Files = append(j.Files, fileJSON{Path: f.Path, SHA256: f.SHA256, Verified: f.Verified, UnverifiedUpstream: f.UnverifiedUpstream, URL: f.CustomURL})
	}
	for _, m := range x.Modules {
		j.Modules = append(j.Modules, moduleJSON{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Commit: m.Commit, Version: m.Version, Path: m.Path, SHA256: m.SHA256})
	}
	return jsonfile.Compact(j)
}

// UnmarshalJSON reads the index.json format.
func (x *Index) UnmarshalJSON(b []byte) error {
	var j indexJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*x = Index{Updated: j.Updated, Keys: j.Keys}
	for _, f := range j.Files {
		x.Files = append(x.Files, pin.Component{Path: f.Path, SHA256: f.SHA256, Verified: f.Verified, CustomURL: f.URL,
			// An index from before the field: nothing verified is the same.
			UnverifiedUpstream: f.UnverifiedUpstream || len(f.Verified) == 0})
	}
	for _, m := range j.Modules {
		x.Modules = append(x.Modules, pin.Module{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Commit: m.Commit, Version: m.Version, Path: m.Path, SHA256: m.SHA256})
	}
	return nil
}

// Read reads the index at p; a missing or damaged one is empty (it is
// rebuilt from what is copied now).
func Read(p string) Index {
	var idx Index
	if b, err := os.ReadFile(p); err == nil {
		_ = json.Unmarshal(b, &idx)
	}
	return idx
}

// Same compares what two indexes list, not when they were written.
func Same(a, b Index) bool {
	a.Updated, b.Updated = time.Time{}, time.Time{}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// UpsertFile adds f, or replaces the entry with its path.
func (x Index) UpsertFile(f pin.Component) Index {
	x.Files = upsert(x.Files, f, func(e pin.Component) bool { return e.Path == f.Path },
		func(a, b pin.Component) bool { return a.Path < b.Path })
	return x
}

// UpsertModule adds m, or replaces the entry with its path, URL and rev.
func (x Index) UpsertModule(m pin.Module) Index {
	x.Modules = upsert(x.Modules, m, func(e pin.Module) bool { return e.Path == m.Path && e.URL == m.URL && e.Rev == m.Rev },
		func(a, b pin.Module) bool { return a.Path < b.Path || (a.Path == b.Path && a.Rev < b.Rev) })
	return x
}

// UpsertKey adds k, or replaces the entry with its path; keys are kept in
// path order.
func (x Index) UpsertKey(k Key) Index {
	x.Keys = upsert(x.Keys, k, func(e Key) bool { return e.Path == k.Path },
		func(a, b Key) bool { return a.Path < b.Path })
	return x
}

// upsert replaces the entry of list that same picks with v, or adds v and
// keeps the list sorted by less (stably: equal entries keep their order).
func upsert[T any](list []T, v T, same func(T) bool, less func(a, b T) bool) []T {
	for i := range list {
		if same(list[i]) {
			list[i] = v
			return list
		}
	}
	list = append(list, v)
	sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
	return list
}

// UnverifiedUpstream reports whether the index lists the file at rel (a
// slash-separated path such as "zlib/zlib-1.3.1.tar.gz") as one that
// nothing upstream verified when it was mirrored.
func (x Index) UnverifiedUpstream(rel string) bool {
	for _, f := range x.Files {
		if f.Path == rel {
			return f.UnverifiedUpstream
		}
	}
	return false
}

// FindModule finds a module of modules.json in the index: the same form
// and URL; for tarball and debian modules also the same rev. A git bundle
// holds every branch and tag, so any rev may be in it; the entry made for
// the same rev is preferred (it pins its commit).
func (x Index) FindModule(form, url, rev string) (pin.Module, bool) {
	var found *pin.Module
	for i, e := range x.Modules {
		if e.Form != form || e.URL != url || e.SHA256 == "" || e.Path == "" {
			continue
		}
		if form != "git" && e.Rev != rev {
			continue
		}
		if found == nil || (e.Rev == rev && found.Rev != rev) {
			found = &x.Modules[i]
		}
	}
	if found == nil {
		return pin.Module{}, false
	}
	return *found, true
}
