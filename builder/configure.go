package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/progress"
	"github.com/nginx-build/nginx-build/modules"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/record"
)

// configureStage writes the generated script as nginx-configure in the
// source dir (nginx-build's name for it) and runs it.
type configureStage struct{}

func (configureStage) Name() string { return "configure" }

func (configureStage) Run(ctx context.Context, s *State) error {
	src := s.sourceDir()
	script := filepath.Join(src, "nginx-configure")
	if err := os.WriteFile(script, []byte(s.Resolved.Script), 0o755); err != nil {
		return fmt.Errorf("write configure script: %w", err)
	}
	tc, err := setupToolchain(ctx, s)
	if err != nil {
		return err
	}
	s.toolchain = tc
	for _, n := range tc.Notes {
		s.Env.IO.Infof("%s", n)
	}
	if stepDone(s, stepConfigure) && fileExists(filepath.Join(src, "Makefile")) {
		s.Env.IO.Infof("%s was configured with the same inputs by an earlier run; not running configure again", src)
	} else {
		if err := beginStep(s, stepConfigure); err != nil {
			return err
		}
		s.Env.IO.Infof("configuring %s (log: %s)", serverLabel(s.Resolved), filepath.Join(src, "nginx-configure.log"))
		if err := runConfigure(ctx, s, src, tc.Env); err != nil {
			return explainFailure(s, err)
		}
		if err := finishStep(s, stepConfigure); err != nil {
			return err
		}
	}
	if s.Plan.ConfigureOnly {
		if err := writeStamp(s, "configured"); err != nil {
			return err
		}
		s.Env.IO.Infof("configured %s (-configureonly); run `make -C %s` to compile", src, src)
		return ErrStop
	}
	return nil
}

// runConfigure runs the script with its progress shown: configure
// cannot say how many checks it will make, so a running count of them and
// the time.
func runConfigure(ctx context.Context, s *State, src string, env []string) error {
	board := progress.New(s.Env.IO, progress.Options{Verb: "configuring"})
	label := serverLabel(s.Resolved)
	task := board.Task(label, "checks")
	task.SetStatus("running configure")
	task.Start()
	checks := &lineWriter{fn: func(line string) {
		if strings.HasPrefix(line, "checking for ") {
			task.Add(1)
		}
	}}
	var tee io.Writer = checks
	if v := teeFor(s); v != nil {
		tee = io.MultiWriter(v, checks)
	}
	board.Start(ctx)
	err := runLogged(ctx, "configure", src, filepath.Join(src, "nginx-configure.log"), tee, env, "/bin/sh", "./nginx-configure")
	board.Stop()
	if err != nil {
		return err
	}
	took := task.Finish(func(took time.Duration) string {
		return fmt.Sprintf("configured %s in %s (%d checks)", label, human.Duration(took), task.Done())
	})
	s.Timings = append(s.Timings, record.Timing{Phase: "configure", Took: took})
	return nil
}

// teeFor shows child output live in verbose mode; otherwise it only goes
// to the log files.
func teeFor(s *State) io.Writer {
	if s.Env.IO.Verbose {
		return s.Env.IO.Err
	}
	return nil
}

// serverLabel names the server being built: its version, or for a custom
// one from git its tag (or default branch) and commit.
func serverLabel(r *plan.Resolved) string {
	server := r.Server()
	commit := r.Commits[plan.CustomTreeName(server.Name)]
	switch {
	case commit == "":
		return server.Name + " " + server.Version
	case server.Version == plan.DefaultBranch:
		return fmt.Sprintf("%s (default branch) at %s", server.Name, modules.Short(commit))
	default:
		return fmt.Sprintf("%s %s at %s", server.Name, server.Version, modules.Short(commit))
	}
}
