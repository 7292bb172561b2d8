#!/bin/sh
# Lays out a local mirror of REAL upstream release tarballs for the
# end-to-end test tier, in nginx-build's mirror layout:
#   DIR/nginx/nginx-1.22.1.tar.gz
#   DIR/pcre2/pcre2-10.42.tar.gz
#   DIR/openssl/openssl-3.0.20.tar.gz (+ upstream's .asc)
#   DIR/zlib/zlib-1.2.13.tar.bz2      (Debian's repack: top dir zlib-1.2.13.dfsg)
# The tarballs are the *.orig.tar.* files of Debian's source packages, which
# are upstream's release tarballs byte for byte. Needs deb-src enabled.
set -eu
dir=${1:-testdata/e2e-mirror}
mkdir -p "$dir/nginx" "$dir/pcre2" "$dir/openssl" "$dir/zlib"
dir=$(cd "$dir" && pwd)

need() { [ -s "$dir/$1" ]; }
if need nginx/nginx-1.22.1.tar.gz && need pcre2/pcre2-10.42.tar.gz &&
	need openssl/openssl-3.0.20.tar.gz && need zlib/zlib-1.2.13.tar.bz2; then
	echo "e2e mirror complete: $dir"
	exit 0
fi

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
# apt-get exits 100 when it cannot verify a .dsc even though the orig
# tarballs arrived: what counts is the files, checked below.
(cd "$dl" && apt-get source --download-only \
	nginx=1.22.1-9+deb12u9 pcre2=10.42-1 zlib=1:1.2.13.dfsg-1 openssl=3.0.20-1~deb12u2 >/dev/null) || true

put() { # put SRC DEST
	if [ ! -s "$dl/$1" ]; then
		echo "e2e-mirror: $1 did not download (is deb-src enabled? see .ci/run)" >&2
		exit 1
	fi
	cp "$dl/$1" "$dir/$2"
}
put nginx_1.22.1.orig.tar.gz nginx/nginx-1.22.1.tar.gz
put pcre2_10.42.orig.tar.gz pcre2/pcre2-10.42.tar.gz
put openssl_3.0.20.orig.tar.gz openssl/openssl-3.0.20.tar.gz
put openssl_3.0.20.orig.tar.gz.asc openssl/openssl-3.0.20.tar.gz.asc
put zlib_1.2.13.dfsg.orig.tar.bz2 zlib/zlib-1.2.13.tar.bz2
echo "e2e mirror ready: $dir"
