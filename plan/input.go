package plan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// Reading a plan's inputs: the -c script, modules.json, patch files and
// keyrings, named as the user gave them. The command layer maps flags to
// these calls and prints; what the files hold and how they are checked is
// decided here.

// InputError is input the user must change (a file that cannot be read,
// a patch target that is not part of the build): the command layer
// reports it as a usage error.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// ReadConfigureScript reads a -c script. name is the path as the user
// wrote it, for the message; path is it made absolute.
func ReadConfigureScript(name, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", inputErrorf("-c %s: cannot read the configure script: %v", name, unwrapPath(err))
	}
	return string(b), nil
}

// configureFileName names the -c script in messages.
func (p *Plan) configureFileName() string {
	if p.ConfigureFile == "" {
		return "the configure script"
	}
	return p.ConfigureFile
}

// ReadModules reads a modules.json (path absolute); relative paths of
// local and tarball modules are relative to the file, like includes. It
// returns the file's content too: it is hashed into the build's inputs,
// so editing even an ignored key (a "comment") rebuilds, as reformatting
// does, while the lockfile, which holds only the modules' pins, stays
// valid. What the file holds that is ignored, keys modules.json does not
// know, goes to warn, each at its file:line:col. Cancelling ctx stops
// the reading of a large file.
func ReadModules(ctx context.Context, path string, warn func(format string, args ...any)) ([]module3rd.Module, []byte, error) {
	mods, data, warnings, err := module3rd.Load(ctx, path)
	for _, w := range warnings {
		warn("%s", w)
	}
	if err != nil && ctx.Err() != nil {
		// An interrupt, not bad input: it must not exit 2.
		return nil, nil, fmt.Errorf("-m: %w", err)
	}
	if err != nil {
		return nil, nil, inputErrorf("-m: %v", err)
	}
	for i, m := range mods {
		isPath := m.Form == module3rd.FormLocal || (m.Form == module3rd.FormTarball && !strings.Contains(m.URL, "://"))
		if isPath && !filepath.IsAbs(m.URL) {
			mods[i].URL = filepath.Join(filepath.Dir(path), m.URL)
		}
	}
	return mods, data, nil
}

// ParsePatch reads -patch [target=]PATH for a build of comps. PATH may be
// a directory: its files are applied in name order. abs makes a path as
// the user wrote it absolute. As in nginx-build, one -patch may list
// several, separated by commas (nginx.patch,openssl=ssl.patch), unless
// the whole of it names a file.
func ParsePatch(spec string, comps []Component, abs func(string) string) ([]Patch, error) {
	if _, err := os.Stat(abs(spec)); err == nil || !strings.Contains(spec, ",") {
		return parsePatch(spec, comps, abs)
	}
	var all []Patch
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		patches, err := parsePatch(part, comps, abs)
		if err != nil {
			return nil, err
		}
		all = append(all, patches...)
	}
	return all, nil
}

// patchTarget is the component of comps that a -patch target names:
// its name, or one of the names nginx-build also accepts for it (nginx
// for whichever server is built, customnginx and customssl for the
// custom ones, pcre for pcre2, ngx_openresty), in any case. A known
// component that is not in comps is returned too, so the error can say
// which flag adds it.
func patchTarget(t string, comps []Component) (string, bool) {
	t = strings.ToLower(t)
	server := comps[0]
	switch {
	case t == "nginx", t == "customnginx" && server.Custom(), t == "ngx_openresty" && server.Name == "openresty":
		return server.Name, true
	case t == "customssl":
		for _, c := range comps[1:] {
			if c.Custom() {
				return c.Name, true
			}
		}
	case t == "pcre":
		t = "pcre2"
	}
	for _, c := range comps {
		if strings.EqualFold(c.Name, t) {
			return c.Name, true
		}
	}
	_, err := source.Lookup(t)
	return t, err == nil
}

// parsePatch is ParsePatch for one [target=]PATH.
func parsePatch(spec string, comps []Component, abs func(string) string) ([]Patch, error) {
	target, path := "", spec
	if t, rest, ok := strings.Cut(spec, "="); ok {
		if name, known := patchTarget(t, comps); known {
			target, path = name, rest
		}
	}
	if target == "" {
		target = comps[0].Name
	}
	found := false
	for _, c := range comps {
		found = found || c.Name == target
	}
	if !found {
		return nil, inputErrorf("-patch %s: %s is not part of this build (add -%s?)", spec, target, flagFor(target))
	}
	absPath := abs(path)
	fi, err := os.Stat(absPath)
	if err != nil {
		if t, _, ok := strings.Cut(spec, "="); ok && path == spec {
			var names []string
			for _, c := range comps {
				names = append(names, c.Name)
			}
			return nil, inputErrorf("-patch %s: %q is not a patch target here (%s), and there is no patch file %s", spec, t, strings.Join(names, ", "), path)
		}
		return nil, inputErrorf("-patch %s: patch file %s not found", spec, path)
	}
	if !fi.IsDir() {
		return []Patch{{Target: target, Path: absPath}}, nil
	}
	entries, err := os.ReadDir(absPath)
	if err != nil {
		return nil, inputErrorf("-patch %s: %v", spec, err)
	}
	var patches []Patch
	for _, e := range entries { // ReadDir sorts by name
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			patches = append(patches, Patch{Target: target, Path: filepath.Join(absPath, e.Name())})
		}
	}
	if len(patches) == 0 {
		return nil, inputErrorf("-patch %s: directory %s holds no patch files", spec, path)
	}
	return patches, nil
}

// flagFor is the flag that adds a component to the build.
func flagFor(component string) string {
	if component == "pcre2" {
		return "pcre"
	}
	return component
}

// Keyrings are the --keyring keys: extra keys trusted for every
// component, and keys trusted for one component only.
type Keyrings struct {
	Extra     openpgp.EntityList
	Component map[string]openpgp.EntityList
}

// ReadKeyrings reads --keyring [NAME=]FILE specs for a build of comps.
// NAME=FILE scopes the keys to one component; a plain FILE (even one with
// "=" in its name, when no component is called what precedes it) trusts
// them for all.
func ReadKeyrings(specs []string, comps []Component, abs func(string) string) (Keyrings, error) {
	var k Keyrings
	for _, spec := range specs {
		name, file, scoped := strings.Cut(spec, "=")
		if scoped {
			known := false
			for _, c := range comps {
				known = known || c.Name == name
			}
			if _, err := source.Lookup(name); err == nil {
				known = true
			}
			if !known {
				if _, err := os.Stat(abs(spec)); err != nil {
					return k, inputErrorf("--keyring %s: %q is not a component (use --keyring FILE, or NAME=FILE with NAME one of nginx, openssl, pcre2, zlib, libressl, openresty, freenginx or a custom name)", spec, name)
				}
				scoped = false
			}
		}
		if !scoped {
			file = spec
		}
		keys, err := verify.ReadKeyringFile(abs(file))
		if err != nil {
			return k, inputErrorf("--keyring %s: %v", spec, err)
		}
		if !scoped {
			k.Extra = append(k.Extra, keys...)
			continue
		}
		if k.Component == nil {
			k.Component = map[string]openpgp.EntityList{}
		}
		k.Component[name] = append(k.Component[name], keys...)
	}
	return k, nil
}

// WithDebianDefaults is p with the versions the user did not choose made
// "latest" when building from Debian's archive: nginx-build's own defaults
// are upstream's current releases, which a stable distribution does not
// carry. chosen reports whether the user gave a component's version.
func WithDebianDefaults(p *Plan, chosen func(component string) bool) *Plan {
	if !p.Mirror.IsDebian() {
		return p
	}
	c := *p
	if !chosen(c.Server.Name) && !c.Server.Custom() {
		c.Server.Constraint = "latest"
	}
	c.Libraries = append([]Component(nil), p.Libraries...)
	for i := range c.Libraries {
		if !chosen(c.Libraries[i].Name) && !c.Libraries[i].Custom() {
			c.Libraries[i].Constraint = "latest"
		}
	}
	return &c
}

// WithMirrorDefaults is p with the versions the user did not choose left
// to the mirror when tarballs come from mirror trees (--mirror): the
// newest stable release it has, not nginx-build's built-in defaults,
// which a mirror laid out earlier, or for another build, need not hold.
// Such components ask for "stable" (nginx, freenginx) or "latest" and are
// marked Unasked. chosen reports whether the user gave a component's
// version.
func WithMirrorDefaults(p *Plan, chosen func(component string) bool) *Plan {
	if !p.Mirror.IsFileTree() {
		return p
	}
	c := *p
	c.Server = mirrorDefault(c.Server, chosen)
	c.Libraries = append([]Component(nil), p.Libraries...)
	for i := range c.Libraries {
		c.Libraries[i] = mirrorDefault(c.Libraries[i], chosen)
	}
	return &c
}

// mirrorDefault is c asking for the newest stable release when the user
// did not choose its version.
func mirrorDefault(c Component, chosen func(string) bool) Component {
	if chosen(c.Name) || c.Custom() {
		return c
	}
	comp, err := source.Lookup(c.Name)
	if err != nil {
		return c
	}
	c.Constraint, c.Unasked = "latest", true
	if comp.HasStableLines() {
		c.Constraint = "stable"
	}
	return c
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
