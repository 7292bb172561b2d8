# nginx 1.22.1's objs/Makefile as configure wrote it for static OpenSSL,
# PCRE2 and zlib, cut down to three objects of its own, with a static and
# a dynamic third-party module added as nginx writes them.

CC =	cc
CFLAGS =  -pipe  -O -W -Wall -Wpointer-arith -Wno-unused-parameter -Werror -g 
CPP =	cc -E
LINK =	$(CC)


CORE_DEPS = src/core/nginx.h \
	src/event/ngx_event_openssl.h \
	src/core/ngx_regex.h \
	../pcre2-10.42/src/pcre2.h \
	../openssl-3.0.20/.openssl/include/openssl/ssl.h \
	objs/ngx_auto_config.h


HTTP_DEPS = src/http/ngx_http.h


ADDON_DEPS = $(CORE_DEPS) $(HTTP_DEPS)


CORE_INCS = -I src/core \
	-I ../pcre2-10.42/src/ \
	-I ../openssl-3.0.20/.openssl/include \
	-I ../zlib-1.2.13 \
	-I objs


build:	binary modules manpage

binary:	objs/nginx

objs/nginx:	objs/src/core/nginx.o \
	objs/src/core/ngx_log.o \
	objs/addon/echo/ngx_http_echo_module.o \
	objs/ngx_modules.o \
	../pcre2-10.42/.libs/libpcre2-8.a \
	../zlib-1.2.13/libz.a

	$(LINK) -o objs/nginx \
	objs/src/core/nginx.o \
	objs/src/core/ngx_log.o \
	objs/addon/echo/ngx_http_echo_module.o \
	objs/ngx_modules.o \
	-lcrypt ../pcre2-10.42/.libs/libpcre2-8.a ../openssl-3.0.20/.openssl/lib/libssl.a ../openssl-3.0.20/.openssl/lib/libcrypto.a ../zlib-1.2.13/libz.a \
	-Wl,-E
	


modules:	objs/ngx_http_headers_more_filter_module.so

objs/ngx_modules.o:	$(CORE_DEPS) \
	objs/ngx_modules.c
	$(CC) -c $(CFLAGS) $(CORE_INCS) \
		-o objs/ngx_modules.o \
		objs/ngx_modules.c


objs/src/core/nginx.o:	$(CORE_DEPS) \
	src/core/nginx.c
	$(CC) -c $(CFLAGS) $(CORE_INCS) \
		-o objs/src/core/nginx.o \
		src/core/nginx.c


objs/src/core/ngx_log.o:	$(CORE_DEPS) \
	src/core/ngx_log.c
	$(CC) -c $(CFLAGS) $(CORE_INCS) \
		-o objs/src/core/ngx_log.o \
		src/core/ngx_log.c


objs/addon/echo/ngx_http_echo_module.o:	$(ADDON_DEPS) \
	../echo/ngx_http_echo_module.c
	$(CC) -c $(CFLAGS)  $(ALL_INCS) \
		-o objs/addon/echo/ngx_http_echo_module.o \
		../echo/ngx_http_echo_module.c


objs/ngx_http_headers_more_filter_module_modules.o:	$(ADDON_DEPS) \
	objs/ngx_http_headers_more_filter_module_modules.c
	$(CC) -c -fPIC $(CFLAGS)  $(ALL_INCS) \
		-o objs/ngx_http_headers_more_filter_module_modules.o \
		objs/ngx_http_headers_more_filter_module_modules.c


objs/addon/src/ngx_http_headers_more_filter_module.o:	$(ADDON_DEPS) \
	../headers-more/src/ngx_http_headers_more_filter_module.c
	$(CC) -c -fPIC $(CFLAGS)  $(ALL_INCS) \
		-o objs/addon/src/ngx_http_headers_more_filter_module.o \
		../headers-more/src/ngx_http_headers_more_filter_module.c


objs/ngx_http_headers_more_filter_module.so:	objs/addon/src/ngx_http_headers_more_filter_module.o \
	objs/ngx_http_headers_more_filter_module_modules.o
	$(LINK) -o objs/ngx_http_headers_more_filter_module.so \
	objs/addon/src/ngx_http_headers_more_filter_module.o \
	objs/ngx_http_headers_more_filter_module_modules.o \
	-shared


../pcre2-10.42/src/pcre2.h:	../pcre2-10.42/Makefile

../pcre2-10.42/Makefile:	objs/Makefile
	cd ../pcre2-10.42 \
	&& if [ -f Makefile ]; then $(MAKE) distclean; fi \
	&& CC="$(CC)" CFLAGS="-O2 -fomit-frame-pointer -pipe " \
	./configure --disable-shared 

../pcre2-10.42/.libs/libpcre2-8.a:	../pcre2-10.42/Makefile
	cd ../pcre2-10.42 \
	&& $(MAKE) libpcre2-8.la


../openssl-3.0.20/.openssl/include/openssl/ssl.h:	objs/Makefile
	cd ../openssl-3.0.20 \
	&& if [ -f Makefile ]; then $(MAKE) clean; fi \
	&& ./config --prefix=/work/nginx/1.22.1/nginx-1.22.1/../openssl-3.0.20/.openssl no-shared no-threads  \
	&& $(MAKE) \
	&& $(MAKE) install_sw LIBDIR=lib


../zlib-1.2.13/libz.a:	objs/Makefile
	cd ../zlib-1.2.13 \
	&& $(MAKE) distclean \
	&& CFLAGS="-O2 -fomit-frame-pointer -pipe " CC="$(CC)" \
		./configure \
	&& $(MAKE) libz.a


manpage:	objs/nginx.8

objs/nginx.8:	man/nginx.8 objs/ngx_auto_config.h
	sed -e "s|%%PREFIX%%|/usr/local/nginx|" \
		-e "s|%%PID_PATH%%|/usr/local/nginx/logs/nginx.pid|" \
		-e "s|%%CONF_PATH%%|/usr/local/nginx/conf/nginx.conf|" \
		-e "s|%%ERROR_LOG_PATH%%|/usr/local/nginx/logs/error.log|" \
		< man/nginx.8 > $@

