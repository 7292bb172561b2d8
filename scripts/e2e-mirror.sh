#!/bin/sh
# Lays out a local mirror of REAL upstream release tarballs for the
# end-to-end test tier, in nginx-build's mirror layout:
#   DIR/nginx/nginx-1.22.1.tar.gz
#   DIR/pcre2/pcre2-10.42.tar.gz
#   DIR/openssl/openssl-3.0.20.tar.gz (+ upstream's .asc)
#   DIR/openssl/openssl-3.5.7.tar.gz  (+ upstream's .asc; from trixie, below)
#   DIR/zlib/zlib-1.2.13.tar.bz2      (Debian's repack: top dir zlib-1.2.13.dfsg)
# and two real third-party nginx modules (not a mirror layout nginx-build
# knows: the tests unpack them and hand them over through modules.json):
#   DIR/modules/echo-nginx-module.tar.gz         (echo-nginx-module 0.63,
#                                                 top dir libnginx-mod-http-echo-0.63)
#   DIR/modules/headers-more-nginx-module.tar.gz (headers-more-nginx-module 0.34,
#                                                 top dir headers-more-nginx-module-0.34)
# and, for the signature test, OpenSSL 3.0.17's upstream signature (only the
# .asc is kept; it must NOT verify the 3.0.20 tarball):
#   DIR/extra/openssl-3.0.17.tar.gz.asc
# The tarballs are the *.orig.tar.* files of Debian's source packages: for
# nginx and the libraries upstream's release tarballs byte for byte, for the
# modules upstream's tagged tree as Debian's watch file fetched it.
# Most come from the system's own release (bookworm) and need deb-src
# enabled in the system's apt sources (.ci/run does that). OpenSSL 3.5.7
# (signed after the first expiry of OpenSSL's key, issue 13) is only in
# trixie: it is fetched with a private apt configuration -- a deb-src entry
# for trixie with the URIs and Signed-By of the system's own Debian archive
# entry, and private lists and caches in a temporary directory -- so the
# system's apt sources, lists and caches stay untouched. That needs network
# access to the system's Debian mirror but no root.
# Idempotent: only the source packages whose files are missing are fetched.
set -eu
dir=${1:-testdata/e2e-mirror}
mkdir -p "$dir/nginx" "$dir/pcre2" "$dir/openssl" "$dir/zlib" "$dir/modules" "$dir/extra"
dir=$(cd "$dir" && pwd)

need() { [ -s "$dir/$1" ]; }

# Each line: source package=version, then the files it provides as
# ORIG-NAME:MIRROR-PATH pairs. From the system's deb-src.
packages='nginx=1.22.1-9+deb12u9 nginx_1.22.1.orig.tar.gz:nginx/nginx-1.22.1.tar.gz
pcre2=10.42-1 pcre2_10.42.orig.tar.gz:pcre2/pcre2-10.42.tar.gz
openssl=3.0.20-1~deb12u2 openssl_3.0.20.orig.tar.gz:openssl/openssl-3.0.20.tar.gz openssl_3.0.20.orig.tar.gz.asc:openssl/openssl-3.0.20.tar.gz.asc
zlib=1:1.2.13.dfsg-1 zlib_1.2.13.dfsg.orig.tar.bz2:zlib/zlib-1.2.13.tar.bz2
libnginx-mod-http-echo=1:0.63-4 libnginx-mod-http-echo_0.63.orig.tar.gz:modules/echo-nginx-module.tar.gz
libnginx-mod-http-headers-more-filter=1:0.34-3 libnginx-mod-http-headers-more-filter_0.34.orig.tar.gz:modules/headers-more-nginx-module.tar.gz
openssl=3.0.17-1~deb12u2 openssl_3.0.17.orig.tar.gz.asc:extra/openssl-3.0.17.tar.gz.asc'

# Like packages, but from trixie through the private apt configuration,
# and with the UPSTREAM version: whichever Debian revision of it trixie
# serves will do, as they all share one orig tarball.
trixie='openssl=3.5.7 openssl_3.5.7.orig.tar.gz:openssl/openssl-3.5.7.tar.gz openssl_3.5.7.orig.tar.gz.asc:openssl/openssl-3.5.7.tar.gz.asc'

# missing LIST: the source packages of LIST with at least one file missing
# from the mirror.
missing() {
	printf '%s\n' "$1" | while read -r pkg files; do
		for f in $files; do
			if ! need "${f#*:}"; then
				echo "$pkg"
				break
			fi
		done
	done
}

# files_of LIST PKG: the ORIG-NAME:MIRROR-PATH pairs of PKG in LIST.
files_of() {
	printf '%s\n' "$1" | while read -r p f; do
		if [ "$p" = "$2" ]; then
			echo "$f"
		fi
	done
}

# put ORIG-NAME:MIRROR-PATH HINT: moves a downloaded file into the mirror,
# or fails with HINT if it did not arrive.
put() {
	src=${1%%:*} dest=${1#*:}
	if [ ! -s "$dl/$src" ]; then
		echo "e2e-mirror: $src did not download ($2)" >&2
		exit 1
	fi
	cp "$dl/$src" "$dir/$dest.part"
	mv "$dir/$dest.part" "$dir/$dest"
}

# debian_entry: the URIs and Signed-By fields (deb822) of the system's apt
# source entry for its own release's main Debian archive -- the one whose
# suite is the system's codename -- from one-line or deb822 sources.
debian_entry() {
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	if [ -z "$codename" ]; then
		echo "e2e-mirror: no VERSION_CODENAME in /etc/os-release: not Debian?" >&2
		return 1
	fi
	eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
	for f in "$SL" "$SP"*.list; do
		[ -f "$f" ] || continue
		entry=$(awk -v codename="$codename" '
			$1 == "deb" || $1 == "deb-src" {
				i = 2; signed = ""
				if ($2 ~ /^\[/) { # options: [ key=value ... ]
					opts = ""
					for (; i <= NF; i++) {
						opts = opts " " $i
						if ($i ~ /\]$/) { i++; break }
					}
					gsub(/[][]/, " ", opts)
					n = split(opts, o, " ")
					for (j = 1; j <= n; j++)
						if (o[j] ~ /^signed-by=/) signed = substr(o[j], 11)
				}
				if ($(i + 1) == codename) {
					print "URIs: " $i
					if (signed != "") print "Signed-By: " signed
					exit
				}
			}' "$f")
		if [ -n "$entry" ]; then
			echo "$entry"
			return 0
		fi
	done
	for f in "$SP"*.sources; do
		[ -f "$f" ] || continue
		# Paragraph mode; a Signed-By may be an inline key on
		# continuation lines, which are kept as they are.
		entry=$(awk -v codename="$codename" '
			BEGIN { RS = ""; FS = "\n" }
			{
				uris = ""; suites = ""; signed = ""; types = ""; enabled = "yes"; field = ""
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^#/) continue
					if (line ~ /^[ \t]/) {
						if (field == "signed-by") signed = signed "\n" line
						continue
					}
					field = tolower(substr(line, 1, index(line, ":") - 1))
					value = substr(line, index(line, ":") + 1)
					sub(/^[ \t]+/, "", value)
					sub(/[ \t]+$/, "", value)
					if (field == "uris") uris = value
					else if (field == "suites") suites = value
					else if (field == "signed-by") signed = value
					else if (field == "types") types = value
					else if (field == "enabled") enabled = tolower(value)
				}
				if (enabled == "no" || uris == "" || (" " types " ") !~ / deb(-src)? /) next
				n = split(suites, s, " ")
				for (j = 1; j <= n; j++) {
					if (s[j] == codename) {
						print "URIs: " uris
						if (signed != "") print "Signed-By: " signed
						exit
					}
				}
			}' "$f")
		if [ -n "$entry" ]; then
			echo "$entry"
			return 0
		fi
	done
	echo "e2e-mirror: no apt source entry for suite $codename in $SL or $SP: cannot tell which Debian mirror to take trixie from" >&2
	return 1
}

# trixie_apt: writes a private apt configuration under $dl/apt for trixie's
# deb-src (the system's Debian mirror and archive key) with its own lists
# and caches and none of the system's update hooks (they would refresh
# system caches), updates its lists and prints its path for apt-get -c.
trixie_apt() {
	entry=$(debian_entry)
	a=$dl/apt
	mkdir -p "$a/sources.list.d" "$a/lists/partial" "$a/cache/archives/partial"
	{
		echo "Types: deb-src"
		echo "$entry"
		echo "Suites: trixie"
		echo "Components: main"
	} >"$a/sources.list.d/trixie.sources"
	cat >"$a/apt.conf" <<-EOF
		#clear APT::Update::Pre-Invoke;
		#clear APT::Update::Post-Invoke;
		#clear APT::Update::Post-Invoke-Success;
		Dir::Etc::sourcelist "/dev/null";
		Dir::Etc::sourceparts "$a/sources.list.d";
		Dir::State::Lists "$a/lists";
		Dir::Cache "$a/cache";
	EOF
	if ! apt-get -c "$a/apt.conf" -q update >"$a/update.log" 2>&1; then
		cat "$a/update.log" >&2
		echo "e2e-mirror: apt-get update for trixie's sources failed; the entry used was:" >&2
		cat "$a/sources.list.d/trixie.sources" >&2
		return 1
	fi
	echo "$a/apt.conf"
}

# revision CONF PKG=UPSTREAM: PKG=DEBIAN-VERSION for a Debian revision of
# UPSTREAM that the sources of CONF serve.
revision() {
	pkg=${2%%=*}
	up=$(printf '%s' "${2#*=}" | sed 's/\./\\./g')
	v=$(apt-cache -c "$1" showsrc "$pkg" | sed -n "s/^Version: \(\([0-9]*:\)\{0,1\}$up-.*\)$/\1/p" | head -n 1)
	if [ -z "$v" ]; then
		echo "e2e-mirror: trixie does not serve $pkg ${2#*=} (any more?): the archive has $(apt-cache -c "$1" showsrc "$pkg" | sed -n 's/^Version: //p' | tr '\n' ' ')" >&2
		return 1
	fi
	echo "$pkg=$v"
}

missing_system=$(missing "$packages")
missing_trixie=$(missing "$trixie")
if [ -z "$missing_system$missing_trixie" ]; then
	echo "e2e mirror complete: $dir"
	exit 0
fi

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
# apt run as root downloads as user _apt, which must reach the private
# lists under $dl (the files are public anyway).
chmod 755 "$dl"

if [ -n "$missing_system" ]; then
	# apt-get exits 100 when it cannot verify a .dsc even though the orig
	# tarballs arrived: what counts is the files, checked by put.
	# shellcheck disable=SC2086 # $missing_system is a word list of package=version
	(cd "$dl" && apt-get source --download-only $missing_system >/dev/null) || true
	for pkg in $missing_system; do
		for f in $(files_of "$packages" "$pkg"); do
			put "$f" "is deb-src enabled? see .ci/run"
		done
	done
fi

if [ -n "$missing_trixie" ]; then
	conf=$(trixie_apt)
	for pkg in $missing_trixie; do
		src=$(revision "$conf" "$pkg")
		(cd "$dl" && apt-get -c "$conf" source --download-only "$src" >/dev/null) || true
		for f in $(files_of "$trixie" "$pkg"); do
			put "$f" "trixie's $src lacks it?"
		done
	done
fi
echo "e2e mirror ready: $dir"
