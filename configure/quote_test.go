package configure

import (
	"slices"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"--prefix=/opt/nginx", "--prefix=/opt/nginx"},
		{"--with-ld-opt=-Wl,-rpath,/usr/local/lib", "--with-ld-opt=-Wl,-rpath,/usr/local/lib"},
		{"a_b@c%d+e:f.g", "a_b@c%d+e:f.g"},
		{"--with-cc-opt=-O2 -g", "'--with-cc-opt=-O2 -g'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{`"x"`, `'"x"'`},
		{`a\b`, `'a\b'`},
		{"a\nb", "'a\nb'"},
		{"a\tb", "'a\tb'"},
		{"~", "'~'"},
		{"*", "'*'"},
		{"#x", "'#x'"},
		{"ü", "'ü'"},
		{"a;b&c|d", "'a;b&c|d'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, s := range []string{"", "--prefix=/opt/nginx", "--with-cc-opt=-O2 -g", "it's", "''", `a\`, "$(id)", "a\nb", "~x", "*?[", "ü", "\\\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// No shell can pass NUL in an argument, and the parser reads
		// invalid UTF-8 as an error and CRLF as LF, so those cannot round-trip.
		if !readable(s) {
			t.Skip()
		}
		got, err := Args("./configure " + Quote(s))
		if err != nil {
			t.Fatalf("Args(Quote(%q)): %v", s, err)
		}
		if !slices.Equal(got, []string{s}) {
			t.Fatalf("Args(Quote(%q)) = %q", s, got)
		}
	})
}
