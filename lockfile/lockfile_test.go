package lockfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/pin"
)

func TestLockfileRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx-build.lock")
	if l, err := Read(path); l != nil || err != nil {
		t.Fatalf("missing lockfile: %v %v, want nil nil", l, err)
	}
	l := &File{LockfileVersion: Version, GeneratedBy: "nginx-build test",
		Components: []pin.Component{{Name: "nginx", Constraint: "stable", Version: "1.30.4", URL: "https://nginx.org/download/nginx-1.30.4.tar.gz",
			SHA256: strings.Repeat("ab", 32), Verified: []string{"OpenPGP signature by A <a@example.test> (X)"}}},
		Modules: []pin.Module{{Name: "echo", Form: "git", URL: "https://example.test/echo", Rev: "v1", Commit: strings.Repeat("c", 40)}},
	}
	if err := l.Write(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// Stable key order and readable owners: reviewers diff this file.
	if !strings.HasPrefix(string(b), "{\n  \"lockfile_version\": 1,\n  \"generated_by\"") || !strings.Contains(string(b), "<a@example.test>") {
		t.Errorf("lockfile text:\n%s", b)
	}
	got, err := Read(path)
	if err != nil || !Same(got, l) {
		t.Errorf("round trip: %+v %v", got, err)
	}
	for name, content := range map[string]string{
		"damaged":        "{",
		"future version": `{"lockfile_version": 9, "components": []}`,
		"unknown field":  `{"lockfile_version": 1, "components": [], "extra": 1}`,
		"bad entry":      `{"lockfile_version": 1, "components": [{"name": "nginx", "version": "1.2.3", "sha256": "x"}]}`,
	} {
		os.WriteFile(path, []byte(content), 0o644)
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s lockfile: error %v should name %s", name, err, path)
		}
	}
}

// A lockfile of git trees only keeps the encoding it always had:
// "components": null, and no "modules" key when there are none.
func TestLockfileEmptyListsEncodeAsBefore(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(File{LockfileVersion: Version, GeneratedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"lockfile_version":1,"generated_by":"test","components":null}`; got != want {
		t.Errorf("encoding = %s, want %s", got, want)
	}
	b, _ = json.Marshal(File{LockfileVersion: Version, GeneratedBy: "test", Components: []pin.Component{{Name: "nginx", Version: "1.30.1", SHA256: "x"}}})
	if !strings.Contains(string(b), `"verified":[]`) {
		t.Errorf("a component without checks must list verified as [], got %s", b)
	}
}

// A malformed component entry is named with the field that is wrong and
// what is wrong with it, not "lacks a name, version or sha256".
func TestReadNamesTheBadField(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 32)
	for _, tc := range []struct{ entry, want string }{
		{`{"version": "1.2.3", "sha256": "` + hex + `"}`, `component 1 (""): "name" is missing`},
		{`{"name": "nginx", "sha256": "` + hex + `"}`, `component 1 ("nginx"): "version" is missing`},
		{`{"name": "nginx", "version": "1.2.3"}`, `component 1 ("nginx"): "sha256" is missing`},
		{`{"name": "nginx", "version": "1.2.3", "sha256": "zz"}`, `component 1 ("nginx"): "sha256" "zz" is not a sha256 (64 hex digits): it has 2 characters, and 'z' is not a hex digit`},
		{`{"name": "nginx", "version": "1.2.3", "sha256": "` + hex[:63] + `g"}`, `"sha256" "` + hex[:63] + `g" is not a sha256 (64 hex digits): 'g' is not a hex digit`},
		{`{"name": "nginx", "version": "1.2.3", "sha256": "` + hex + `0"}`, `is not a sha256 (64 hex digits): it has 65 characters (fix the entry`},
	} {
		path := filepath.Join(t.TempDir(), "nginx-build.lock")
		if err := os.WriteFile(path, []byte(`{"lockfile_version": 1, "components": [`+tc.entry+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), "lockfile "+path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("entry %s: error %v, want one naming %s and saying %s", tc.entry, err, path, tc.want)
		}
	}
	// Upper-case hex is a sha256 too: pins are compared case-insensitively.
	path := filepath.Join(t.TempDir(), "nginx-build.lock")
	os.WriteFile(path, []byte(`{"lockfile_version": 1, "components": [{"name": "nginx", "version": "1.2.3", "sha256": "`+strings.ToUpper(hex)+`"}]}`), 0o644)
	if _, err := Read(path); err != nil {
		t.Errorf("upper-case sha256: %v", err)
	}
}
