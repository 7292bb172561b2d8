package mirrorindex

import (
	"encoding/json"
	"testing"

	"github.com/nginx-build/nginx-build/internal/jsonfile"
)

// An index written before mirrors carried keys reads and writes back byte
// for byte; keys are an added field, kept in path order.
func TestKeysAreAdditive(t *testing.T) {
	t.Parallel()
	old := `{
  "updated": "2025-01-02T03:04:05Z",
  "files": [
    {
      "path": "zlib/zlib-1.3.2.tar.gz",
      "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "verified": [
        "sha256 published at https://zlib.net/zlib-1.3.2.tar.gz.sha256"
      ]
    }
  ]
}
`
	var idx Index
	if err := json.Unmarshal([]byte(old), &idx); err != nil {
		t.Fatal(err)
	}
	b, err := jsonfile.Marshal(idx)
	if err != nil || string(b) != old {
		t.Fatalf("round trip of an index without keys:\n%s%v", b, err)
	}

	z := Key{Component: "zlib", Fingerprint: "5ED46A6721D365587791E2AA783FCD8E58BCAFBA", Path: "keys/zlib/5ED46A6721D365587791E2AA783FCD8E58BCAFBA.asc", SHA256: "bb"}
	o := Key{Component: "openssl", Fingerprint: "B146647E45A7B33947AB226B2A2C87D161692D40", Path: "keys/openssl/B146647E45A7B33947AB226B2A2C87D161692D40.asc", SHA256: "cc"}
	with := idx.UpsertKey(z).UpsertKey(o)
	if len(idx.Keys) != 0 || len(with.Keys) != 2 || with.Keys[0] != o || with.Keys[1] != z {
		t.Fatalf("keys = %+v (before: %+v)", with.Keys, idx.Keys)
	}
	z.SHA256 = "dd"
	if with = with.UpsertKey(z); len(with.Keys) != 2 || with.Keys[1].SHA256 != "dd" {
		t.Errorf("replacing a key: %+v", with.Keys)
	}
	b, _ = jsonfile.Marshal(with)
	var back Index
	if err := json.Unmarshal(b, &back); err != nil || !Same(back, with) || Same(back, idx) {
		t.Errorf("round trip with keys:\n%s%v", b, err)
	}
}
