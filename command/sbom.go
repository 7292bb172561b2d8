package command

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/sbom"
)

// sbomRequest is a checked --sbom: where to write, and how.
type sbomRequest struct {
	path string // absolute
	opt  sbom.Options
}

// checkSBOM validates --sbom before anything is built, so that a typo in
// the path or a bad SOURCE_DATE_EPOCH does not cost a whole build.
func checkSBOM(file string, pf *planFlags, bf *buildFlags, fa *Factory) (*sbomRequest, error) {
	if file == "" {
		return nil, nil
	}
	switch {
	case pf.dryRun:
		return nil, usagef("--sbom describes a built binary; --dry-run builds none")
	case bf.configureOnly:
		return nil, usagef("--sbom describes a built binary; -configureonly builds none")
	}
	abs, err := fa.abs(file)
	if err != nil {
		return nil, usagef("--sbom %s: %v", file, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, usagef("--sbom %s: is a directory; give a file name", file)
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return nil, usagef("--sbom %s: directory %s does not exist", file, filepath.Dir(abs))
	}
	req := &sbomRequest{path: abs}
	// https://reproducible-builds.org/specs/source-date-epoch/: a
	// malformed value is an error, not something to ignore.
	t, set, err := fa.sourceDate()
	if err != nil {
		return nil, usagef("%v (used for --sbom's timestamp)", err)
	}
	if set {
		req.opt = sbom.Options{Timestamp: t, Reproducible: true}
	}
	return req, nil
}

// write describes the build in buildDir, from its build record, whether it
// was built just now or found up to date.
func (r *sbomRequest) write(io *iostreams.IO, buildDir string) error {
	rec, err := record.Read(buildDir)
	if err != nil {
		return fmt.Errorf("--sbom %s: %w", r.path, err)
	}
	// The SBOM states the binary's sha256 from the record: a binary
	// changed since (stripped, rebuilt by hand) would make that a lie.
	sum, err := fetch.FileSHA256(rec.Binary)
	if err != nil {
		return fmt.Errorf("--sbom %s: hash the binary: %w", r.path, err)
	}
	if sum != rec.BinarySHA256 {
		return fmt.Errorf("--sbom %s: %s has changed since it was built (sha256 %s, the build record says %s); rebuild with -clear",
			r.path, rec.Binary, sum, rec.BinarySHA256)
	}
	bom, err := sbom.New(rec, r.opt)
	if err != nil {
		return fmt.Errorf("--sbom %s: %w", r.path, err)
	}
	var buf bytes.Buffer
	if err := sbom.Encode(&buf, bom); err != nil {
		return fmt.Errorf("--sbom %s: %w", r.path, err)
	}
	// Written beside the target and renamed: a reader never sees half an
	// SBOM and a failed write leaves the previous one.
	if err := atomicfile.Write(r.path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write SBOM %s: %w", r.path, err)
	}
	io.Infof("SBOM (CycloneDX %s): %s", sbom.SpecVersion, r.path)
	return nil
}
