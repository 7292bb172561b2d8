package lockfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadLockfile: a lockfile is edited by hand and merged by git; any
// content must give a lockfile or an error, never a panic, and whatever
// is accepted must survive a write and read back unchanged.
func FuzzRead(f *testing.F) {
	f.Add(`{"lockfile_version": 1, "generated_by": "x", "components": [{"name": "nginx", "constraint": "1.22.x", "version": "1.22.1", "url": "u", "sha256": "9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31", "verified": []}]}`)
	f.Add(`{"lockfile_version": 1, "components": [], "modules": [{"name": "m", "form": "git", "url": "u", "commit": "c"}]}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "nginx-build.lock")
		os.WriteFile(p, []byte(content), 0o644)
		l, err := Read(p)
		if err != nil || l == nil {
			return
		}
		if err := l.Write(p); err != nil {
			t.Fatal(err)
		}
		again, err := Read(p)
		if err != nil || !Same(l, again) {
			t.Fatalf("accepted lockfile does not round-trip: %v", err)
		}
	})
}
