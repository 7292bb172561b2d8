package fetch

import (
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/nginx-build/nginx-build/internal/iostreams"
)

// progress reports concurrent downloads. On a terminal it draws one bar for
// the bytes of all downloads together (several bars would overwrite each
// other's line); elsewhere it prints a line per download started and
// finished, which is what CI logs want.
type progress struct {
	io  *iostreams.IO
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func newProgress(s *iostreams.IO) *progress {
	return &progress{io: s}
}

func (p *progress) start(what, url string) {
	if !p.io.TTY {
		p.io.Infof("downloading %s from %s", what, url)
	}
}

// TrackProgress implements go-getter's ProgressTracker.
func (p *progress) TrackProgress(src string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	if !p.io.TTY {
		return stream
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(0,
			progressbar.OptionSetWriter(p.io.Err),
			progressbar.OptionSetDescription("downloading"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionClearOnFinish(),
		)
	}
	if total > 0 {
		p.bar.AddMax64(total - current)
	}
	return &trackedReader{ReadCloser: stream, p: p}
}

// add counts bytes read. It holds mu like done does: the bar's Clear is not
// safe against a concurrent Add64.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Add64(int64(n))
	}
}

func (p *progress) done(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		// Clear the bar, print the line above it; the next byte redraws it.
		_ = p.bar.Clear()
	}
	p.io.Infof("%s", line)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

type trackedReader struct {
	io.ReadCloser
	p *progress
}

func (r *trackedReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.p.add(n)
	return n, err
}
