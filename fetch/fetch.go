package fetch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	getter "github.com/hashicorp/go-getter/v2"
	"golang.org/x/sync/errgroup"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/internal/safe"
	"github.com/nginx-build/nginx-build/source"
)

// Fetcher downloads artifacts into CacheDir and verifies them by Trust.
type Fetcher struct {
	CacheDir string
	HTTP     *http.Client
	IO       *iostreams.IO
	Trust    Trust
}

// Result is a tarball available in the cache.
type Result struct {
	Artifact source.Artifact
	// Path is the verified tarball in the cache.
	Path   string
	SHA256 string
	// Verified says how the tarball was checked, e.g. "sha256 from
	// https://…/openssl-3.0.20.tar.gz.sha256", or "" when nothing was
	// published to check it against.
	Verified string
	// Verification is every check the tarball passed, and its signer.
	Verification Verification
	// SignaturePath is the cached signature the tarball was checked
	// against (in the slot of its URL), "" when there was none.
	SignaturePath string
	// index is the slot's name for the file (see fetch): Evict removes
	// its record.
	index string
	// Cached is true when no download was needed.
	Cached bool
	Size   int64
	// Unverified is true when there was nothing to verify the tarball
	// against (Verification.Unverified).
	Unverified bool
	// WarnedBefore is true for an unverified tarball whose full warning an
	// earlier run gave (the cache records it): this run names it only in
	// FetchAll's one-line summary.
	WarnedBefore bool
}

// record is what the cache keeps beside a tarball once it is verified; its
// presence is what marks the tarball as complete.
type record struct {
	SHA256   string
	Verified string
	// WarnedUnverified says that the tarball's "nothing to verify"
	// warning was given in full, so later runs give only a summary.
	WarnedUnverified bool
	// URL is where the record's slot fetched the tarball from: together
	// with Verified, how and through which URL it was verified.
	URL string
}

// FetchAll fetches every artifact concurrently. The first failure cancels the
// others and is returned; results are in the order of arts.
func (f *Fetcher) FetchAll(ctx context.Context, arts []source.Artifact) ([]Result, error) {
	removeStaleParts(f.CacheDir, time.Now())
	prog := startDownloads(ctx, f.IO)
	defer prog.finish()
	results := make([]Result, len(arts))
	g, gctx := errgroup.WithContext(ctx)
	for i, a := range arts {
		g.Go(func() error {
			return safe.Do("fetching "+a.Component+" "+a.Version, func() error {
				r, err := f.fetch(gctx, a, prog)
				if err != nil {
					return err
				}
				results[i] = r
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if line := unverifiedSummary(results); line != "" {
		f.IO.Warnf("%s", line)
	}
	return results, nil
}

// unverifiedSummary is one line naming the unverified tarballs whose full
// warning earlier runs gave, or "": repeating that paragraph on every
// run buries what is new, saying nothing would hide that they still are.
func unverifiedSummary(results []Result) string {
	var names []string
	for _, r := range results {
		if r.WarnedBefore {
			names = append(names, strings.TrimSpace(r.Artifact.Component+" "+r.Artifact.Version))
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("1 tarball unverified (%s): nothing to check it against, as said when it was first fetched (--verify strict refuses it)", names[0])
	}
	return fmt.Sprintf("%d tarballs unverified (%s): nothing to check them against, as said when they were first fetched (--verify strict refuses them)", len(names), strings.Join(names, ", "))
}

// slot is the directory of a's URL in the index from URLs to stored
// tarballs (see store.go): its record, sidecars, partial downloads, lock.
func (f *Fetcher) slot(a source.Artifact) string {
	key := a.URLs[0]
	if a.CacheKey != "" {
		key = a.CacheKey
	}
	return filepath.Join(f.CacheDir, "tarballs", a.Component, URLKey(key))
}

// fetch makes a's tarball available in the store. The slot of its URL is
// locked throughout; the tarball is looked up by the sha256 known before
// downloading, else by the one its URL gave last time, and downloaded only
// when the store has neither.
func (f *Fetcher) fetch(ctx context.Context, a source.Artifact, prog *downloads) (Result, error) {
	what := a.Component + " " + a.Version
	if len(a.URLs) == 0 {
		return Result{}, fmt.Errorf("fetch %s: no download URL", what)
	}
	dir := f.slot(a)
	// index is the slot's name for the file: its record, sidecars and (in
	// caches of the old layout) the tarball itself are named after it.
	index := filepath.Join(dir, a.FileName)
	unlock, err := lockSlot(ctx, dir, func() {
		f.IO.Infof("waiting for another nginx-build to finish downloading %s", a.FileName)
	})
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	defer unlock()
	rec, hasRec := slotRecord(ctx, f.CacheDir, index)
	path, got, side, err := f.find(ctx, a, index, rec, hasRec)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	cached := path != ""
	if !cached {
		tmp, err := f.download(ctx, a, dir, prog)
		if err != nil {
			return Result{}, fmt.Errorf("fetch %s: %w", what, err)
		}
		defer os.Remove(tmp) // no-op once moved into the store
		path = tmp
		if got, err = FileSHA256(path); err != nil {
			return Result{}, fmt.Errorf("fetch %s: %w", what, err)
		}
	}
	v, err := f.Trust.check(ctx, a, path, got, side)
	if err != nil {
		// Never keep, and so never extract, what failed verification; a
		// stored file found through this URL stays for the others that
		// vouch for it, but this URL no longer leads to it.
		if !cached {
			os.Remove(path)
		}
		os.Remove(index + recordSuffix)
		removeSidecars(index)
		return Result{}, err
	}
	// sameURL: this URL led to this very file before.
	sameURL := cached && hasRec && strings.EqualFold(rec.SHA256, got)
	warnedBefore := sameURL && rec.WarnedUnverified
	if v.Unverified() && !warnedBefore {
		f.IO.Warnf("%s", unverifiedWarning(a))
	}
	if !cached {
		if path, err = storeBlob(ctx, f.CacheDir, path, got, a.FileName); err != nil {
			return Result{}, fmt.Errorf("fetch %s: %w", what, err)
		}
	}
	// The record is written last: it is what leads this URL to the file.
	// A record that cannot be updated for a file it led to already only
	// means the warning is said again next time.
	now := record{SHA256: got, Verified: v.Summary(), WarnedUnverified: v.Unverified(), URL: a.URLs[0]}
	if now != rec || !hasRec {
		if err := writeRecord(index, now); err != nil && !sameURL {
			return Result{}, fmt.Errorf("fetch %s: %w", what, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	r := Result{Artifact: a, Path: path, index: index, SHA256: got, Verified: v.Summary(), Verification: v, Cached: cached, Size: fi.Size(),
		Unverified: v.Unverified(), WarnedBefore: v.Unverified() && warnedBefore}
	if side.signature != nil {
		r.SignaturePath = index + ".sig"
	}
	if cached {
		f.IO.Debugf("fetch %s: cached %s", what, path)
	} else {
		prog.done(what, r.Size)
	}
	return r, nil
}

// find looks a's tarball up in the store, before any download: by the
// sha256 known beforehand, else by the one its URL led to last time, else
// by the checksum published beside it. It returns the stored file and its
// sha256 (just checked), if found ("" if not), and the sidecars to verify
// it with.
func (f *Fetcher) find(ctx context.Context, a source.Artifact, index string, rec record, hasRec bool) (path, sum string, side sidecars, err error) {
	sum = f.expectedSHA256(a)
	if sum == "" && hasRec {
		sum = rec.SHA256
	}
	cached := false
	if sum != "" {
		if path, cached, err = f.findBlob(ctx, sum); err != nil {
			return "", "", side, err
		}
	}
	// A file found by its known sha256 through another URL (or one this
	// URL's record does not name) is checked against what is known,
	// without the network: this URL's sidecars, if any, are not its own.
	if cached && !(hasRec && strings.EqualFold(rec.SHA256, sum)) {
		return path, strings.ToLower(sum), side, nil
	}
	if side, err = f.sidecars(ctx, a, index); err != nil {
		return "", "", side, err
	}
	if !cached && side.sha256 != "" {
		// The published checksum names the file before it is downloaded.
		sum = side.sha256
		path, cached, err = f.findBlob(ctx, sum)
	}
	if err != nil || !cached {
		return "", "", side, err
	}
	return path, strings.ToLower(sum), side, nil
}

// sidecars returns the checksum file and signature published beside the
// tarball, from the cache when they were fetched before (so verification
// works offline), else downloaded and kept. Upstream's sidecars are
// guesses (not every upstream signs), so a 404 there means "none".
func (f *Fetcher) sidecars(ctx context.Context, a source.Artifact, final string) (sidecars, error) {
	var side sidecars
	if a.ChecksumURL != "" {
		b, err := f.sidecar(ctx, a.ChecksumURL, final+".sha256", a.SidecarsOptional)
		if err != nil {
			return side, fmt.Errorf("download checksum%s: %w", urlUnlessNamed(a.ChecksumURL, err), err)
		}
		if b != nil {
			sum, err := ParseSHA256File(string(b), a.FileName)
			if err != nil {
				os.Remove(final + ".sha256") // do not keep what cannot be used
				return side, fmt.Errorf("checksum %s: %w", a.ChecksumURL, err)
			}
			side.sha256, side.sha256URL = sum, a.ChecksumURL
		}
	}
	if a.SignatureURL != "" {
		b, err := f.sidecar(ctx, a.SignatureURL, final+".sig", a.SidecarsOptional)
		if err != nil {
			return side, fmt.Errorf("download signature%s: %w", urlUnlessNamed(a.SignatureURL, err), err)
		}
		side.signature, side.signatureURL = b, a.SignatureURL
	}
	return side, nil
}

// maxSidecarSize bounds checksum and signature files, which are tiny.
const maxSidecarSize = 1 << 20

func (f *Fetcher) sidecar(ctx context.Context, url, keep string, optional bool) ([]byte, error) {
	if b, err := os.ReadFile(keep); err == nil {
		return b, nil
	}
	if optional {
		if b, err := os.ReadFile(keep + ".absent"); err == nil && string(b) == url {
			return nil, nil
		}
	}
	tmp := tempName(filepath.Dir(keep), filepath.Base(keep))
	defer os.Remove(tmp)
	if err := f.get(ctx, url, tmp, nil, nil); err != nil {
		if optional && strings.Contains(err.Error(), "bad response code: 404") {
			_ = os.WriteFile(keep+".absent", []byte(url), 0o644)
			return nil, nil
		}
		return nil, err
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxSidecarSize {
		return nil, fmt.Errorf("%s is %d bytes, too large for a checksum or signature", url, fi.Size())
	}
	b, err := os.ReadFile(tmp)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, keep); err != nil {
		return nil, err
	}
	return b, nil
}

// Evict removes a cached tarball found bad after it was verified (an
// archive with unsafe entries, say): the record of the URL that led to it
// first, so that it is never trusted again, then the stored file, so that
// no other URL leads to it either, then the URL's sidecars.
func Evict(r Result) error {
	if r.index != "" {
		if err := os.Remove(r.index + recordSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(r.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if r.index != "" {
		removeSidecars(r.index)
	}
	return nil
}

func removeSidecars(final string) {
	for _, ext := range []string{".sha256", ".sig", ".sha256.absent", ".sig.absent"} {
		os.Remove(final + ext)
	}
}

// download tries each URL in turn into a partial file in dir and returns
// its path. Partial names never match a final name, so a killed download
// is never mistaken for a complete one. Over HTTP the partial file is
// named after the URL and kept when the transfer breaks off, for the next
// run to resume (see resume.go); elsewhere it is a fresh temporary file.
func (f *Fetcher) download(ctx context.Context, a source.Artifact, dir string, prog *downloads) (string, error) {
	var errs []error
	for _, u := range a.URLs {
		http := strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
		tmp := tempName(dir, a.FileName)
		var report func(resumeOutcome)
		if http {
			tmp = partName(dir, u, a.FileName)
			if resumable(tmp, u) == 0 {
				removePartial(tmp)
			}
			// Said once the server has answered: only then is it known
			// whether the download resumes or starts over.
			report = func(o resumeOutcome) { f.IO.Infof("%s", o.message(a)) }
		}
		err := f.get(ctx, u, tmp, prog.start(a.Component+" "+a.Version, u), report)
		if err == nil {
			os.Remove(tmp + resumeSuffix)
			return tmp, nil
		}
		if !http || !keepPartial(tmp, err) {
			removePartial(tmp)
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if netfail.Find(err) != nil {
			errs = append(errs, err) // names the URL already
		} else {
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
		}
	}
	return "", errors.Join(errs...)
}

// urlUnlessNamed is " URL" for an error message, or "" when err is a
// network failure that names the URL itself.
func urlUnlessNamed(u string, err error) string {
	if netfail.Find(err) != nil {
		return ""
	}
	return " " + u
}

// get copies one URL to dst with go-getter, never unpacking it: extraction
// is done later, by our own safe extractor. A non-nil resume makes an
// http(s) download continue a partial dst of the same URL (see
// resumeGetter), and is told what became of that partial file.
func (f *Fetcher) get(ctx context.Context, src, dst string, prog *download, resume func(resumeOutcome)) error {
	var web getter.Getter = &getter.HttpGetter{Client: f.HTTP, XTerraformGetDisabled: true, DoNotCheckHeadFirst: true}
	if resume != nil {
		web = &resumeGetter{client: f.HTTP, report: resume}
	}
	client := &getter.Client{
		Decompressors: map[string]getter.Decompressor{},
		Getters:       []getter.Getter{&debsrcGetter{dir: filepath.Join(f.CacheDir, "debian")}, web, &getter.FileGetter{}},
	}
	req := &getter.Request{Src: src, Dst: dst, GetMode: getter.ModeFile, Copy: true}
	if prog != nil {
		req.ProgressListener = prog
	}
	_, err := client.Get(ctx, req)
	if off := netfail.Find(err); off != nil {
		// Not `Get "URL": cannot reach URL: …` from net/http's wrapping.
		return off
	}
	return err
}

const recordSuffix = ".verified"

// warnedLine marks a record whose tarball's "nothing to verify" warning
// was given. It is not a "# " line, which older versions would read as
// how the tarball was verified; they ignore it.
const warnedLine = "#warned-unverified"

// urlLine starts the record's line naming the URL it was fetched from;
// like warnedLine, older versions ignore it.
const urlLine = "#url "

func writeRecord(final string, r record) error {
	content := r.SHA256 + "  " + filepath.Base(final) + "\n"
	if r.Verified != "" {
		content += "# " + r.Verified + "\n"
	}
	if r.WarnedUnverified {
		content += warnedLine + "\n"
	}
	if r.URL != "" {
		content += urlLine + r.URL + "\n"
	}
	return atomicfile.Write(final+recordSuffix, []byte(content), 0o644)
}

func readRecord(final string) (record, error) {
	b, err := os.ReadFile(final + recordSuffix)
	if err != nil {
		return record{}, err
	}
	var r record
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			r.Verified = strings.TrimPrefix(line, "# ")
		case line == warnedLine:
			r.WarnedUnverified = true
		case strings.HasPrefix(line, urlLine):
			r.URL = strings.TrimPrefix(line, urlLine)
		case r.SHA256 == "" && len(line) >= 64:
			r.SHA256 = line[:64]
		}
	}
	if !hexDigest.MatchString(r.SHA256) {
		return record{}, fmt.Errorf("bad cache record %s", final+recordSuffix)
	}
	return r, nil
}

func tempName(dir, base string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(dir, ".part-"+hex.EncodeToString(b[:])+"-"+base)
}

// humanBytes keeps the package's short name for the tool-wide format.
func humanBytes(n int64) string { return human.Bytes(n) }
