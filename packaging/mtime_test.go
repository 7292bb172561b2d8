package packaging

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMtime(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "nginx")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	binTime := time.Unix(1_600_000_000, 0).UTC()
	if err := os.Chtimes(bin, binTime, binTime); err != nil {
		t.Fatal(err)
	}
	given := time.Unix(1_700_000_000, 0).In(time.FixedZone("X", 3600))
	for _, tc := range []struct {
		name  string
		given *time.Time
		want  time.Time
	}{
		{"given: SOURCE_DATE_EPOCH as the command parsed it", &given, given.UTC()},
		{"unset: the binary's", nil, binTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mtime(tc.given, bin)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("mtime = %v, want %v in UTC", got, tc.want)
			}
		})
	}
}
