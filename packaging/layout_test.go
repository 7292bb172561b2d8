package packaging

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLayoutFromArgs(t *testing.T) {
	temps := func(prefix string) []string {
		var out []string
		for _, d := range []string{"client_body_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp"} {
			out = append(out, prefix+"/"+d)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		args []string
		want Layout
	}{
		{"nginx's defaults", []string{"--with-http_ssl_module"}, Layout{
			Prefix: "/usr/local/nginx", Sbin: "/usr/local/nginx/sbin/nginx", Conf: "/usr/local/nginx/conf/nginx.conf",
			PID: "/usr/local/nginx/logs/nginx.pid", Lock: "/usr/local/nginx/logs/nginx.lock",
			ErrorLog: "/usr/local/nginx/logs/error.log", HTTPLog: "/usr/local/nginx/logs/access.log",
			Modules: "/usr/local/nginx/modules", TempDirs: temps("/usr/local/nginx"),
		}},
		{"relative paths follow the prefix", []string{"--prefix=/opt/web/", "--conf-path=etc/web.conf", "--error-log-path=stderr", "--pid-path=/run/web.pid"}, Layout{
			Prefix: "/opt/web", Sbin: "/opt/web/sbin/nginx", Conf: "/opt/web/etc/web.conf",
			PID: "/run/web.pid", Lock: "/opt/web/logs/nginx.lock", ErrorLog: "",
			HTTPLog: "/opt/web/logs/access.log", Modules: "/opt/web/modules", TempDirs: temps("/opt/web"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LayoutFromArgs(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"--prefix=", "--prefix=build/nginx"} {
		if _, err := LayoutFromArgs([]string{bad}); err == nil || !strings.Contains(err.Error(), "absolute --prefix") {
			t.Errorf("%s: got %v, want an error asking for an absolute prefix", bad, err)
		}
	}
}

func TestDefaultPathArgs(t *testing.T) {
	args := DefaultPathArgs("web", nil)
	if len(args) != len(pathOptions()) {
		t.Fatalf("got %d options, want one per path option: %v", len(args), args)
	}
	l, err := LayoutFromArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	want := Layout{
		Prefix: "/usr/share/web", Sbin: "/usr/sbin/web", Conf: "/etc/web/nginx.conf", PID: "/run/web.pid", Lock: "/run/web.lock",
		ErrorLog: "/var/log/web/error.log", HTTPLog: "/var/log/web/access.log", Modules: "/usr/lib/web/modules",
		TempDirs: []string{"/var/lib/web/body", "/var/lib/web/proxy", "/var/lib/web/fastcgi", "/var/lib/web/uwsgi", "/var/lib/web/scgi"},
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("package layout\ngot  %+v\nwant %+v", l, want)
	}
	if got := DefaultPathArgs("web", []string{"--prefix=/opt/web"}); got != nil {
		t.Errorf("with --prefix nothing is added, got %v", got)
	}
	// What the user set is kept; only the rest is filled in.
	got := DefaultPathArgs("web", []string{"--conf-path=/etc/mine.conf", "--with-http_v2_module"})
	if slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "--conf-path=") }) || len(got) != len(pathOptions())-1 {
		t.Errorf("--conf-path given: got %v", got)
	}
}

func TestDifferencesAndPolicy(t *testing.T) {
	asked, _ := LayoutFromArgs([]string{"--prefix=/opt/a"})
	got, _ := LayoutFromArgs([]string{"--prefix=/opt/a/nginx"})
	d := got.Differences(asked)
	if len(d) == 0 || !strings.Contains(d[0], `compiled-in prefix is "/opt/a/nginx", not "/opt/a"`) {
		t.Errorf("differences: %q", d)
	}
	if d := asked.Differences(asked); len(d) != 0 {
		t.Errorf("same layout differs: %q", d)
	}
	local, _ := LayoutFromArgs(nil)
	if w := local.PolicyWarnings(Deb); len(w) != 1 || !strings.Contains(w[0], "/usr/local belongs to the administrator") {
		t.Errorf("policy warnings for /usr/local/nginx: %q", w)
	}
	if w := local.PolicyWarnings(TarGz); len(w) != 0 {
		t.Errorf("a tarball has no policy, got %q", w)
	}
}

func TestSystemdUnit(t *testing.T) {
	l, _ := LayoutFromArgs(DefaultPathArgs("web", nil))
	u := SystemdUnit("web", "web server", l)
	for _, want := range []string{
		"Type=forking\n", "PIDFile=/run/web.pid\n", "ExecStartPre=/usr/sbin/web -t -q\n", "ExecStart=/usr/sbin/web\n",
		"ExecReload=/usr/sbin/web -s reload\n", "ExecStop=/usr/sbin/web -s quit\n", "WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "RuntimeDirectory") {
		t.Errorf("a pid file directly in /run needs no RuntimeDirectory:\n%s", u)
	}
	l.PID = "/run/web/nginx.pid"
	if u := SystemdUnit("web", "web server", l); !strings.Contains(u, "RuntimeDirectory=web\n") {
		t.Errorf("pid file in /run/web/: no RuntimeDirectory=web:\n%s", u)
	}
}

func TestParseFormatAndChecks(t *testing.T) {
	for _, f := range []string{"deb", "rpm", "apk", "tar.gz"} {
		if _, err := ParseFormat(f); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseFormat("zip"); err == nil || !strings.Contains(err.Error(), "deb, rpm, apk or tar.gz") {
		t.Errorf("zip: %v", err)
	}
	for _, ok := range []string{"nginx-custom", "nginx", "nginx1.22+ssl"} {
		if err := CheckName(ok); err != nil {
			t.Error(err)
		}
	}
	for _, bad := range []string{"", "N", "Nginx", "-nginx", "nginx custom", "nginx_custom"} {
		if CheckName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	for _, ok := range []string{"1.22.1", "1.27.1.2", "1.22.1+ssl", "1.29.0~rc1"} {
		if err := CheckVersion(ok); err != nil {
			t.Error(err)
		}
	}
	for _, bad := range []string{"", "custom", "v1.22.1", "1.22.1-1", "1.22 1"} {
		if CheckVersion(bad) == nil {
			t.Errorf("version %q accepted", bad)
		}
	}
	if CheckRelease("2") != nil || CheckRelease("1-2") == nil || CheckRelease("") == nil {
		t.Error("release checks")
	}
}
