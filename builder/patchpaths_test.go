package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPatchPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, patch string
		opts        []string
		wantLine    string // "" when the patch is fine
	}{
		{"inside -p1", "--- a/src/x.c\n+++ b/src/x.c\n@@ -1 +1 @@\n-a\n+b\n", []string{"-p1"}, ""},
		{"new file", "--- /dev/null\n+++ b/src/new.c\n@@ -0,0 +1 @@\n+a\n", []string{"-p1"}, ""},
		{"climbs out", "--- a/src/x.c\n+++ ../../etc/x\n@@ -1 +1 @@\n-a\n+b\n", []string{"-p1"}, "line 2"},
		{"climbs out after -p1", "--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n", []string{"-p", "1"}, "line 1"},
		{"absolute -p0", "--- /etc/x\n+++ /etc/x\n@@ -1 +1 @@\n-a\n+b\n", []string{"--strip=0"}, "line 1"},
		{"absolute without -p", "--- x\n+++ /etc/x\t2024-01-01\n@@ -1 +1 @@\n-a\n+b\n", nil, "line 2"},
		{"absolute stripped by -p1", "--- /src/x.c\n+++ /src/x.c\n@@ -1 +1 @@\n-a\n+b\n", []string{"-p1"}, ""},
		{"git quoted", "--- a/x\n+++ \"b/../../etc/x\"\n@@ -1 +1 @@\n-a\n+b\n", []string{"-p1"}, "line 2"},
		{"context diff", "*** ../etc/x\n--- x\n***************\n*** 1 ****\n! a\n--- 1 ----\n! b\n", nil, "line 1"},
		// Removed and added lines that look like headers are content.
		{"header-like content", "--- a/x.lua\n+++ b/x.lua\n@@ -1,2 +1,2 @@\n--- ../../old comment\n+++ ../../new\n x\n", []string{"-p1"}, ""},
		{"second file escapes", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/../../y\n@@ -1 +1 @@\n-a\n+b\n", []string{"-p1"}, "line 7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "t.patch")
			if err := os.WriteFile(p, []byte(tc.patch), 0o644); err != nil {
				t.Fatal(err)
			}
			err := checkPatchPaths(p, tc.opts)
			switch {
			case tc.wantLine == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantLine != "" && err == nil:
				t.Errorf("no error, want one naming %s", tc.wantLine)
			case tc.wantLine != "" && !strings.Contains(err.Error(), p+" "+tc.wantLine+":"):
				t.Errorf("error %q does not name %s %s", err, p, tc.wantLine)
			}
		})
	}
}
