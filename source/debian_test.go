package source

import (
	"os"
	"testing"
)

func TestUpstreamOf(t *testing.T) {
	for in, want := range map[string]string{
		"1.22.1-9+deb12u9":  "1.22.1",
		"1:1.2.13.dfsg-1":   "1.2.13",
		"10.42-1+deb12u2":   "10.42",
		"3.0.20-1~deb12u2":  "3.0.20",
		"1:0.63-4":          "0.63",
		"2.4.1+dfsg2-3":     "2.4.1",
		"1.0~rc1+ds-2":      "1.0~rc1",
		"7.88.1-10+deb12u8": "7.88.1",
		"20230311":          "20230311",
	} {
		if got := UpstreamOf(in); got != want {
			t.Errorf("UpstreamOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseShowsrc(t *testing.T) {
	out, err := os.ReadFile("testdata/apt-showsrc-zlib.txt") // real output, bookworm
	if err != nil {
		t.Fatal(err)
	}
	vs := parseShowsrc(string(out), "zlib")
	if len(vs) != 1 {
		t.Fatalf("versions %+v, want one (listed twice, once per sources entry)", vs)
	}
	v := vs[0]
	if v.Debian != "1:1.2.13.dfsg-1" || v.Upstream != "1.2.13" || v.Orig != "zlib_1.2.13.dfsg.orig.tar.bz2" ||
		v.OrigSHA256 != "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1" || v.DebianTar != "zlib_1.2.13.dfsg-1.debian.tar.xz" {
		t.Errorf("parsed %+v", v)
	}
	if vs := parseShowsrc(string(out), "zlib1g"); len(vs) != 0 {
		t.Errorf("a binary package name matched: %+v", vs)
	}
	if got := origExt(v.Orig); got != ".tar.bz2" {
		t.Errorf("origExt = %q", got)
	}
}
