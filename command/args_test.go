package command

import (
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func TestNormalizeArgs(t *testing.T) {
	t.Parallel()
	known := collectFlags(newRoot((&Factory{IO: iostreams.New(nil, nil)}).withDefaults()))
	for _, tc := range []struct{ in, want string }{
		{"-d work -openssl -opensslversion 3.0.20", "-d work --openssl --opensslversion 3.0.20"},
		{"-opensslversion=3.0.20 --pcre", "--opensslversion=3.0.20 --pcre"},
		{"--d work --v 1.22.1", "-d work -v 1.22.1"},
		{"-j8 -v1.22.1", "-j8 -v1.22.1"},
		{"-patch-opt -p1 -verbose", "--patch-opt -p1 --verbose"},
		{"-patch-opt=-p1", "--patch-opt=-p1"},
		{"-d work -- -openssl --prefix=/x", "-d work -- -openssl --prefix=/x"},
		{"-bogus", "--bogus"},
		{"-x", "-x"},
		{"versions openssl -mirror /m", "versions openssl --mirror /m"},
		{"-version", "--version"},
		{"-versions", "--versions"},
		{"-help", "--help"},
		{"-pcre=false", "--pcre=false"},
		{"---openssl", "---openssl"},
	} {
		got := strings.Join(normalizeArgs(strings.Fields(tc.in), known), " ")
		if got != tc.want {
			t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
