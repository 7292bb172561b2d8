package source

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestComponentsTable(t *testing.T) {
	want := []string{"freenginx", "libressl", "nginx", "openresty", "openssl", "pcre2", "zlib"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		c, err := Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		if c.Name != name {
			t.Errorf("Lookup(%q).Name = %q", name, c.Name)
		}
		if !ValidVersion(c.DefaultVersion) {
			t.Errorf("%s: default version %q is not valid", name, c.DefaultVersion)
		}
		if !strings.HasPrefix(c.IndexURL, "https://") {
			t.Errorf("%s: index URL %q is not https", name, c.IndexURL)
		}
		urls := c.UpstreamURLs(c.DefaultVersion)
		if len(urls) == 0 {
			t.Fatalf("%s: no upstream URLs", name)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, "https://") || !strings.HasSuffix(u, "/"+name+"-"+c.DefaultVersion+".tar.gz") {
				t.Errorf("%s: upstream URL %q", name, u)
			}
		}
		if got := c.Dir("1.2.3"); got != name+"-1.2.3" {
			t.Errorf("%s: Dir = %q", name, got)
		}
		switch c.Role {
		case RoleServer:
			if c.ConfigureOption != "" {
				t.Errorf("%s: server has configure option %q", name, c.ConfigureOption)
			}
		default:
			if c.ConfigureOption == "" {
				t.Errorf("%s: library has no configure option", name)
			}
		}
	}
	for name, opt := range map[string]string{"openssl": "openssl", "libressl": "openssl", "pcre2": "pcre", "zlib": "zlib"} {
		c, _ := Lookup(name)
		if c.ConfigureOption != opt {
			t.Errorf("%s: ConfigureOption = %q, want %q", name, c.ConfigureOption, opt)
		}
	}
}

// nginxBuildDefaults are the defaults of cubicdaiya/nginx-build v0.16.25,
// the release this one replaces. A command line that names no version must
// never build anything older than it did there.
func nginxBuildDefaults() map[string]string {
	return map[string]string{
		"nginx":     "1.30.4",
		"pcre2":     "10.47",
		"zlib":      "1.3.2",
		"openssl":   "3.5.7",
		"libressl":  "4.3.2",
		"openresty": "1.31.1.1",
		"freenginx": "1.30.1",
	}
}

// TestDefaultsNeverOlderThanNginxBuild pins the defaults table: lowering a
// default below nginx-build v0.16.25's fails here, and so does a new
// component nobody compared. Refreshing a default upward passes.
func TestDefaultsNeverOlderThanNginxBuild(t *testing.T) {
	t.Parallel()
	floor := nginxBuildDefaults()
	if got, want := Names(), slices.Sorted(maps.Keys(floor)); !slices.Equal(got, want) {
		t.Fatalf("components %v, but nginx-build v0.16.25's defaults cover %v: compare the new one's default", got, want)
	}
	for name, oldest := range floor {
		c, _ := Lookup(name)
		if CompareVersions(c.DefaultVersion, oldest) < 0 {
			t.Errorf("%s: default %s is older than nginx-build v0.16.25's %s", name, c.DefaultVersion, oldest)
		}
	}
}

// The embedded version lists (the offline fallback of the version index)
// know every default, so a default resolves with the network down.
func TestEmbeddedVersionsHoldTheDefaults(t *testing.T) {
	t.Parallel()
	for _, name := range Names() {
		c, _ := Lookup(name)
		if vs := EmbeddedVersions(c); !slices.Contains(vs, c.DefaultVersion) {
			t.Errorf("%s: the embedded list lacks the default %s (refresh source/data/)", name, c.DefaultVersion)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("boringssl")
	if err == nil {
		t.Fatal("Lookup(boringssl) succeeded")
	}
	for _, s := range []string{`"boringssl"`, "openssl", "zlib"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
}

// The table is rebuilt on each call: a caller changing its copy cannot
// change what others see.
func TestLookupReturnsACopy(t *testing.T) {
	c, _ := Lookup("nginx")
	c.DefaultVersion = "0.0.1"
	c.IndexURL = "http://evil.example/"
	again, _ := Lookup("nginx")
	if again.DefaultVersion == "0.0.1" || again.IndexURL == "http://evil.example/" {
		t.Fatal("Lookup shares state between callers")
	}
}

func TestLicenses(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"nginx", "1.22.1", "BSD-2-Clause"},
		{"freenginx", "1.29.3", "BSD-2-Clause"},
		{"openresty", "1.27.1.2", "BSD-2-Clause"},
		{"openssl", "3.0.20", "Apache-2.0"},
		{"openssl", "3.0.0", "Apache-2.0"},
		{"openssl", "3.5.6", "Apache-2.0"},
		{"openssl", "1.1.1w", "OpenSSL"},
		{"openssl", "1.0.2u", "OpenSSL"},
		{"libressl", "4.3.0", "OpenSSL AND ISC"},
		{"pcre2", "10.42", "BSD-3-Clause WITH PCRE2-exception"},
		{"zlib", "1.2.13", "Zlib"},
	} {
		c, _ := Lookup(tc.name)
		if got := c.License(tc.version); got != tc.want {
			t.Errorf("%s %s: License = %q, want %q", tc.name, tc.version, got, tc.want)
		}
	}
	// Every component has one: an SBOM must not say "unknown" for a
	// component nginx-build knows.
	for _, name := range Names() {
		c, _ := Lookup(name)
		if c.License(c.DefaultVersion) == "" {
			t.Errorf("%s has no license", name)
		}
	}
}

func TestPURL(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"nginx", "1.22.1", "pkg:generic/nginx@1.22.1?download_url=https://nginx.org/download/nginx-1.22.1.tar.gz"},
		{"openresty", "1.9.7.2", "pkg:generic/openresty@1.9.7.2?download_url=https://openresty.org/download/ngx_openresty-1.9.7.2.tar.gz"},
		{"zlib", "1.2.13", "pkg:generic/zlib@1.2.13?download_url=https://zlib.net/zlib-1.2.13.tar.gz"},
		{"libressl", "4.3.0", "pkg:generic/libressl@4.3.0?download_url=https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/libressl-4.3.0.tar.gz"},
		// GitHub releases are named by their tags, as the github purl type wants.
		{"openssl", "3.0.20", "pkg:github/openssl/openssl@openssl-3.0.20"},
		{"openssl", "1.1.1w", "pkg:github/openssl/openssl@OpenSSL_1_1_1w"},
		{"pcre2", "10.42", "pkg:github/pcre2project/pcre2@pcre2-10.42"},
		// Characters outside the purl's safe set are percent-encoded.
		{"nginx", "1.2.3+x y", "pkg:generic/nginx@1.2.3%2Bx%20y?download_url=https://nginx.org/download/nginx-1.2.3%2Bx%20y.tar.gz"},
	} {
		c, _ := Lookup(tc.name)
		if got := c.PURL(tc.version); got != tc.want {
			t.Errorf("%s %s: PURL =\n %s\nwant\n %s", tc.name, tc.version, got, tc.want)
		}
	}
}
