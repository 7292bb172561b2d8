package fetch

import (
	"strings"
	"testing"
)

// FuzzParseSHA256File: published checksum files are untrusted input.
func FuzzParseSHA256File(f *testing.F) {
	for _, s := range []string{
		strings.Repeat("a", 64),
		strings.Repeat("b", 64) + "  x.tar.gz\n",
		strings.Repeat("c", 64) + " *x.tar.gz\n" + strings.Repeat("d", 64) + "  y.tar.gz\n",
		"SHA256 (x.tar.gz) = " + strings.Repeat("e", 64),
		"SHA2-256(x.tar.gz)= " + strings.Repeat("f", 64),
		"# comment\n\n",
	} {
		f.Add(s, "x.tar.gz")
	}
	f.Fuzz(func(t *testing.T, content, name string) {
		sum, err := ParseSHA256File(content, name)
		if err == nil && !hexDigest.MatchString(sum) {
			t.Fatalf("accepted %q as a sha256", sum)
		}
	})
}
