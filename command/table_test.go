package command

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		width int
		fit   fit
		want  string
	}{
		{"short", 10, fitEnd, "short"},
		{"sha256 published at https://example/x.sha256", 12, fitEnd, "sha256 publ…"},
		{"/home/me/.cache/nginx-build/tarballs/nginx/0123/nginx-1.30.1.tar.gz", 30, fitMiddle, "/home/me/…/nginx-1.30.1.tar.gz"},
		// The file name alone fills the width: it is kept, its slash not.
		{"/home/me/.cache/nginx-build/tarballs/nginx/0123/nginx-1.30.1.tar.gz", 20, fitMiddle, "…nginx-1.30.1.tar.gz"},
		// A file name wider than the column: cut in the middle.
		{"/a/very-long-file-name-of-a-tarball.tar.gz", 15, fitMiddle, "/a/v…all.tar.gz"},
		{"abc", 2, fitKeep, "abc"},
	} {
		got := cut(tc.in, tc.width, tc.fit)
		if got != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
		if tc.fit != fitKeep && utf8.RuneCountInString(got) > tc.width {
			t.Errorf("cut(%q, %d) = %q: %d wide", tc.in, tc.width, got, utf8.RuneCountInString(got))
		}
	}
}

// A table prints every value in full when not on a terminal; on one it
// shortens digests and fits the width, cutting the widest cuttable
// column first and never the ones that may not be cut.
func TestTableWrite(t *testing.T) {
	t.Parallel()
	sum := strings.Repeat("0123456789abcdef", 4)
	path := "/home/me/.cache/nginx-build/tarballs/openssl/0011223344556677/openssl-3.0.20.tar.gz"
	verified := "sha256 published at https://mirror.example/nginx-build/openssl/openssl-3.0.20.tar.gz.sha256"
	build := func() *table {
		tb := newTable(column{"COMPONENT", fitKeep}, column{"SHA256", fitHash}, column{"VERIFIED", fitEnd}, column{"PATH", fitMiddle})
		tb.add("openssl", sum, verified, path)
		tb.add("zlib", sum, "nothing to verify against", "/c/zlib-1.3.tar.gz")
		return tb
	}
	for _, tc := range []struct {
		name   string
		width  int
		want   []string // in the openssl row
		wantNo []string
	}{
		{name: "not a terminal", width: 0, want: []string{sum, verified, path}},
		{name: "wide terminal", width: 400, want: []string{sum[:12] + "  ", verified, path}, wantNo: []string{sum[:13]}},
		{name: "80 columns", width: 80, want: []string{"openssl  ", sum[:12], "sha256 published", "…", "openssl-3.0.20.tar.gz"}, wantNo: []string{sum[:13]}},
		{name: "too narrow to fit", width: 20, want: []string{"openssl", sum[:12]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := build().write(&b, tc.width); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[0], "COMPONENT  SHA256") {
				t.Fatalf("want a header and two rows:\n%s", b.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(lines[1], w) {
					t.Errorf("row lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.wantNo {
				if strings.Contains(lines[1], w) {
					t.Errorf("row has %q:\n%s", w, b.String())
				}
			}
			for _, l := range lines {
				if tc.width >= 60 && utf8.RuneCountInString(l) > tc.width {
					t.Errorf("line wider than %d:\n%s", tc.width, l)
				}
				if strings.HasSuffix(l, " ") {
					t.Errorf("trailing spaces: %q", l)
				}
			}
			// Columns line up: every row's second column starts where the
			// header's does.
			at := strings.Index(lines[0], "SHA256")
			for _, l := range lines[1:] {
				if r := []rune(l); len(r) <= at || r[at-1] != ' ' || r[at] == ' ' {
					t.Errorf("column 2 not at %d:\n%s", at, b.String())
				}
			}
		})
	}
}
