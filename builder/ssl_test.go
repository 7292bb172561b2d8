package builder

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestParseSSLDirs(t *testing.T) {
	t.Parallel()
	def := sslDirs{Prefix: "/usr/local", LibDir: "lib", OpenSSLDir: "/usr/local/ssl"}
	for _, tc := range []struct {
		name, out string
		want      sslDirs
	}{
		{"debian", "OPENSSLDIR: \"/usr/lib/ssl\"\nENGINESDIR: \"/usr/lib/x86_64-linux-gnu/engines-3\"\n",
			sslDirs{Prefix: "/usr", LibDir: "lib/x86_64-linux-gnu", OpenSSLDir: "/usr/lib/ssl"}},
		{"rhel", "OPENSSLDIR: \"/etc/pki/tls\"\nENGINESDIR: \"/usr/lib64/engines-3\"\n",
			sslDirs{Prefix: "/usr", LibDir: "lib64", OpenSSLDir: "/etc/pki/tls"}},
		{"opt", "OPENSSLDIR: \"/opt/ssl/ssl\"\nENGINESDIR: \"/opt/ssl/lib/engines-1.1\"\n",
			sslDirs{Prefix: "/opt/ssl", LibDir: "lib", OpenSSLDir: "/opt/ssl/ssl"}},
		{"no engines", "OPENSSLDIR: \"/etc/ssl\"\nENGINESDIR: \"\"\n",
			sslDirs{Prefix: "/usr/local", LibDir: "lib", OpenSSLDir: "/etc/ssl"}},
		{"garbage", "openssl: unknown option -e\n", def},
	} {
		if got := parseSSLDirs(tc.out, def); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestReadSSLRule reads nginx's rule as auto/lib/openssl/make writes it.
func TestReadSSLRule(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := "build:\tbinary\n\n" +
		"../openssl-3.0.20/.openssl/include/openssl/ssl.h:\tobjs/Makefile\n" +
		"\tcd ../openssl-3.0.20 \\\n" +
		"\t&& if [ -f Makefile ]; then $(MAKE) clean; fi \\\n" +
		"\t&& ./config --prefix=/w/nginx-1.22.1/../openssl-3.0.20/.openssl no-shared no-threads enable-ktls no-weak-ssl-ciphers \\\n" +
		"\t&& $(MAKE) \\\n" +
		"\t&& $(MAKE) install_sw LIBDIR=lib\n"
	if err := os.MkdirAll(filepath.Join(dir, "objs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "objs", "Makefile"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	mk, err := readObjsMakefile(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := readSSLRule(dir, mk.mf)
	if !ok {
		t.Fatal("readSSLRule found no rule")
	}
	if want := filepath.Join(filepath.Dir(dir), "openssl-3.0.20"); r.tree != want {
		t.Errorf("tree %s, want %s", r.tree, want)
	}
	if want := []string{"no-shared", "no-threads", "enable-ktls", "no-weak-ssl-ciphers"}; !slices.Equal(r.options, want) {
		t.Errorf("options %q, want %q", r.options, want)
	}

	// No static OpenSSL: no rule.
	if err := os.WriteFile(filepath.Join(dir, "objs", "Makefile"), []byte("build:\tbinary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if mk, err = readObjsMakefile(dir); err != nil {
		t.Fatal(err)
	}
	if _, ok := readSSLRule(dir, mk.mf); ok {
		t.Error("a Makefile without the rule: found one")
	}
}

// TestLibraryCurrent: a tree holds the library of a key when its stamp
// names the key and its files exist, none older than objs/Makefile.
func TestLibraryCurrent(t *testing.T) {
	t.Parallel()
	tree := t.TempDir()
	since := time.Now().Add(-time.Minute)
	if err := os.WriteFile(filepath.Join(tree, "libz.a"), []byte("z"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []string{"libz.a"}
	if libraryCurrent(tree, "k1", files, since) {
		t.Error("current without a stamp")
	}
	if err := writeLibraryStamp(tree, "k1"); err != nil {
		t.Fatal(err)
	}
	if !libraryCurrent(tree, "k1", files, since) {
		t.Error("not current with its stamp and files")
	}
	if libraryCurrent(tree, "k2", files, since) || libraryCurrent(tree, "", files, since) {
		t.Error("current for another key")
	}
	if libraryCurrent(tree, "k1", append(files, "zconf.h"), since) {
		t.Error("current with a file missing")
	}
	if libraryCurrent(tree, "k1", files, time.Now().Add(time.Minute)) {
		t.Error("current with files older than objs/Makefile")
	}
}
