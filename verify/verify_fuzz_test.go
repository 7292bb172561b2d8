package verify

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// FuzzKnownSums covers the checksum list parser: parseSumLine on arbitrary
// lines (the embedded sums files are read line by line through it), and the
// lookups on arbitrary component and file names, which come from user input.
func FuzzKnownSums(f *testing.F) {
	data, err := embeddedSums.ReadFile("sums/nginx.sha512")
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 0; sc.Scan() && n < 3; n++ {
		line := sc.Text()
		name := line[strings.LastIndexByte(line, ' ')+1:]
		f.Add(line, "openssl", name)
	}
	for _, s := range [][3]string{
		{"ABCDEF01 *nginx-1.22.1.tar.gz", "nginx", "nginx-1.22.1.tar.gz"},
		{"abc  x", "../verify", "x"},
		{"00 ", "sums/nginx", ""},
		{" 00  x", ".", "*"},
		{"0g  x", "openssl", "openssl-3.0.20.tar.gz"},
		{"", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	nginxSums, err := knownSums("nginx", "sha512")
	if err != nil || len(nginxSums) == 0 {
		f.Fatalf("knownSums(nginx) = %d sums, %v", len(nginxSums), err)
	}
	for name, sum := range nginxSums {
		if got, ok := KnownChecksum("nginx", name); !ok || got != (KnownSum{Algo: "sha512", Hex: sum}) {
			f.Fatalf("KnownChecksum(nginx, %q) = %+v, %v", name, got, ok)
		}
	}
	if got, ok := KnownChecksum("nginx", "nginx-0.0.0.tar.gz"); ok {
		f.Fatalf("KnownChecksum(nginx, unknown) = %+v", got)
	}
	f.Fuzz(func(t *testing.T, line, component, fileName string) {
		sum, name, ok := parseSumLine(line)
		if ok {
			if sum != strings.ToLower(sum) || name == "" {
				t.Fatalf("parseSumLine(%q) = %q, %q", line, sum, name)
			}
			if _, err := hex.DecodeString(sum); err != nil {
				t.Fatalf("parseSumLine(%q): digest %q is not hex", line, sum)
			}
			if !strings.EqualFold(line, sum+"  "+name) && !strings.EqualFold(line, sum+" *"+name) {
				t.Fatalf("parseSumLine(%q) = %q, %q: not the two halves of the line", line, sum, name)
			}
		} else if sum != "" || name != "" {
			t.Fatalf("parseSumLine(%q) rejected the line but returned %q, %q", line, sum, name)
		}
		// Lines as sha*sum writes them always parse back.
		if h := hex.EncodeToString([]byte(line)); fileName != "" && !strings.ContainsAny(fileName, "\n") {
			for _, l := range []string{h + "  " + fileName, strings.ToUpper(h) + " *" + fileName} {
				if s, n, ok := parseSumLine(l); !ok || s != h || n != fileName {
					t.Fatalf("parseSumLine(%q) = %q, %q, %v", l, s, n, ok)
				}
			}
		}

		// The only embedded list is nginx's. Parsing it is deterministic
		// but costs ~0.1 ms, which would slow fuzzing (and the quadratic
		// minimization of every new input) to a crawl; its lookups are a
		// plain map access, checked once up front instead.
		if component == "nginx" {
			return
		}
		ks, known := KnownChecksum(component, fileName)
		if known {
			if len(ks.Hex) != hexLen(ks.Algo) || strings.ToLower(ks.Hex) != ks.Hex {
				t.Fatalf("KnownChecksum(%q, %q) = %+v", component, fileName, ks)
			}
		} else if ks != (KnownSum{}) {
			t.Fatalf("KnownChecksum(%q, %q) = %+v for an unknown file", component, fileName, ks)
		}
		for _, algo := range append(algos(), fileName) {
			sums, err := knownSums(component, algo)
			if err == nil && !validComponent(component) {
				t.Fatalf("knownSums accepted component %q", component)
			}
			for n, s := range sums {
				if n == "" || len(s) != hexLen(algo) {
					t.Fatalf("knownSums(%q, %q): %q → %q", component, algo, n, s)
				}
			}
		}
	})
}

// FuzzParseKeys feeds arbitrary bytes as a --keyring file. A go-crypto panic
// is recovered, but reported here so that the fuzzer still surfaces it.
func FuzzParseKeys(f *testing.F) {
	// Small synthetic keys, not the embedded real ones: the fuzzer
	// minimizes every new input for up to a minute with a step count
	// quadratic in its length, which with real keys of several kB at a
	// millisecond or more per call would eat a 30 s run whole. The real
	// keys are parsed by the Keyring tests.
	created := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	a := newKey(f, "Fuzz A", created, 0, packet.PubKeyAlgoEdDSA)
	b := newKey(f, "Fuzz B", created, 0, packet.PubKeyAlgoEdDSA)
	f.Add(armorPublic(f, a))
	f.Add(append(armorPublic(f, a), armorPublic(f, b)...)) // cat a.asc b.asc
	var bin bytes.Buffer
	if err := a.Serialize(&bin); err != nil {
		f.Fatal(err)
	}
	f.Add(bin.Bytes())
	f.Add([]byte{})
	f.Add([]byte(armoredPublicKeyStart + "\n\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Add([]byte("-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseKeys(data)
		if classify(err) == kindPanic {
			t.Fatalf("recovered panic: %v", err)
		}
		if err != nil {
			if keys != nil {
				t.Fatalf("error %v with %d keys", err, len(keys))
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("no error and no keys")
		}
		for _, e := range keys {
			if e.PrimaryKey == nil {
				t.Fatal("entity without a primary key")
			}
		}
	})
}
