#!/bin/sh
# Lays out a local mirror of REAL upstream release tarballs for the
# end-to-end test tier, in nginx-build's mirror layout:
#   DIR/nginx/nginx-1.22.1.tar.gz
#   DIR/pcre2/pcre2-10.42.tar.gz
#   DIR/openssl/openssl-3.0.20.tar.gz (+ upstream's .asc)
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
# modules upstream's tagged tree as Debian's watch file fetched it. Needs
# deb-src enabled.
# Idempotent: only the source packages whose files are missing are fetched.
set -eu
dir=${1:-testdata/e2e-mirror}
mkdir -p "$dir/nginx" "$dir/pcre2" "$dir/openssl" "$dir/zlib" "$dir/modules" "$dir/extra"
dir=$(cd "$dir" && pwd)

need() { [ -s "$dir/$1" ]; }

# Each line: source package=version, then the files it provides as
# ORIG-NAME:MIRROR-PATH pairs.
packages='nginx=1.22.1-9+deb12u9 nginx_1.22.1.orig.tar.gz:nginx/nginx-1.22.1.tar.gz
pcre2=10.42-1 pcre2_10.42.orig.tar.gz:pcre2/pcre2-10.42.tar.gz
openssl=3.0.20-1~deb12u2 openssl_3.0.20.orig.tar.gz:openssl/openssl-3.0.20.tar.gz openssl_3.0.20.orig.tar.gz.asc:openssl/openssl-3.0.20.tar.gz.asc
zlib=1:1.2.13.dfsg-1 zlib_1.2.13.dfsg.orig.tar.bz2:zlib/zlib-1.2.13.tar.bz2
libnginx-mod-http-echo=1:0.63-4 libnginx-mod-http-echo_0.63.orig.tar.gz:modules/echo-nginx-module.tar.gz
libnginx-mod-http-headers-more-filter=1:0.34-3 libnginx-mod-http-headers-more-filter_0.34.orig.tar.gz:modules/headers-more-nginx-module.tar.gz
openssl=3.0.17-1~deb12u2 openssl_3.0.17.orig.tar.gz.asc:extra/openssl-3.0.17.tar.gz.asc'

# The source packages with at least one file missing from the mirror.
missing=$(printf '%s\n' "$packages" | while read -r pkg files; do
	for f in $files; do
		if ! need "${f#*:}"; then
			echo "$pkg"
			break
		fi
	done
done)
if [ -z "$missing" ]; then
	echo "e2e mirror complete: $dir"
	exit 0
fi

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
# apt-get exits 100 when it cannot verify a .dsc even though the orig
# tarballs arrived: what counts is the files, checked below.
# shellcheck disable=SC2086 # $missing is a word list of package=version
(cd "$dl" && apt-get source --download-only $missing >/dev/null) || true

put() { # put SRC DEST
	if [ ! -s "$dl/$1" ]; then
		echo "e2e-mirror: $1 did not download (is deb-src enabled? see .ci/run)" >&2
		exit 1
	fi
	cp "$dl/$1" "$dir/$2.part"
	mv "$dir/$2.part" "$dir/$2"
}
for pkg in $missing; do
	files=$(printf '%s\n' "$packages" | while read -r p f; do
		if [ "$p" = "$pkg" ]; then
			echo "$f"
		fi
	done)
	for f in $files; do
		put "${f%%:*}" "${f#*:}"
	done
done
echo "e2e mirror ready: $dir"
