package source

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseMirror(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "regular")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		in       string
		want     string // Mirror.String()
		wantZero bool
		errHas   []string // non-nil: an error is expected, mentioning these
	}{
		{in: "", wantZero: true},
		{in: "http://mirror.example", want: "http://mirror.example/"},
		{in: "https://mirror.example/pub", want: "https://mirror.example/pub/"},
		{in: "https://mirror.example/pub/", want: "https://mirror.example/pub/"},
		{in: "http://127.0.0.1:8080/a/b", want: "http://127.0.0.1:8080/a/b/"},
		{in: "file://" + dir, want: dir},
		{in: dir, want: dir},
		{in: dir + "/", want: dir},
		{in: missing, errHas: []string{`"` + missing + `"`}},
		{in: "file://" + missing, errHas: []string{`"file://` + missing + `"`}},
		{in: file, errHas: []string{`"` + file + `"`, "not a directory"}},
		{in: "ftp://mirror.example/pub", errHas: []string{`"ftp://mirror.example/pub"`, "unsupported scheme"}},
		{in: "s3://bucket/x", errHas: []string{`"s3://bucket/x"`}},
		{in: "http://", errHas: []string{`"http://"`}},
		{in: "https:///no-host", errHas: []string{`"https:///no-host"`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseMirror(tt.in)
			if tt.errHas != nil {
				if err == nil {
					t.Fatalf("ParseMirror(%q) = %v, want an error", tt.in, m)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %s", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMirror(%q): %v", tt.in, err)
			}
			if m.IsZero() != tt.wantZero {
				t.Errorf("IsZero() = %v, want %v", m.IsZero(), tt.wantZero)
			}
			if got := m.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMirrorRelativeDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "mirror"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	m, err := ParseMirror("mirror")
	if err != nil {
		t.Fatal(err)
	}
	// The mirror is made absolute so a later chdir cannot move it.
	want, _ := filepath.EvalSymlinks(filepath.Join(dir, "mirror"))
	got, _ := filepath.EvalSymlinks(m.String())
	if !filepath.IsAbs(m.String()) || got != want {
		t.Fatalf("String() = %q, want absolute %q", m.String(), want)
	}
}

// mirrorTree writes files (path relative to the root → content) under a new
// directory and returns it.
func mirrorTree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var mirrorFiles = []string{
	// nginx: every format of 1.27.1, only xz of 1.26.2, only bz2 of 1.25.0.
	"nginx/nginx-1.27.1.tar.gz",
	"nginx/nginx-1.27.1.tar.gz.sha256",
	"nginx/nginx-1.27.1.tar.gz.asc",
	"nginx/nginx-1.27.1.tar.gz.sig",
	"nginx/nginx-1.27.1.tar.xz",
	"nginx/nginx-1.27.1.tar.bz2",
	"nginx/nginx-1.26.2.tar.xz",
	"nginx/nginx-1.26.2.tar.xz.sig",
	"nginx/nginx-1.25.0.tar.bz2",
	"nginx/nginx-1.25.0.tar.bz2.sha256",
	"nginx/nginx-1.9.15.tar.gz",
	"nginx/nginx-1.22.1.tar.gz",
	"nginx/nginx-1.22.1.zip",
	"nginx/README",
	"nginx/nginx-latest.tar.gz",
	"nginx/nginx-1.2.3;rm.tar.gz",
	"nginx/nginx-1.30.0.tar.gz/unexpected-dir-entry",
	"openssl/openssl-1.1.1w.tar.gz",
	"openssl/openssl-3.0.20.tar.gz",
	"openssl/openssl-3.0.20.tar.gz.sha256",
	"openssl/openssl-3.5.0-beta1.tar.gz",
	// Another component's tarball misfiled here must not count as zlib.
	"zlib/pcre2-10.47.tar.gz",
	"zlib/zlib-1.3.1.tar.gz",
}

// mirrors returns the same tree as a directory mirror and as an HTTP mirror
// served by http.FileServer; hits counts the HTTP requests.
func mirrors(t *testing.T) (map[string]Mirror, *atomic.Int64) {
	t.Helper()
	root := mirrorTree(t, mirrorFiles...)
	hits := new(atomic.Int64)
	fs := http.FileServer(http.Dir(root))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dirM, err := ParseMirror(root)
	if err != nil {
		t.Fatal(err)
	}
	fileM, err := ParseMirror("file://" + root)
	if err != nil {
		t.Fatal(err)
	}
	httpM, err := ParseMirror(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Mirror{"dir": dirM, "file-url": fileM, "http": httpM}, hits
}

// readURL reads a file:// or http:// URL that Locate returned.
func readURL(t *testing.T, hc *http.Client, u string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("bad URL %q: %v", u, err)
	}
	switch pu.Scheme {
	case "file":
		b, err := os.ReadFile(filepath.FromSlash(pu.Path))
		if err != nil {
			t.Fatalf("URL %q: %v", u, err)
		}
		return string(b)
	case "http":
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", u, resp.Status)
		}
		return string(b)
	}
	t.Fatalf("unexpected URL scheme in %q", u)
	return ""
}

func TestLocateMirror(t *testing.T) {
	tests := []struct {
		component, version string
		file               string // the tarball picked, relative to the mirror root
		checksum, sig      string // sidecars, "" for none
	}{
		{"nginx", "1.27.1", "nginx/nginx-1.27.1.tar.gz", "nginx/nginx-1.27.1.tar.gz.sha256", "nginx/nginx-1.27.1.tar.gz.asc"},
		{"nginx", "1.26.2", "nginx/nginx-1.26.2.tar.xz", "", "nginx/nginx-1.26.2.tar.xz.sig"},
		{"nginx", "1.25.0", "nginx/nginx-1.25.0.tar.bz2", "nginx/nginx-1.25.0.tar.bz2.sha256", ""},
		{"nginx", "1.9.15", "nginx/nginx-1.9.15.tar.gz", "", ""},
		{"openssl", "1.1.1w", "openssl/openssl-1.1.1w.tar.gz", "", ""},
		{"openssl", "3.0.20", "openssl/openssl-3.0.20.tar.gz", "openssl/openssl-3.0.20.tar.gz.sha256", ""},
		{"openssl", "3.5.0-beta1", "openssl/openssl-3.5.0-beta1.tar.gz", "", ""},
	}
	ms, _ := mirrors(t)
	hc := &http.Client{}
	for kind, m := range ms {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.component+"-"+tt.version, func(t *testing.T) {
				c, err := Lookup(tt.component)
				if err != nil {
					t.Fatal(err)
				}
				a, err := Locate(context.Background(), hc, m, c, tt.version)
				if err != nil {
					t.Fatalf("Locate: %v", err)
				}
				if a.Component != tt.component || a.Version != tt.version {
					t.Errorf("artifact is %s %s", a.Component, a.Version)
				}
				if a.FileName != filepath.Base(tt.file) {
					t.Errorf("FileName = %q, want %q", a.FileName, filepath.Base(tt.file))
				}
				if len(a.URLs) != 1 {
					t.Fatalf("URLs = %q, want one", a.URLs)
				}
				if got := readURL(t, hc, a.URLs[0]); got != "content of "+tt.file {
					t.Errorf("URL %s serves %q, want the content of %s", a.URLs[0], got, tt.file)
				}
				for _, side := range []struct{ name, url, want string }{
					{"ChecksumURL", a.ChecksumURL, tt.checksum},
					{"SignatureURL", a.SignatureURL, tt.sig},
				} {
					switch {
					case side.want == "" && side.url != "":
						t.Errorf("%s = %q, want none", side.name, side.url)
					case side.want != "" && side.url == "":
						t.Errorf("%s is empty, want %s", side.name, side.want)
					case side.want != "":
						if got := readURL(t, hc, side.url); got != "content of "+side.want {
							t.Errorf("%s %s serves %q, want the content of %s", side.name, side.url, got, side.want)
						}
					}
				}
			})
		}
	}
}

func TestLocateMirrorMissingVersion(t *testing.T) {
	ms, _ := mirrors(t)
	nginx, _ := Lookup("nginx")
	for kind, m := range ms {
		t.Run(kind, func(t *testing.T) {
			_, err := Locate(context.Background(), &http.Client{}, m, nginx, "1.27.9")
			if err == nil {
				t.Fatal("Locate of a missing version succeeded")
			}
			msg := err.Error()
			for _, s := range []string{"nginx 1.27.9", m.String(), "nginx-1.27.9.tar.{gz,xz,bz2}",
				"nearest it has: 1.27.1, 1.26.2, 1.25.0, 1.22.1, 1.9.15"} {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			for _, s := range []string{"latest", "rm", "1.30.0"} {
				if strings.Contains(msg, s) {
					t.Errorf("error %q lists non-version %q", msg, s)
				}
			}
		})
	}
}

func TestLocateMirrorMissingComponent(t *testing.T) {
	ms, _ := mirrors(t)
	pcre2, _ := Lookup("pcre2")
	for kind, m := range ms {
		t.Run(kind, func(t *testing.T) {
			if _, err := Locate(context.Background(), &http.Client{}, m, pcre2, "10.47"); err == nil {
				t.Fatal("Locate succeeded without a pcre2/ directory on the mirror")
			}
		})
	}
}

func TestLocateRejectsBadVersionBeforeAnyRequest(t *testing.T) {
	ms, hits := mirrors(t)
	nginx, _ := Lookup("nginx")
	for kind, m := range ms {
		for _, v := range []string{"", "../x", "1.2.3; rm", "1.27.1/../../etc", strings.Repeat("1", 100)} {
			_, err := Locate(context.Background(), &http.Client{}, m, nginx, v)
			if err == nil || !strings.Contains(err.Error(), "not a version number") {
				t.Errorf("%s: Locate(%q) = %v, want a version error", kind, v, err)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("invalid versions caused %d HTTP requests", n)
	}
}

func TestLocateHTTPMirrorError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	m, err := ParseMirror(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	nginx, _ := Lookup("nginx")
	_, err = Locate(context.Background(), srv.Client(), m, nginx, "1.27.1")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), srv.URL+"/nginx/") {
		t.Fatalf("Locate = %v, want a 404 error naming %s/nginx/", err, srv.URL)
	}
}

func TestLocateUpstream(t *testing.T) {
	tests := []struct {
		component, version string
		urls               []string
		checksum           string
	}{
		{"openssl", "3.0.20",
			[]string{"https://github.com/openssl/openssl/releases/download/openssl-3.0.20/openssl-3.0.20.tar.gz"},
			"https://github.com/openssl/openssl/releases/download/openssl-3.0.20/openssl-3.0.20.tar.gz.sha256"},
		{"openssl", "3.5.0-beta1",
			[]string{"https://github.com/openssl/openssl/releases/download/openssl-3.5.0-beta1/openssl-3.5.0-beta1.tar.gz"},
			"https://github.com/openssl/openssl/releases/download/openssl-3.5.0-beta1/openssl-3.5.0-beta1.tar.gz.sha256"},
		{"openssl", "1.1.1w",
			[]string{"https://github.com/openssl/openssl/releases/download/OpenSSL_1_1_1w/openssl-1.1.1w.tar.gz"},
			"https://github.com/openssl/openssl/releases/download/OpenSSL_1_1_1w/openssl-1.1.1w.tar.gz.sha256"},
		{"pcre2", "10.47",
			[]string{"https://github.com/PCRE2Project/pcre2/releases/download/pcre2-10.47/pcre2-10.47.tar.gz"}, ""},
		{"zlib", "1.3.1",
			[]string{"https://zlib.net/zlib-1.3.1.tar.gz", "https://zlib.net/fossils/zlib-1.3.1.tar.gz"}, ""},
		{"nginx", "1.27.1", []string{"https://nginx.org/download/nginx-1.27.1.tar.gz"}, ""},
		{"freenginx", "1.29.3", []string{"https://freenginx.org/download/freenginx-1.29.3.tar.gz"}, ""},
		{"openresty", "1.27.1.2", []string{"https://openresty.org/download/openresty-1.27.1.2.tar.gz"}, ""},
		{"libressl", "4.1.0", []string{"https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/libressl-4.1.0.tar.gz"}, ""},
	}
	// Upstream URLs are well known: any request is a failure.
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s", r.URL)
		return nil, http.ErrNotSupported
	})}
	for _, tt := range tests {
		t.Run(tt.component+"-"+tt.version, func(t *testing.T) {
			c, _ := Lookup(tt.component)
			a, err := Locate(context.Background(), hc, Mirror{}, c, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.URLs, tt.urls) {
				t.Errorf("URLs = %q\nwant   %q", a.URLs, tt.urls)
			}
			if a.ChecksumURL != tt.checksum {
				t.Errorf("ChecksumURL = %q, want %q", a.ChecksumURL, tt.checksum)
			}
			// Upstream's signatures sit beside the first URL; whether one
			// exists is learned when it is fetched.
			if !strings.HasPrefix(a.SignatureURL, tt.urls[0]+".") || !a.SidecarsOptional {
				t.Errorf("SignatureURL = %q (optional %v), want beside %s", a.SignatureURL, a.SidecarsOptional, tt.urls[0])
			}
			if want := tt.component + "-" + tt.version + ".tar.gz"; a.FileName != want {
				t.Errorf("FileName = %q, want %q", a.FileName, want)
			}
			if a.Component != tt.component || a.Version != tt.version {
				t.Errorf("artifact is %s %s", a.Component, a.Version)
			}
		})
	}
}

func TestListVersionsMirror(t *testing.T) {
	ms, _ := mirrors(t)
	tests := map[string][]string{
		"nginx":   {"1.27.1", "1.26.2", "1.25.0", "1.22.1", "1.9.15"},
		"openssl": {"3.5.0-beta1", "3.0.20", "1.1.1w"},
		"zlib":    {"1.3.1"},
	}
	for kind, m := range ms {
		for name, want := range tests {
			t.Run(kind+"/"+name, func(t *testing.T) {
				c, _ := Lookup(name)
				got, err := ListVersions(context.Background(), &http.Client{}, m, c)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("ListVersions = %q, want %q", got, want)
				}
			})
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLinks(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string
	}{
		{"nginx-org-download.html", []string{
			"../",
			"nginx-1.9.15.tar.gz", "nginx-1.9.15.tar.gz.asc", "nginx-1.9.15.zip",
			"nginx-1.22.1.tar.gz", "nginx-1.22.1.tar.gz.asc",
			"nginx-1.27.1.tar.gz", "nginx-1.27.1.tar.gz.asc", "nginx-1.27.1.zip",
			"nginx-1.3.9.tar.gz", "nginx-0.1.0.tar.gz",
			"patch.2018.h2.txt", "patch.2018.h2.txt.asc", "nginx_signing.key",
		}},
		{"go-fileserver-openresty.html", []string{
			"openresty-1.21.4.4.tar.gz",
			"openresty-1.27.1.1.tar.gz", "openresty-1.27.1.1.tar.gz.sha256",
			"openresty-1.27.1.2.tar.gz", "openresty-1.27.1.2.tar.gz.asc",
			"openresty-1.27.1.2rc1.tar.gz",
			"openresty-win64/", "./openresty-1.25.3.2.tar.gz", "README%20first.txt",
		}},
		{"apache-libressl.html", []string{
			"?C=N;O=D", "?C=M;O=A", "?C=S;O=A", "?C=D;O=A", "/pub/OpenBSD/",
			"SHA256", "SHA256.asc",
			"libressl-3.9.2.tar.gz", "libressl-3.9.2.tar.gz.asc",
			"libressl-4.0.0.tar.gz", "libressl-4.1.0.tar.gz", "libressl-4.1.0-windows.zip",
			"libressl-2.10.0.tar.gz", "libressl.asc",
		}},
		{"zlib-net.html", []string{
			"https://github.com/madler/zlib",
			"zlib-1.3.1.tar.gz", "zlib-1.3.1.tar.gz.asc",
			"https://zlib.net/zlib-1.3.1.tar.xz", "zlib-1.3.1.tar.xz.asc",
			"zlib131.zip", "fossils/", "ChangeLog.txt", "manual.html", "mailto:zlib@gzip.org",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got := Links(readFixture(t, tt.fixture))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Links =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestLinksOddInput(t *testing.T) {
	tests := []struct {
		page string
		want []string
	}{
		{"", nil},
		{"no markup at all", nil},
		{`<a>no href</a><a name="x">anchor</a>`, nil},
		{`<A HREF="UPPER.tar.gz">x</A>`, []string{"UPPER.tar.gz"}},
		{`<a href="a&amp;b.tar.gz">`, []string{"a&b.tar.gz"}},
		{`<a id=1 href=unquoted.tar.gz class=x>`, []string{"unquoted.tar.gz"}},
		{`<a href="self-closing"/>`, []string{"self-closing"}},
		{`<link href="style.css"><img src="x.png"><area href="map">`, nil},
		{`<a href="trunc`, nil},
		{`<a href="one"><a href="two">`, []string{"one", "two"}},
	}
	for _, tt := range tests {
		if got := Links([]byte(tt.page)); !slices.Equal(got, tt.want) {
			t.Errorf("Links(%q) = %q, want %q", tt.page, got, tt.want)
		}
	}
}

// roundTripFunc lets a test stand in for the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// upstream serves fixture pages at upstream's paths: a client built by it
// sends every request to a test server, whatever the host, and records the
// URLs asked for.
func upstream(t *testing.T, pages map[string]string) (*http.Client, *[]string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fixture, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(readFixture(t, fixture))
	}))
	t.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	var asked []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		asked = append(asked, r.URL.String())
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, ""
		return http.DefaultTransport.RoundTrip(r)
	})}
	return hc, &asked
}

func TestListVersionsUpstream(t *testing.T) {
	hc, asked := upstream(t, map[string]string{
		"/download/":                      "nginx-org-download.html",
		"/pub/OpenBSD/LibreSSL/":          "apache-libressl.html",
		"/":                               "zlib-net.html",
		"/fossils/":                       "zlib-fossils.html",
		"/repos/openssl/openssl/releases": "github-openssl-releases.json",
	})
	tests := []struct {
		component string
		indexURL  string
		want      []string
	}{
		{"nginx", "https://nginx.org/download/", []string{"1.27.1", "1.22.1", "1.9.15", "1.3.9", "0.1.0"}},
		{"libressl", "https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/", []string{"4.1.0", "4.0.0", "3.9.2", "2.10.0"}},
		// zlib.net lists the newest release; fossils/ keeps the older ones.
		{"zlib", "https://zlib.net/", []string{"1.3.1", "1.3", "1.2.13", "1.2.11"}},
		// The GitHub releases API: tags openssl-3.x and OpenSSL_1_1_1w; the
		// FIPS module's tag is not an openssl release.
		{"openssl", "https://api.github.com/repos/openssl/openssl/releases?per_page=100",
			[]string{"3.5.6", "3.5.0-beta1", "3.0.20", "1.1.1w"}},
	}
	for _, tt := range tests {
		t.Run(tt.component, func(t *testing.T) {
			c, _ := Lookup(tt.component)
			if c.IndexURL != tt.indexURL {
				t.Fatalf("IndexURL = %q, want %q", c.IndexURL, tt.indexURL)
			}
			*asked = nil
			got, err := ListVersions(context.Background(), hc, Mirror{}, c)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListVersions = %q, want %q", got, tt.want)
			}
			wantAsked := append([]string{tt.indexURL}, c.moreIndexURLs...)
			if !slices.Equal(*asked, wantAsked) {
				t.Errorf("requests = %q, want only %q", *asked, wantAsked)
			}
		})
	}
}

func TestListVersionsOpenRestyFileServerIndex(t *testing.T) {
	hc, _ := upstream(t, map[string]string{"/download/": "go-fileserver-openresty.html"})
	c, _ := Lookup("openresty")
	got, err := ListVersions(context.Background(), hc, Mirror{}, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1.27.1.2", "1.27.1.2rc1", "1.27.1.1", "1.25.3.2", "1.21.4.4"}
	if !slices.Equal(got, want) {
		t.Errorf("ListVersions = %q, want %q", got, want)
	}
}

func TestListVersionsUpstreamErrors(t *testing.T) {
	hc, _ := upstream(t, map[string]string{
		// HTML where JSON is expected.
		"/repos/PCRE2Project/pcre2/releases": "zlib-net.html",
	})
	for _, name := range []string{"nginx", "pcre2"} {
		c, _ := Lookup(name)
		_, err := ListVersions(context.Background(), hc, Mirror{}, c)
		if err == nil {
			t.Errorf("%s: ListVersions succeeded", name)
			continue
		}
		if !strings.Contains(err.Error(), "list "+name+" versions") {
			t.Errorf("%s: error %q does not say what failed", name, err)
		}
	}
}

func TestListVersionsApacheMirror(t *testing.T) {
	// Any web server's listing works as an HTTP mirror: here Apache's,
	// with its sort links, parent link and non-tarball files.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/LibreSSL/libressl/" {
			http.NotFound(w, r)
			return
		}
		w.Write(readFixture(t, "apache-libressl.html"))
	}))
	defer srv.Close()
	m, err := ParseMirror(srv.URL + "/LibreSSL")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Lookup("libressl")
	got, err := ListVersions(context.Background(), srv.Client(), m, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"4.1.0", "4.0.0", "3.9.2", "2.10.0"}; !slices.Equal(got, want) {
		t.Errorf("ListVersions = %q, want %q", got, want)
	}
	a, err := Locate(context.Background(), srv.Client(), m, c, "3.9.2")
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/LibreSSL/libressl/libressl-3.9.2.tar.gz"; !slices.Equal(a.URLs, []string{want}) {
		t.Errorf("URLs = %q, want %q", a.URLs, want)
	}
	if want := srv.URL + "/LibreSSL/libressl/libressl-3.9.2.tar.gz.asc"; a.SignatureURL != want {
		t.Errorf("SignatureURL = %q, want %q", a.SignatureURL, want)
	}
	if a.ChecksumURL != "" {
		t.Errorf("ChecksumURL = %q, want none", a.ChecksumURL)
	}
}

func TestListVersionsCanceled(t *testing.T) {
	ms, _ := mirrors(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _ := Lookup("nginx")
	if _, err := ListVersions(ctx, &http.Client{}, ms["http"], c); err == nil {
		t.Fatal("ListVersions with a canceled context succeeded")
	}
}

// An exact version the mirror lacks lists the versions nearest to it, not
// the newest ones.
func TestLocateMirrorMissingVersionListsNearest(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "nginx"), 0o755)
	for _, v := range []string{"1.9.15", "1.18.0", "1.20.1", "1.20.2", "1.21.6", "1.22.0", "1.22.1", "1.23.4",
		"1.24.0", "1.25.5", "1.26.0", "1.26.3", "1.27.0", "1.27.5", "1.28.0", "1.29.1", "1.30.0", "1.31.2"} {
		os.WriteFile(filepath.Join(dir, "nginx", "nginx-"+v+".tar.gz"), []byte(v), 0o644)
	}
	m, err := ParseMirror(dir)
	if err != nil {
		t.Fatal(err)
	}
	nginx, _ := Lookup("nginx")
	for _, tt := range []struct {
		version, want, not string
	}{
		{"1.22.3", "nearest it has: 1.26.0, 1.25.5, 1.24.0, 1.23.4, 1.22.1, 1.22.0, 1.21.6, 1.20.2", "1.31.2"},
		{"1.9.16", "nearest it has: 1.23.4, 1.22.1, 1.22.0, 1.21.6, 1.20.2, 1.20.1, 1.18.0, 1.9.15", "1.31.2"},
		{"1.40.0", "nearest it has: 1.31.2, 1.30.0, 1.29.1, 1.28.0, 1.27.5, 1.27.0, 1.26.3, 1.26.0", "1.9.15"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			_, err := Locate(context.Background(), &http.Client{}, m, nginx, tt.version)
			if err == nil {
				t.Fatal("Locate of a missing version succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), tt.not) {
				t.Errorf("error %q\nwant %q, not %s", err, tt.want, tt.not)
			}
		})
	}
}

// GitHub's releases API pages by 100: a full page means older releases
// (OpenSSL's 1.1.1 letter releases, say) are on the next one.
func TestListVersionsFollowsGitHubPages(t *testing.T) {
	page := func(from, n int) string {
		var rels []string
		for i := from; i < from+n; i++ {
			rels = append(rels, fmt.Sprintf(`{"tag_name": "openssl-3.%d.%d", "prerelease": false}`, i/20, i%20))
		}
		return "[" + strings.Join(rels, ",") + "]"
	}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.RawQuery)
		switch r.URL.Query().Get("page") {
		case "":
			fmt.Fprint(w, page(0, 100))
		case "2":
			fmt.Fprint(w, `[{"tag_name": "OpenSSL_1_1_1w", "prerelease": false}]`)
		default:
			t.Errorf("asked for page %s after a short page", r.URL.Query().Get("page"))
			fmt.Fprint(w, "[]")
		}
	}))
	defer srv.Close()
	target, _ := url.Parse(srv.URL)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, ""
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, _ := Lookup("openssl")
	got, err := ListVersions(context.Background(), hc, Mirror{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 101 || got[len(got)-1] != "1.1.1w" {
		t.Errorf("ListVersions: %d versions, last %q; want 101 ending with 1.1.1w (page 2)", len(got), got[len(got)-1])
	}
	if want := []string{"per_page=100", "per_page=100&page=2"}; !slices.Equal(asked, want) {
		t.Errorf("pages asked = %q, want %q", asked, want)
	}
}
