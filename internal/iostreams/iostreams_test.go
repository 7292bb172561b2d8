package iostreams

import (
	"bytes"
	"strings"
	"testing"
)

// A line printed while bars are drawn goes above them: the block is
// erased, the line printed, the block drawn again below it.
func TestInfofGoesAboveTheLiveBlock(t *testing.T) {
	t.Parallel()
	var errb bytes.Buffer
	s := NewTerminal(&bytes.Buffer{}, &errb, 40)
	s.SetLive([]string{"openssl  [===>   ] 4/9", "nginx    waiting"})
	if got, want := errb.String(), "\r"+"openssl  [===>   ] 4/9\x1b[K\n\rnginx    waiting\x1b[K\n\x1b[J"; got != want {
		t.Fatalf("first draw = %q, want %q", got, want)
	}
	errb.Reset()
	s.Warnf("zlib: something")
	want := "\x1b[2A\r\x1b[J" + "warning: zlib: something\n" + "\ropenssl  [===>   ] 4/9\x1b[K\n\rnginx    waiting\x1b[K\n"
	if got := errb.String(); got != want {
		t.Fatalf("warning with bars = %q, want %q", got, want)
	}
	errb.Reset()
	// Redrawn in place (up two lines, each line overwritten), then gone.
	s.SetLive([]string{"openssl  [=====> ] 6/9"})
	if got, want := errb.String(), "\x1b[2A\ropenssl  [=====> ] 6/9\x1b[K\n\x1b[J"; got != want {
		t.Fatalf("redraw = %q, want %q", got, want)
	}
	errb.Reset()
	s.SetLive(nil)
	s.Infof("done")
	if got, want := errb.String(), "\x1b[1A\x1b[Jdone\n"; got != want {
		t.Fatalf("after the block = %q, want %q", got, want)
	}
}

// A line wider than the terminal would wrap and throw off the count of
// lines to move up: it is cut.
func TestLiveLinesFitTheTerminal(t *testing.T) {
	t.Parallel()
	var errb bytes.Buffer
	s := NewTerminal(&bytes.Buffer{}, &errb, 10)
	s.SetLive([]string{strings.Repeat("x", 30)})
	if got, want := errb.String(), "\r"+strings.Repeat("x", 9)+"\x1b[K\n\x1b[J"; got != want {
		t.Fatalf("draw = %q, want %q", got, want)
	}
}

// Without a terminal, or with -verbose (raw output streams), nothing is
// drawn and lines are plain.
func TestNoLiveBlockWithoutATerminal(t *testing.T) {
	t.Parallel()
	for _, verbose := range []bool{false, true} {
		var errb bytes.Buffer
		s := New(&bytes.Buffer{}, &errb)
		if verbose {
			s = NewTerminal(&bytes.Buffer{}, &errb, 80)
			s.Verbose = true
		}
		s.SetLive([]string{"bar"})
		s.Infof("line")
		if got := errb.String(); got != "line\n" {
			t.Errorf("verbose %v: output = %q, want the line alone", verbose, got)
		}
	}
}
