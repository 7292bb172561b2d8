package command

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"4GiB": 4 << 30, "4G": 4 << 30, "4GB": 4e9, "500MiB": 500 << 20, "500mib": 500 << 20,
		"1.5GiB": 3 << 29, "1024": 1024, "10 KiB": 10 << 10, "2TiB": 2 << 40, "7B": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "4XB", "-1", "0", "1e99GiB", "4 Gibi"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

// TestExtractLimitsConfigurable: the archive-bomb caps come from flags or
// the environment; hitting one names the archive and says how to raise it.
func TestExtractLimitsConfigurable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	entries := []testmirror.Entry{{Name: "pcre2-10.99/", Type: '5'}}
	for i := range 30 {
		entries = append(entries, testmirror.Entry{Name: fmt.Sprintf("pcre2-10.99/f%02d.c", i), Body: strings.Repeat("x", 1000)})
	}
	f.m.Add(t, "pcre2", "pcre2-10.99.tar.gz", entries)
	args := f.args("-pcre", "-pcreversion", "10.99")

	r := run(t, append(args, "--max-extract-entries", "20")...)
	if r.code != 1 {
		t.Fatalf("31 entries with a cap of 20: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "pcre2-10.99.tar.gz: archive has more than 20 entries", "raise the limit with --max-extract-entries")

	r = run(t, append(args, "--max-extract-size", "10KiB")...)
	if r.code != 1 {
		t.Fatalf("30 kB with a cap of 10 KiB: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "archive expands beyond 10.0 KiB", "raise the limit with --max-extract-size")

	setenv(t, "NGINX_BUILD_MAX_EXTRACT_ENTRIES", "25")
	if r := run(t, args...); r.code != 1 || !strings.Contains(r.err, "more than 25 entries") {
		t.Errorf("NGINX_BUILD_MAX_EXTRACT_ENTRIES=25: exit %d\n%s", r.code, r.err)
	}
	// The flag wins over the environment.
	if r := run(t, append(args, "--max-extract-entries", "100", "--max-extract-size", "1MiB")...); r.code != 0 {
		t.Errorf("within the caps: exit %d\n%s", r.code, r.err)
	}
	for _, bad := range [][]string{{"--max-extract-size", "4XB"}, {"--max-extract-entries", "0"}, {"--max-extract-entries", "many"}} {
		if r := run(t, append(args, bad...)...); r.code != 2 || !strings.Contains(r.err, bad[0]) {
			t.Errorf("%q: exit %d\n%s", bad, r.code, r.err)
		}
	}
}
