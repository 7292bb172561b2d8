package command

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/nginx-build/nginx-build/archive"
	"github.com/nginx-build/nginx-build/plan"
)

// extractFlags set the archive-bomb limits of unpacking.
type extractFlags struct {
	maxSize    string
	maxEntries string
}

func addExtractFlags(fs *pflag.FlagSet, f *extractFlags, fa *Factory) {
	fs.StringVar(&f.maxSize, "max-extract-size", fa.env("NGINX_BUILD_MAX_EXTRACT_SIZE"),
		"stop unpacking a tarball past this much data, e.g. 4GiB, 500MiB, 8G (default 4GiB) [env NGINX_BUILD_MAX_EXTRACT_SIZE]")
	fs.StringVar(&f.maxEntries, "max-extract-entries", fa.env("NGINX_BUILD_MAX_EXTRACT_ENTRIES"),
		"stop unpacking a tarball past this many entries (default 200000) [env NGINX_BUILD_MAX_EXTRACT_ENTRIES]")
}

// apply parses the limits into the plan.
func (f *extractFlags) apply(p *plan.Plan) error {
	var lim archive.Limits
	if f.maxSize != "" {
		n, err := parseSize(f.maxSize)
		if err != nil {
			return usagef("--max-extract-size %q: %v", f.maxSize, err)
		}
		lim.MaxBytes = n
	}
	if f.maxEntries != "" {
		n, err := strconv.Atoi(strings.TrimSpace(f.maxEntries))
		if err != nil || n < 1 {
			return usagef("--max-extract-entries %q: want a positive number of entries", f.maxEntries)
		}
		lim.MaxEntries = n
	}
	p.ExtractLimits = lim
	return nil
}

// parseSize reads a size: a number of bytes, or with a unit. KiB, MiB,
// GiB, TiB and the short K, M, G, T are powers of 1024; KB, MB, GB, TB
// powers of 1000; case does not matter. Fractions work: 1.5GiB.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("want a size like 4GiB, 500MiB or a number of bytes")
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	}
	m, ok := mult[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (use B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB)", unit)
	}
	n := v * m
	if n < 1 || n > math.MaxInt64/2 {
		return 0, fmt.Errorf("size out of range")
	}
	return int64(n), nil
}
