package libcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func staged(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"include/openssl/ssl.h": "/* ssl */\n", "lib/libcrypto.a": body} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestKeyDependsOnEveryInput(t *testing.T) {
	t.Parallel()
	base := Inputs{Recipe: "r", Component: "openssl", Version: "3.0.20", Source: "sha256:aa", Configure: []string{"no-shared"}, Compiler: "gcc 12"}
	k0, err := base.Key()
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*Inputs){
		"source":    func(in *Inputs) { in.Source = "sha256:bb" },
		"patch":     func(in *Inputs) { in.Patches = []string{"cc"} },
		"configure": func(in *Inputs) { in.Configure = []string{"no-shared", "enable-ktls"} },
		"compiler":  func(in *Inputs) { in.Compiler = "gcc 13" },
		"env":       func(in *Inputs) { in.Env = []string{"CFLAGS=-O0"} },
		"recipe":    func(in *Inputs) { in.Recipe = "r2" },
	} {
		in := base
		change(&in)
		if k, _ := in.Key(); k == k0 {
			t.Errorf("changing the %s keeps the key", name)
		}
	}
	if k, _ := base.Key(); k != k0 {
		t.Error("the same inputs give another key")
	}
}

func TestStoreRestoreVerifyClean(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cache := t.TempDir()
	in := Inputs{Component: "openssl", Version: "3.0.20", Configure: []string{"no-shared"}}
	key, _ := in.Key()
	if Has(cache, key) {
		t.Fatal("an empty cache has the key")
	}
	now := time.Now()
	if err := Store(cache, key, staged(t, "crypto v1"), in, now); err != nil {
		t.Fatal(err)
	}
	if !Has(cache, key) {
		t.Fatal("stored, yet not in the cache")
	}
	dest := filepath.Join(t.TempDir(), ".openssl")
	if err := os.MkdirAll(filepath.Join(dest, "stale"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, cache, key, dest, true); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "lib", "libcrypto.a")); err != nil || string(b) != "crypto v1" {
		t.Errorf("restored libcrypto.a: %q, %v", b, err)
	}
	for _, gone := range []string{"stale", entryFile} {
		if _, err := os.Stat(filepath.Join(dest, gone)); err == nil {
			t.Errorf("restore left %s in the destination", gone)
		}
	}
	entries, err := List(cache)
	if err != nil || len(entries) != 1 || entries[0].Inputs.Version != "3.0.20" || entries[0].Size == 0 {
		t.Fatalf("List: %+v, %v", entries, err)
	}

	if n, problems, err := Verify(ctx, cache, nil); err != nil || n != 1 || len(problems) != 0 {
		t.Fatalf("Verify of a sound cache: %d, %q, %v", n, problems, err)
	}
	if err := os.WriteFile(filepath.Join(Path(cache, key), "lib", "libcrypto.a"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, problems, err := Verify(ctx, cache, nil)
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], "lib/libcrypto.a is missing or changed") || !strings.Contains(problems[0], "(openssl 3.0.20)") {
		t.Fatalf("Verify of a damaged entry: %q, %v", problems, err)
	}
	if Has(cache, key) {
		t.Error("a damaged entry was kept")
	}

	// A damaged entry is not restored: it is removed, and the caller builds.
	if err := Store(cache, key, staged(t, "crypto v1"), in, now); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(Path(cache, key), "lib", "libcrypto.a"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, cache, key, dest, true); !errors.Is(err, ErrDamaged) || Has(cache, key) {
		t.Errorf("Restore of a damaged entry: %v (still cached: %v)", err, Has(cache, key))
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "lib", "libcrypto.a")); string(b) != "crypto v1" {
		t.Errorf("a refused restore changed the destination: %q", b)
	}

	// Clean: --older-than keeps what is newer; everything goes without it.
	if err := Store(cache, key, staged(t, "crypto v1"), in, now); err != nil {
		t.Fatal(err)
	}
	if freed, err := Clean(ctx, cache, 48*time.Hour, now.Add(24*time.Hour), nil); err != nil || freed != 0 || !Has(cache, key) {
		t.Errorf("Clean --older-than 48h of a day-old entry: freed %d, %v, kept %v", freed, err, Has(cache, key))
	}
	if freed, err := Clean(ctx, cache, 0, now, nil); err != nil || freed == 0 || Has(cache, key) {
		t.Errorf("Clean: freed %d, %v, kept %v", freed, err, Has(cache, key))
	}
}
