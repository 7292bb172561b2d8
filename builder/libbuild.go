package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
}

// compilerWords is $CC as words ("cc" when unset).
func (s *State) compilerWords() []string {
	if words := strings.Fields(s.Env.CC); len(words) > 0 {
		return words
	}
	return []string{"cc"}
}

// compilerIdentity is a part of every library cache key: a hash of what
// the compiler, run as $CC is ("ccache gcc" runs gcc), says it is and
// builds for, and of where the command is.
func (s *State) compilerIdentity(ctx context.Context) (string, error) {
	words := s.compilerWords()
	path, err := exec.LookPath(words[0])
	if err != nil {
		return "", fmt.Errorf("the compiler %q ($CC) is not on PATH: %w", words[0], err)
	}
	run := func(arg string) []byte {
		out, _ := proc.Output(proc.Command(ctx, path, append(slices.Clone(words[1:]), arg)...))
		return out
	}
	version := run("--version")
	if len(version) == 0 {
		return "", fmt.Errorf("%s --version says nothing: cannot tell which compiler builds the libraries", strings.Join(words, " "))
	}
	id := sha256.Sum256(bytes.Join([][]byte{[]byte(path), []byte(strings.Join(words[1:], " ")), version, run("-dumpmachine")}, []byte{0}))
	return hex.EncodeToString(id[:]), nil
}

// libraryCC writes the wrapper.
func (s *State) libraryCC() (libraryCompiler, error) {
	words := s.compilerWords()
	compiler, err := exec.LookPath(words[0])
	if err != nil {
		return libraryCompiler{}, fmt.Errorf("the compiler %q ($CC) is not on PATH: %w", words[0], err)
	}
	dir := filepath.Join(s.buildDir(), ".nginx-build-cc.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return libraryCompiler{}, fmt.Errorf("write compiler wrapper: %w", err)
	}
	name := filepath.Base(words[0])
	command := configure.Quote(compiler)
	for _, a := range words[1:] {
		command += " " + configure.Quote(a)
	}
	ccache := ""
	if s.toolchain != nil {
		ccache = s.toolchain.CCache
	}
	if err := writeCompilerWrapper(filepath.Join(dir, name), "the compiler of the libraries it builds", ccache, command, s.buildDir()); err != nil {
		return libraryCompiler{}, err
	}
	// The children get this process's environment (run.go) with env added:
	// its PATH, then, with the wrapper's directory first.
	return libraryCompiler{env: []string{"CC=" + name, "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}}, nil
}

// libraryStamp is the file in a library's tree naming the cache key of
// the library an earlier run built or restored there.
const libraryStamp = ".nginx-build-lib"

// libraryCurrent reports whether tree holds the library keyed key from
// an earlier run — its stamp says so and its files exist, none older than
// objs/Makefile (else nginx's make would build them again) — so that a
// rerun leaves them (and the nginx objects that depend on them) alone.
func libraryCurrent(tree, key string, files []string, since time.Time) bool {
	b, err := os.ReadFile(filepath.Join(tree, libraryStamp))
	if err != nil || key == "" || strings.TrimSpace(string(b)) != key {
		return false
	}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(tree, f))
		if err != nil || fi.ModTime().Before(since) {
			return false
		}
	}
	return true
}

// writeLibraryStamp records that tree holds the library keyed key.
func writeLibraryStamp(tree, key string) error {
	if err := os.WriteFile(filepath.Join(tree, libraryStamp), []byte(key+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(tree, libraryStamp), err)
	}
	return nil
}

// sourceIdentity names exactly which source a component's tree came
// from: its tarball's sha256, or the commit of its git tree ("" when
// neither is known).
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
	return "" // nothing names it exactly: not to be cached
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
