package nginxbin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeNginx writes a shell script that stands in for nginx.
func fakeNginx(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nginx")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNginxV(t *testing.T) {
	t.Parallel()
	const v = "nginx version: nginx/1.30.1\nbuilt by gcc 12.2.0\nconfigure arguments: --prefix=/etc/nginx --with-http_ssl_module"
	for _, tc := range []struct {
		name    string
		script  string   // "" : the binary does not exist
		want    string   // the output
		wantErr []string // in the error
	}{
		{
			name:   "like nginx, on stderr",
			script: "[ \"$1\" = -V ] || exit 2\nprintf '%s\\n' '" + strings.ReplaceAll(v, "\n", "' '") + "' >&2\n",
			want:   v,
		},
		{
			name:    "fails",
			script:  "echo 'error while loading shared libraries: libpcre2-8.so.0' >&2\nexit 127\n",
			want:    "error while loading shared libraries: libpcre2-8.so.0",
			wantErr: []string{"exit status 127"},
		},
		{
			name:    "missing",
			wantErr: []string{"/missing/nginx", "no such file"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := "/missing/nginx"
			if tc.script != "" {
				bin = fakeNginx(t, tc.script)
			}
			got, err := NginxV(context.Background(), bin)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Errorf("NginxV = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NginxV = %q, want an error", got)
			}
			if got != tc.want {
				t.Errorf("output with the error = %q, want %q", got, tc.want)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNginxVCancelled(t *testing.T) {
	t.Parallel()
	bin := fakeNginx(t, "sleep 60\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := NginxV(ctx, bin)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want one that wraps context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a cancelled nginx -V took %v to return", d)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := NginxV(done, bin); !errors.Is(err, context.Canceled) {
		t.Errorf("already cancelled: err = %v, want context.Canceled", err)
	}
}
