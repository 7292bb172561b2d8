package plan

import (
	"errors"
	"os"
	"strings"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
)

// The constructors below build a Plan from another source than flags;
// the command layer builds one from flags. Each returns a new Plan: a
// Plan given to them is not changed.

// ErrNoTarballs is WithLockfile's error for a lockfile that pins only git
// trees: which of them is the server, the lockfile does not say.
var ErrNoTarballs = errors.New("the lockfile pins no tarballs, only git trees")

// WithLockfile is base made to build exactly what l pins, whatever the
// flags said: its components (custom tarballs by their URL) and its
// modules (git sources of custom components among them), with any
// difference from the pins fatal (Locked).
func WithLockfile(base *Plan, l *lockfile.File) (*Plan, error) {
	p := *base
	var comps []Component
	for _, c := range l.Components {
		comp := Component{Name: c.Name, Constraint: c.Constraint}
		if _, err := source.Lookup(c.Name); err != nil {
			// A custom component (-customnginx/-customssl tarball).
			comp.CustomURL = c.URL
		}
		comps = append(comps, comp)
	}
	if len(comps) == 0 {
		return nil, ErrNoTarballs
	}
	p.Server, p.Libraries = comps[0], comps[1:]
	p.GitSources, p.Modules = nil, nil
	for _, m := range l.Modules {
		if m.Form == module3rd.FormLocal {
			continue // a directory on the machine that built it: nothing to copy
		}
		p.Modules = append(p.Modules, module3rd.Module{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Dynamic: m.Dynamic})
	}
	p.Locked = true
	return &p, nil
}

// ForBinary is base made to build dynamic modules for an nginx that
// exists, as its nginx -V describes it: the same server and version,
// configured with the arguments that shape its module interface (see
// CompatibleArgs), every module dynamic, --with-compat left as the
// binary has it, and no lockfile (the binary pins the build). dropped are
// the arguments left out.
func ForBinary(base *Plan, info configure.VersionInfo) (p *Plan, dropped []string) {
	c := *base
	args, dropped := CompatibleArgs(info.ConfigureArgs)
	c.Server, c.Libraries, c.GitSources = Component{Name: info.Name, Constraint: info.Version}, nil, nil
	c.ExtraArgs, c.KeepCompat, c.Lockfile = args, true, ""
	c.Modules = nil
	for _, m := range base.Modules {
		m.Dynamic = true
		c.Modules = append(c.Modules, m)
	}
	return &c, dropped
}

// CompatibleArgs keeps the configure arguments that shape a binary's
// module interface and drops what cannot or need not be repeated: the
// modules it was built with (their sources are not here, or they need
// libraries that new modules do not) and static library paths that do not
// exist on this machine.
func CompatibleArgs(args []string) (keep, dropped []string) {
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--add-module="), strings.HasPrefix(a, "--add-dynamic-module="):
			dropped = append(dropped, a)
		case strings.HasPrefix(a, "--with-") && strings.HasSuffix(a, "_module=dynamic"):
			// nginx's own optional dynamic modules (geoip, image_filter,
			// perl, xslt…) need their libraries installed but are not part
			// of the interface new modules are built against.
			dropped = append(dropped, a)
		case strings.HasPrefix(a, "--with-openssl="), strings.HasPrefix(a, "--with-pcre="), strings.HasPrefix(a, "--with-zlib="):
			if _, err := os.Stat(a[strings.Index(a, "=")+1:]); err != nil {
				dropped = append(dropped, a)
				continue
			}
			keep = append(keep, a)
		default:
			keep = append(keep, a)
		}
	}
	return keep, dropped
}
