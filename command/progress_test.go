package command

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/record"
)

// runEvery is run with plain progress lines every interval.
func runEvery(t *testing.T, every time.Duration, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ios := iostreams.New(&out, &errb)
	ios.ProgressEvery = every
	code := RunWith(context.Background(), cliFor(t).factory(ios), args)
	return result{code, out.String(), errb.String()}
}

// Not on a terminal (CI), a make that outlasts the interval still says
// how far it got at each interval, then how long each phase took: on
// stderr, in build-info.json, and in one summary line. Stdout keeps the
// binary's path alone.
func TestBuildShowsProgressAndTimings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := runEvery(t, 50*time.Millisecond, f.args("--", "--test-compile=6")...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.err)
	}
	binary := filepath.Join(f.work, "nginx", "1.30.1", "nginx-1.30.1", "objs", "nginx")
	if r.out != binary+"\n" {
		t.Errorf("stdout = %q, want the binary's path alone", r.out)
	}
	for _, re := range []string{
		`(?m)^compiling: nginx 1\.30\.1 [0-5]/6 objects, [0-9.]+s$`,
		`(?m)^compiled nginx 1\.30\.1: 6 objects in [0-9.]+s$`,
		`(?m)^took [0-9.]+s: download [0-9.]+s, extract [0-9.]+s, configure [0-9.]+s, nginx [0-9.]+s$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.err) {
			t.Errorf("no line like %s in:\n%s", re, r.err)
		}
	}
	rec, err := record.Read(filepath.Join(f.work, "nginx", "1.30.1"))
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	for _, tm := range rec.Timings {
		phases = append(phases, tm.Phase)
	}
	if !slices.Equal(phases, []string{"download", "extract", "configure", "nginx"}) {
		t.Errorf("build-info.json timings for %q", phases)
	}
	// Six objects of 0.2 s each, two at a time at most (-j).
	if n := rec.Timings[len(rec.Timings)-1]; n.Took < 600*time.Millisecond {
		t.Errorf("six objects of 0.2 s each compiled in %s", n.Took)
	}
}

// ptyRun starts the tool with stderr on a terminal 120 columns wide and
// returns what the terminal showed (once the tool is gone), its stdout,
// and the command.
type ptyRun struct {
	t      *testing.T
	cmd    *cmdWait
	term   *syncBuf
	stdout *syncBuf
	read   chan struct{}
}

type cmdWait struct {
	done chan error
	proc *os.Process
}

func startOnTerminal(t *testing.T, f *fixture, args ...string) *ptyRun {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	// A terminal, and no CI: bars are drawn.
	cmd := toolCommand(buildTool(t), []string{"NGINX_BUILD_CACHE=" + f.cache, "NGINX_BUILD_MIRROR=", "TERM=xterm", "CI="}, args...)
	r := &ptyRun{t: t, term: &syncBuf{}, stdout: &syncBuf{}, read: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stdout, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child has it
	go func() {
		defer close(r.read)
		_, err := io.Copy(r.term, ptmx)
		if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the child closed its end
			t.Errorf("reading the terminal: %v", err)
		}
	}()
	r.cmd = &cmdWait{done: make(chan error, 1), proc: cmd.Process}
	go func() { r.cmd.done <- cmd.Wait() }()
	return r
}

// wait waits for the tool to end and all it wrote to be read.
func (r *ptyRun) wait() error {
	r.t.Helper()
	select {
	case err := <-r.cmd.done:
		<-r.read
		return err
	case <-time.After(time.Until(waitUntil(r.t))):
		r.cmd.proc.Kill()
		r.t.Fatalf("the tool did not end:\n%q", r.term.String())
		return nil
	}
}

// waitFor waits until the terminal shows re.
func (r *ptyRun) waitFor(re string) {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := waitUntil(r.t)
	for !rx.MatchString(r.term.String()) {
		if time.Now().After(deadline) {
			r.cmd.proc.Kill()
			r.t.Fatalf("the terminal never showed %s:\n%q", re, r.term.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// On a terminal the compile is a bar redrawn in place (carriage return,
// cursor up) as objects are done; lines go above it; stdout, not a
// terminal, gets the binary's path alone.
func TestProgressBarOnATerminal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := startOnTerminal(t, f, f.args("--", "--test-compile=8")...)
	if err := r.wait(); err != nil {
		t.Fatalf("%v:\n%q", err, r.term.String())
	}
	shown := r.term.String()
	bar := regexp.MustCompile(`\rnginx 1\.30\.1  +[0-9]+% \[[=>.]+\] \(([0-8])/8\) objects  [0-9.]+s`)
	counts := map[string]bool{}
	for _, m := range bar.FindAllStringSubmatch(shown, -1) {
		counts[m[1]] = true
	}
	if len(counts) < 3 {
		t.Errorf("the bar was drawn with %d different counts, want it redrawn as objects are done:\n%q", len(counts), shown)
	}
	if !strings.Contains(shown, "\x1b[1A\r") {
		t.Errorf("the bar is not redrawn in place (no cursor up):\n%q", shown)
	}
	for _, line := range []string{"compiled nginx 1.30.1: 8 objects in ", "took "} {
		i := strings.Index(shown, line)
		if i < 0 {
			t.Errorf("the terminal does not show %q:\n%q", line, shown)
			continue
		}
		if before := shown[:i]; !strings.HasSuffix(before, "\n") && !strings.HasSuffix(before, "\x1b[J") {
			t.Errorf("%q printed on the bar's line: %q", line, shown[max(0, i-100):i+len(line)])
		}
	}
	binary := filepath.Join(f.work, "nginx", "1.30.1", "nginx-1.30.1", "objs", "nginx")
	if got := r.stdout.String(); got != binary+"\n" {
		t.Errorf("stdout = %q, want the binary's path alone", got)
	}
}

// Ctrl-C while the bars are drawn ends the run within a second: the
// progress stops with the build, and the terminal is left clean.
func TestInterruptWhileProgressIsDrawn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := startOnTerminal(t, f, f.args("--", "--test-compile=100")...)
	r.waitFor(`\(([1-9][0-9]*)/100\) objects`)
	if err := r.cmd.proc.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := r.wait()
	took := time.Since(start)
	var exit interface{ ExitCode() int }
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("interrupted run: %v", err)
	}
	if took > time.Second {
		t.Errorf("took %s to end after SIGINT, want under a second", took.Round(time.Millisecond))
	}
	shown := r.term.String()
	i := strings.Index(shown, "nginx-build: interrupted")
	if i < 0 {
		t.Fatalf("no interruption message:\n%q", shown)
	}
	if before := shown[:i]; !strings.HasSuffix(before, "\n") && !strings.HasSuffix(before, "\x1b[J") {
		t.Errorf("the message is printed on a bar's line: %q", shown[max(0, i-100):])
	}
	if strings.Contains(shown[i:], "objects") {
		t.Errorf("a bar drawn after the run ended: %q", shown[i:])
	}
}
