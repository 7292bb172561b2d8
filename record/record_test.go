package record

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Timings are an additive field: written as seconds, read back; absent
// from a record without them, so older readers and records are unchanged.
func TestTimings(t *testing.T) {
	t.Parallel()
	rec := Record{Tool: "nginx-build test", Timings: []Timing{
		{Phase: "download", Took: 1234567 * time.Microsecond},
		{Phase: "openssl", Took: 161 * time.Second},
	}}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"timings":[{"phase":"download","seconds":1.235},{"phase":"openssl","seconds":161}]`; !strings.Contains(string(b), want) {
		t.Errorf("encoded %s, want %s in it", b, want)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := []Timing{{Phase: "download", Took: 1235 * time.Millisecond}, {Phase: "openssl", Took: 161 * time.Second}}
	if !reflect.DeepEqual(back.Timings, want) {
		t.Errorf("read back %v, want %v", back.Timings, want)
	}

	b, err = json.Marshal(Record{Tool: "nginx-build test"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "timings") {
		t.Errorf("a record without timings has the key: %s", b)
	}
	var old Record
	if err := json.Unmarshal([]byte(`{"tool":"nginx-build 0.1","components":[]}`), &old); err != nil || old.Timings != nil {
		t.Errorf("a record from before timings: %v, %v", old.Timings, err)
	}
}
