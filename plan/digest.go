package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/modules"
)

// inputDigest hashes everything that decides the build's result: versions,
// configure script, options, modules, patch contents, and the verification
// policy and extra keys the tarballs are checked with. Jobs, verbosity
// and the mirror do not change the result and are left out.
func inputDigest(r *Resolved, toolVersion string) (string, error) {
	p := r.Plan
	h := sha256.New()
	w := func(parts ...string) {
		for _, s := range parts {
			fmt.Fprintf(h, "%d:%s\n", len(s), s)
		}
	}
	w("nginx-build", toolVersion)
	for _, c := range r.Components {
		w("component", c.Name, c.Version)
		if c.CustomURL != "" {
			// A custom tarball is "custom" (or its tag) whatever its URL,
			// and always built in <name>-custom: another URL is another build.
			w("custom url", c.CustomURL)
		}
	}
	w("script", p.ConfigureScript)
	w(append([]string{"args"}, p.ExtraArgs...)...)
	w("modules", p.ModulesFile)
	for _, g := range p.GitSources {
		w("git source", g.Name, g.URL, r.Commits[g.Name])
	}
	for _, m := range p.Modules {
		// A git rev is a name (branch, tag) whose commit may move: what
		// counts is the commit it resolves to now (or the locked one).
		w("module commit", m.Name, r.Commits[m.Name])
		if m.Form == module3rd.FormLocal {
			sum, err := treeDigest(m.URL)
			if err != nil {
				return "", fmt.Errorf("module %s: %w", m.Name, err)
			}
			w("local module", m.Name, sum)
		}
		if sum, err := modules.LocalTarballSHA256(m); err != nil || sum != "" {
			if err != nil {
				return "", err
			}
			w("local tarball", m.Name, sum) // it may change under the same path
		}
	}
	w(append([]string{"patch-opt"}, p.PatchOpt...)...)
	for _, pt := range p.Patches {
		b, err := os.ReadFile(pt.Path)
		if err != nil {
			return "", fmt.Errorf("read patch: %w", err)
		}
		w("patch", pt.Target, string(b))
	}
	w("configure-only", fmt.Sprint(p.ConfigureOnly))
	if p.OpenSSLDir != "" {
		w("openssldir", p.OpenSSLDir)
	}
	// How the tarballs were verified is part of the result: a binary built
	// under --verify off is not what --verify strict (or another --keyring)
	// asks for.
	policy := string(p.Verify)
	if policy == "" {
		policy = string(fetch.PolicyAuto)
	}
	var keys []string
	for _, e := range p.ExtraKeys {
		keys = append(keys, hex.EncodeToString(e.PrimaryKey.Fingerprint))
	}
	for name, list := range p.ComponentKeys {
		for _, e := range list {
			keys = append(keys, name+"="+hex.EncodeToString(e.PrimaryKey.Fingerprint))
		}
	}
	slices.Sort(keys)
	w("verify", policy)
	w(append([]string{"keyring"}, slices.Compact(keys)...)...)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// treeDigest summarizes a local module's tree by names, sizes and mtimes:
// editing a file there must trigger a rebuild.
func treeDigest(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
