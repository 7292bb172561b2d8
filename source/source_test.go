package source

import (
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
