package suggest

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	flags := []string{"openssl", "opensslversion", "pcre", "zlib", "dynamic"}
	for _, tc := range []struct{ word, want string }{
		{"opensll", "openssl"},
		{"OpenSSL", "openssl"},
		{"dynamc", "dynamic"},
		{"pcer", "pcre"},
		{"frobnicate", ""},
		{"", ""},
	} {
		if got := Closest(tc.word, flags); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"same", "same", 0}, {"ab", "ba", 2}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
