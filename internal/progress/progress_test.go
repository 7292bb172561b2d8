package progress

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/iostreams"
)

// syncBuffer is a buffer the board's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until the output matches re.
func waitFor(t *testing.T, out *syncBuffer, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for !rx.MatchString(out.String()) {
		if time.Now().After(deadline) {
			s := out.String()
			t.Fatalf("no %q in:\n%q", re, s[max(0, len(s)-2000):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Without a terminal the board prints one line per interval summing up
// every task, and one line per task finished.
func TestPlainLines(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	ios := iostreams.New(&bytes.Buffer{}, &out)
	ios.ProgressEvery = 30 * time.Millisecond
	b := New(ios, Options{Verb: "compiling"})
	lib := b.Task("openssl", "objects")
	srv := b.Task("nginx", "objects")
	srv.SetTotal(212)
	dl := b.Download("zlib 1.2.13")
	dl.SetTotal(4 << 20)
	dl.Set(1 << 20)
	lib.Start()
	lib.SetStatus("configuring")
	b.Start(context.Background())
	defer b.Stop()
	waitFor(t, &out, `compiling: openssl configuring, nginx 0/212 objects, zlib 1\.2\.13 1\.0 MiB of 4\.0 MiB at [0-9.]+ [KMG]?i?B/s, [0-9.]+s\n`)
	lib.SetTotal(1580)
	lib.Set(412)
	waitFor(t, &out, `compiling: openssl 412/1580 objects, nginx 0/212 objects, zlib`)
	// All objects there: what is left is said, not counted.
	lib.SetAfterwards("linking")
	lib.Set(1580)
	waitFor(t, &out, `compiling: openssl 1580/1580 objects \(linking\), nginx 0/212 objects, zlib`)
	took := lib.Finish(func(took time.Duration) string { return "compiled openssl in " + took.String() })
	if took <= 0 || !strings.Contains(out.String(), "compiled openssl in "+took.String()+"\n") {
		t.Fatalf("finished after %v; output:\n%s", took, out.String())
	}
	waitFor(t, &out, `(?m)^compiling: nginx 0/212 objects, zlib [^\n]*\n`)
	if strings.Contains(out.String(), "\r") || strings.Contains(out.String(), "\x1b") {
		t.Errorf("terminal codes in plain output:\n%q", out.String())
	}
}

// A board whose tasks are all done stays quiet: nothing runs.
func TestPlainQuietWhenNothingRuns(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	ios := iostreams.New(&bytes.Buffer{}, &out)
	ios.ProgressEvery = 5 * time.Millisecond
	b := New(ios, Options{Verb: "downloading"})
	b.Start(context.Background())
	time.Sleep(50 * time.Millisecond)
	b.Stop()
	if out.String() != "" {
		t.Errorf("output with no task: %q", out.String())
	}
}

// On a terminal each task is a bar, redrawn in place; Poll feeds it; a
// finished task's bar goes and its line is printed above the others.
func TestLiveBars(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	ios := iostreams.NewTerminal(&bytes.Buffer{}, &out, 120)
	var mu sync.Mutex
	done := int64(0)
	var lib *Task
	b := New(ios, Options{Verb: "compiling", Poll: func() {
		mu.Lock()
		defer mu.Unlock()
		lib.Set(done)
	}})
	lib = b.Task("openssl 3.0.20", "objects")
	srv := b.Task("nginx 1.22.1", "objects")
	srv.SetTotal(123)
	lib.SetTotal(10)
	lib.Start()
	b.Start(context.Background())
	waitFor(t, &out, `\ropenssl 3\.0\.20  0% \[\.+\] \(0/10\) objects  [0-9.]+s\x1b\[K\n\rnginx 1\.22\.1 +waiting \(123 objects\)\x1b\[K\n`)
	// The estimate counts from the first object done.
	mu.Lock()
	done = 2
	mu.Unlock()
	waitFor(t, &out, `\(2/10\) objects  [0-9.]+s\x1b`)
	mu.Lock()
	done = 5
	mu.Unlock()
	waitFor(t, &out, `\x1b\[2A\ropenssl 3\.0\.20  50% \[=+>\.+\] \(5/10\) objects  [0-9.]+s, ~[0-9.]+s left\x1b\[K\n`)
	lib.Finish(func(time.Duration) string { return "compiled openssl" })
	b.Stop()
	s := out.String()
	fin := strings.LastIndex(s, "compiled openssl\n")
	if fin < 0 {
		t.Fatalf("no finish line:\n%q", s)
	}
	// After the line: only the nginx bar, then the block erased by Stop.
	if tail := s[fin:]; strings.Contains(tail, "openssl 3.0.20") || !strings.Contains(tail, "nginx 1.22.1") || !strings.HasSuffix(tail, "\x1b[1A\x1b[J") {
		t.Errorf("after the finish line: %q", tail)
	}
}

// The board's goroutine ends with the context: a cancelled build is not
// kept waiting by its progress.
func TestStopsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	b := New(iostreams.New(&bytes.Buffer{}, &bytes.Buffer{}), Options{Verb: "compiling", Poll: func() {}})
	b.Start(ctx)
	cancel()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the board's goroutine outlived its context")
	}
	b.Stop()
	b.Stop()
}

// On a narrow terminal the bar gives up columns, so that counts and times
// stay on screen.
func TestBarWidth(t *testing.T) {
	t.Parallel()
	for cols, want := range map[int]int{0: 30, 200: 30, 110: 30, 100: 20, 90: 10, 80: 8, 40: 8} {
		if got := barWidth(cols); got != want {
			t.Errorf("barWidth(%d) = %d, want %d", cols, got, want)
		}
	}
}
