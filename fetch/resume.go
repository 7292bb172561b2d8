package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	getter "github.com/hashicorp/go-getter/v2"

	"github.com/nginx-build/nginx-build/source"
)

// Downloads that survive the run. A tarball downloads over HTTP into a
// partial file named after its URL (.part-<urlkey>-<file>) in the cache
// slot, under the slot's lock, beside a small record of the response's
// validator (a strong ETag, else Last-Modified). When the run is
// interrupted or the network gives up, both stay; the next run asks for
// the rest with Range and If-Range, so a server that still has the same
// file sends only what is missing (206), and one whose file changed, or
// that ignores ranges, sends it whole (200) and the download starts over.
// Without a validator nothing can prove the rest belongs to the same file:
// the partial file is not kept. Partial files untouched for a day are
// removed by the next fetch.

// resumeSuffix names the validator record beside a partial download.
const resumeSuffix = ".resume"

// staleAfter is the age past which partial downloads are removed.
const staleAfter = 24 * time.Hour

type resumeInfo struct {
	URL       string `json:"url"`
	Validator string `json:"validator"`
}

// partName is the partial download of url in a slot: the same on every run.
func partName(dir, url, file string) string {
	return filepath.Join(dir, ".part-"+URLKey(url)+"-"+file)
}

func readResume(part string) (resumeInfo, bool) {
	var ri resumeInfo
	b, err := os.ReadFile(part + resumeSuffix)
	if err != nil || json.Unmarshal(b, &ri) != nil || ri.Validator == "" {
		return resumeInfo{}, false
	}
	return ri, true
}

// resumable reports how many bytes of url a kept partial download holds.
func resumable(part, url string) int64 {
	ri, ok := readResume(part)
	fi, err := os.Stat(part)
	if !ok || err != nil || ri.URL != url {
		return 0
	}
	return fi.Size()
}

// keepPartial decides whether a failed download is worth resuming later:
// some bytes arrived, the server gave a validator for them, and the
// failure was the transfer's (interruption, network), not an HTTP status.
func keepPartial(part string, err error) bool {
	if err == nil || strings.Contains(err.Error(), "bad response code") {
		return false
	}
	fi, statErr := os.Stat(part)
	_, ok := readResume(part)
	return ok && statErr == nil && fi.Size() > 0
}

func removePartial(part string) {
	os.Remove(part)
	os.Remove(part + resumeSuffix)
}

// validator is what If-Range can use to ask "still the same file?": a
// strong ETag (weak ones are not allowed there), else Last-Modified.
func validator(h http.Header) string {
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		return et
	}
	return h.Get("Last-Modified")
}

// resumeGetter is the go-getter Getter for http(s) tarball downloads into
// a partial file that may hold the start of the same URL from an earlier
// run.
type resumeGetter struct {
	client *http.Client
	// report, when set, is told what became of a partial file an earlier
	// run left, once the server has answered.
	report func(resumeOutcome)
}

// resumeOutcome is what became of a partial download an earlier run left.
type resumeOutcome struct {
	// Have is how many bytes it held.
	Have int64
	// Resumed is true when the server sent only the rest.
	Resumed bool
	// Why the whole file is downloaded again, when it is.
	Why string
}

// message says what happened, for the component of a.
func (o resumeOutcome) message(a source.Artifact) string {
	what := strings.TrimSpace(a.Component + " " + a.Version)
	if o.Resumed {
		return fmt.Sprintf("resuming %s from byte %d (left by an earlier run)", what, o.Have)
	}
	return fmt.Sprintf("%s: downloading the whole file again: %s; the %d bytes an earlier run left are discarded", what, o.Why, o.Have)
}

// restartReason says why a server answered a request to resume at byte
// have with the whole file (200), judging by its validator: a new one
// means the file changed, the same one (or none) that ranges are ignored.
func restartReason(h http.Header, earlier string, have int64) string {
	if v := validator(h); v != "" && v != earlier {
		return "the file changed on the server since the earlier run"
	}
	return fmt.Sprintf("the server ignored the request to resume at byte %d", have)
}

func (g *resumeGetter) Detect(req *getter.Request) (bool, error) {
	u, err := url.Parse(req.Src)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https"), nil
}

func (g *resumeGetter) Mode(context.Context, *url.URL) (getter.Mode, error) {
	return getter.ModeFile, nil
}

func (g *resumeGetter) Get(context.Context, *getter.Request) error {
	return fmt.Errorf("resumable downloads are single files")
}

func (g *resumeGetter) GetFile(ctx context.Context, req *getter.Request) error {
	src := req.URL().String()
	f, err := os.OpenFile(req.Dst, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	have := resumable(req.Dst, src)
	earlier, _ := readResume(req.Dst)
	tell := func(o resumeOutcome) {
		if g.report != nil && o.Have > 0 {
			g.report(o)
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := g.request(ctx, req.Dst, src, have)
		if err != nil {
			return err
		}
		switch {
		case resp.StatusCode == http.StatusPartialContent && have > 0 &&
			strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", have)):
			// The rest of the same file.
			tell(resumeOutcome{Have: have, Resumed: true})
		case resp.StatusCode == http.StatusOK:
			// Changed on the server, or no range support: all of it.
			tell(resumeOutcome{Have: have, Why: restartReason(resp.Header, earlier.Validator, have)})
			have = 0
		case (resp.StatusCode == http.StatusPartialContent || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable) && attempt == 0:
			// A range we did not ask for, or one past the end: start over.
			resp.Body.Close()
			tell(resumeOutcome{Have: have, Why: fmt.Sprintf("the server answered the request to resume at byte %d with %s", have, resp.Status)})
			have = 0
			continue
		default:
			resp.Body.Close()
			return fmt.Errorf("bad response code: %d", resp.StatusCode)
		}
		defer resp.Body.Close()
		return g.store(f, req, src, resp, have)
	}
}

func (g *resumeGetter) request(ctx context.Context, part, src string, have int64) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	if ri, ok := readResume(part); ok && have > 0 {
		hreq.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		hreq.Header.Set("If-Range", ri.Validator)
	}
	return g.client.Do(hreq)
}

// store writes the body at offset have, after recording its validator:
// the record must never describe bytes of another response.
func (g *resumeGetter) store(f *os.File, req *getter.Request, src string, resp *http.Response, have int64) error {
	if err := f.Truncate(have); err != nil {
		return err
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return err
	}
	v := validator(resp.Header)
	if v == "" && have > 0 {
		if ri, ok := readResume(req.Dst); ok {
			v = ri.Validator // a 206 need not repeat it
		}
	}
	meta := req.Dst + resumeSuffix
	if v == "" {
		os.Remove(meta)
	} else {
		b, _ := json.Marshal(resumeInfo{URL: src, Validator: v})
		if err := os.WriteFile(meta, b, 0o644); err != nil {
			return err
		}
	}
	var body io.ReadCloser = resp.Body
	if req.ProgressListener != nil {
		total := int64(-1)
		if resp.ContentLength >= 0 {
			total = have + resp.ContentLength
		}
		body = req.ProgressListener.TrackProgress(filepath.Base(req.URL().Path), have, total, body)
	}
	n, err := io.Copy(f, body)
	if err != nil {
		return err
	}
	if resp.ContentLength >= 0 && n < resp.ContentLength {
		return fmt.Errorf("connection closed after %d of %d bytes", have+n, have+resp.ContentLength)
	}
	return nil
}

// removeStaleParts deletes partial downloads, their records and other
// leftovers of interrupted runs untouched for a day, in every slot nobody
// holds right now.
func removeStaleParts(cacheDir string, now time.Time) {
	slots, err := cacheSlots(cacheDir)
	if err != nil {
		return
	}
	for _, slot := range slots {
		entries, err := os.ReadDir(slot)
		if err != nil {
			continue
		}
		var stale []string
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".part-") {
				continue
			}
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleAfter {
				stale = append(stale, filepath.Join(slot, e.Name()))
			}
		}
		if len(stale) == 0 {
			continue
		}
		unlock, busy, err := tryLockFile(filepath.Join(slot, ".lock"))
		if err != nil || busy {
			continue
		}
		for _, p := range stale {
			os.RemoveAll(p)
		}
		unlock()
	}
}
