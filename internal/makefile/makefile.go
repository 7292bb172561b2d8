// Package makefile reads just enough of a Makefile to count what make
// will compile: its variables, its rules' targets and prerequisites, and
// their recipes. It is not make: no includes, conditionals, pattern rules
// or functions, which none of the Makefiles it reads (nginx's objs/Makefile
// and those of OpenSSL, PCRE2 and zlib as their configure scripts write
// them) need for their object lists.
package makefile

import (
	"bufio"
	"io"
	"slices"
	"strings"
)

// File is a parsed Makefile.
type File struct {
	vars    map[string]string   // name → value, expanded when used
	prereqs map[string][]string // target → raw prerequisite texts, one per rule line
	recipes map[string][]string // target → recipe lines, continuations joined
	order   []string            // targets in the order they first appear
}

// Parse reads a Makefile.
func Parse(r io.Reader) (*File, error) {
	f := &File{vars: map[string]string{}, prereqs: map[string][]string{}, recipes: map[string][]string{}}
	var current []string // the targets of the rule being read, for its recipe
	lines, err := logicalLines(r)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "\t") {
			for _, t := range current {
				f.recipes[t] = append(f.recipes[t], strings.TrimSpace(l))
			}
			continue
		}
		text := strings.TrimSpace(stripComment(l))
		if text == "" {
			continue
		}
		if name, op, value, ok := assignment(text); ok {
			f.assign(name, op, value)
			current = nil
			continue
		}
		colon := ruleColon(text)
		if colon < 0 || strings.HasPrefix(text[colon+1:], "=") {
			current = nil
			continue
		}
		targets, rest := text[:colon], strings.TrimPrefix(text[colon+1:], ":") // "::" rules too
		rest, recipe, hasRecipe := strings.Cut(rest, ";")
		current = nil
		for _, t := range strings.Fields(f.Expand(targets)) {
			if _, seen := f.prereqs[t]; !seen {
				f.order = append(f.order, t)
			}
			f.prereqs[t] = append(f.prereqs[t], rest)
			current = append(current, t)
			if hasRecipe && strings.TrimSpace(recipe) != "" {
				f.recipes[t] = append(f.recipes[t], strings.TrimSpace(recipe))
			}
		}
	}
	return f, nil
}

// ruleColon is the index of the colon that ends a rule's targets, outside
// any $(...) reference; -1 if there is none.
func ruleColon(text string) int {
	level := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '(', '{':
			level++
		case ')', '}':
			level--
		case ':':
			if level == 0 {
				return i
			}
		}
	}
	return -1
}

// logicalLines reads r's lines with backslash-newline continuations joined
// (a recipe keeps its leading tab).
func logicalLines(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var out []string
	var cur strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(cont)
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, sc.Err()
}

// stripComment removes a # comment (make has no quoting for it but \#).
func stripComment(l string) string {
	for i := 0; i < len(l); i++ {
		if l[i] == '#' && (i == 0 || l[i-1] != '\\') {
			return l[:i]
		}
	}
	return l
}

// assignment splits "NAME = value" (also :=, ::=, ?=, +=) into the
// name, the operator's first byte ('=', ':', '?' or '+') and the value; a
// rule with a target-specific variable ("t: X = y") is not one.
func assignment(text string) (name string, op byte, value string, ok bool) {
	eq := strings.IndexByte(text, '=')
	if eq <= 0 {
		return "", 0, "", false
	}
	if colon := strings.IndexByte(text, ':'); colon >= 0 && colon < eq && strings.Trim(text[colon:eq], ":") != "" {
		return "", 0, "", false
	}
	op = '='
	if c := text[eq-1]; c == ':' || c == '?' || c == '+' {
		op = c
	}
	name = strings.TrimSpace(strings.TrimRight(text[:eq], ":?+"))
	if name == "" || strings.ContainsAny(name, " \t") {
		return "", 0, "", false
	}
	return name, op, strings.TrimSpace(text[eq+1:]), true
}

// assign records a variable as make would.
func (f *File) assign(name string, op byte, value string) {
	switch op {
	case '+':
		if old, ok := f.vars[name]; ok && old != "" {
			value = old + " " + value
		}
	case '?':
		if _, ok := f.vars[name]; ok {
			return
		}
	case ':':
		value = f.Expand(value)
	}
	f.vars[name] = value
}

// Expand replaces $(VAR), ${VAR} and $(VAR:from=to) references; what it
// does not know (functions, automatic variables) becomes "", as make
// would turn an undefined variable.
func (f *File) Expand(s string) string {
	return f.expand(s, 0)
}

const maxDepth = 32 // a self-referencing variable must not hang the count

func (f *File) expand(s string, depth int) string {
	if depth > maxDepth || !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		open := s[i+1]
		if open == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		closer := map[byte]byte{'(': ')', '{': '}'}[open]
		if closer == 0 {
			i++ // $@, $< and the like: nothing to count
			continue
		}
		end := matching(s, i+1, open, closer)
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(f.reference(s[i+2:end], depth))
		i = end
	}
	return b.String()
}

// matching is the index of the closer that ends the reference opened at
// s[start], counting nested references; -1 if there is none.
func matching(s string, start int, open, closer byte) int {
	level := 0
	for j := start; j < len(s); j++ {
		switch s[j] {
		case open:
			level++
		case closer:
			level--
			if level == 0 {
				return j
			}
		}
	}
	return -1
}

// reference is the value of one $(...) reference.
func (f *File) reference(ref string, depth int) string {
	ref = f.expand(ref, depth+1)
	if strings.ContainsAny(ref, " \t,") {
		return "" // a function call
	}
	name, subst, hasSubst := strings.Cut(ref, ":")
	value := f.expand(f.vars[name], depth+1)
	if !hasSubst {
		return value
	}
	from, to, ok := strings.Cut(subst, "=")
	if !ok {
		return value
	}
	words := strings.Fields(value)
	for i, w := range words {
		if base, ok := strings.CutSuffix(w, from); ok {
			words[i] = base + to
		}
	}
	return strings.Join(words, " ")
}

// Targets are the rules' targets, in the order they first appear.
func (f *File) Targets() []string { return slices.Clone(f.order) }

// HasTarget reports whether a rule makes target.
func (f *File) HasTarget(target string) bool {
	_, ok := f.prereqs[target]
	return ok
}

// Prerequisites are target's prerequisites from all its rules, expanded,
// order-only ones included.
func (f *File) Prerequisites(target string) []string {
	var out []string
	for _, p := range f.prereqs[target] {
		for _, w := range strings.Fields(f.Expand(p)) {
			if w != "|" {
				out = append(out, w)
			}
		}
	}
	return out
}

// Recipe is target's recipe, each line with its continuations joined and
// variables left as written.
func (f *File) Recipe(target string) []string { return slices.Clone(f.recipes[target]) }

// Var is a variable's expanded value.
func (f *File) Var(name string) string { return f.Expand(f.vars[name]) }

// Reachable is every target that making goal would consider: goal and,
// recursively, the prerequisites that are targets of rules here.
func (f *File) Reachable(goal string) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(t string)
	walk = func(t string) {
		if seen[t] {
			return
		}
		seen[t] = true
		out = append(out, t)
		for _, p := range f.Prerequisites(t) {
			walk(p)
		}
	}
	walk(goal)
	return out
}

// DefaultGoal is the first target that is not special (.PHONY, .c.o,
// …): what plain `make` makes.
func (f *File) DefaultGoal() string {
	for _, t := range f.order {
		if !strings.HasPrefix(t, ".") && !strings.Contains(t, "%") {
			return t
		}
	}
	return ""
}
