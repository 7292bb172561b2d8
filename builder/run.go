package builder

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nginx-build/nginx-build/internal/proc"
)

// StepError is a failed external step (configure, make, patch, …). Its
// message carries the cause so that it is on screen without opening the
// file: the first error of the component that failed when the log shows
// one (First, see explainFailure), else the tail of the step's log.
type StepError struct {
	Step  string
	Log   string
	Tail  []string
	First *FirstError
	Err   error
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %v", e.Step, e.Err)
	switch {
	case e.First != nil:
		fmt.Fprintf(&b, "\n%s", e.First.describe(e.Log))
	case len(e.Tail) > 0:
		fmt.Fprintf(&b, "\n--- last %d lines of %s ---\n%s\n---", len(e.Tail), e.Log, strings.Join(e.Tail, "\n"))
	}
	if e.Log != "" {
		fmt.Fprintf(&b, "\nfull log: %s", e.Log)
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// tailLines is how much of a failing log is shown.
const tailLines = 40

// runLogged runs name+args in dir, appending its combined output to logPath
// (and to tee, when non-nil). The child gets its own process group so that
// cancellation (Ctrl-C, or a failure elsewhere) kills make's whole tree of
// compilers, not just make.
func runLogged(ctx context.Context, step, dir, logPath string, tee io.Writer, env []string, name string, args ...string) error {
	return runLog(ctx, os.O_TRUNC, "", step, dir, logPath, tee, env, name, args...)
}

// appendLogged is runLogged for logs that collect several steps (one
// patch after another in nginx-patch.log): it appends to logPath, after a
// header line saying which step the output below belongs to.
func appendLogged(ctx context.Context, header, step, dir, logPath string, tee io.Writer, env []string, name string, args ...string) error {
	return runLog(ctx, os.O_APPEND, header, step, dir, logPath, tee, env, name, args...)
}

func runLog(ctx context.Context, mode int, header, step, dir, logPath string, tee io.Writer, env []string, name string, args ...string) error {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|mode, 0o644)
	if err != nil {
		return fmt.Errorf("%s: open log: %w", step, err)
	}
	defer logf.Close()
	if header != "" {
		if _, err := fmt.Fprintf(logf, "=== %s\n", header); err != nil {
			return fmt.Errorf("%s: write log: %w", step, err)
		}
	}
	var out io.Writer = logf
	if tee != nil {
		out = io.MultiWriter(logf, tee)
	}
	// Its own process group: SIGTERM to all of it on cancellation (make
	// then removes half-written objects), stragglers killed afterwards.
	cmd := proc.Command(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = append(os.Environ(), env...)
	runErr := proc.Run(cmd)
	if runErr == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", step, ctx.Err())
	}
	logf.Close()
	return &StepError{Step: step, Log: logPath, Tail: lastLines(logPath, tailLines), Err: runErr}
}

func lastLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ring []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		ring = append(ring, sc.Text())
		if len(ring) > n {
			ring = ring[1:]
		}
	}
	return ring
}
