// Package iostreams is the one small terminal abstraction every command writes
// through: stdout/stderr writers, whether stderr is an interactive terminal,
// and how chatty to be. Tests build one over buffers; the CLI builds one over
// the process's real streams.
//
// On a terminal, long-running work shows a live block of status lines (the
// progress bars) at the bottom of stderr. Every line printed through Infof
// or Warnf goes above that block: the block is erased, the line printed and
// the block drawn again, so a warning never lands on a bar's line.
package iostreams

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// DefaultProgressEvery is how often a plain progress line is printed
// while work runs and stderr is not a terminal: often enough for CI
// systems that end a job after some minutes without output.
const DefaultProgressEvery = 30 * time.Second

// IO carries the output streams and presentation settings of one run.
type IO struct {
	Out io.Writer // results: paths, version lists, JSON
	Err io.Writer // progress, warnings, errors
	// TTY is true when Err is an interactive terminal: progress bars are drawn
	// only then, so CI logs get one plain line per event instead.
	TTY     bool
	Verbose bool
	// ProgressEvery is how often a plain progress line is printed while
	// work runs without a terminal (0: DefaultProgressEvery). Tests make
	// it short.
	ProgressEvery time.Duration

	mu   *sync.Mutex // serializes Printf from concurrent downloads
	live *live       // the live block; shared by copies of IO, like mu
	// columns is the terminal's width (nil or 0: unknown).
	columns func() int
}

// live is the block of status lines drawn at the bottom of a terminal.
type live struct {
	lines []string
	drawn int // lines on screen now, the cursor below them
}

// System returns streams over the process's stdout and stderr. getenv
// reads the environment (TERM=dumb and CI mean no progress bars).
func System(getenv func(string) string) *IO {
	fd := int(os.Stderr.Fd())
	return &IO{
		Out:  os.Stdout,
		Err:  os.Stderr,
		TTY:  term.IsTerminal(fd) && getenv("TERM") != "dumb" && getenv("CI") == "",
		mu:   &sync.Mutex{},
		live: &live{},
		columns: func() int {
			w, _, err := term.GetSize(fd)
			if err != nil {
				return 0
			}
			return w
		},
	}
}

// New returns non-interactive streams over the given writers (for tests and
// for embedding).
func New(out, errw io.Writer) *IO {
	return &IO{Out: out, Err: errw, mu: &sync.Mutex{}, live: &live{}}
}

// NewTerminal returns streams that draw live progress on errw as on a
// terminal cols wide (for tests of what a terminal shows).
func NewTerminal(out, errw io.Writer, cols int) *IO {
	s := New(out, errw)
	s.TTY = true
	s.columns = func() int { return cols }
	return s
}

// Interval is how often plain progress lines are printed.
func (s *IO) Interval() time.Duration {
	if s.ProgressEvery > 0 {
		return s.ProgressEvery
	}
	return DefaultProgressEvery
}

// Columns is the terminal's width, 0 when unknown.
func (s *IO) Columns() int {
	if s.columns == nil {
		return 0
	}
	return s.columns()
}

// Live reports whether progress is drawn as live bars: on a terminal, and
// not in verbose mode, where the children's raw output streams instead.
func (s *IO) Live() bool {
	return s.TTY && !s.Verbose && s.live != nil
}

// Infof prints one progress line to Err, above the live block if there is
// one. Safe for concurrent use.
func (s *IO) Infof(format string, args ...any) {
	s.lock()
	defer s.unlock()
	line := fmt.Sprintf(format, args...)
	if s.live == nil || s.live.drawn == 0 {
		fmt.Fprintln(s.Err, line)
		return
	}
	var b strings.Builder
	s.eraseLive(&b)
	b.WriteString(line)
	b.WriteString("\n")
	s.drawLive(&b)
	io.WriteString(s.Err, b.String())
}

// Warnf prints a warning line to Err. Safe for concurrent use.
func (s *IO) Warnf(format string, args ...any) {
	s.Infof("warning: "+format, args...)
}

// Debugf prints a line to Err only in verbose mode.
func (s *IO) Debugf(format string, args ...any) {
	if s.Verbose {
		s.Infof(format, args...)
	}
}

// SetLive replaces the live block with lines and redraws it in place;
// nil removes it. It draws only on a terminal (see Live).
func (s *IO) SetLive(lines []string) {
	if !s.Live() {
		return
	}
	s.lock()
	defer s.unlock()
	if len(lines) == 0 && s.live.drawn == 0 {
		return
	}
	s.live.lines = append(s.live.lines[:0], lines...)
	var b strings.Builder
	// Overwrite in place rather than erase first: no flicker.
	if s.live.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", s.live.drawn)
	}
	s.drawLive(&b)
	b.WriteString("\x1b[J") // the block may have shrunk
	io.WriteString(s.Err, b.String())
}

// eraseLive moves the cursor to the top of the block and clears it.
func (s *IO) eraseLive(b *strings.Builder) {
	if s.live.drawn > 0 {
		fmt.Fprintf(b, "\x1b[%dA\r\x1b[J", s.live.drawn)
		s.live.drawn = 0
	}
}

// drawLive writes the block's lines, each cut to the terminal's width (a
// wrapped line would throw off the count of lines to move up), leaving
// the cursor below it.
func (s *IO) drawLive(b *strings.Builder) {
	width := s.Columns()
	for _, l := range s.live.lines {
		b.WriteString("\r")
		b.WriteString(fit(l, width))
		b.WriteString("\x1b[K\n")
	}
	s.live.drawn = len(s.live.lines)
}

// fit cuts line to fewer than width columns (one rune, one column: the
// bars are ASCII); width 0 means unknown, and 80 is assumed.
func fit(line string, width int) string {
	if width <= 0 {
		width = 80
	}
	r := []rune(line)
	if len(r) < width {
		return line
	}
	return string(r[:width-1])
}

func (s *IO) lock() {
	if s.mu != nil {
		s.mu.Lock()
	}
}

func (s *IO) unlock() {
	if s.mu != nil {
		s.mu.Unlock()
	}
}
