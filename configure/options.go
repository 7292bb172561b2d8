package configure

import "strings"

// OptionArg says whether a configure option takes a value.
type OptionArg int

const (
	// NoValue options are switches: --with-debug.
	NoValue OptionArg = iota
	// Value options need one: --prefix=PATH (or, in the legacy flag
	// form, -prefix PATH).
	Value
	// OptionalValue options are switches that also take a value when it
	// is attached: --with-pcre and --with-pcre=DIR, --with-stream=dynamic.
	OptionalValue
)

// nginxOptionList is every option nginx's ./configure has parsed (its
// auto/options), across all releases from 0.1.0 to 1.31: "NAME" is a
// switch, "NAME=" takes a value, "NAME[=]" is a switch that may take one.
// A name a given release no longer (or not yet) knows is still listed:
// that release's configure then rejects it in its own words.
const nginxOptionList = `
--add-dynamic-module=
--add-module=
--build=
--builddir=
--conf-path=
--crossbuild=
--error-log-path=
--group=
--http-client-body-temp-path=
--http-fastcgi-temp-path=
--http-log-path=
--http-proxy-temp-path=
--http-scgi-temp-path=
--http-uwsgi-temp-path=
--lock-path=
--modules-path=
--pid-path=
--prefix=
--sbin-path=
--sysconfdir=
--test-build-devpoll
--test-build-epoll
--test-build-eventport
--test-build-rtsig
--test-build-solaris-sendfilev
--user=
--with-aio_module
--with-cc-opt=
--with-cc=
--with-compat
--with-cpp=
--with-cpp_test_module
--with-cpu-opt=
--with-debug
--with-file-aio
--with-google_perftools_module
--with-http_addition_module
--with-http_auth_request_module
--with-http_dav_module
--with-http_degradation_module
--with-http_flv_module
--with-http_geoip_module[=]
--with-http_gunzip_module
--with-http_gzip_static_module
--with-http_image_filter_module[=]
--with-http_mp4_module
--with-http_perl_module[=]
--with-http_random_index_module
--with-http_realip_module
--with-http_secure_link_module
--with-http_slice_module
--with-http_spdy_module
--with-http_ssl_module
--with-http_stub_status_module
--with-http_sub_module
--with-http_v2_module
--with-http_v3_module
--with-http_xslt_module[=]
--with-imap
--with-imap_ssl_module
--with-ipv6
--with-ld-opt=
--with-libatomic[=]
--with-mail[=]
--with-mail_ssl_module
--with-md5-asm
--with-md5-opt=
--with-md5=
--with-module=
--with-openssl-opt=
--with-openssl=
--with-pcre-jit
--with-pcre-opt=
--with-pcre[=]
--with-perl=
--with-perl_modules_path=
--with-poll_module
--with-rtsig_module
--with-select_module
--with-sha1-asm
--with-sha1-opt=
--with-sha1=
--with-stream[=]
--with-stream_geoip_module[=]
--with-stream_realip_module
--with-stream_ssl_module
--with-stream_ssl_preread_module
--with-threads[=]
--with-zlib-asm=
--with-zlib-opt=
--with-zlib=
--without-http
--without-http-cache
--without-http_access_module
--without-http_auth_basic_module
--without-http_autoindex_module
--without-http_browser_module
--without-http_charset_module
--without-http_empty_gif_module
--without-http_epmty_gif_module
--without-http_fastcgi_module
--without-http_geo_module
--without-http_grpc_module
--without-http_gzip_module
--without-http_limit_conn_module
--without-http_limit_req_module
--without-http_limit_zone_module
--without-http_map_module
--without-http_memcached_module
--without-http_mirror_module
--without-http_proxy_module
--without-http_referer
--without-http_referer_module
--without-http_rewrite_module
--without-http_scgi_module
--without-http_split_clients_module
--without-http_ssi_module
--without-http_status_module
--without-http_tunnel_module
--without-http_upstream_hash_module
--without-http_upstream_ip_hash_module
--without-http_upstream_keepalive_module
--without-http_upstream_least_conn_module
--without-http_upstream_least_time_module
--without-http_upstream_random_module
--without-http_upstream_sticky
--without-http_upstream_sticky_module
--without-http_upstream_zone_module
--without-http_userid_module
--without-http_uwsgi_module
--without-mail_imap_module
--without-mail_pop3_module
--without-mail_smtp_module
--without-pcre
--without-pcre2
--without-poll_module
--without-quic_bpf_module
--without-select_module
--without-stream_access_module
--without-stream_geo_module
--without-stream_limit_conn_module
--without-stream_map_module
--without-stream_pass_module
--without-stream_return_module
--without-stream_set_module
--without-stream_split_clients_module
--without-stream_upstream_hash_module
--without-stream_upstream_least_conn_module
--without-stream_upstream_least_time_module
--without-stream_upstream_random_module
--without-stream_upstream_zone_module
`

// openRestyOptionList is what OpenResty's ./configure (util/configure
// in openresty/openresty, releases 1.11 to 1.31) parses itself, and the
// options of the nginx it bundles that nginx itself lacks (its dtrace
// patch), in the same notation; everything else it hands to nginx's
// configure.
const openRestyOptionList = `
--with-dtrace-probes
--with-dtrace=
--platform=
--with-http_drizzle_module
--with-http_iconv_module
--with-http_postgres_module
--with-libdrizzle=
--with-libpq=
--with-lua51[=]
--with-luajit-ldflags=
--with-luajit-xcflags=
--with-luajit[=]
--with-make=
--with-no-pool-patch
--with-pg_config=
--without-http_array_var_module
--without-http_coolkit_module
--without-http_echo_module
--without-http_encrypted_session_module
--without-http_form_input_module
--without-http_headers_more_module
--without-http_lua_module
--without-http_lua_upstream_module
--without-http_memc_module
--without-http_rds_csv_module
--without-http_rds_json_module
--without-http_redis2_module
--without-http_redis_module
--without-http_set_misc_module
--without-http_srcache_module
--without-http_ssl_module
--without-http_xss_module
--without-lua51
--without-lua_cjson
--without-lua_rds_parser
--without-lua_redis_parser
--without-lua_resty_core
--without-lua_resty_dns
--without-lua_resty_limit_traffic
--without-lua_resty_lock
--without-lua_resty_lrucache
--without-lua_resty_memcached
--without-lua_resty_mysql
--without-lua_resty_openssl
--without-lua_resty_redis
--without-lua_resty_rsa
--without-lua_resty_shell
--without-lua_resty_signal
--without-lua_resty_string
--without-lua_resty_upload
--without-lua_resty_upstream_healthcheck
--without-lua_resty_websocket
--without-lua_tablepool
--without-luajit-gc64
--without-luajit-lua52
--without-ngx_devel_kit_module
--without-stream
--without-stream_lua_module
--without-stream_ssl_module
`

// Options is the set of options ./configure accepts, by name (with its
// two leading dashes), and whether each takes a value. With openResty it
// is OpenResty's configure: nginx's options and OpenResty's own.
func Options(openResty bool) map[string]OptionArg {
	lists := []string{nginxOptionList}
	if openResty {
		lists = append(lists, openRestyOptionList)
	}
	opts := map[string]OptionArg{}
	for _, list := range lists {
		for _, name := range strings.Fields(list) {
			switch {
			case strings.HasSuffix(name, "[=]"):
				opts[strings.TrimSuffix(name, "[=]")] = OptionalValue
			case strings.HasSuffix(name, "="):
				opts[strings.TrimSuffix(name, "=")] = Value
			default:
				opts[name] = NoValue
			}
		}
	}
	return opts
}
