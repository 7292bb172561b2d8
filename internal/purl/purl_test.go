package purl

import "testing"

func TestPURLs(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{GitHub("OpenSSL", "OpenSSL", "openssl-3.0.20"), "pkg:github/openssl/openssl@openssl-3.0.20"},
		{GitHub("o", "r", ""), "pkg:github/o/r"},
		{Generic("nginx", "1.22.1", "download_url", "https://nginx.org/download/nginx-1.22.1.tar.gz"),
			"pkg:generic/nginx@1.22.1?download_url=https://nginx.org/download/nginx-1.22.1.tar.gz"},
		{Generic("mod", "", "vcs_url", "git+https://h/r.git@abc"), "pkg:generic/mod?vcs_url=git%2Bhttps://h/r.git%40abc"},
		{Generic("x", "1.0", "", ""), "pkg:generic/x@1.0"},
		// Characters that would end the version or start a qualifier are encoded.
		{Generic("n", "1+2 3@4?5#6", "", ""), "pkg:generic/n@1%2B2%203%404%3F5%236"},
		{Generic("n", "1", "download_url", "https://h/a?b=c&d=e"), "pkg:generic/n@1?download_url=https://h/a%3Fb%3Dc%26d%3De"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}
