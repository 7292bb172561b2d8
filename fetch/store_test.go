package fetch

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/source"
)

// dirMirror writes files into a directory mirror and returns file://
// URLs of them by name.
func dirMirror(t *testing.T, files map[string][]byte) func(name string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func(name string) string { return "file://" + filepath.Join(root, name) }
}

// blobs lists the stored tarballs, relative to the store.
func blobs(t *testing.T, cache string) []string {
	t.Helper()
	var out []string
	for _, f := range cacheFiles(t, cache) {
		if strings.HasPrefix(f, blobRoot+"/") {
			out = append(out, strings.TrimPrefix(f, blobRoot+"/"))
		}
	}
	return out
}

// One tarball named by a directory mirror and by an HTTP mirror (both with
// its .sha256 beside it) is stored once and downloaded once: the HTTP
// mirror's checksum names a file the store has, so its tarball is never
// requested. cache ls lists it once, with both URLs.
func TestFetchStoresOneCopyAcrossMirrors(t *testing.T) {
	t.Parallel()
	body := tarball("pcre2")
	const name = "pcre2-10.47.tar.gz"
	sum := []byte(sha(body) + "  " + name + "\n")
	srv := newServer(t, map[string][]byte{"/pcre2/" + name: body, "/pcre2/" + name + ".sha256": sum})
	local := dirMirror(t, map[string][]byte{name: body, name + ".sha256": sum})
	f, out := newFetcher(t)
	viaDir := art("pcre2", "10.47", local(name))
	viaDir.ChecksumURL = local(name + ".sha256")
	viaHTTP := art("pcre2", "10.47", srv.URL+"/pcre2/"+name)
	viaHTTP.ChecksumURL = srv.URL + "/pcre2/" + name + ".sha256"

	var paths []string
	for _, a := range []source.Artifact{viaDir, viaHTTP, viaHTTP, viaDir} {
		res, err := f.FetchAll(context.Background(), []source.Artifact{a})
		if err != nil {
			t.Fatalf("FetchAll %s: %v\n%s", a.URLs[0], err, out)
		}
		if got, _ := os.ReadFile(res[0].Path); !bytes.Equal(got, body) || res[0].SHA256 != sha(body) {
			t.Errorf("%s: wrong file %s", a.URLs[0], res[0].Path)
		}
		if want := "sha256 published at " + a.ChecksumURL; res[0].Verified != want {
			t.Errorf("%s: verified %q, want %q", a.URLs[0], res[0].Verified, want)
		}
		paths = append(paths, res[0].Path)
	}
	if n := srv.count("/pcre2/" + name); n != 0 {
		t.Errorf("the HTTP mirror's tarball was requested %d times, want 0 (the store had it)", n)
	}
	if b := blobs(t, f.CacheDir); len(b) != 1 || b[0] != sha(body)+"/"+name {
		t.Errorf("store holds %q, want the tarball once, under its sha256", b)
	}
	for _, p := range paths[1:] {
		if p != paths[0] {
			t.Errorf("paths %q, want one", paths)
		}
	}
	entries, err := ListCache(f.CacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || len(entries[0].Sources) != 2 || entries[0].Component != "pcre2" {
		t.Fatalf("ListCache = %+v, want the tarball once with both URLs", entries)
	}
	urls := map[string]string{}
	for _, s := range entries[0].Sources {
		urls[s.URL] = s.Verified
	}
	for _, a := range []source.Artifact{viaDir, viaHTTP} {
		if urls[a.URLs[0]] != "sha256 published at "+a.ChecksumURL {
			t.Errorf("sources %v: want %s verified by its own checksum", urls, a.URLs[0])
		}
	}
}

// A tarball whose sha256 is known before it is fetched (a lockfile pin, a
// pin the artifact carries) and is stored already is not fetched: not the
// tarball, not its sidecars, from a server that fails everything.
func TestFetchKnownSHA256SkipsTheNetwork(t *testing.T) {
	t.Parallel()
	body := tarball("zlib")
	const name = "zlib-1.3.1.tar.gz"
	for _, tc := range []struct {
		name     string
		pin      func(a *source.Artifact, tr *Trust)
		verified string
	}{
		{"lockfile pin", func(a *source.Artifact, tr *Trust) {
			tr.Pins, tr.PinSource = map[string]string{PinKey("zlib", "1.3.1"): strings.ToUpper(sha(body))}, "nginx-build.lock"
		}, "sha256 pinned in nginx-build.lock"},
		{"artifact pin", func(a *source.Artifact, tr *Trust) {
			a.PinnedSHA256, a.PinnedBy = sha(body), "Debian's Sources"
		}, "sha256 pinned in Debian's Sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, map[string][]byte{})
			srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
				http.Error(w, "down", http.StatusInternalServerError)
				return true
			}
			f, out := newFetcher(t)
			local := dirMirror(t, map[string][]byte{name: body})
			if _, err := f.FetchAll(context.Background(), []source.Artifact{art("zlib", "1.3.1", local(name))}); err != nil {
				t.Fatal(err)
			}
			a := art("zlib", "1.3.1", srv.URL+"/zlib/"+name)
			a.ChecksumURL, a.SignatureURL = a.URLs[0]+".sha256", a.URLs[0]+".asc"
			tc.pin(&a, &f.Trust)
			res, err := f.FetchAll(context.Background(), []source.Artifact{a})
			if err != nil {
				t.Fatalf("FetchAll: %v\n%s", err, out)
			}
			if n := srv.total(); n != 0 {
				t.Errorf("%d requests to the server, want none", n)
			}
			if r := res[0]; !r.Cached || r.SHA256 != sha(body) || r.Verified != tc.verified {
				t.Errorf("result %+v, want cached, verified %q", r, tc.verified)
			}
			if b := blobs(t, f.CacheDir); len(b) != 1 {
				t.Errorf("store holds %q, want one tarball", b)
			}
		})
	}
}

// cache verify re-hashes stored tarballs against their names: a damaged
// one is removed, and the next fetch downloads it again.
func TestVerifyCacheCatchesADamagedBlob(t *testing.T) {
	t.Parallel()
	body := tarball("nginx")
	srv := newServer(t, map[string][]byte{"/nginx-1.30.1.tar.gz": body})
	f, _ := newFetcher(t)
	a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")
	res, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res[0].Path, []byte("bit rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	checked, problems, err := VerifyCache(context.Background(), f.CacheDir, nil)
	if err != nil || checked != 1 || len(problems) != 1 || problems[0].Path != res[0].Path ||
		!strings.Contains(problems[0].Problem, "stored as "+sha(body)) {
		t.Fatalf("VerifyCache = %d, %+v, %v; want the damaged tarball", checked, problems, err)
	}
	if _, err := os.Stat(res[0].Path); err == nil {
		t.Error("the damaged tarball was kept")
	}
	res, err = f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(res[0].Path); res[0].Cached || !bytes.Equal(got, body) || srv.count("/nginx-1.30.1.tar.gz") != 2 {
		t.Errorf("after verify: cached %v, %d downloads; want the tarball downloaded again", res[0].Cached, srv.count("/nginx-1.30.1.tar.gz"))
	}
	if checked, problems, err := VerifyCache(context.Background(), f.CacheDir, nil); checked != 1 || len(problems) != 0 || err != nil {
		t.Errorf("VerifyCache after the refetch = %d, %+v, %v", checked, problems, err)
	}
}

// cache clean --older-than removes an old stored tarball and the records
// (and sidecars) of every URL that led to it; a young one and its records
// stay. Without an age, everything goes.
func TestCleanCacheRemovesBlobsAndTheirRecords(t *testing.T) {
	t.Parallel()
	old, young := tarball("pcre2"), tarball("zlib")
	srv := newServer(t, map[string][]byte{
		"/a/pcre2-10.47.tar.gz": old, "/b/pcre2-10.47.tar.gz": old,
		"/a/pcre2-10.47.tar.gz.sha256": []byte(sha(old) + "  pcre2-10.47.tar.gz\n"),
		"/zlib-1.3.1.tar.gz":           young,
	})
	f, _ := newFetcher(t)
	withSum := art("pcre2", "10.47", srv.URL+"/a/pcre2-10.47.tar.gz")
	withSum.ChecksumURL = withSum.URLs[0] + ".sha256"
	arts := []source.Artifact{withSum, art("pcre2", "10.47", srv.URL+"/b/pcre2-10.47.tar.gz"), art("zlib", "1.3.1", srv.URL+"/zlib-1.3.1.tar.gz")}
	var paths []string
	for _, a := range arts {
		res, err := f.FetchAll(context.Background(), []source.Artifact{a})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res[0].Path)
	}
	tenDays := time.Now().Add(-10 * 24 * time.Hour)
	os.Chtimes(paths[0], tenDays, tenDays)
	if _, err := CleanCache(context.Background(), f.CacheDir, 7*24*time.Hour, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sha256/" + sha(young) + "/zlib-1.3.1.tar.gz",
		"tarballs/zlib/" + URLKey(arts[2].URLs[0]) + "/zlib-1.3.1.tar.gz.verified",
	}
	if got := cacheFiles(t, f.CacheDir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after clean --older-than 7d the cache holds %q, want %q", got, want)
	}
	if entries, err := ListCache(f.CacheDir); err != nil || len(entries) != 1 || entries[0].Path != paths[2] {
		t.Errorf("ListCache = %+v, %v; want only zlib", entries, err)
	}
	size, _ := CacheSize(f.CacheDir)
	freed, err := CleanCache(context.Background(), f.CacheDir, 0, time.Now(), nil)
	if err != nil || freed != size {
		t.Fatalf("CleanCache freed %d of %d: %v", freed, size, err)
	}
	if entries, _ := os.ReadDir(f.CacheDir); len(entries) != 0 {
		t.Errorf("the cache dir still holds %v", entries)
	}
}

// A cache of the old layout, with the tarball in its URL's slot beside its
// record, keeps working: the tarball moves into the store, unfetched.
func TestFetchAdoptsTheOldLayout(t *testing.T) {
	t.Parallel()
	body := tarball("nginx")
	srv := newServer(t, map[string][]byte{"/nginx-1.30.1.tar.gz": body})
	f, _ := newFetcher(t)
	a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")
	index := filepath.Join(f.CacheDir, "tarballs", "nginx", URLKey(a.URLs[0]), a.FileName)
	os.MkdirAll(filepath.Dir(index), 0o755)
	if err := os.WriteFile(index, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index+recordSuffix, []byte(sha(body)+"  "+a.FileName+"\n#warned-unverified\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Cached || !r.WarnedBefore || r.Path != filepath.Join(blobDir(f.CacheDir, sha(body)), a.FileName) || srv.total() != 0 {
		t.Errorf("result %+v after %d requests: want the old tarball, stored, not downloaded", r, srv.total())
	}
	if _, err := os.Stat(index); err == nil {
		t.Error("the old-layout tarball is still in its slot")
	}
}
