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

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/source"
)

// Fetcher downloads artifacts into CacheDir.
type Fetcher struct {
	CacheDir string
	HTTP     *http.Client
	IO       *iostreams.IO
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
	// Cached is true when no download was needed.
	Cached bool
	Size   int64
}

// record is what the cache keeps beside a tarball once it is verified; its
// presence is what marks the tarball as complete.
type record struct {
	SHA256   string
	Verified string
}

// FetchAll fetches every artifact concurrently. The first failure cancels the
// others and is returned; results are in the order of arts.
func (f *Fetcher) FetchAll(ctx context.Context, arts []source.Artifact) ([]Result, error) {
	prog := newProgress(f.IO)
	defer prog.finish()
	results := make([]Result, len(arts))
	g, gctx := errgroup.WithContext(ctx)
	for i, a := range arts {
		g.Go(func() error {
			r, err := f.fetch(gctx, a, prog)
			if err != nil {
				return err
			}
			results[i] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

func (f *Fetcher) slot(a source.Artifact) string {
	return filepath.Join(f.CacheDir, "tarballs", a.Component, urlKey(a.URLs[0]))
}

func (f *Fetcher) fetch(ctx context.Context, a source.Artifact, prog *progress) (Result, error) {
	what := a.Component + " " + a.Version
	if len(a.URLs) == 0 {
		return Result{}, fmt.Errorf("fetch %s: no download URL", what)
	}
	dir := f.slot(a)
	final := filepath.Join(dir, a.FileName)
	if r, ok := f.cached(a, final); ok {
		f.IO.Debugf("fetch %s: cached %s", what, final)
		return r, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("fetch %s: create cache directory: %w", what, err)
	}

	var want, verified string
	if a.ChecksumURL != "" {
		sum, err := f.publishedSHA256(ctx, a, dir)
		if err != nil {
			return Result{}, fmt.Errorf("fetch %s: %w", what, err)
		}
		want, verified = sum, "sha256 from "+a.ChecksumURL
	}

	tmp, err := f.download(ctx, a, dir, prog)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	defer os.Remove(tmp) // no-op once renamed into place
	got, err := FileSHA256(tmp)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	if want != "" && !strings.EqualFold(want, got) {
		return Result{}, &MismatchError{What: "fetch " + what, File: a.URLs[0], Want: want, Got: got}
	}
	if err := os.Rename(tmp, final); err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	// The record is written last: a tarball without one is never trusted.
	if err := writeRecord(final, record{SHA256: got, Verified: verified}); err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", what, err)
	}
	fi, _ := os.Stat(final)
	r := Result{Artifact: a, Path: final, SHA256: got, Verified: verified, Size: fi.Size()}
	check := "no checksum published"
	if verified != "" {
		check = "sha256 ok"
	}
	prog.done(fmt.Sprintf("fetched %s %s (%s, %s)", a.Component, a.Version, humanBytes(r.Size), check))
	return r, nil
}

// cached returns the cached tarball when it is complete and still matches
// the checksum recorded when it was verified; a damaged one is removed.
func (f *Fetcher) cached(a source.Artifact, final string) (Result, bool) {
	rec, err := readRecord(final)
	if err != nil {
		return Result{}, false
	}
	got, err := FileSHA256(final)
	if err != nil {
		return Result{}, false
	}
	if got != rec.SHA256 {
		f.IO.Warnf("cached %s is damaged (sha256 %s, recorded %s); downloading it again", final, got, rec.SHA256)
		os.Remove(final)
		os.Remove(final + recordSuffix)
		return Result{}, false
	}
	fi, err := os.Stat(final)
	if err != nil {
		return Result{}, false
	}
	return Result{Artifact: a, Path: final, SHA256: got, Verified: rec.Verified, Cached: true, Size: fi.Size()}, true
}

// publishedSHA256 downloads and parses the .sha256 file published beside the tarball.
func (f *Fetcher) publishedSHA256(ctx context.Context, a source.Artifact, dir string) (string, error) {
	tmp := tempName(dir, filepath.Base(a.FileName)+".sha256")
	defer os.Remove(tmp)
	if err := f.get(ctx, a.ChecksumURL, tmp, nil); err != nil {
		return "", fmt.Errorf("download checksum %s: %w", a.ChecksumURL, err)
	}
	content, err := os.ReadFile(tmp)
	if err != nil {
		return "", err
	}
	sum, err := ParseSHA256File(string(content), a.FileName)
	if err != nil {
		return "", fmt.Errorf("checksum %s: %w", a.ChecksumURL, err)
	}
	return sum, nil
}

// download tries each URL in turn into a temporary file in dir and returns
// its path. The temporary name never matches a final name, so a killed
// download is never mistaken for a complete one.
func (f *Fetcher) download(ctx context.Context, a source.Artifact, dir string, prog *progress) (string, error) {
	var errs []error
	for _, u := range a.URLs {
		tmp := tempName(dir, a.FileName)
		prog.start(a.Component+" "+a.Version, u)
		err := f.get(ctx, u, tmp, prog)
		if err == nil {
			return tmp, nil
		}
		os.Remove(tmp)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		errs = append(errs, fmt.Errorf("%s: %w", u, err))
	}
	return "", errors.Join(errs...)
}

// get copies one URL to dst with go-getter, never unpacking it: extraction
// is done later, by our own safe extractor.
func (f *Fetcher) get(ctx context.Context, src, dst string, prog *progress) error {
	client := &getter.Client{
		Decompressors: map[string]getter.Decompressor{},
		Getters: []getter.Getter{
			&getter.HttpGetter{Client: f.HTTP, XTerraformGetDisabled: true, DoNotCheckHeadFirst: true},
			&getter.FileGetter{},
		},
	}
	req := &getter.Request{Src: src, Dst: dst, GetMode: getter.ModeFile, Copy: true}
	if prog != nil {
		req.ProgressListener = prog
	}
	_, err := client.Get(ctx, req)
	return err
}

const recordSuffix = ".verified"

func writeRecord(final string, r record) error {
	content := r.SHA256 + "  " + filepath.Base(final) + "\n"
	if r.Verified != "" {
		content += "# " + r.Verified + "\n"
	}
	tmp := tempName(filepath.Dir(final), filepath.Base(final)+recordSuffix)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, final+recordSuffix)
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

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// NewHTTPClient returns the HTTP client used for downloads and indexes:
// generous overall, but quick to give up on a dead host.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}
