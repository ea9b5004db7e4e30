/*
 * curl_lazy.h - libcurl, loaded when --otlp-endpoint first needs it.
 *
 * Linked at build time, libcurl and the ~30 libraries it pulls in (TLS,
 * Kerberos, LDAP...) cost every run of the runner about 3 ms of start-up
 * before the first test, which a suite of tiny tests pays in full. Only
 * --otlp-endpoint uses it, so it is opened with dlopen() then.
 */
#ifndef RN_CURL_LAZY_H
#define RN_CURL_LAZY_H

#include <stddef.h> /* size_t */

#include <curl/curl.h> /* the types and constants; the functions come from here */

typedef struct rn_curl {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    void (*easy_cleanup)(CURL *curl);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content, unsigned int flags);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **content, unsigned int flags);
    const char *(*url_strerror)(CURLUcode code);
    void (*url_cleanup)(CURLU *u);
    void (*free)(void *p);
} rn_curl;

/*! rn_curl_load() : libcurl's functions (opened once, kept for the run).
 *  @return them, or NULL with `why` saying why libcurl cannot be used (not
 *  installed, a function missing: dlerror()'s words). */
const rn_curl *rn_curl_load(char *why, size_t why_size);

#endif /* RN_CURL_LAZY_H */
