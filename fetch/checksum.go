package fetch

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	hexDigest = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	// bsdLine is "SHA256 (file) = hex" and OpenSSL's "SHA2-256(file)= hex".
	bsdLine = regexp.MustCompile(`^SHA2?-?256 ?\((.+)\) ?= ?([0-9a-fA-F]{64})$`)
)

// ParseSHA256File reads a published checksum file: a bare hex digest,
// "hex  filename" / "hex *filename" (sha256sum), or BSD style
// "SHA256 (filename) = hex". When the file lists several files, the line
// for fileName is used.
func ParseSHA256File(content, fileName string) (string, error) {
	var candidates []string
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := bsdLine.FindStringSubmatch(line); m != nil {
			if m[1] == fileName {
				return strings.ToLower(m[2]), nil
			}
			continue
		}
		fields := strings.Fields(line)
		if !hexDigest.MatchString(fields[0]) {
			return "", fmt.Errorf("not a sha256 checksum file: line %q", truncate(line, 80))
		}
		if len(fields) == 1 {
			candidates = append(candidates, fields[0])
			continue
		}
		name := strings.TrimPrefix(fields[1], "*")
		if name == fileName || strings.HasSuffix(name, "/"+fileName) {
			return strings.ToLower(fields[0]), nil
		}
	}
	if len(candidates) == 1 {
		return strings.ToLower(candidates[0]), nil
	}
	return "", fmt.Errorf("no sha256 for %s in checksum file", fileName)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
