package packaging

import (
	"fmt"
	"path"
	"strings"
)

// SystemdUnit is the service file of a package: nginx daemonizes itself
// and writes its pid file (Type=forking with the compiled-in PIDFile), the
// configuration is tested before every start and reload (a typo must not
// take a running server down), reload is nginx's graceful -s reload and
// stop its graceful -s quit (finish the requests in flight).
func SystemdUnit(name, description string, l Layout) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[Unit]
Description=%s
Documentation=https://nginx.org/en/docs/
After=network-online.target remote-fs.target nss-lookup.target
Wants=network-online.target

[Service]
Type=forking
PIDFile=%s
`, description, l.PID)
	// /run is emptied at every boot: a pid file in a directory of its own
	// there needs systemd to create that directory before each start.
	if dir, ok := runtimeDir(l.PID); ok {
		fmt.Fprintf(&b, "RuntimeDirectory=%s\n", dir)
	}
	fmt.Fprintf(&b, `ExecStartPre=%[1]s -t -q
ExecStart=%[1]s
ExecReload=%[1]s -t -q
ExecReload=%[1]s -s reload
ExecStop=%[1]s -s quit
TimeoutStopSec=5
KillMode=mixed

[Install]
WantedBy=multi-user.target
`, l.Sbin)
	return b.String()
}

// runtimeDir returns the directory below /run (or /var/run) that holds
// the pid file, relative to /run; false when the pid file is directly in
// /run or elsewhere.
func runtimeDir(pid string) (string, bool) {
	dir := path.Dir(pid)
	for _, run := range []string{"/run/", "/var/run/"} {
		if rel, ok := strings.CutPrefix(dir+"/", run); ok && rel != "" {
			return strings.TrimSuffix(rel, "/"), true
		}
	}
	return "", false
}

// Maintainer scripts. They never start or enable the service: the default
// configuration listens on port 80, which another web server may hold;
// that is the administrator's call (systemctl enable --now NAME).

// postInstall makes systemd read the new or changed unit.
func postInstall() string {
	return `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
`
}

// preRemove stops the service before its binary goes away. dpkg passes
// "remove" (not "upgrade"); rpm passes 0 when the package is erased, 1 on
// upgrade.
func preRemove(name string) string {
	return fmt.Sprintf(`#!/bin/sh
set -e
case "$1" in
remove|0)
	if [ -d /run/systemd/system ]; then
		systemctl stop %s.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
`, name)
}

// postRemove forgets the unit and, when a deb is purged, deletes the logs
// and temp files the package's nginx wrote into its own directories (as
// Debian's nginx does); stateDirs are those directories.
func postRemove(stateDirs []string) string {
	var purge string
	if len(stateDirs) > 0 {
		quoted := make([]string, len(stateDirs))
		for i, d := range stateDirs {
			quoted[i] = "'" + d + "'"
		}
		purge = fmt.Sprintf("if [ \"$1\" = purge ]; then\n\trm -rf %s\nfi\n", strings.Join(quoted, " "))
	}
	return `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
` + purge + "exit 0\n"
}
