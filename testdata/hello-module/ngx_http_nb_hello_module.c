/*
 * A minimal nginx HTTP module for nginx-build's tests: it adds a response
 * header "X-Nb-Hello: 1" so a test can see that the module is loaded and
 * running, whether built in statically or loaded with load_module.
 */
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

static ngx_int_t ngx_http_nb_hello_init(ngx_conf_t *cf);

static ngx_http_output_header_filter_pt ngx_http_next_header_filter;

static ngx_http_module_t ngx_http_nb_hello_module_ctx = {
    NULL, ngx_http_nb_hello_init, NULL, NULL, NULL, NULL, NULL, NULL
};

ngx_module_t ngx_http_nb_hello_module = {
    NGX_MODULE_V1,
    &ngx_http_nb_hello_module_ctx,
    NULL,
    NGX_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NGX_MODULE_V1_PADDING
};

static ngx_int_t
ngx_http_nb_hello_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }
    h->hash = 1;
    ngx_str_set(&h->key, "X-Nb-Hello");
    ngx_str_set(&h->value, "1");
    return ngx_http_next_header_filter(r);
}

static ngx_int_t
ngx_http_nb_hello_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_nb_hello_header_filter;
    return NGX_OK;
}
