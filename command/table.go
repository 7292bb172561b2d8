package command

import (
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// fit is how a column's values are shortened to fit a terminal.
type fit int

const (
	// fitKeep values are never shortened.
	fitKeep fit = iota
	// fitHash values are hex digests: a terminal shows their first
	// hashWidth characters, as git does; --json has them in full.
	fitHash
	// fitEnd values are text: cut at the end, with "…".
	fitEnd
	// fitMiddle values are paths and URLs: cut in the middle, keeping
	// their end (the file name) and their start.
	fitMiddle
)

// hashWidth is how much of a digest a terminal shows.
const hashWidth = 12

// minShrunk is the narrowest a shortened column gets (or its header's
// width, if wider): narrower, a path is no longer recognizable.
const minShrunk = 12

// columnGap separates columns.
const columnGap = 2

type column struct {
	header string
	fit    fit
}

// table is rows of columns that fit the terminal they are printed on:
// the fetch and cache ls listings, whose paths, URLs and digests would
// otherwise make lines of 300 columns. Not on a terminal (a pipe, a
// file, a CI log) every value is printed in full, for scripts.
type table struct {
	cols []column
	rows [][]string
}

func newTable(cols ...column) *table { return &table{cols: cols} }

// add appends a row, one value per column.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the table aligned. width is the terminal's width in
// columns, or 0 when not printing to a terminal: then nothing is
// shortened. On a terminal digests are shortened to hashWidth, and while
// a line would be wider than width, the widest column that may be cut
// loses a character.
func (t *table) write(w io.Writer, width int) error {
	rows := make([][]string, 0, len(t.rows)+1)
	header := make([]string, len(t.cols))
	for i, c := range t.cols {
		header[i] = c.header
	}
	rows = append(rows, header)
	for _, r := range t.rows {
		cells := make([]string, len(t.cols))
		for i := range t.cols {
			if i < len(r) {
				cells[i] = r[i]
			}
			if width > 0 && t.cols[i].fit == fitHash && cellWidth(cells[i]) > hashWidth {
				cells[i] = string([]rune(cells[i])[:hashWidth])
			}
		}
		rows = append(rows, cells)
	}
	widths := make([]int, len(t.cols))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], cellWidth(c))
		}
	}
	if width > 0 {
		t.shrink(widths, width)
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			c = cut(c, widths[i], t.cols[i].fit)
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-cellWidth(c)+columnGap))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shrink narrows the columns that may be cut, widest first, until a line
// fits width or none can be narrowed further.
func (t *table) shrink(widths []int, width int) {
	total := columnGap * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	for total > width {
		widest := -1
		for i, c := range t.cols {
			if c.fit != fitEnd && c.fit != fitMiddle || widths[i] <= max(minShrunk, cellWidth(c.header)) {
				continue
			}
			if widest < 0 || widths[i] > widths[widest] {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		widths[widest]--
		total--
	}
}

// cellWidth is how many terminal columns s takes (one per rune: the
// listings hold paths, URLs, digests and plain words).
func cellWidth(s string) int { return utf8.RuneCountInString(s) }

// cut shortens s to width runes, marking the cut with "…".
func cut(s string, width int, f fit) string {
	r := []rune(s)
	if len(r) <= width || width < 2 {
		return s
	}
	switch f {
	case fitMiddle:
		// The end says which file it is; the start, where. The file
		// name is kept whole when it fits.
		head := (width - 1) / 3
		if slash := strings.LastIndex(s, "/"); slash >= 0 {
			if name := utf8.RuneCountInString(s[slash+1:]); name < width {
				head = width - 1 - min(name+1, width-1) // with its slash, if that fits too
			}
		}
		tail := width - 1 - head
		return string(r[:head]) + "…" + string(r[len(r)-tail:])
	case fitEnd:
		return string(r[:width-1]) + "…"
	}
	return s
}

// terminalWidth is the width of the terminal w writes to, or 0 when w is
// not a terminal.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return 80 // a terminal that does not say: the classic width
	}
	return cols
}
