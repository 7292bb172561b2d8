package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// entries lists dir, so that a test can tell a stray temporary file.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		old  *string // nil: no file before
		data string
		perm os.FileMode
	}{
		{name: "new file", data: "hello\n", perm: 0o644},
		{name: "replaces", old: ptr("old content that is longer"), data: "new", perm: 0o600},
		{name: "empty", old: ptr("x"), data: "", perm: 0o644},
		{name: "executable", data: "#!/bin/sh\n", perm: 0o755},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			if tc.old != nil {
				if err := os.WriteFile(p, []byte(*tc.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(p, []byte(tc.data), tc.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.data {
				t.Errorf("content %q, want %q", got, tc.data)
			}
			fi, _ := os.Stat(p)
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.perm)
			}
			if es := entries(t, dir); len(es) != 1 {
				t.Errorf("directory holds %q, want only f", es)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestWriteFailureKeepsOldContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteWith(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("content %q after a failed write, want the old one", got)
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Errorf("directory holds %q after a failed write, want only f", es)
	}
}

func TestWriteMissingDirectory(t *testing.T) {
	t.Parallel()
	if err := Write(filepath.Join(t.TempDir(), "no", "f"), []byte("x"), 0o644); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

// TestWriteConcurrent has many writers replace one path at once: every
// read sees one writer's whole content, and no temporary file is left.
func TestWriteConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	const writers = 32
	content := func(i int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("writer %02d\n", i)), 4096)
	}
	valid := map[string]bool{}
	for i := range writers {
		valid[string(content(i))] = true
	}
	stop := make(chan struct{})
	var reads sync.WaitGroup
	reads.Add(1)
	go func() {
		defer reads.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if b, err := os.ReadFile(p); err == nil && !valid[string(b)] {
				t.Errorf("read a torn file of %d bytes", len(b))
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if err := Write(p, content(i), 0o644); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	reads.Wait()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !valid[string(b)] {
		t.Errorf("final file is torn (%d bytes)", len(b))
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Errorf("directory holds %q, want only f", es)
	}
}

func TestWriteIfChanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		old         *string
		data        string
		wantChanged bool
	}{
		{name: "new file", data: "a", wantChanged: true},
		{name: "same content", old: ptr("a"), data: "a", wantChanged: false},
		{name: "different content", old: ptr("a"), data: "b", wantChanged: true},
		{name: "same prefix", old: ptr("ab"), data: "a", wantChanged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "f")
			past := time.Unix(1_000_000_000, 0)
			if tc.old != nil {
				if err := os.WriteFile(p, []byte(*tc.old), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, past, past); err != nil {
					t.Fatal(err)
				}
			}
			changed, err := WriteIfChanged(p, []byte(tc.data), 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
			if got, _ := os.ReadFile(p); string(got) != tc.data {
				t.Errorf("content %q, want %q", got, tc.data)
			}
			fi, _ := os.Stat(p)
			if !tc.wantChanged && !fi.ModTime().Equal(past) {
				t.Errorf("unchanged file was touched: mtime %v", fi.ModTime())
			}
		})
	}
}

func TestCopy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		src     *string // nil: missing source
		old     *string
		wantErr bool
	}{
		{name: "new file", src: ptr(strings.Repeat("data", 100000))},
		{name: "replaces", src: ptr("new"), old: ptr("old and longer")},
		{name: "missing source keeps old", old: ptr("old"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			if tc.src != nil {
				if err := os.WriteFile(src, []byte(*tc.src), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.old != nil {
				if err := os.WriteFile(dst, []byte(*tc.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := Copy(src, dst, 0o640)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			got, _ := os.ReadFile(dst)
			want := tc.src
			if tc.wantErr {
				want = tc.old
			}
			if string(got) != *want {
				t.Errorf("dst holds %d bytes, want %d", len(got), len(*want))
			}
			if !tc.wantErr {
				if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o640 {
					t.Errorf("mode %v, want 0640", fi.Mode().Perm())
				}
			}
			for _, e := range entries(t, dir) {
				if strings.Contains(e, ".tmp-") {
					t.Errorf("stray temporary file %s", e)
				}
			}
		})
	}
}
