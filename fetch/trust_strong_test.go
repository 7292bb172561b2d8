package fetch

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/source"
)

// A signer whose pinned key cannot be had (offline) is only a warning
// naming the key when a strong check has passed (Debian's Sources pin,
// as for --source debian -openssl); after a weak one (a mirror's own pin,
// a .sha256 from the same server) it stays fatal.
func TestUnknownSignerAfterAStrongCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(kt *keyTest, sum string, a *source.Artifact)
		fatal bool
	}{
		{"Debian's Sources pin", func(_ *keyTest, sum string, a *source.Artifact) {
			a.PinnedSHA256, a.PinnedBy = sum, "Debian's Sources index (zlib 1:1.3.2-1)"
		}, false},
		{"a mirror's index pin", func(_ *keyTest, sum string, a *source.Artifact) {
			a.PinnedSHA256, a.PinnedBy, a.PinnedByMirror = sum, "index.json of mirror /srv/mirror", true
		}, true},
		{"a .sha256 from the same server", func(kt *keyTest, sum string, a *source.Artifact) {
			kt.upstream.set("/"+a.FileName+".sha256", []byte(sum+"  "+a.FileName+"\n"))
			a.ChecksumURL = a.URLs[0] + ".sha256"
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kt := newKeyTest(t)
			mark := newPGPKey(t, "Mark", false)
			kt.pin(mark)
			kt.keys.Close()
			a := kt.release(t, "1.3.2", mark)
			tc.setup(kt, fmt.Sprintf("%x", sha256.Sum256(tarball(a.FileName))), &a)
			res, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{a})
			if tc.fatal {
				if err == nil || !strings.Contains(err.Error(), "which nginx-build pins for zlib but could not get") {
					t.Errorf("want the signature's failure, got %v\n%s", err, kt.out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, kt.out.String())
			}
			want := "warning: zlib 1.3.2: zlib-1.3.2.tar.gz is signed by key " + fprOf(mark) + ", which may be a key nginx-build pins for zlib but could not get ("
			if out := kt.out.String(); !strings.Contains(out, want) || !strings.Contains(out, "the tarball is verified by the sha256 pinned in Debian's Sources index") {
				t.Errorf("output does not say %q:\n%s", want, out)
			}
			if v := res[0].Verification; v.Signer != nil || !strings.Contains(v.Unchecked, fprOf(mark)) {
				t.Errorf("verification %+v: want the signature recorded as unchecked", v)
			}
		})
	}
}
