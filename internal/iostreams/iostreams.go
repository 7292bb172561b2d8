// Package iostreams is the one small terminal abstraction every command writes
// through: stdout/stderr writers, whether stderr is an interactive terminal,
// and how chatty to be. Tests build one over buffers; the CLI builds one over
// the process's real streams.
package iostreams

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// IO carries the output streams and presentation settings of one run.
type IO struct {
	Out io.Writer // results: paths, version lists, JSON
	Err io.Writer // progress, warnings, errors
	// TTY is true when Err is an interactive terminal: progress bars are drawn
	// only then, so CI logs get one plain line per event instead.
	TTY     bool
	Verbose bool

	mu *sync.Mutex // serializes Printf from concurrent downloads
}

// System returns streams over the process's stdout and stderr. getenv
// reads the environment (TERM=dumb and CI mean no progress bars).
func System(getenv func(string) string) *IO {
	return &IO{
		Out: os.Stdout,
		Err: os.Stderr,
		TTY: term.IsTerminal(int(os.Stderr.Fd())) && getenv("TERM") != "dumb" && getenv("CI") == "",
		mu:  &sync.Mutex{},
	}
}

// New returns non-interactive streams over the given writers (for tests and
// for embedding).
func New(out, errw io.Writer) *IO {
	return &IO{Out: out, Err: errw, mu: &sync.Mutex{}}
}

// Infof prints one progress line to Err. Safe for concurrent use.
func (s *IO) Infof(format string, args ...any) {
	s.lock()
	defer s.unlock()
	fmt.Fprintf(s.Err, format+"\n", args...)
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
