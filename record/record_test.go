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

// ccache's part is an additive field too: whether it was used, why, and
// what it served, remote hits among them.
func TestCCacheField(t *testing.T) {
	t.Parallel()
	rec := Record{Tool: "nginx-build test", CCache: &CCache{Used: true, Reason: "--ccache-remote redis://127.0.0.1:6379", Hits: 118, Misses: 2, RemoteHits: 118, RemoteMisses: 2}}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"ccache":{"used":true,"reason":"--ccache-remote redis://127.0.0.1:6379","hits":118,"misses":2,"remote_hits":118,"remote_misses":2}`; !strings.Contains(string(b), want) {
		t.Errorf("encoded %s, want %s in it", b, want)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.CCache, rec.CCache) {
		t.Errorf("read back %+v (%v), want %+v", back.CCache, err, rec.CCache)
	}
	off, _ := json.Marshal(Record{CCache: &CCache{Reason: "ccache is not on PATH"}})
	if want := `"ccache":{"used":false,"reason":"ccache is not on PATH","hits":0,"misses":0}`; !strings.Contains(string(off), want) {
		t.Errorf("encoded %s, want %s in it", off, want)
	}
	if b, _ := json.Marshal(Record{}); strings.Contains(string(b), "ccache") {
		t.Errorf("a record without ccache has the key: %s", b)
	}
}
