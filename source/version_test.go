package source

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		// Numeric, not lexical: "9" < "22" and "42" > "9".
		{"1.9.15", "1.22.1", -1},
		{"10.42", "10.9", 1},
		{"1.2", "1.10", -1},
		{"2.0", "10.0", -1},
		{"1.27.1", "1.27.1", 0},
		// A missing part counts as zero.
		{"1.27", "1.27.0", 0},
		{"1.27.1.2", "1.27.1", 1},
		{"1.27.1.1", "1.27.1.2", -1},
		// OpenSSL letter releases sort after the bare number.
		{"1.1.1", "1.1.1a", -1},
		{"1.1.1a", "1.1.1w", -1},
		{"1.1.1w", "1.1.1", 1},
		{"1.1.1w", "3.0.0", -1},
		// Pre-releases sort before their release.
		{"1.15.8.1rc1", "1.15.8.1", -1},
		{"1.15.8.1rc1", "1.15.8.1rc2", -1},
		{"1.15.8.1rc1", "1.15.8.1rc1", 0},
		{"1.15.8.1rc2", "1.15.7.1", 1},
		{"3.0.0-alpha1", "3.0.0-beta1", -1},
		{"3.0.0-beta2", "3.0.0", -1},
		{"3.0.0-alpha17", "3.0.0-beta1", -1},
		// Pre-release numbers are numeric too (OpenSSL 3.0.0 had alpha1..alpha17).
		{"1.15.8.1rc9", "1.15.8.1rc10", -1},
		{"3.0.0-alpha2", "3.0.0-alpha10", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			if got := CompareVersions(tt.a, tt.b); got != tt.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := CompareVersions(tt.b, tt.a); got != -tt.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func TestCompareVersionsSorts(t *testing.T) {
	want := []string{
		"0.1.0", "1.1.1", "1.1.1a", "1.1.1w", "1.3.9", "1.9.15",
		"1.15.8.1rc1", "1.15.8.1rc2", "1.15.8.1rc10", "1.15.8.1",
		"1.22.1", "1.27.1", "1.27.1.1", "1.27.1.2",
		"3.0.0-alpha1", "3.0.0-alpha2", "3.0.0-alpha10", "3.0.0-beta1", "3.0.0",
		"3.0.20", "10.9", "10.42",
	}
	r := rand.New(rand.NewSource(1))
	for range 20 {
		got := slices.Clone(want)
		r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		slices.SortStableFunc(got, CompareVersions)
		if !slices.Equal(got, want) {
			t.Fatalf("sorted = %v\nwant     %v", got, want)
		}
	}
}

func TestValidVersion(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"1.22.1", true},
		{"10.42", true},
		{"1", true},
		{"1.27.1.2", true},
		{"1.1.1w", true},
		{"1.15.8.1rc1", true},
		{"3.0.0-alpha1", true},
		{"3.5.0-beta1", true},
		{"2.0.0.pre1", true},
		{"", false},
		{"../x", false},
		{"..", false},
		{"1.2.3; rm -rf /", false},
		{"1.2.3;rm", false},
		{"1.2.3/../../etc", false},
		{"1.2.3 ", false},
		{" 1.2.3", false},
		{"1.2.3\n", false},
		{"v1.2.3", false},
		{"1..2", false},
		{"1.2.", false},
		{".1.2", false},
		{"1.2.3-", false},
		{"1.2.3ab", false},
		{"1.2.3-rc1.tar.gz", false},
		{"1.2.3%2f", false},
		{"1.2.3$(id)", false},
		{"１.2", false},                          // full-width digit
		{strings.Repeat("1.", 32) + "1", false}, // 65 bytes
		{strings.Repeat("1.", 31) + "12", true}, // 64 bytes
		{strings.Repeat("9", 10000), false},
	}
	for _, tt := range tests {
		name := tt.v
		if len(name) > 20 {
			name = name[:20] + "…"
		}
		t.Run(name, func(t *testing.T) {
			if got := ValidVersion(tt.v); got != tt.want {
				t.Errorf("ValidVersion(%q) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestIsPrerelease(t *testing.T) {
	for v, want := range map[string]bool{
		"1.15.8.1rc1":  true,
		"3.0.0-alpha1": true,
		"3.5.0-beta1":  true,
		"1.27.1":       false,
		"1.1.1w":       false,
	} {
		if got := IsPrerelease(v); got != want {
			t.Errorf("IsPrerelease(%q) = %v, want %v", v, got, want)
		}
	}
}
