package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
)

// MirrorStages resolve a plan (or take a lockfile's pins), download and
// verify everything, and copy it into a mirror directory.
func MirrorStages() []Stage {
	return []Stage{lockPinStage{}, versionsStage{}, resolveStage{}, dryRunStage{}, fetchStage{}, mirrorCopyStage{}}
}

// MirrorIndex is DIR/index.json: what the mirror holds.
type MirrorIndex struct {
	Updated time.Time    `json:"updated"`
	Files   []MirrorFile `json:"files"`
}

// MirrorFile is one tarball of the mirror.
type MirrorFile struct {
	Path     string   `json:"path"`
	SHA256   string   `json:"sha256"`
	Verified []string `json:"verified"`
}

// mirrorCopyStage copies the verified tarballs, with the signatures and
// checksums published beside them, into Plan.MirrorDir in the mirror
// layout. A tarball with no published checksum gets a .sha256 of what was
// verified here, so builds from the mirror can check it. Files already
// there with the same content are left alone.
type mirrorCopyStage struct{}

func (mirrorCopyStage) Name() string { return "populate mirror" }

func (mirrorCopyStage) Run(ctx context.Context, s *State) error {
	root := s.Plan.MirrorDir
	idxPath := filepath.Join(root, "index.json")
	idx := readMirrorIndex(idxPath)
	added := 0
	for _, r := range s.Fetched {
		a := r.Artifact
		dir := filepath.Join(root, a.Component)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
		name := a.FileName
		if !strings.HasPrefix(name, a.Component+"-"+a.Version+".tar.") {
			// The layout wants <component>-<version>.<ext>.
			name = a.Component + "-" + a.Version + tarExt(name)
		}
		dst := filepath.Join(dir, name)
		if sum, err := fetch.FileSHA256(dst); err == nil && sum == r.SHA256 {
			s.Env.IO.Debugf("mirror: %s already there", dst)
		} else {
			if err := copyFile(r.Path, dst); err != nil {
				return fmt.Errorf("mirror %s: %w", dst, err)
			}
			os.Chmod(dst, 0o644)
			added++
			s.Env.IO.Infof("mirrored %s", dst)
		}
		if a.SignatureURL != "" {
			if sig, err := os.ReadFile(r.Path + ".sig"); err == nil {
				ext := path.Ext(a.SignatureURL)
				if err := writeIfChanged(dst+ext, sig); err != nil {
					return err
				}
			}
		}
		if err := writeIfChanged(dst+".sha256", []byte(r.SHA256+"  "+name+"\n")); err != nil {
			return err
		}
		verified := []string{}
		for _, c := range r.Verification.Checks {
			verified = append(verified, c.Detail)
		}
		idx = upsertMirrorFile(idx, MirrorFile{Path: a.Component + "/" + name, SHA256: r.SHA256, Verified: verified})
	}
	idx.Updated = time.Now().UTC()
	b, err := marshalJSON(idx)
	if err != nil {
		return err
	}
	if err := writeIfChanged(idxPath, b); err != nil {
		return err
	}
	s.Env.IO.Infof("mirror %s: %d file(s) added, %d already there; build from it with --mirror %s", root, added, len(s.Fetched)-added, root)
	return nil
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

func readMirrorIndex(p string) MirrorIndex {
	var idx MirrorIndex
	if b, err := os.ReadFile(p); err == nil {
		_ = json.Unmarshal(b, &idx) // a damaged index is rebuilt from what is copied now
	}
	return idx
}

func upsertMirrorFile(idx MirrorIndex, f MirrorFile) MirrorIndex {
	for i := range idx.Files {
		if idx.Files[i].Path == f.Path {
			idx.Files[i] = f
			return idx
		}
	}
	idx.Files = append(idx.Files, f)
	sort.Slice(idx.Files, func(i, j int) bool { return idx.Files[i].Path < idx.Files[j].Path })
	return idx
}

func writeIfChanged(p string, data []byte) error {
	if old, err := os.ReadFile(p); err == nil && string(old) == string(data) {
		return nil
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	return os.Rename(tmp, p)
}
