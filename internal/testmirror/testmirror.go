// Package testmirror is the in-process mirror that tests build against: it
// generates small synthetic source tarballs in nginx-build's mirror layout
// and serves them over loopback HTTP with Go's file server (whose listing is
// a real HTML index of <a href> links), counting every request.
//
// The synthetic nginx has a ./configure that records its arguments, checks
// that --with-pcre/--with-openssl/--with-zlib directories exist, and writes
// a Makefile whose objs/nginx answers -V like the real one.
package testmirror

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// Mirror is a temporary mirror directory served over HTTP.
type Mirror struct {
	Dir string
	URL string

	mu       sync.Mutex
	requests map[string]int
	srv      *httptest.Server
}

// New creates an empty mirror; it is torn down when the test ends.
func New(t testing.TB) *Mirror {
	t.Helper()
	m := &Mirror{Dir: t.TempDir(), requests: map[string]int{}}
	fs := http.FileServer(http.Dir(m.Dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.requests[r.URL.Path]++
		m.mu.Unlock()
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	m.URL, m.srv = srv.URL, srv
	return m
}

// Close stops serving: upstream is gone.
func (m *Mirror) Close() { m.srv.Close() }

// Requests returns how often a path (e.g. "/nginx/nginx-1.2.3.tar.gz") was requested.
func (m *Mirror) Requests(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests[path]
}

// TarballRequests counts requests for any tarball.
func (m *Mirror) TarballRequests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for p, c := range m.requests {
		if strings.Contains(p, ".tar.") && !strings.HasSuffix(p, ".sha256") {
			n += c
		}
	}
	return n
}

// Entry is one file of a synthetic tarball.
type Entry struct {
	Name     string
	Body     string
	Mode     int64
	Type     byte // tar.TypeReg when zero
	Linkname string
}

// Add writes <component>/<file> holding a tar of entries, compressed by the
// file's extension (.tar.gz or .tar.xz), and returns its sha256.
func (m *Mirror) Add(t testing.TB, component, file string, entries []Entry) string {
	t.Helper()
	// Every test's mirror holds the same few small tarballs: they are
	// compressed once (the output is deterministic) and copied after.
	key, small := archiveKey(file, entries)
	if small {
		if b, ok := archives.Load(key); ok {
			return m.WriteFile(t, component, file, b.([]byte))
		}
	}
	b := archive(t, file, entries)
	if small {
		archives.Store(key, b)
	}
	return m.WriteFile(t, component, file, b)
}

// archives caches small archives by archiveKey.
var archives sync.Map

// archiveKey identifies an archive by its name and entries, for archives
// small enough to cache.
func archiveKey(file string, entries []Entry) (string, bool) {
	size := 0
	for _, e := range entries {
		size += len(e.Body)
	}
	if size > 64<<10 {
		return "", false
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", file)
	for _, e := range entries {
		fmt.Fprintf(h, "%q %q %d %d %q\n", e.Name, e.Body, e.Mode, e.Type, e.Linkname)
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// archive is the compressed tar of entries.
func archive(t testing.TB, file string, entries []Entry) []byte {
	t.Helper()
	// The tar streams straight into the compressor: tests add archives of
	// hundreds of MB (mostly zeros) to make extraction take a while.
	var out bytes.Buffer
	var zw io.WriteCloser
	switch {
	case strings.HasSuffix(file, ".tar.gz"):
		zw, _ = gzip.NewWriterLevel(&out, gzip.BestSpeed)
	case strings.HasSuffix(file, ".tar.xz"):
		w, err := xz.NewWriter(&out)
		if err != nil {
			t.Fatal(err)
		}
		zw = w
	default:
		t.Fatalf("testmirror: unsupported extension in %s", file)
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{Name: e.Name, Mode: mode, Typeflag: typ, Linkname: e.Linkname, ModTime: time.Unix(1700000000, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// WriteFile puts raw bytes at <component>/<file> and returns their sha256.
func (m *Mirror) WriteFile(t testing.TB, component, file string, data []byte) string {
	t.Helper()
	dir := filepath.Join(m.Dir, component)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// PublishSHA256 writes <file>.sha256 beside a tarball in sha256sum format.
func (m *Mirror) PublishSHA256(t testing.TB, component, file, sum string) {
	t.Helper()
	m.WriteFile(t, component, file+".sha256", []byte(sum+"  "+file+"\n"))
}

// AddLibrary adds a synthetic library tarball whose single top-level
// directory is topDir (e.g. "zlib-1.2.13.dfsg"); file is e.g.
// "zlib-1.2.13.tar.gz". It returns the tarball's sha256.
func (m *Mirror) AddLibrary(t testing.TB, component, file, topDir string) string {
	t.Helper()
	return m.Add(t, component, file, []Entry{
		{Name: topDir + "/", Type: tar.TypeDir},
		{Name: topDir + "/README", Body: component + " synthetic source\n"},
	})
}

// AddOpenSSL adds a synthetic OpenSSL release with OpenSSL's build
// interface: its config records each call's arguments and environment in
// config.calls (and fails given test-fail-config), and writes a Makefile whose build_libs makes libcrypto.a
// and libssl.a (holding the config arguments, $CC and
// $SOURCE_DATE_EPOCH) and whose install_dev installs them and
// include/openssl/ssl.h under $(DESTDIR)<prefix>. It returns the
// tarball's sha256.
func (m *Mirror) AddOpenSSL(t testing.TB, version string) string {
	t.Helper()
	top := "openssl-" + version + "/"
	return m.Add(t, "openssl", "openssl-"+version+".tar.gz", []Entry{
		{Name: top, Type: tar.TypeDir},
		{Name: top + "Configure", Body: "my @disablables = (\n    \"tests\",\n    \"docs\",\n);\n"},
		{Name: top + "Configurations/unix-Makefile.tmpl", Body: "build_libs: build_libs_nodep\nbuild_libs_nodep: libcrypto.a libssl.a\ninstall_dev: build_libs\n"},
		{Name: top + "VERSION.dat", Body: "VERSION=" + version + "\n"},
		{Name: top + "config", Mode: 0o755, Body: fakeOpenSSLConfig},
	})
}

// fakeOpenSSLConfig is the synthetic OpenSSL's config (see AddOpenSSL).
const fakeOpenSSLConfig = `#!/bin/sh
echo "config $* CC=$CC" >> config.calls
prefix=/usr/local libdir=lib
for a in "$@"; do
	case "$a" in
	test-fail-config) echo "Configure: error: failing on purpose" >&2; exit 1 ;;
	--prefix=*) prefix=${a#*=} ;;
	--libdir=*) libdir=${a#*=} ;;
	esac
done
case "$libdir" in /*) ;; *) libdir=$prefix/$libdir ;; esac
{
	printf 'build_libs: libcrypto.a libssl.a\n'
	printf 'libcrypto.a: crypto/c.o\n\techo "libcrypto %s CC=%s epoch=%s" > libcrypto.a\n' "$*" "$CC" "$SOURCE_DATE_EPOCH"
	printf 'libssl.a: ssl/s.o\n\techo "libssl %s" > libssl.a\n' "$*"
	printf 'crypto/c.o:\n\tmkdir -p crypto && touch crypto/c.o\n'
	printf 'ssl/s.o:\n\tmkdir -p ssl && touch ssl/s.o\n'
	printf 'install_dev: build_libs\n\tmkdir -p $(DESTDIR)%s/include/openssl $(DESTDIR)%s\n' "$prefix" "$libdir"
	printf '\techo "/* synthetic */" > $(DESTDIR)%s/include/openssl/ssl.h\n' "$prefix"
	printf '\tcp libcrypto.a libssl.a $(DESTDIR)%s/\n' "$libdir"
	printf 'clean:\n\trm -f libcrypto.a libssl.a crypto/c.o ssl/s.o\n'
} > Makefile
`

// AddNginx adds a synthetic nginx (or freenginx) release tarball.
func (m *Mirror) AddNginx(t testing.TB, name, version string) string {
	t.Helper()
	top := name + "-" + version + "/"
	return m.Add(t, name, name+"-"+version+".tar.gz", []Entry{
		{Name: top, Type: tar.TypeDir},
		{Name: top + "configure", Body: fakeConfigure(name, version), Mode: 0o755},
		{Name: top + "src/core/nginx.h", Body: "#define NGINX_VERSION \"" + version + "\"\n"},
		// Present, so that configure has no directory to make (one
		// process fewer per synthetic build).
		{Name: top + "objs/", Type: tar.TypeDir},
	})
}

// FakeConfigure is the synthetic configure script of a server tree, for
// tests that build their own trees (e.g. a git repository of nginx).
func FakeConfigure(name, version string) string { return fakeConfigure(name, version) }

// fakeConfigure mimics the contract of nginx's configure that nginx-build
// relies on: it takes the options, fails on a missing library dir, and
// produces a Makefile building objs/nginx. Magic options make it fail or
// hang on purpose: --test-fail-configure, --test-fail-make, --test-slow-make;
// --test-compile=N makes it lay out the build as nginx does, a Makefile
// that runs objs/Makefile, which compiles N objects a fifth of a second
// each (for tests of compile progress); --test-ssl-rule writes nginx's
// rule that builds the --with-openssl tree (see AddOpenSSL).
func fakeConfigure(name, version string) string {
	return `#!/bin/sh
printf '%s\n' "$@" > configure.args
for a in "$@"; do
	case "$a" in
	--with-pcre=*|--with-openssl=*|--with-zlib=*|--add-module=*|--add-dynamic-module=*)
		d=${a#*=}
		if [ ! -d "$d" ]; then echo "./configure: error: $d not found" >&2; exit 1; fi ;;
	--test-fail-configure) echo "./configure: error: failing on purpose" >&2; exit 1 ;;
	--test-fail-make) failmake=1 ;;
	--test-slow-make) slowmake=1 ;;
	--test-compile=*) compile=${a#*=} ;;
	--test-ssl-rule) sslrule=1 ;;
	esac
	case "$a" in
	--with-openssl=*) ssl=${a#*=} ;;
	--with-openssl-opt=*) sslopt=${a#*=} ;;
	esac
done
echo "checking for OS ... synthetic"
[ -d objs ] || mkdir objs
{
	echo '#!/bin/sh'
	echo 'echo "nginx version: ` + name + `/` + version + `" >&2'
	printf 'echo "configure arguments: %s" >&2\n' "$*"
} > objs/nginx.in
if [ "$failmake" ]; then
	printf 'all:\n\t@i=1; while [ $$i -le 60 ]; do echo "cc -c src/file$$i.c"; i=$$((i+1)); done; echo "src/file60.c:1: error: synthetic failure"; exit 1\n' > Makefile
elif [ "$compile" ]; then
	printf 'build:\n\t$(MAKE) -f objs/Makefile\n' > Makefile
	{
		printf 'build:\tbinary\n\nbinary:\tobjs/nginx\n\nobjs/nginx:'
		i=1; while [ $i -le "$compile" ]; do printf ' objs/src/f%d.o' $i; i=$((i+1)); done
		printf '\n\tinstall -m 755 objs/nginx.in objs/nginx\n\n'
		i=1; while [ $i -le "$compile" ]; do
			printf 'objs/src/f%d.o:\n\tsleep 0.2 && mkdir -p objs/src && echo cc -c -o objs/src/f%d.o && touch objs/src/f%d.o\n\n' $i $i $i
			i=$((i+1))
		done
	} > objs/Makefile
elif [ "$sslrule" ]; then
	# nginx's rule for a static OpenSSL, as auto/lib/openssl/make writes it;
	# it leaves a mark when it runs.
	printf 'all:\n\t$(MAKE) -f objs/Makefile\n' > Makefile
	{
		printf 'build:\tobjs/nginx\n\nobjs/nginx:\t%s/.openssl/include/openssl/ssl.h\n\tinstall -m 755 objs/nginx.in objs/nginx\n\n' "$ssl"
		printf '%s/.openssl/include/openssl/ssl.h:\tobjs/Makefile\n' "$ssl"
		printf '\tcd %s \\\n\t&& if [ -f Makefile ]; then $(MAKE) clean; fi \\\n' "$ssl"
		printf '\t&& ./config --prefix=%s/.openssl no-shared no-threads %s \\\n' "$(pwd)/$ssl" "$sslopt"
		printf '\t&& $(MAKE) \\\n\t&& $(MAKE) install_sw LIBDIR=lib && touch nginx-rule-ran\n'
	} > objs/Makefile
elif [ "$slowmake" ]; then
	printf 'all:\n\techo $$$$ > make.pid; sleep 60 & echo $$! > sleep.pid; wait\n' > Makefile
else
	printf 'all: objs/nginx\nobjs/nginx: objs/nginx.in\n\tinstall -m 755 objs/nginx.in objs/nginx\n' > Makefile
fi
# make install: objs/nginx to --sbin-path (relative to --prefix), under $(DESTDIR).
prefix=/usr/local/nginx sbin=sbin/nginx
for a in "$@"; do
	case "$a" in
	--prefix=*) prefix=${a#*=} ;;
	--sbin-path=*) sbin=${a#*=} ;;
	esac
done
case "$sbin" in /*) ;; *) sbin=$prefix/$sbin ;; esac
printf 'install:\n\tmkdir -p $(DESTDIR)%s\n\tcp objs/nginx $(DESTDIR)%s\n' "${sbin%/*}" "$sbin" >> Makefile
# make modules: one .so per dynamic module, named as nginx names them.
printf 'modules:\n' >> Makefile
for a in "$@"; do
	case "$a" in
	--add-dynamic-module=*) printf '\ttouch objs/ngx_%s_module.so\n' "$(basename "${a#*=}")" >> Makefile ;;
	--with-*=dynamic) n=${a#--with-}; n=${n%=dynamic}; case "$n" in *_module) ;; *) n=${n}_module ;; esac
		printf '\ttouch objs/ngx_%s.so\n' "$n" >> Makefile ;;
	esac
done
echo "configure done"
`
}

// Tarball is a name for error messages in tests.
func Tarball(component, version string) string {
	return fmt.Sprintf("%s-%s.tar.gz", component, version)
}
