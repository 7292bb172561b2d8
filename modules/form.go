package modules

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
)

// Form is how one form of module (modules.json's "form") is pinned,
// brought into the cache and put beside the nginx tree.
type Form interface {
	// Pin resolves the module's rev to what the build uses: a git commit,
	// an hg changeset, or "" for forms that are pinned by content.
	Pin(ctx context.Context, c Cache, m module3rd.Module) (string, error)
	// Fetch brings a pinned repository into the cache; tarball forms are
	// downloaded with the component tarballs instead and do nothing here.
	Fetch(ctx context.Context, c Cache, m module3rd.Module, commit string) error
	// Provision puts the module's tree in place (p.Dir, or the module's
	// own directory for a local one) and returns the tree and the commit
	// it is at ("" for forms without one).
	Provision(ctx context.Context, c Cache, m module3rd.Module, p Provision) (dir, commit string, err error)
}

// Provision is what putting one module in place needs.
type Provision struct {
	// Dir is ../<name> beside the nginx tree; Log the module's log file.
	Dir, Log string
	// Commit is the pinned commit ("" = what rev names now).
	Commit string
	// Tarball is the fetched tarball of a tarball or debian module, and
	// Extract unpacks it into Dir (with the build's limits).
	Tarball string
	Extract func(ctx context.Context, tarball, dir string) error
}

// For returns the implementation of a form.
func For(form string) (Form, error) {
	switch form {
	case module3rd.FormGit:
		return gitForm{}, nil
	case module3rd.FormHg:
		return hgForm{}, nil
	case module3rd.FormLocal:
		return localForm{}, nil
	case module3rd.FormTarball, module3rd.FormDebian:
		return tarballForm{}, nil
	}
	return nil, fmt.Errorf("unknown module form %q", form)
}

// IsRepository reports whether modules of form are pinned to a commit and
// cloned from the cache.
func IsRepository(form string) bool { return form == module3rd.FormGit || form == module3rd.FormHg }

// IsTarball reports whether modules of form are downloaded as tarballs
// with the components.
func IsTarball(form string) bool {
	return form == module3rd.FormTarball || form == module3rd.FormDebian
}

type gitForm struct{}

// Pin asks the repository which commit rev names (git ls-remote, no clone
// needed); a full commit id is taken as is, and an abbreviated one is
// looked up in the cache's clone.
func (gitForm) Pin(ctx context.Context, c Cache, m module3rd.Module) (string, error) {
	if FullCommit.MatchString(m.Rev) {
		return m.Rev, nil
	}
	rev := m.Rev
	if rev == "" {
		rev = "HEAD"
	}
	commit, err := LsRemote(ctx, m, rev)
	if err != nil {
		return "", err
	}
	if commit == "" && CommitLike.MatchString(m.Rev) {
		if commit, err = c.GitCommitInCache(ctx, m); err != nil {
			return "", err
		}
	}
	if commit == "" {
		return "", fmt.Errorf("%smodule %s: rev %q does not exist in %s", Pos(m), m.Name, m.Rev, m.URL)
	}
	return commit, nil
}

func (gitForm) Fetch(ctx context.Context, c Cache, m module3rd.Module, commit string) error {
	return c.FetchGit(ctx, m, commit)
}

func (gitForm) Provision(ctx context.Context, c Cache, m module3rd.Module, p Provision) (string, string, error) {
	commit, err := c.CheckoutGit(ctx, m, p.Commit, p.Dir, p.Log)
	return p.Dir, commit, err
}

type hgForm struct{}

func (hgForm) Pin(ctx context.Context, c Cache, m module3rd.Module) (string, error) {
	return HgIdentify(ctx, m)
}

func (hgForm) Fetch(ctx context.Context, c Cache, m module3rd.Module, node string) error {
	return c.FetchHg(ctx, m, node)
}

func (hgForm) Provision(ctx context.Context, c Cache, m module3rd.Module, p Provision) (string, string, error) {
	node, err := c.CheckoutHg(ctx, m, p.Commit, p.Dir, p.Log)
	return p.Dir, node, err
}

// localForm is a directory on this machine, used in place.
type localForm struct{}

func (localForm) Pin(context.Context, Cache, module3rd.Module) (string, error) { return "", nil }

func (localForm) Fetch(context.Context, Cache, module3rd.Module, string) error { return nil }

func (localForm) Provision(ctx context.Context, c Cache, m module3rd.Module, p Provision) (string, string, error) {
	fi, err := os.Stat(m.URL)
	if err != nil || !fi.IsDir() {
		return "", "", fmt.Errorf("module %s: local directory %s not found", m.Name, m.URL)
	}
	return m.URL, "", nil
}

// tarballForm is a tarball module (a URL or a path) or a debian one (the
// orig tarball of a Debian source package): pinned by its content.
type tarballForm struct{}

func (tarballForm) Pin(context.Context, Cache, module3rd.Module) (string, error) { return "", nil }

func (tarballForm) Fetch(context.Context, Cache, module3rd.Module, string) error { return nil }

func (tarballForm) Provision(ctx context.Context, c Cache, m module3rd.Module, p Provision) (string, string, error) {
	if p.Tarball == "" {
		return "", "", fmt.Errorf("module %s: tarball was not fetched", m.Name)
	}
	if err := p.Extract(ctx, p.Tarball, p.Dir); err != nil {
		return "", "", err
	}
	return p.Dir, "", nil
}

// TarballArtifact describes a "tarball" module as a download: a URL, or a
// path that is turned into a file:// URL. The cache knows a local file by
// its content, which may change under the same path, and a URL with a
// checksum by both: a new checksum fetches again.
func TarballArtifact(m module3rd.Module) (source.Artifact, error) {
	u := TarballURL(m)
	pu, err := url.Parse(u)
	if err != nil {
		return source.Artifact{}, fmt.Errorf("module %s: url %q: %w", m.Name, m.URL, err)
	}
	sum, err := m.SHA256()
	if err != nil {
		return source.Artifact{}, fmt.Errorf("module %s: %w", m.Name, err)
	}
	a := source.Artifact{
		Component: "module-" + m.Name, FileName: path.Base(pu.Path), URLs: []string{u},
		PinnedSHA256: sum, PinnedBy: "modules.json",
	}
	if sum != "" {
		a.CacheKey = u + "#sha256:" + sum
	}
	local, err := LocalTarballSHA256(m)
	if err != nil {
		return source.Artifact{}, err
	}
	if local != "" {
		a.CacheKey = "sha256:" + local
	}
	return a, nil
}

// TarballURL is a tarball module's own address (a path becomes a file://
// URL).
func TarballURL(m module3rd.Module) string {
	if strings.Contains(m.URL, "://") {
		return m.URL
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(m.URL)}).String()
}

// LocalTarballSHA256 is the sha256 of a "tarball" module given as a local
// path (or file:// URL), "" for other modules.
func LocalTarballSHA256(m module3rd.Module) (string, error) {
	if m.Form != module3rd.FormTarball {
		return "", nil
	}
	p := m.URL
	if strings.Contains(p, "://") {
		pu, err := url.Parse(p)
		if err != nil || pu.Scheme != "file" {
			return "", nil
		}
		p = filepath.FromSlash(pu.Path)
	}
	sum, err := fetch.FileSHA256(p)
	if err != nil {
		return "", fmt.Errorf("%smodule %s: %w", Pos(m), m.Name, err)
	}
	return sum, nil
}
