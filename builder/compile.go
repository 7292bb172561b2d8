package builder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/makefile"
	"github.com/nginx-build/nginx-build/internal/progress"
	"github.com/nginx-build/nginx-build/record"
)

// Compile progress. What make will compile is known before it starts:
// nginx's objs/Makefile lists every object of nginx and its modules, and
// names the libraries it builds with a recipe that goes into their tree
// and runs their own make ("cd ../openssl-3.0.20 && ./config … && $(MAKE)").
// A library's own Makefile, once its configure has written it, lists its
// objects. So each component is a phase whose total is counted from the
// Makefiles and whose progress is the objects that exist; it starts when
// make says so (the recipe's `cd`, a compiler's `-o objs/…`) and is done
// when its last target exists, newer than objs/Makefile (make's own test),
// or when make ends.

// compilePhase is one component of a make run.
type compilePhase struct {
	name string // its name in the timings: the component, or "modules"
	// dir is the library's tree (its Makefile, objects relative to it);
	// goals are the targets nginx makes there ("" for the default).
	// Both empty for nginx and the modules.
	dir   string
	goals []string
	// cd is the line make echoes when the library's recipe begins.
	cd string
	// objPrefix is what a compile line of the phase's objects shows
	// ("-o objs/addon/").
	objPrefix string
	// markers exist, newer than objs/Makefile, once the phase is done.
	markers []string
	objects []string // absolute paths; for a library once its Makefile has them
	label   string   // the task's name on screen
	task    *progress.Task

	mf fileSig // the library Makefile objects were read from
}

// fileSig tells a rewritten file from the one read before.
type fileSig struct {
	size  int64
	mtime time.Time
}

func sigOf(path string) (fileSig, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileSig{}, false
	}
	return fileSig{fi.Size(), fi.ModTime()}, true
}

// compileMonitor follows one make run.
type compileMonitor struct {
	board    *progress.Board
	phases   []*compilePhase
	fallback *progress.Task // when objs/Makefile could not be read
	since    time.Time      // objs/Makefile's mtime: what is older is stale
	started  time.Time

	mu    sync.Mutex // guards seen
	seen  []string   // lines make printed since the last poll that may start a phase
	lines *lineWriter
}

// objsDir is the tree whose objs/Makefile make runs: the nginx tree, or
// build/nginx-*/ inside an OpenResty bundle; "" when there is none.
func objsDir(src string) string {
	if fileExists(filepath.Join(src, "objs", "Makefile")) {
		return src
	}
	m, _ := filepath.Glob(filepath.Join(src, "build", "nginx-*", "objs", "Makefile"))
	if len(m) == 1 {
		return filepath.Dir(filepath.Dir(m[0]))
	}
	return ""
}

// planCompile reads objs/Makefile in dir for what making goals (none or
// "" for its default) compiles. name names a library by its tree.
func planCompile(dir string, goals []string, server string, name func(tree string) string) ([]*compilePhase, time.Time, error) {
	path := filepath.Join(dir, "objs", "Makefile")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	mf, err := makefile.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(goals) == 0 || len(goals) == 1 && goals[0] == "" {
		goals = []string{mf.DefaultGoal()}
	}
	var reach []string
	seen := map[string]bool{}
	for _, g := range goals {
		for _, t := range mf.Reachable(g) {
			if !seen[t] {
				seen[t] = true
				reach = append(reach, t)
			}
		}
	}
	libs := libraryPhases(mf, reach, dir, name)
	core := &compilePhase{name: server, label: server, objPrefix: "-o objs/"}
	mods := &compilePhase{name: "modules", label: "modules", objPrefix: "-o objs/addon/"}
	for _, t := range reach {
		switch {
		case isModuleObject(t):
			mods.objects = append(mods.objects, filepath.Join(dir, t))
		case strings.HasPrefix(t, "objs/") && strings.HasSuffix(t, ".o"):
			core.objects = append(core.objects, filepath.Join(dir, t))
		case t == "objs/nginx":
			core.markers = append(core.markers, filepath.Join(dir, t))
		case strings.HasPrefix(t, "objs/") && strings.HasSuffix(t, ".so"):
			mods.markers = append(mods.markers, filepath.Join(dir, t))
		}
	}
	phases := libs
	if len(core.objects) > 0 {
		phases = append(phases, core)
	}
	if len(mods.objects) > 0 {
		phases = append(phases, mods)
	}
	return phases, fi.ModTime(), nil
}

// isModuleObject reports whether t is an object of a third-party module:
// its code (objs/addon/…) or, for a dynamic one, its list of modules
// (objs/ngx_http_x_module_modules.o; nginx's own is objs/ngx_modules.o).
func isModuleObject(t string) bool {
	return strings.HasPrefix(t, "objs/addon/") && strings.HasSuffix(t, ".o") ||
		strings.HasPrefix(t, "objs/") && strings.HasSuffix(t, "_modules.o") && t != "objs/ngx_modules.o"
}

// libraryPhases finds the libraries objs/Makefile builds among the targets
// reached: rules whose recipe goes into a tree and runs make there. A tree
// only configured there (PCRE2 for `make modules`, which needs its header)
// is not a compile phase.
func libraryPhases(mf *makefile.File, reach []string, dir string, name func(string) string) []*compilePhase {
	var phases []*compilePhase
	byDir := map[string]*compilePhase{}
	for _, t := range reach {
		cd, goals, ok := libraryRecipe(mf.Recipe(t))
		if !ok || len(goals) == 0 {
			continue
		}
		tree := filepath.Join(dir, cd)
		p := byDir[tree]
		if p == nil {
			n := name(tree)
			p = &compilePhase{name: n, label: n, dir: tree, cd: "cd " + cd}
			byDir[tree] = p
			phases = append(phases, p)
		}
		p.goals = append(p.goals, goals...)
		p.markers = append(p.markers, filepath.Join(dir, t))
	}
	return phases
}

// libraryRecipe reads a recipe of the form "cd DIR && … $(MAKE) [targets]
// …": the tree and the targets made there, cleaning left out (a
// $(MAKE) without a target makes the default, "").
func libraryRecipe(recipe []string) (dir string, goals []string, ok bool) {
	words := strings.Fields(strings.Join(recipe, " "))
	if len(words) < 2 || words[0] != "cd" {
		return "", nil, false
	}
	dir = words[1]
	for i, w := range words {
		if w != "$(MAKE)" && w != "${MAKE}" {
			continue
		}
		var targets []string
		for _, a := range words[i+1:] {
			if strings.ContainsAny(a, ";&|)") {
				if t, _, _ := strings.Cut(a, ";"); t != "" && !strings.ContainsAny(t, "&|)") {
					targets = append(targets, t)
				}
				break
			}
			if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
				targets = append(targets, a)
			}
		}
		if len(targets) == 0 {
			goals = append(goals, "")
		}
		for _, t := range targets {
			if !strings.Contains(t, "clean") {
				goals = append(goals, t)
			}
		}
	}
	return dir, goals, true
}

// libraryObjects are what making goals in a library's Makefile compiles:
// the objects its targets reach, or for the default goal (OpenSSL's,
// whose targets run make again) every object it has a rule for.
func libraryObjects(mf *makefile.File, dir string, goals []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if isObject(t) && !seen[t] {
			seen[t] = true
			out = append(out, filepath.Join(dir, t))
		}
	}
	for _, g := range goals {
		n := len(out)
		if g != "" {
			for _, t := range mf.Reachable(g) {
				add(t)
			}
		}
		if len(out) == n {
			for _, t := range mf.Targets() {
				add(t)
			}
		}
	}
	return out
}

func isObject(t string) bool {
	return !strings.HasPrefix(t, ".") && (strings.HasSuffix(t, ".o") || strings.HasSuffix(t, ".lo"))
}

// startCompile starts showing the progress of making goals (none: the
// default) in src.
func startCompile(ctx context.Context, s *State, src string, goals ...string) *compileMonitor {
	m := &compileMonitor{started: time.Now()}
	m.lines = &lineWriter{fn: m.sawLine}
	server := s.Plan.Server.Name
	if dir := objsDir(src); dir != "" {
		phases, since, err := planCompile(dir, goals, server, s.libraryName)
		if err != nil {
			s.Env.IO.Debugf("compile progress: %v", err)
		}
		m.phases, m.since = phases, since
	}
	m.board = progress.New(s.Env.IO, progress.Options{Verb: "compiling", Poll: m.poll})
	if len(m.phases) == 0 {
		m.fallback = m.board.Task(server, "objects")
		m.fallback.SetStatus("make")
		m.fallback.Start()
	}
	for _, p := range m.phases {
		if p.done(m.since) {
			continue // built by an earlier run: make has nothing to do there
		}
		if p.dir == "" {
			p.label += " " + s.Resolved.Server().Version
		} else if c, ok := s.Resolved.Component(p.name); ok {
			p.label += " " + c.Version
		}
		p.task = m.board.Task(p.label, "objects")
		p.task.SetTotal(int64(len(p.objects)))
		after := "linking"
		if p.dir != "" {
			after = "linking, installing" // OpenSSL makes its manual pages then too
		}
		p.task.SetAfterwards(after)
	}
	m.board.Start(ctx)
	return m
}

// libraryName is the component whose tree is dir (its directory's name
// when it is none of them).
func (s *State) libraryName(dir string) string {
	for _, c := range s.Resolved.Components {
		if filepath.Clean(s.Resolved.TreeDir(c)) == filepath.Clean(dir) {
			return c.Name
		}
	}
	return filepath.Base(dir)
}

// done reports whether every marker of the phase exists, newer than
// objs/Makefile.
func (p *compilePhase) done(since time.Time) bool {
	if len(p.markers) == 0 {
		return false
	}
	for _, mk := range p.markers {
		fi, err := os.Stat(mk)
		if err != nil || fi.ModTime().Before(since) {
			return false
		}
	}
	return true
}

// tee is where make's output goes besides its log: to w (verbose) and to
// the monitor, which reads it for the start of each phase.
func (m *compileMonitor) tee(w io.Writer) io.Writer {
	if w == nil {
		return m.lines
	}
	return io.MultiWriter(w, m.lines)
}

// sawLine keeps a line of make's output that may start a phase.
func (m *compileMonitor) sawLine(line string) {
	if !strings.HasPrefix(line, "cd ") && !strings.Contains(line, "-o objs/") {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.seen) < 1000 {
		m.seen = append(m.seen, line)
	}
}

// poll measures every phase (from the board's goroutine).
func (m *compileMonitor) poll() {
	m.mu.Lock()
	seen := m.seen
	m.seen = nil
	m.mu.Unlock()
	for _, p := range m.phases {
		if p.task == nil || p.task.Finished() {
			continue
		}
		m.measure(p, seen)
	}
}

// measure counts a phase's objects, starts it when make has, and finishes
// it when its targets are there.
func (m *compileMonitor) measure(p *compilePhase, seen []string) {
	if p.dir != "" {
		p.readObjects()
	}
	n, fresh := 0, false
	for _, o := range p.objects {
		if fi, err := os.Stat(o); err == nil {
			n++
			fresh = fresh || !fi.ModTime().Before(m.started)
		}
	}
	p.task.Set(int64(n))
	// make's own line starts a phase; failing that, what it wrote during
	// this run: a library's Makefile (its configure ran), nginx's objects.
	// What earlier runs left proves nothing.
	if !p.task.Started() && (p.begins(seen) || fresh || p.dir != "" && !p.mf.mtime.Before(m.started)) {
		p.task.Start()
	}
	if p.dir != "" && len(p.objects) == 0 {
		p.task.SetStatus("configuring")
	}
	if p.task.Started() && p.done(m.since) {
		m.finish(p)
	}
}

// begins reports whether make printed the line that starts the phase.
func (p *compilePhase) begins(seen []string) bool {
	for _, l := range seen {
		l = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "\\"))
		switch {
		case p.cd != "" && l == p.cd:
			return true
		case p.dir == "" && strings.Contains(l, p.objPrefix) && (p.name == "modules" || !strings.Contains(l, "-o objs/addon/")):
			return true
		}
	}
	return false
}

// readObjects reads a library's object list from its Makefile when that
// is new or rewritten (its configure writes it; OpenSSL's `make depend`
// rewrites it).
func (p *compilePhase) readObjects() {
	path := filepath.Join(p.dir, "Makefile")
	sig, ok := sigOf(path)
	if !ok || sig == p.mf {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	mf, err := makefile.Parse(f)
	if err != nil {
		return
	}
	p.mf = sig
	p.objects = libraryObjects(mf, p.dir, p.goals)
	p.task.SetTotal(int64(len(p.objects)))
}

// finish ends a phase with its line.
func (m *compileMonitor) finish(p *compilePhase) {
	p.task.Finish(func(took time.Duration) string {
		if n := len(p.objects); n > 0 {
			return fmt.Sprintf("compiled %s: %d objects in %s", p.label, n, human.Duration(took))
		}
		return fmt.Sprintf("compiled %s in %s", p.label, human.Duration(took))
	})
}

// stop ends the progress. After a make that succeeded every phase is
// done, and their durations are returned: libraries in objs/Makefile's
// order, then nginx and the modules.
func (m *compileMonitor) stop(ok bool) []record.Timing {
	m.board.Stop() // its goroutine is gone: polling here is safe
	if !ok {
		return nil
	}
	m.poll()
	var out []record.Timing
	for _, p := range m.phases {
		if p.task == nil {
			continue
		}
		if !p.task.Finished() {
			p.task.Start() // a phase make never showed beginning still ran within it
			m.finish(p)
		}
		out = append(out, record.Timing{Phase: p.name, Took: p.task.Took()})
	}
	if m.fallback != nil {
		out = append(out, record.Timing{Phase: "make", Took: m.fallback.Finish(nil)})
	}
	return out
}

// lineWriter calls fn with each line written to it.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64*1024 { // a line nobody needs whole
		w.buf = w.buf[:0]
	}
	return len(b), nil
}
