package builder

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/module3rd"
)

// Step stamps. The up-to-date stamp (stampFile) says that a build is
// finished; step stamps say how far an unfinished one got with the same
// inputs, so that the run after an interruption or a failure redoes only
// the steps that did not finish:
//
//   - "prepare": every tarball extracted, modules provisioned, patches
//     applied. One stamp for the three, because a half-patched tree can
//     only be redone from a fresh extraction. Without it (or with another
//     digest) everything is extracted again into fresh directories.
//   - "configure": configure succeeded; it is not run again.
//   - "make": make succeeded. An interrupted make is simply run again: the
//     Makefile is incremental, and make deletes a half-built target when
//     it is killed.
//
// A step's stamp is removed, with those of every later step, before the
// step starts, and written only once it has succeeded; stamps belong to
// one input digest (inputDigest). A run without a digest (modules for an
// existing binary) trusts none and leaves none.
const stepsFile = ".nginx-build-steps.json"

const (
	stepPrepare   = "prepare"
	stepConfigure = "configure"
	stepMake      = "make"
)

// stepOrder is the order steps run in: a step's stamp is worth something
// only while the stamps of the steps before it stand.
func stepOrder() []string { return []string{stepPrepare, stepConfigure, stepMake} }

type stepStamps struct {
	Digest string   `json:"digest"`
	Done   []string `json:"done"`
}

func readSteps(s *State) stepStamps {
	var st stepStamps
	b, err := os.ReadFile(filepath.Join(s.buildDir(), stepsFile))
	if err != nil || json.Unmarshal(b, &st) != nil || st.Digest == "" || st.Digest != s.stampDigest {
		return stepStamps{Digest: s.stampDigest}
	}
	return st
}

func writeSteps(s *State, st stepStamps) error {
	path := filepath.Join(s.buildDir(), stepsFile)
	if s.stampDigest == "" {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove step stamps: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write step stamps: %w", err)
	}
	return nil
}

// stepDone reports whether step finished in an earlier run with the same
// inputs.
func stepDone(s *State, step string) bool {
	return s.stampDigest != "" && slices.Contains(readSteps(s).Done, step)
}

// beginStep forgets step and every later step before step runs: what an
// interrupted step leaves behind is never trusted.
func beginStep(s *State, step string) error {
	st := readSteps(s)
	order := stepOrder()
	before := order[:slices.Index(order, step)]
	st.Done = slices.DeleteFunc(st.Done, func(d string) bool { return !slices.Contains(before, d) })
	return writeSteps(s, st)
}

// finishStep records that step succeeded.
func finishStep(s *State, step string) error {
	st := readSteps(s)
	if !slices.Contains(st.Done, step) {
		st.Done = append(st.Done, step)
	}
	return writeSteps(s, st)
}

// preparedTrees reports whether the trees a finished prepare step left
// are all still there (nobody removed one by hand).
func preparedTrees(s *State) bool {
	dirs := []string{s.sourceDir()}
	for _, r := range s.Fetched.Components {
		dirs = append(dirs, filepath.Join(s.buildDir(), s.treeName(r)))
	}
	for _, m := range s.Plan.Trees() {
		if m.Form != module3rd.FormLocal {
			dirs = append(dirs, filepath.Join(s.buildDir(), m.Name))
		}
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}
