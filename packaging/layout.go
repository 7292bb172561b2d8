package packaging

import (
	"fmt"
	"path"
	"strings"
)

// Layout is where an nginx binary looks for its files: the paths compiled
// into it by configure. A package must put its files exactly there, so the
// layout is always derived from configure arguments, never chosen apart
// from them.
type Layout struct {
	Prefix   string // --prefix (nginx's default /usr/local/nginx)
	Sbin     string // --sbin-path: the binary
	Conf     string // --conf-path: nginx.conf; the other conf files go beside it
	PID      string // --pid-path
	Lock     string // --lock-path
	ErrorLog string // --error-log-path; "" when nginx logs to stderr
	HTTPLog  string // --http-log-path
	Modules  string // --modules-path: where dynamic modules are installed
	// TempDirs are the http temp paths (client body, proxy, fastcgi, uwsgi,
	// scgi). nginx creates each of them at start, but not their parents.
	TempDirs []string
}

// ConfDir is the directory of nginx.conf, where mime.types and the other
// configuration files go (nginx's NGX_CONF_PREFIX).
func (l Layout) ConfDir() string { return path.Dir(l.Conf) }

// HTMLDir is where the default pages go (make install's $prefix/html, which
// the default nginx.conf serves with "root html").
func (l Layout) HTMLDir() string { return path.Join(l.Prefix, "html") }

// pathOption is one configure option that sets a path, with nginx's own
// default (relative ones are relative to the prefix, as in auto/options).
type pathOption struct {
	Option  string
	Default string
	// Package is the default a package gets when the user gave no layout;
	// %s is the package name.
	Package string
	field   func(*Layout) *string
}

// pathOptions are the path options in the order configure lists them.
func pathOptions() []pathOption {
	return []pathOption{
		{"--prefix", "/usr/local/nginx", "/usr/share/%s", func(l *Layout) *string { return &l.Prefix }},
		{"--sbin-path", "sbin/nginx", "/usr/sbin/%s", func(l *Layout) *string { return &l.Sbin }},
		{"--modules-path", "modules", "/usr/lib/%s/modules", func(l *Layout) *string { return &l.Modules }},
		{"--conf-path", "conf/nginx.conf", "/etc/%s/nginx.conf", func(l *Layout) *string { return &l.Conf }},
		{"--error-log-path", "logs/error.log", "/var/log/%s/error.log", func(l *Layout) *string { return &l.ErrorLog }},
		{"--http-log-path", "logs/access.log", "/var/log/%s/access.log", func(l *Layout) *string { return &l.HTTPLog }},
		{"--pid-path", "logs/nginx.pid", "/run/%s.pid", func(l *Layout) *string { return &l.PID }},
		{"--lock-path", "logs/nginx.lock", "/run/%s.lock", func(l *Layout) *string { return &l.Lock }},
		{"--http-client-body-temp-path", "client_body_temp", "/var/lib/%s/body", nil},
		{"--http-proxy-temp-path", "proxy_temp", "/var/lib/%s/proxy", nil},
		{"--http-fastcgi-temp-path", "fastcgi_temp", "/var/lib/%s/fastcgi", nil},
		{"--http-uwsgi-temp-path", "uwsgi_temp", "/var/lib/%s/uwsgi", nil},
		{"--http-scgi-temp-path", "scgi_temp", "/var/lib/%s/scgi", nil},
	}
}

// optionValues maps "--option" to its value for every --option=value.
func optionValues(args []string) map[string]string {
	vals := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
			vals[k] = v
		}
	}
	return vals
}

// DefaultPathArgs returns the configure options that give a package of the
// given name the standard places of a distribution package (binary in
// /usr/sbin/NAME, configuration in /etc/NAME/, logs in /var/log/NAME/, pid
// file in /run, temp files in /var/lib/NAME/, modules in /usr/lib/NAME/,
// pages in /usr/share/NAME/html), for every path option that given (the
// build's own configure arguments) does not set. Naming everything after
// the package keeps it clear of the distribution's nginx packages.
//
// When given sets --prefix, nothing is added: the user chose a
// self-contained tree (an /opt-style layout), and nginx's prefix-relative
// defaults complete it.
func DefaultPathArgs(name string, given []string) []string {
	vals := optionValues(given)
	if _, ok := vals["--prefix"]; ok {
		return nil
	}
	var out []string
	for _, o := range pathOptions() {
		if _, ok := vals[o.Option]; !ok {
			out = append(out, o.Option+"="+fmt.Sprintf(o.Package, name))
		}
	}
	return out
}

// LayoutFromArgs computes where a binary configured with args looks for its
// files, the way nginx's configure does: relative paths are relative to the
// prefix. A package installs at fixed absolute places, so a prefix that is
// empty or relative is an error.
func LayoutFromArgs(args []string) (Layout, error) {
	vals := optionValues(args)
	var l Layout
	prefix, ok := vals["--prefix"]
	switch {
	case !ok:
		prefix = "/usr/local/nginx"
	case prefix == "":
		return l, fmt.Errorf("--prefix= (empty) makes nginx resolve its paths against the directory it is started in; a package needs an absolute --prefix")
	case !path.IsAbs(prefix):
		return l, fmt.Errorf("--prefix=%s is relative; a package needs an absolute --prefix", prefix)
	}
	l.Prefix = path.Clean(prefix)
	for _, o := range pathOptions()[1:] {
		v := vals[o.Option]
		if v == "" {
			v = o.Default
		}
		if o.Option == "--error-log-path" && v == "stderr" {
			v = ""
		} else if !path.IsAbs(v) {
			v = path.Join(l.Prefix, v)
		}
		if o.field == nil {
			l.TempDirs = append(l.TempDirs, path.Clean(v))
			continue
		}
		if v != "" {
			v = path.Clean(v)
		}
		*o.field(&l) = v
	}
	return l, nil
}

// Differences lists, one sentence each, where the binary's compiled-in
// paths (l) differ from the layout its build asked for (want). They differ
// when something between the flags and the compiler changed them — a -c
// script that edits its options, a patch, OpenResty's configure (which
// passes nginx its own --prefix): the package follows the binary.
func (l Layout) Differences(want Layout) []string {
	var out []string
	add := func(what, got, asked string) {
		if got != asked {
			out = append(out, fmt.Sprintf("the binary's compiled-in %s is %q, not %q as the build's configure arguments ask; the package follows the binary", what, got, asked))
		}
	}
	add("prefix", l.Prefix, want.Prefix)
	add("binary path", l.Sbin, want.Sbin)
	add("configuration path", l.Conf, want.Conf)
	add("pid path", l.PID, want.PID)
	add("error log path", l.ErrorLog, want.ErrorLog)
	add("access log path", l.HTTPLog, want.HTTPLog)
	add("modules path", l.Modules, want.Modules)
	return out
}

// PolicyWarnings points out layouts that work but that a distribution
// package should not have.
func (l Layout) PolicyWarnings(f Format) []string {
	if f != Deb && f != RPM {
		return nil
	}
	var out []string
	for _, p := range []string{l.Prefix, l.Sbin, l.Conf} {
		if p == "/usr/local" || strings.HasPrefix(p, "/usr/local/") {
			out = append(out, fmt.Sprintf("the package installs into %s: /usr/local belongs to the administrator, not to packages (give no --prefix for the package layout, or --prefix=/opt/NAME)", p))
			break
		}
	}
	return out
}
