// Package human formats quantities for people, one way for the whole
// tool, so that the size a download reports and the size a limit error
// names can be compared at a glance.
package human

import (
	"fmt"
	"time"
)

// Bytes formats n in binary units with one decimal ("1.5 KiB",
// "4.0 GiB"); below 1 KiB it is an exact count ("1023 B"). PiB is the
// largest unit, so an absurd size is still a number rather than a
// mystery suffix.
func Bytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	for i, unit := range units {
		v /= 1024
		if v < 1024 || i == len(units)-1 {
			return fmt.Sprintf("%.1f %s", v, unit)
		}
	}
	panic("unreachable")
}

// Duration formats d for a progress line or a timing summary: tenths of a
// second below ten seconds ("4.2s"), whole seconds above ("42s", "2m10s",
// "1h2m3s").
func Duration(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
