package command

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/source"
)

// Offline: a host that does not resolve gives one line naming the URL once
// and the cause. When the host is a mirror the user gave, the hint names
// that mirror and where it was given, rather than suggesting a mirror.
func TestUnreachableMirrorIsOneLineWithAHint(t *testing.T) {
	t.Parallel()
	const mirror = "http://nginx-build-test.invalid/"
	for _, tc := range []struct {
		name string
		env  bool // the mirror comes from NGINX_BUILD_MIRROR
		from string
	}{
		{name: "flag", from: "--mirror"},
		{name: "environment", env: true, from: "NGINX_BUILD_MIRROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			newFixture(t)
			args := []string{"fetch", "-v", "1.30.1"}
			if tc.env {
				setenv(t, "NGINX_BUILD_MIRROR", mirror)
			} else {
				args = append(args, "--mirror", mirror)
			}
			r := run(t, args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
			}
			lines := strings.Split(strings.TrimSpace(r.err), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "nginx-build: ") {
				t.Fatalf("want one error line and one hint, got:\n%s", r.err)
			}
			if strings.Count(lines[0], "nginx-build-test.invalid") != 2 || // the URL and the host
				!strings.Contains(lines[0], "cannot reach "+mirror+"nginx/: cannot resolve host nginx-build-test.invalid") {
				t.Errorf("error line: %s", lines[0])
			}
			want := "hint: the mirror " + mirror + " (" + tc.from + ") cannot be reached (cannot resolve host nginx-build-test.invalid"
			if !strings.HasPrefix(lines[1], want) || strings.Contains(lines[1], "use --mirror DIR") {
				t.Errorf("hint line: %s\nwant it to start %s", lines[1], want)
			}
		})
	}
}

// networkHints: a mirror that is down is named once, however many of its
// files failed; any other host gets the offline hint.
func TestNetworkHints(t *testing.T) {
	t.Parallel()
	m1, err := source.ParseMirror("https://m1.example/nginx-build")
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := source.ParseMirror("http://m2.example/")
	mirrors := []givenMirror{{m1, "--mirror"}, {m2, "--mirror"}}
	down := func(u string) *netfail.Error {
		return &netfail.Error{URL: u, Cause: "connection refused by 10.0.0.1:443"}
	}
	const offline = "no network? use --mirror DIR or --source debian (see README: Air-gapped builds)"
	for _, tc := range []struct {
		name    string
		failed  []*netfail.Error
		mirrors []givenMirror
		want    []string
	}{
		{"upstream", []*netfail.Error{down("https://nginx.org/download/nginx-1.30.1.tar.gz")}, nil, []string{offline}},
		{"upstream, mirrors given", []*netfail.Error{down("https://nginx.org/keys/x.key")}, mirrors, []string{offline}},
		{"one mirror, two files", []*netfail.Error{down("https://m1.example/nginx-build/nginx/"), down("https://m1.example/nginx-build/zlib/")}, mirrors,
			[]string{"the mirror https://m1.example/nginx-build/ (--mirror) cannot be reached (connection refused by 10.0.0.1:443): check that it is up and its URL is right, or give another (repeat --mirror for fallbacks)"}},
		{"both mirrors and a key server", []*netfail.Error{down("https://m1.example/nginx-build/nginx/"), down("http://m2.example/nginx/"), down("https://keys.example/k")}, mirrors,
			[]string{"the mirror https://m1.example/nginx-build/ (--mirror)", "the mirror http://m2.example/ (--mirror)", offline}},
		{"same host, another path", []*netfail.Error{down("https://m1.example/other/nginx/")}, mirrors, []string{offline}},
		{"nothing failed", nil, mirrors, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := networkHints(tc.failed, tc.mirrors)
			if len(got) != len(tc.want) {
				t.Fatalf("hints %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("hint %d = %q, want it to start %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// git ls-remote's own explanation reaches the user when a custom git
// source cannot be read.
func TestGitLsRemoteFailureShowsGitsMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	repo := filepath.Join(t.TempDir(), "no-such-repo")
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "r1", "--dry-run")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "git ls-remote "+repo, "does not appear to be a git repository")
}
