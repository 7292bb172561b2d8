package fetch

import (
	"strings"
	"testing"
)

const (
	sumA = "a3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sumB = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
	sumC = "c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a"
)

func TestParseSHA256File(t *testing.T) {
	const file = "openssl-3.0.20.tar.gz"
	tests := []struct {
		name, content string
		want          string // "" means an error is expected
	}{
		{"bare hex", sumA, sumA},
		{"bare hex with newline", sumA + "\n", sumA},
		{"bare hex with CRLF and blanks", "\r\n  " + sumA + "  \r\n\r\n", sumA},
		{"upper-case hex is lowered", strings.ToUpper(sumA), sumA},
		{"sha256sum text mode", sumA + "  " + file + "\n", sumA},
		{"sha256sum binary mode", sumA + " *" + file + "\n", sumA},
		{"single space", sumA + " " + file, sumA},
		{"path prefix", sumA + "  ./dist/" + file + "\n", sumA},
		{"comment lines", "# published by the release script\n" + sumA + "  " + file + "\n", sumA},
		{"multi-line picks the file's line",
			sumA + "  openssl-3.0.19.tar.gz\n" + sumB + "  " + file + "\n" + sumC + "  openssl-3.0.21.tar.gz\n", sumB},
		{"multi-line binary mode", sumA + " *other.tar.gz\n" + sumB + " *" + file + "\n", sumB},
		{"similar name is not a match", sumA + "  x" + file + "\n" + sumB + "  " + file + ".asc\n", ""},
		{"multi-line without the file", sumA + "  a.tar.gz\n" + sumB + "  b.tar.gz\n", ""},
		{"BSD", "SHA256 (" + file + ") = " + sumA + "\n", sumA},
		{"BSD multi-line", "SHA256 (libressl-4.0.0.tar.gz) = " + sumA + "\nSHA256 (" + file + ") = " + sumB + "\n", sumB},
		{"BSD without the file", "SHA256 (libressl-4.0.0.tar.gz) = " + sumA + "\n", ""},
		{"OpenSSL dgst", "SHA2-256(" + file + ")= " + sumC + "\n", sumC},
		{"OpenSSL dgst upper", "SHA2-256(" + file + ")= " + strings.ToUpper(sumC), sumC},
		{"two bare digests are ambiguous", sumA + "\n" + sumB + "\n", ""},
		{"empty", "", ""},
		{"only comments", "# nothing here\n", ""},
		{"garbage", "<html><body>Not Found</body></html>", ""},
		{"short hex", sumA[:63] + "  " + file, ""},
		{"long hex", sumA + "0  " + file, ""},
		{"non-hex", strings.Replace(sumA, "a", "g", 1) + "  " + file, ""},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e  " + file, ""},
		{"good line then garbage", sumA + "  " + file + "\n<html>", sumA},
		{"garbage then good line", "<html>\n" + sumA + "  " + file, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSHA256File(tt.content, file)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseSHA256File(%q) = %q, want an error", tt.content, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSHA256File(%q): %v", tt.content, err)
			}
			if got != tt.want {
				t.Errorf("ParseSHA256File(%q) = %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}

func TestParseSHA256FileErrorNamesProblem(t *testing.T) {
	_, err := ParseSHA256File(sumA+"  other.tar.gz\n", "nginx-1.27.1.tar.gz")
	if err == nil || !strings.Contains(err.Error(), "nginx-1.27.1.tar.gz") {
		t.Errorf("error %v does not name the file", err)
	}
	long := strings.Repeat("x", 500)
	_, err = ParseSHA256File(long, "f")
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a long garbage line is %d bytes: %v", len(err.Error()), err)
	}
}
