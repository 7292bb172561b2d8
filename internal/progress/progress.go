// Package progress shows long-running work while it runs, the two ways
// its readers need: on a terminal a live bar per task (done/total,
// elapsed, an estimate), redrawn in place below the log lines; without one
// (CI, a pipe, -verbose) one plain line at least every interval summing up
// every running task, so that a CI system never sees a silent job. Either
// way each task that finishes gets one line with its duration.
//
// A Board is one piece of work (downloading, configuring, compiling) with
// its tasks. Its goroutine redraws, and calls the owner's Poll to measure
// progress that is not pushed (objects appearing on disk); it ends with
// Stop or with the context.
package progress

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/iostreams"
)

// Refresh is how often a terminal's bars are redrawn: often enough to look
// alive, rarely enough to cost nothing.
const Refresh = 200 * time.Millisecond

// Options shape a Board.
type Options struct {
	// Verb heads the plain summary line: "compiling: openssl 412/1384
	// objects, nginx 0/123 objects, 1m30s".
	Verb string
	// Poll, when set, is called from the board's goroutine before each
	// redraw or summary: the owner measures and updates its tasks there.
	Poll func()
}

// Board draws the tasks of one piece of work.
type Board struct {
	io    *iostreams.IO
	opt   Options
	live  bool
	start time.Time

	mu       sync.Mutex
	stopped  bool
	tasks    []*Task
	lastLine time.Time // the last plain summary (or the start)
	spin     int

	started bool // Start was called (before Stop, by the owner's goroutine)
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// New returns a board showing progress on ios; add its tasks, then Start
// it.
func New(ios *iostreams.IO, opt Options) *Board {
	now := time.Now()
	return &Board{io: ios, opt: opt, live: ios.Live(), start: now, lastLine: now,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start begins showing progress; Stop it when the work is over (the
// context ending stops it too).
func (b *Board) Start(ctx context.Context) {
	b.started = true
	go b.run(ctx)
}

// tick is how often the board polls: the terminal's refresh rate, or for
// plain lines often enough to notice a finished task within a second
// (sooner when the interval is shorter, as in tests).
func (b *Board) tick() time.Duration {
	if b.live {
		return Refresh
	}
	return min(time.Second, b.io.Interval())
}

func (b *Board) run(ctx context.Context) {
	defer close(b.done)
	b.update()
	t := time.NewTicker(b.tick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.stop:
			return
		case <-t.C:
			b.update()
		}
	}
}

// update polls the owner and redraws, or prints the plain line when it
// is due.
func (b *Board) update() {
	if b.opt.Poll != nil {
		b.opt.Poll()
	}
	if b.live {
		b.redraw()
		return
	}
	b.mu.Lock()
	now := time.Now()
	var line string
	if now.Sub(b.lastLine) >= b.io.Interval() {
		b.lastLine = now
		line = b.summaryLocked(now)
	}
	b.mu.Unlock()
	if line != "" {
		b.io.Infof("%s", line)
	}
}

// Stop ends the board: its goroutine is gone and its bars erased when Stop
// returns. A task finished after that only prints its line. Safe to call
// twice, and on a board never started.
func (b *Board) Stop() {
	b.once.Do(func() {
		close(b.stop)
		if !b.started {
			close(b.done)
		}
	})
	<-b.done
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	if b.live {
		b.io.SetLive(nil)
	}
}

// Task adds a task counted in unit ("objects", "checks"), waiting until
// Start.
func (b *Board) Task(name, unit string) *Task {
	return b.add(&Task{b: b, name: name, unit: unit})
}

// Download adds a task counted in bytes, running from now.
func (b *Board) Download(name string) *Task {
	t := b.add(&Task{b: b, name: name, bytes: true})
	t.Start()
	return t
}

func (b *Board) add(t *Task) *Task {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tasks = append(b.tasks, t)
	return t
}

// Task is one line of a board: a component being compiled, a download.
// Its counts may be set from any goroutine.
type Task struct {
	b     *Board
	name  string
	unit  string
	bytes bool

	done  atomic.Int64
	total atomic.Int64 // 0: not known (yet)

	// guarded by b.mu
	state      int
	status     string
	afterwards string
	started    time.Time
	counted    time.Time // when the count began to move (see timesLocked), and done then
	counted0   int64
	moving     bool
	took       time.Duration
	bar        *progressbar.ProgressBar
}

const (
	pending = iota
	running
	finished
)

// Start marks the task running and starts its clock; a task already
// running or finished is left alone.
func (t *Task) Start() {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	if t.state == pending {
		t.state, t.started = running, time.Now()
	}
}

// Started reports whether the task has started (it may have finished).
func (t *Task) Started() bool {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	return t.state != pending
}

// Finished reports whether Finish was called.
func (t *Task) Finished() bool {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	return t.state == finished
}

// SetStatus says what a running task is doing while its total is not
// known ("configuring").
func (t *Task) SetStatus(s string) {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	t.status = s
}

// SetAfterwards says what a task still does once all its units are done
// ("linking").
func (t *Task) SetAfterwards(s string) {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	t.afterwards = s
}

// SetTotal sets how many units the task has to do.
func (t *Task) SetTotal(n int64) { t.total.Store(n) }

// Set sets how many units are done.
func (t *Task) Set(n int64) { t.done.Store(n) }

// Add counts n more units done.
func (t *Task) Add(n int64) { t.done.Add(n) }

// Done is how many units are done.
func (t *Task) Done() int64 { return t.done.Load() }

// Finish ends the task, takes its bar away and prints the line that line
// makes of the task's duration (nil: none) above the bars. It returns how
// long the task ran: from Start, or 0 if it never started. Finishing twice
// keeps the first.
func (t *Task) Finish(line func(took time.Duration) string) time.Duration {
	t.b.mu.Lock()
	if t.state == finished {
		t.b.mu.Unlock()
		return t.took
	}
	if t.state == running {
		t.took = time.Since(t.started)
	}
	t.state = finished
	redraw := t.b.live && !t.b.stopped
	var lines []string
	if redraw {
		lines = t.b.linesLocked(time.Now())
	}
	t.b.mu.Unlock()
	if redraw {
		t.b.io.SetLive(lines) // the finished bar goes before its line is printed
	}
	if line != nil {
		t.b.io.Infof("%s", line(t.took))
	}
	return t.took
}

// Took is how long the task ran: so far while it runs, in all once
// finished.
func (t *Task) Took() time.Duration {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	switch t.state {
	case running:
		return time.Since(t.started)
	case finished:
		return t.took
	}
	return 0
}

// redraw draws every unfinished task as a bar.
func (b *Board) redraw() {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	lines := b.linesLocked(time.Now())
	b.mu.Unlock()
	b.io.SetLive(lines)
}

// linesLocked renders the live block: one line per unfinished task, names
// in one column.
func (b *Board) linesLocked(now time.Time) []string {
	b.spin++
	width := 0
	for _, t := range b.tasks {
		if t.state != finished {
			width = max(width, len(t.name))
		}
	}
	var lines []string
	for _, t := range b.tasks {
		if t.state != finished {
			lines = append(lines, fmt.Sprintf("%-*s  %s", width, t.name, t.barLocked(now, b.spin)))
		}
	}
	return lines
}

// spinner turns once per redraw while a task runs without a total.
const spinner = `|/-\`

// barLocked is the task's live line after its name.
func (t *Task) barLocked(now time.Time, spin int) string {
	done, total := t.done.Load(), t.total.Load()
	switch {
	case t.state == pending && total > 0:
		return fmt.Sprintf("waiting (%d %s)", total, t.unit)
	case t.state == pending:
		return "waiting"
	case total <= 0:
		status := t.status
		if status == "" {
			status = "working"
		}
		if done > 0 {
			status += ", " + t.count(done, 0)
		}
		return fmt.Sprintf("%c %s  %s", spinner[spin%len(spinner)], status, human.Duration(now.Sub(t.started)))
	}
	// The estimate counts from the first object seen done: the time
	// before (a library's configure, its generated headers) says nothing
	// of the rate.
	if t.counted.IsZero() || !t.moving && done > t.counted0 {
		t.moving = !t.counted.IsZero()
		t.counted, t.counted0 = now, done
	}
	return t.renderBar(min(done, total), total) + "  " + t.timesLocked(now, done, total)
}

// renderBar draws the bar itself with progressbar, into a string.
func (t *Task) renderBar(done, total int64) string {
	if t.bar == nil {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(io.Discard),
			progressbar.OptionSetTheme(progressbar.ThemeASCII),
			progressbar.OptionSetWidth(barWidth(t.b.io.Columns())),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionUseANSICodes(true),
		}
		if t.bytes {
			opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionUseIECUnits(true))
		} else {
			opts = append(opts, progressbar.OptionSetItsString(t.unit))
		}
		t.bar = progressbar.NewOptions64(total, opts...)
	}
	if t.bar.GetMax64() != total {
		t.bar.ChangeMax64(total)
	}
	_ = t.bar.Set64(done)
	s := strings.TrimPrefix(t.bar.String(), "\r")
	s = strings.TrimSuffix(s, "\x1b[0K")
	s = strings.TrimSpace(s)
	if !t.bytes {
		s += " " + t.unit
	}
	return s
}

// barWidth is the width of the bar itself: 30 columns when the terminal
// has room for the whole line beside it (about 110), less on a narrower
// one, so that the counts and times stay on screen.
func barWidth(columns int) int {
	const full, line = 30, 110
	if columns <= 0 || columns >= line {
		return full
	}
	return max(8, full-(line-columns))
}

// timesLocked is "1m30s, ~2m10s left": the estimate from the rate since
// the count began to move, once that says something.
func (t *Task) timesLocked(now time.Time, done, total int64) string {
	elapsed := human.Duration(now.Sub(t.started))
	since, progressed := now.Sub(t.counted), done-t.counted0
	// The first few objects say little of the rate (the first of
	// OpenSSL's come slowly, beside PCRE2's): no estimate before 5% of
	// the work was seen done.
	if done >= total {
		// Every object is there; what is left takes no count (linking,
		// OpenSSL's manual pages and install).
		return elapsed + ", " + t.afterwardsOr("finishing")
	}
	if progressed < 2 || progressed*20 < total || since <= 0 {
		return elapsed
	}
	left := time.Duration(float64(since) * float64(total-done) / float64(progressed))
	return fmt.Sprintf("%s, ~%s left", elapsed, human.Duration(left))
}

// summaryLocked is the plain line: every unfinished task, then the time
// since the board started; "" when no task is left.
func (b *Board) summaryLocked(now time.Time) string {
	var parts []string
	for _, t := range b.tasks {
		if t.state != finished {
			parts = append(parts, t.name+" "+t.plainLocked(now))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	parts = append(parts, human.Duration(now.Sub(b.start)))
	return b.opt.Verb + ": " + strings.Join(parts, ", ")
}

// plainLocked is the task's part of the plain line.
func (t *Task) plainLocked(now time.Time) string {
	done, total := t.done.Load(), t.total.Load()
	switch {
	case t.bytes:
		s := human.Bytes(done)
		if total > 0 {
			s += " of " + human.Bytes(total)
		}
		if secs := now.Sub(t.started).Seconds(); secs > 0 {
			s += fmt.Sprintf(" at %s/s", human.Bytes(int64(float64(done)/secs)))
		}
		return s
	case total > 0 && done >= total && t.state == running:
		return fmt.Sprintf("%d/%d %s (%s)", done, total, t.unit, t.afterwardsOr("finishing"))
	case total > 0:
		return fmt.Sprintf("%d/%d %s", done, total, t.unit)
	case t.state == pending:
		return "waiting"
	case t.status != "" && done > 0:
		return t.status + " (" + t.count(done, 0) + ")"
	case t.status != "":
		return t.status
	default:
		return t.count(done, total)
	}
}

// afterwardsOr is what the task does once its count is complete: what
// SetAfterwards said, or def.
func (t *Task) afterwardsOr(def string) string {
	if t.afterwards != "" {
		return t.afterwards
	}
	return def
}

// count is "412 objects" or "5.1 MiB".
func (t *Task) count(done, total int64) string {
	if t.bytes {
		return human.Bytes(done)
	}
	if total > 0 {
		return fmt.Sprintf("%d/%d %s", done, total, t.unit)
	}
	return fmt.Sprintf("%d %s", done, t.unit)
}
