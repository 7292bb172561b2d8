package fetch

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/progress"
)

// downloads reports concurrent downloads: on a terminal a bar per download
// (bytes, rate), elsewhere a line per download started and finished and,
// while any runs, a line at least every interval with the bytes and rate of
// each, which is what CI logs want.
type downloads struct {
	io    *iostreams.IO
	board *progress.Board

	mu    sync.Mutex
	tasks map[string]*progress.Task // by what is downloaded ("openssl 3.0.20")
}

func startDownloads(ctx context.Context, s *iostreams.IO) *downloads {
	d := &downloads{io: s, board: progress.New(s, progress.Options{Verb: "downloading"}), tasks: map[string]*progress.Task{}}
	d.board.Start(ctx)
	return d
}

// start begins downloading what from url and returns what tracks its
// bytes. Another URL for the same what (the first failed) starts afresh.
func (d *downloads) start(what, url string) *download {
	if !d.io.Live() {
		d.io.Infof("downloading %s from %s", what, url)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[what]
	if !ok {
		t = d.board.Download(what)
		d.tasks[what] = t
	}
	t.Set(0)
	t.SetTotal(0)
	t.SetStatus("starting") // until the first bytes (a mirror dir copies with none)
	return &download{task: t}
}

// done prints the line saying what was fetched, with the time it took.
func (d *downloads) done(what string, size int64) {
	d.mu.Lock()
	t := d.tasks[what]
	d.mu.Unlock()
	line := func(took time.Duration) string {
		return fmt.Sprintf("fetched %s (%s in %s)", what, humanBytes(size), human.Duration(took))
	}
	if t == nil {
		d.io.Infof("fetched %s (%s)", what, humanBytes(size))
		return
	}
	t.Finish(line)
}

// finish ends the progress: the bars are gone when it returns.
func (d *downloads) finish() {
	d.board.Stop()
}

// download tracks one download's bytes; it is go-getter's
// ProgressTracker for it.
type download struct {
	task *progress.Task
}

// TrackProgress implements go-getter's ProgressTracker: current bytes are
// already there (a resumed download), total is what there will be (0 or
// less: unknown).
func (d *download) TrackProgress(src string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	d.task.Set(current)
	if total > 0 {
		d.task.SetTotal(total)
	}
	return &trackedReader{ReadCloser: stream, task: d.task}
}

type trackedReader struct {
	io.ReadCloser
	task *progress.Task
}

func (r *trackedReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.task.Add(int64(n))
	return n, err
}
