package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/internal/progress"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/plan"
)

// libraryCompiler is how a library built outside nginx's make compiles:
// through a wrapper named like the compiler ("cc") in a directory put
// first on PATH, so that the library records "cc" as its compiler (OpenSSL
// compiles its CC and flags into libcrypto) rather than a path in the
// work dir, while the wrapper adds ccache and -ffile-prefix-map as nginx's
// own wrapper does.
type libraryCompiler struct {
	env []string // CC and PATH
	// identity is a hash of what the compiler says it is and the flags
	// given with it: a part of the library cache key.
	identity string
}

// libraryCC writes the wrapper and works out the compiler's identity.
func (s *State) libraryCC(ctx context.Context) (libraryCompiler, error) {
	words := strings.Fields(s.Env.CC)
	if len(words) == 0 {
		words = []string{"cc"}
	}
	compiler, err := exec.LookPath(words[0])
	if err != nil {
		return libraryCompiler{}, fmt.Errorf("the compiler %q ($CC) is not on PATH: %w", words[0], err)
	}
	version, err := proc.Output(proc.Command(ctx, compiler, "--version"))
	if err != nil {
		return libraryCompiler{}, fmt.Errorf("%s --version: %w", compiler, err)
	}
	machine, _ := proc.Output(proc.Command(ctx, compiler, "-dumpmachine"))
	id := sha256.Sum256([]byte(strings.Join([]string{string(version), string(machine), strings.Join(words[1:], " ")}, "\x00")))

	dir := filepath.Join(s.buildDir(), ".nginx-build-cc.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return libraryCompiler{}, fmt.Errorf("write compiler wrapper: %w", err)
	}
	name := filepath.Base(words[0])
	var w strings.Builder
	w.WriteString("#!/bin/sh\n# Written by nginx-build: the compiler of the libraries it builds (see README, \"Reproducible builds\").\nexec ")
	if s.toolchain != nil && s.toolchain.CCache != "" {
		w.WriteString(configure.Quote(s.toolchain.CCache) + " ")
	}
	w.WriteString(configure.Quote(compiler))
	for _, a := range words[1:] {
		w.WriteString(" " + configure.Quote(a))
	}
	fmt.Fprintf(&w, " %s \"$@\"\n", configure.Quote("-ffile-prefix-map="+s.buildDir()+"=."))
	if err := os.WriteFile(filepath.Join(dir, name), []byte(w.String()), 0o755); err != nil {
		return libraryCompiler{}, fmt.Errorf("write compiler wrapper: %w", err)
	}
	// The PATH of this process, which the builds inherit, with the wrapper
	// first.
	return libraryCompiler{
		env:      []string{"CC=" + name, "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")},
		identity: hex.EncodeToString(id[:]),
	}, nil
}

// sourceIdentity names exactly which source a component's tree came
// from: its tarball's sha256, or the commit of its git tree.
func (s *State) sourceIdentity(c pin.Component) string {
	for _, r := range s.Fetched.Components {
		if r.Artifact.Component == c.Name && r.SHA256 != "" {
			return "sha256:" + r.SHA256
		}
	}
	if c.SHA256 != "" {
		return "sha256:" + c.SHA256
	}
	if commit := s.Resolved.Commits[plan.CustomTreeName(c.Name)]; commit != "" {
		return "commit:" + commit
	}
	return "version:" + c.Version
}

// patchIdentities are the sha256s of the patches applied to the named
// component's tree, in order, after the patch options.
func (s *State) patchIdentities(component string) ([]string, error) {
	var out []string
	for _, p := range s.Plan.Patches {
		if p.Target != component {
			continue
		}
		sum, err := fetch.FileSHA256(p.Path)
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", p.Path, err)
		}
		out = append(out, sum)
	}
	if len(out) > 0 && len(s.Plan.PatchOpt) > 0 {
		out = append([]string{"options: " + strings.Join(s.Plan.PatchOpt, " ")}, out...)
	}
	return out, nil
}

// collectInstalled copies what `make install_dev DESTDIR=staged`
// installed that nginx uses — the include dir that has openssl/ssl.h, and
// the static archives — into out/include and out/lib.
func collectInstalled(staged, out string) error {
	var include string
	var archives []string
	err := filepath.WalkDir(staged, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && d.Name() == "openssl" && fileExists(filepath.Join(path, "ssl.h")):
			include = filepath.Dir(path)
			return filepath.SkipDir
		case d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".a"):
			archives = append(archives, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read what make install_dev installed: %w", err)
	}
	if include == "" || len(archives) == 0 {
		return fmt.Errorf("make install_dev installed no openssl/ssl.h or no .a archive under %s", staged)
	}
	if err := os.Rename(include, filepath.Join(out, "include")); err != nil {
		return err
	}
	lib := filepath.Join(out, "lib")
	if err := os.Mkdir(lib, 0o755); err != nil {
		return err
	}
	for _, a := range archives {
		if err := os.Rename(a, filepath.Join(lib, filepath.Base(a))); err != nil {
			return err
		}
	}
	return nil
}

// startLibraryCompile shows the progress of a library built outside
// nginx's make: the objects its targets reach in its Makefile, once its
// configure has written it.
func startLibraryCompile(ctx context.Context, s *State, component, label, tree string, targets []string) *compileMonitor {
	now := time.Now()
	m := &compileMonitor{started: now, since: now}
	m.lines = &lineWriter{fn: m.sawLine}
	p := &compilePhase{name: component, label: label, dir: tree, goals: targets}
	for _, t := range targets {
		p.markers = append(p.markers, filepath.Join(tree, t))
	}
	m.phases = []*compilePhase{p}
	m.board = progress.New(s.Env.IO, progress.Options{Verb: "compiling", Poll: m.poll})
	p.task = m.board.Task(label, "objects")
	p.task.SetAfterwards("archiving, installing")
	m.board.Start(ctx)
	return m
}
