package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/modules"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/source"
)

// mirrorCopyStage copies the verified tarballs, with the signatures and
// checksums published beside them, into Plan.MirrorDir in the mirror
// layout, and the modules under modules/<name>/: tarballs (Debian's orig
// tarballs included) as they are, git repositories as bundles. A file
// without a published checksum gets a .sha256 of what was verified here,
// so builds from the mirror can check it; index.json says which files
// nothing upstream verified, whose .sha256 is then only the mirror's own. Files already there with the
// same content are left alone. The pinned keys that verified the
// tarballs go to keys/<component>/ (see mirrorKey).
type mirrorCopyStage struct{}

func (mirrorCopyStage) Name() string { return "populate mirror" }

func (mirrorCopyStage) Run(ctx context.Context, s *State) error {
	root := s.Mode.MirrorDir
	idxPath := filepath.Join(root, "index.json")
	old := mirrorindex.Read(idxPath)
	idx := old
	idx.Files = append([]pin.Component(nil), old.Files...)
	idx.Modules = append([]pin.Module(nil), old.Modules...)
	idx.Keys = append([]mirrorindex.Key(nil), old.Keys...)
	added, total := 0, 0
	for _, r := range s.Fetched.Components {
		a := r.Artifact
		name := a.FileName
		if !strings.HasPrefix(name, a.Component+"-"+a.Version+".tar.") {
			// The layout wants <component>-<version>.<ext>.
			name = a.Component + "-" + a.Version + tarExt(name)
		}
		rel := a.Component + "/" + name
		n, err := mirrorTarball(s, r, root, rel)
		if err != nil {
			return err
		}
		added += n
		total++
		f := s.pinnedComponent(r)
		f.Path = rel
		// A mirror records every check, the lockfile's pins included.
		f.Verified = []string{}
		for _, c := range r.Verification.Checks {
			f.Verified = append(f.Verified, c.Detail)
		}
		// The .sha256 written beside it proves only that the file has
		// not changed since: builds from the mirror must know that.
		f.UnverifiedUpstream = !r.Verification.Vouched()
		idx = idx.UpsertFile(f)
		k, ok, err := mirrorKey(s, r, root)
		if err != nil {
			return err
		}
		if ok {
			idx = idx.UpsertKey(k)
		}
	}
	for _, m := range s.Plan.Modules {
		r, ok := s.Fetched.Modules[m.Name]
		if !ok {
			continue
		}
		rel := "modules/" + m.Name + "/" + r.Artifact.FileName
		n, err := mirrorTarball(s, r, root, rel)
		if err != nil {
			return err
		}
		added += n
		total++
		mm := pin.Module{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Path: rel, SHA256: r.SHA256}
		if m.Form == module3rd.FormDebian {
			mm.Version = r.Artifact.Version
		}
		idx = idx.UpsertModule(mm)
	}
	for _, m := range s.Plan.Trees() {
		switch m.Form {
		case module3rd.FormGit:
		case module3rd.FormHg:
			s.Env.IO.Warnf("module %s: hg modules are not mirrored (no bundles for mercurial); a build from the mirror fetches it from %s", m.Name, m.URL)
			continue
		default:
			continue
		}
		mm, n, err := mirrorBundle(ctx, s, m, root)
		if err != nil {
			return err
		}
		added += n
		total++
		idx = idx.UpsertModule(mm)
	}
	if !mirrorindex.Same(old, idx) || old.Updated.IsZero() {
		idx.Updated = s.Env.now().UTC()
		b, err := jsonfile.Marshal(idx)
		if err != nil {
			return err
		}
		if err := writeIfChanged(idxPath, b); err != nil {
			return err
		}
	}
	s.Env.IO.Infof("mirror %s: %d file(s) added, %d already there; build from it with --mirror %s", root, added, total-added, root)
	return nil
}

// mirrorTarball copies a verified tarball to root/rel with its signature
// and a .sha256; it returns 1 when the tarball was new or changed.
func mirrorTarball(s *State, r fetch.Result, root, rel string) (int, error) {
	dst := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("mirror: %w", err)
	}
	added := 0
	if sum, err := fetch.FileSHA256(dst); err == nil && sum == r.SHA256 {
		s.Env.IO.Debugf("mirror: %s already there", dst)
	} else {
		if err := atomicfile.Copy(r.Path, dst, 0o644); err != nil {
			return 0, fmt.Errorf("mirror %s: %w", dst, err)
		}
		os.Chmod(dst, 0o644)
		added = 1
		s.Env.IO.Infof("mirrored %s", dst)
	}
	if a := r.Artifact; a.SignatureURL != "" && r.SignaturePath != "" {
		if sig, err := os.ReadFile(r.SignaturePath); err == nil {
			if err := writeIfChanged(dst+path.Ext(a.SignatureURL), sig); err != nil {
				return added, err
			}
		}
	}
	if err := writeIfChanged(dst+".sha256", []byte(r.SHA256+"  "+path.Base(rel)+"\n")); err != nil {
		return added, err
	}
	return added, nil
}

// mirrorKey writes the key that verified r's signature to
// keys/<component>/<FINGERPRINT>.asc, so that builds from the mirror
// verify without a network, and returns its index entry. Only a key
// pinned for the component is carried, whether it is built in, was
// fetched, or is the user's --keyring copy of a pinned key: a build from
// the mirror accepts nothing else from it (a mirror is trusted no more
// than upstream), so the user's own keys stay with the user, who passes
// them with --keyring there too.
func mirrorKey(s *State, r fetch.Result, root string) (mirrorindex.Key, bool, error) {
	v, comp := r.Verification, r.Artifact.Component
	if v.Signer == nil || len(v.SignerKey) == 0 {
		return mirrorindex.Key{}, false, nil
	}
	pk, ok := s.Env.KeyPins.Pinned(comp, v.Signer.Fingerprint)
	if !ok {
		return mirrorindex.Key{}, false, nil
	}
	rel := source.KeyPath(comp, pk.Fingerprint)
	dst := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return mirrorindex.Key{}, false, fmt.Errorf("mirror: %w", err)
	}
	changed, err := atomicfile.WriteIfChanged(dst, v.SignerKey, 0o644)
	if err != nil {
		return mirrorindex.Key{}, false, fmt.Errorf("mirror: %w", err)
	}
	if changed {
		s.Env.IO.Infof("mirrored %s (%s)", dst, pk.Name)
	}
	sum := sha256.Sum256(v.SignerKey)
	return mirrorindex.Key{Component: comp, Fingerprint: pk.Fingerprint, Path: rel, SHA256: hex.EncodeToString(sum[:])}, true, nil
}

// mirrorBundle writes a git bundle of every branch and tag of the module's
// repository to modules/<name>/<name>.bundle, with its .sha256; it
// returns the index entry and 1 when the bundle was new or changed.
func mirrorBundle(ctx context.Context, s *State, m module3rd.Module, root string) (pin.Module, int, error) {
	commit := s.Resolved.Commits[m.Name]
	rel := "modules/" + m.Name + "/" + m.Name + ".bundle"
	dst := filepath.Join(root, filepath.FromSlash(rel))
	mm := pin.Module{Name: m.Name, Form: module3rd.FormGit, URL: m.URL, Rev: m.Rev, Commit: commit, Path: rel}
	fail := func(err error) (pin.Module, int, error) {
		return mm, 0, fmt.Errorf("%smodule %s: bundle %s: %w", modules.Pos(m), m.Name, m.URL, err)
	}
	written, err := s.moduleCache().WriteBundle(ctx, m, commit, dst)
	if err != nil {
		return fail(err)
	}
	added := 0
	if written {
		added = 1
		s.Env.IO.Infof("mirrored %s (module %s at %s)", dst, m.Name, modules.Short(commit))
	}
	sum, err := fetch.FileSHA256(dst)
	if err != nil {
		return fail(err)
	}
	mm.SHA256 = sum
	if err := writeIfChanged(dst+".sha256", []byte(sum+"  "+path.Base(rel)+"\n")); err != nil {
		return mm, added, err
	}
	return mm, added, nil
}

func tarExt(name string) string {
	for _, ext := range []string{".tar.gz", ".tar.xz", ".tar.bz2"} {
		if strings.HasSuffix(name, ext) {
			return ext
		}
	}
	if strings.HasSuffix(name, ".tgz") {
		return ".tar.gz"
	}
	return path.Ext(name)
}

func writeIfChanged(p string, data []byte) error {
	if _, err := atomicfile.WriteIfChanged(p, data, 0o644); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	return nil
}
