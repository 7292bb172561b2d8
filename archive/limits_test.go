package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zeroBomb streams a gzip-compressed tar holding one file of size zero
// bytes, optionally followed (inside the same gzip member, after the tar
// end marker) by trailing zeros, without ever holding the data in memory.
func zeroBomb(t *testing.T, size, trailing int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "bomb/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: testMtime}); err != nil {
		t.Fatal(err)
	}
	hdr := &tar.Header{Name: "bomb/zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: size, ModTime: testMtime}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(zw, zeroReader{}, trailing); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDefaultLimits(t *testing.T) {
	d := DefaultLimits()
	if d.MaxBytes != 4<<30 || d.MaxEntries != 200_000 {
		t.Errorf("DefaultLimits() = %+v, want 4 GiB and 200000 entries", d)
	}
	// Each call hands out a fresh value; changing it changes nothing else.
	d.MaxBytes = 1
	if DefaultLimits().MaxBytes != 4<<30 {
		t.Error("DefaultLimits() is shared mutable state")
	}
	got, err := Limits{MaxEntries: 7}.resolved()
	if err != nil || got.MaxBytes != 4<<30 || got.MaxEntries != 7 {
		t.Errorf("Limits{MaxEntries: 7}.resolved() = %+v, %v", got, err)
	}
}

func TestExtractBombRejected(t *testing.T) {
	const size = 64 << 20
	data := zeroBomb(t, size, 0)
	if len(data) > 1<<20 {
		t.Fatalf("bomb compresses to %d bytes, expected well under 1 MiB", len(data))
	}
	src := writeArchive(t, data)

	t.Run("low cap", func(t *testing.T) {
		parent, dest := newDest(t)
		err := ExtractWithLimits(context.Background(), src, dest, "out", Limits{MaxBytes: 1 << 20})
		var le *LimitError
		if !errors.As(err, &le) {
			t.Fatalf("got %v, want *LimitError", err)
		}
		if le.Limit != LimitBytes || le.Max != 1<<20 || le.Entry != "bomb/zeros" || le.Entries != 2 {
			t.Errorf("LimitError = %+v", le)
		}
		// Nothing past the cap is ever written.
		if le.Bytes > le.Max {
			t.Errorf("wrote %d bytes, past the %d cap", le.Bytes, le.Max)
		}
		msg := err.Error()
		for _, sub := range []string{src, "1.0 MiB", "limit", `"bomb/zeros"`} {
			if !strings.Contains(msg, sub) {
				t.Errorf("error %q does not mention %q", msg, sub)
			}
		}
		var ue *UnsafeEntryError
		if errors.As(err, &ue) {
			t.Errorf("limit reported as unsafe entry: %v", err)
		}
		assertClean(t, parent, dest)
	})

	for _, tc := range []struct {
		name string
		lim  Limits
	}{
		{"high cap", Limits{MaxBytes: 128 << 20}},
		{"exact cap", Limits{MaxBytes: size}},
		{"defaults", Limits{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			if err := ExtractWithLimits(context.Background(), src, dest, "out", tc.lim); err != nil {
				t.Fatalf("ExtractWithLimits: %v", err)
			}
			fi, err := os.Stat(filepath.Join(dest, "out", "zeros"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != size {
				t.Errorf("extracted %d bytes, want %d", fi.Size(), size)
			}
		})
	}
}

// The cap is on the total, not per file.
func TestExtractSizeLimitAcrossFiles(t *testing.T) {
	body := strings.Repeat("x", 256<<10)
	ents := []ent{dirEnt("pkg/")}
	for i := range 8 {
		ents = append(ents, fileEnt(fmt.Sprintf("pkg/f%d", i), body, 0o644))
	}
	src := gzArchive(t, ents...)

	parent, dest := newDest(t)
	err := ExtractWithLimits(context.Background(), src, dest, "out", Limits{MaxBytes: 1 << 20})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *LimitError", err)
	}
	// Four files fill the cap exactly; the fifth does not fit.
	if le.Entry != "pkg/f4" || le.Bytes != 1<<20 {
		t.Errorf("stopped at %q after %d bytes, want pkg/f4 after 1 MiB", le.Entry, le.Bytes)
	}
	assertClean(t, parent, dest)

	if err := ExtractWithLimits(context.Background(), src, t.TempDir(), "out", Limits{MaxBytes: 2 << 20}); err != nil {
		t.Errorf("exact total rejected: %v", err)
	}
}

// Data after the tar end marker is decompressed (to verify the checksum)
// but never written; it must not give a bomb a free pass.
func TestExtractTrailingBomb(t *testing.T) {
	src := writeArchive(t, zeroBomb(t, 1000, 32<<20))
	parent, dest := newDest(t)
	err := ExtractWithLimits(context.Background(), src, dest, "out", Limits{MaxBytes: 1 << 20})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *LimitError", err)
	}
	if le.Entry != "" || !strings.Contains(err.Error(), "after the last entry") {
		t.Errorf("error %q should say it stopped after the last entry", err)
	}
	assertClean(t, parent, dest)

	if err := ExtractWithLimits(context.Background(), src, t.TempDir(), "out", Limits{MaxBytes: 64 << 20}); err != nil {
		t.Errorf("high cap: %v", err)
	}
}

func TestExtractEntryLimit(t *testing.T) {
	ents := []ent{dirEnt("pkg/")}
	for i := range 50 {
		ents = append(ents, fileEnt(fmt.Sprintf("pkg/f%02d", i), "", 0o644))
	}
	src := gzArchive(t, ents...)

	parent, dest := newDest(t)
	err := ExtractWithLimits(context.Background(), src, dest, "out", Limits{MaxEntries: 20})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *LimitError", err)
	}
	if le.Limit != LimitEntries || le.Max != 20 || le.Entries != 21 || le.Entry != "pkg/f19" {
		t.Errorf("LimitError = %+v", le)
	}
	for _, sub := range []string{src, "more than 20 entries", "limit", `"pkg/f19"`} {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("error %q does not mention %q", err, sub)
		}
	}
	assertClean(t, parent, dest)

	// 51 entries: the directory and 50 files.
	dest2 := t.TempDir()
	if err := ExtractWithLimits(context.Background(), src, dest2, "out", Limits{MaxEntries: 51}); err != nil {
		t.Fatalf("exact entry count rejected: %v", err)
	}
	if got := len(listDir(t, filepath.Join(dest2, "out"))); got != 50 {
		t.Errorf("extracted %d files, want 50", got)
	}
}

// Global headers write nothing but still cost a header each; an archive of
// nothing else must not be able to loop forever under the entry cap.
func TestExtractEntryLimitCountsGlobalHeaders(t *testing.T) {
	ents := []ent{fileEnt("pkg/a", "a", 0o644)}
	for range 30 {
		ents = append(ents, ent{name: "pax_global_header", typ: tar.TypeXGlobalHeader})
	}
	src := gzArchive(t, ents...)
	parent, dest := newDest(t)
	err := ExtractWithLimits(context.Background(), src, dest, "out", Limits{MaxEntries: 10})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitEntries {
		t.Fatalf("got %v, want entry LimitError", err)
	}
	assertClean(t, parent, dest)
}

func TestExtractNegativeLimits(t *testing.T) {
	src := gzArchive(t, fileEnt("pkg/a", "a", 0o644))
	for _, lim := range []Limits{{MaxBytes: -1}, {MaxEntries: -1}} {
		parent, dest := newDest(t)
		err := ExtractWithLimits(context.Background(), src, dest, "out", lim)
		if err == nil || !strings.Contains(err.Error(), "negative") || !strings.Contains(err.Error(), src) {
			t.Errorf("%+v: got %v, want an error about negative limits naming the archive", lim, err)
		}
		assertClean(t, parent, dest)
	}
}

func TestLimitErrorMessage(t *testing.T) {
	e := &LimitError{Archive: "/x/y.tar.gz", Limit: LimitBytes, Max: 4 << 30, Entry: "y/big", Entries: 12, Bytes: 4 << 30}
	want := `extract /x/y.tar.gz: archive expands beyond 4.0 GiB (limit on extracted size; stopped at entry 12 "y/big", 4.0 GiB written)`
	if got := e.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	e = &LimitError{Archive: "/x/y.tar.gz", Limit: LimitEntries, Max: 200000, Entry: "y/f", Entries: 200001, Bytes: 1536}
	want = `extract /x/y.tar.gz: archive has more than 200000 entries (limit on entry count; stopped at entry 200001 "y/f", 1.5 KiB written)`
	if got := e.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 100 << 20: "100.0 MiB", 1 << 60: "1024.0 PiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
