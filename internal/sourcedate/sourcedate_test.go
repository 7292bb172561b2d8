package sourcedate

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value   string
		want    time.Time
		set     bool
		wantErr bool
	}{
		{value: ""},
		{value: "0", want: time.Unix(0, 0).UTC(), set: true},
		{value: "1700000000", want: time.Unix(1700000000, 0).UTC(), set: true},
		{value: "yesterday", wantErr: true},
		{value: "-1", wantErr: true},
		{value: "+1", wantErr: true},
		{value: " 1", wantErr: true},
		{value: "1.5", wantErr: true},
		{value: "99999999999999999999", wantErr: true},
	} {
		got, set, err := Parse(tc.value)
		if tc.wantErr {
			want := `SOURCE_DATE_EPOCH="` + tc.value + `" is not a number of seconds since 1970`
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Parse(%q) error = %v, want %s", tc.value, err, want)
			}
			continue
		}
		if err != nil || set != tc.set || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, %v, %v; want %v, %v, nil", tc.value, got, set, err, tc.want, tc.set)
		}
	}
}
