package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// The cache stores each tarball once, by content: sha256/<sum>/<file>,
// the file keeping the name it was first fetched under (extraction tells
// formats apart by extension). The slots, tarballs/<component>/<url key>/,
// are the index from URLs to contents: each holds the record of what its
// URL gave (<file>.verified: the sha256, how it was verified and the URL),
// the checksum and signature published beside it, and partial downloads.
// Two mirrors, or a mirror and upstream, naming the same tarball share one
// stored file, and a tarball whose sha256 is known before it is fetched (a
// pin, a built-in checksum) is never downloaded again once stored.

// blobRoot is the cache's directory of stored tarballs, by sha256.
const blobRoot = "sha256"

// blobDir is where the tarball of sum is stored.
func blobDir(cacheDir, sum string) string {
	return filepath.Join(cacheDir, blobRoot, strings.ToLower(sum))
}

// blobFile is the stored tarball in a blob directory, "" when there is
// none: the one file whose name does not start with a dot (the lock).
func blobFile(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

// expectedSHA256 is the sha256 a's tarball must have, when that is known
// before it is downloaded: a lockfile pin, a pin carried by the artifact
// (Debian's Sources, modules.json, a mirror's index.json) or a built-in
// checksum. "" when only the download can tell.
func (f *Fetcher) expectedSHA256(a source.Artifact) string {
	for _, s := range []string{f.Trust.Pins[PinKey(a.Component, a.Version)], a.PinnedSHA256} {
		if hexDigest.MatchString(s) {
			return strings.ToLower(s)
		}
	}
	if k, ok := verify.KnownChecksum(a.Component, a.FileName); ok && k.Algo == "sha256" && hexDigest.MatchString(k.Hex) {
		return strings.ToLower(k.Hex)
	}
	return ""
}

// findBlob returns the stored tarball of sum, re-hashed under its lock so
// that a damaged one is never used: that one is removed, and said so.
func (f *Fetcher) findBlob(ctx context.Context, sum string) (string, bool, error) {
	dir := blobDir(f.CacheDir, sum)
	if blobFile(dir) == "" {
		return "", false, nil
	}
	unlock, err := lockSlot(ctx, dir, nil)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	p := blobFile(dir)
	if p == "" {
		return "", false, nil // removed meanwhile by `cache clean`
	}
	got, err := FileSHA256(p)
	if err != nil {
		return "", false, err
	}
	if got != strings.ToLower(sum) {
		f.IO.Warnf("cached %s is damaged (sha256 %s, stored as %s); downloading it again", p, got, sum)
		os.Remove(p)
		return "", false, nil
	}
	return p, true, nil
}

// storeBlob moves a verified download (or an old-layout tarball) into the
// store under its sha256, by rename, so that it appears complete or not
// at all. When the store has it already (another URL brought the same
// file meanwhile) that copy is kept and tmp removed. It returns the path.
func storeBlob(ctx context.Context, cacheDir, tmp, sum, name string) (string, error) {
	dir := blobDir(cacheDir, sum)
	unlock, err := lockSlot(ctx, dir, nil)
	if err != nil {
		return "", err
	}
	defer unlock()
	if have := blobFile(dir); have != "" {
		if got, err := FileSHA256(have); err == nil && got == strings.ToLower(sum) {
			os.Remove(tmp)
			return have, nil
		}
		os.Remove(have) // damaged: replaced by the verified download
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("store %s in the cache: %w", name, err)
	}
	return final, nil
}

// slotRecord reads the record a URL's slot keeps (index is the slot's
// path for the file, the record index+".verified"). A cache of the old
// layout kept the tarball itself there, beside its record: it is moved
// into the store when it still matches the record, else dropped, so an
// old cache keeps working and nothing is downloaded again for it.
func slotRecord(ctx context.Context, cacheDir, index string) (record, bool) {
	rec, err := readRecord(index)
	if err != nil {
		os.Remove(index) // an old-layout tarball without its record: never complete
		return record{}, false
	}
	if _, err := os.Stat(index); err == nil {
		got, err := FileSHA256(index)
		if err != nil || got != rec.SHA256 {
			os.Remove(index)
		} else if _, err := storeBlob(ctx, cacheDir, index, got, filepath.Base(index)); err != nil {
			os.Remove(index)
		}
	}
	return rec, true
}

// slotRecords reads every URL record in the slots, by the sha256 each
// leads to, with the component (the slot's directory) it was fetched as.
func slotRecords(cacheDir string) (map[string][]CacheSource, error) {
	slots, err := cacheSlots(cacheDir)
	if err != nil {
		return nil, err
	}
	out := map[string][]CacheSource{}
	for _, slot := range slots {
		recs, _ := filepath.Glob(filepath.Join(slot, "*"+recordSuffix))
		for _, p := range recs {
			rec, err := readRecord(strings.TrimSuffix(p, recordSuffix))
			if err != nil {
				continue
			}
			sum := strings.ToLower(rec.SHA256)
			out[sum] = append(out[sum], CacheSource{
				Component: filepath.Base(filepath.Dir(slot)), URL: rec.URL,
				Name: filepath.Base(strings.TrimSuffix(p, recordSuffix)), Verified: rec.Verified,
				index: strings.TrimSuffix(p, recordSuffix),
			})
		}
	}
	return out, nil
}

// blobDirs lists the directories of stored tarballs.
func blobDirs(cacheDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(cacheDir, blobRoot))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list cache %s: %w", cacheDir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && hexDigest.MatchString(e.Name()) {
			out = append(out, filepath.Join(cacheDir, blobRoot, e.Name()))
		}
	}
	return out, nil
}
