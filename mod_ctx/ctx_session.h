/* ctx_session: the session of one client request, a JSON object with a
 * dict-like API and change tracking (Flask's SecureCookieSession).
 *
 * Values are JSON values, so a Flask app and a C module see the same data.
 * Flask's permanent flag is the key "_permanent" (true when set). Every
 * change first checks that the result still fits in a cookie (through the
 * owner's `fits` callback) and is rolled back if it does not. Once the owner
 * seals the session (the response headers are gone), every change fails with
 * CTX_ETOOLATE and is logged. */
#ifndef CTX_SESSION_H
#define CTX_SESSION_H

#include <apr_pools.h>
#include <jansson.h>

#include "ctx_status.h"

typedef struct ctx_session_t ctx_session_t;

/* Where the flask format keeps a session's creation time (with
 * CtxSessionMaxLifetime): reserved, every setter refuses it (APR_EINVAL). */
#define CTX_SESSION_CREATED_KEY "_ctx_created"

/* 1 if the session `s` would still fit in the cookie; `json` (`jlen`
 * bytes) is its data serialized by ctx_json_dump, borrowed for the call. */
typedef int ctx_session_fits_fn(void *baton, const ctx_session_t *s,
                                const char *json, apr_size_t jlen);

/* Visitor: `key` and the value's JSON text (`json`, `len` bytes, not
 * NUL-terminated) are borrowed for the call. Return 0 to stop. */
typedef int ctx_session_visit_fn(void *baton, const char *key,
                                 const char *json, apr_size_t len);

/* Called once, at the session's first change (set, remove, clear of a
 * non-empty session, regenerate, invalidate), before the change returns. */
typedef void ctx_session_changed_fn(void *baton, ctx_session_t *s);

/* A new, not yet loaded session in `p`; its data is released when `p` is
 * destroyed. `fits` may be NULL (no size limit). */
ctx_session_t *ctx_session_create(apr_pool_t *p, ctx_session_fits_fn *fits,
                                  void *baton);

/* What the sessions of one configuration share: the size callbacks and
 * limits, given to ctx_session_create_from in one call (the glue fills it
 * per load from the configuration; it could be kept per configuration).
 * Plain data the caller owns; ctx_session_create_from reads it during the
 * call only. */
typedef struct {
    ctx_session_fits_fn *fits;          /* NULL: no size limit */
    ctx_session_changed_fn *changed;    /* NULL: nobody is told */
    apr_size_t sure_fit, never_fit, max_values; /* ctx_session_set_limits */
} ctx_session_template_t;

/* A template with no limits (ctx_session_create's defaults): set what the
 * configuration needs after it. */
void ctx_session_template_init(ctx_session_template_t *t,
                               ctx_session_fits_fn *fits,
                               ctx_session_changed_fn *changed);

/* ctx_session_create(p, t->fits, baton), then ctx_session_on_change(s,
 * t->changed, baton), ctx_session_set_limits with t's limits and
 * ctx_session_set_log_request(s, log_request), in one call. `baton` goes
 * to both callbacks; `t` is read during the call only; `log_request` as
 * for ctx_session_set_log_request (it must outlive the session). */
ctx_session_t *ctx_session_create_from(apr_pool_t *p,
                                       const ctx_session_template_t *t,
                                       void *baton, void *log_request);

/* Give the session its data (`data` is stolen, and copied into the flat
 * form; NULL: a fresh empty one),
 * issued at `issued` and verified by key `key_index` (> 0: a fallback key,
 * so the next save re-issues it under the current key). */
void ctx_session_load(ctx_session_t *s, json_t *data, apr_int64_t issued,
                      int key_index);
int ctx_session_is_loaded(const ctx_session_t *s);

/* ctx_session_load of data in flat form (ctx_flat.h; NULL: a fresh empty
 * session): `flat` must live as long as the session's pool, which it is
 * allocated in or under. */
struct ctx_flat_t;
void ctx_session_load_flat(ctx_session_t *s, struct ctx_flat_t *flat,
                           apr_int64_t issued, int key_index);

/* ctx_session_load of a JSON object's text (`len` bytes, borrowed: it must
 * live as long as the session's pool); text that is not one JSON object
 * gives an empty session. */
void ctx_session_load_text(ctx_session_t *s, const char *json,
                           apr_size_t len, apr_int64_t issued,
                           int key_index);

/* Size limits known to the owner, in bytes of the data's text: up to
 * `sure_fit` a change fits without asking `fits` (and without serializing
 * the session); above `never_fit`, or with more than `max_values` JSON
 * values (as ctx_json_write counts them), it is refused without asking. In
 * between the text is made and `fits` decides. A change costs the size of
 * the value it sets (the text's length and values are kept per key),
 * except in that band; there a session checks at most 64 KiB of text (then
 * refuses: CTX_ETOOLARGE). Defaults: 0 and APR_SIZE_MAX (always ask). */
void ctx_session_set_limits(ctx_session_t *s, apr_size_t sure_fit,
                            apr_size_t never_fit, apr_size_t max_values);

/* How many times the whole data was serialized (for tests). */
unsigned ctx_session_serializations(const ctx_session_t *s);

/* Record every later change in `j` (NULL: stop recording), for a
 * server-side session's save (ctx_session_store.h): a set records the
 * value's text as ctx_json_dump writes it, a remove that removed, a clear
 * of a non-empty session, regenerate and invalidate their marks. A change
 * the session refuses records nothing; a change the journal cannot record
 * (no memory) is refused (APR_ENOMEM) and rolled back. `j` is borrowed:
 * it must live as long as the session records into it. */
struct ctx_journal_t;
void ctx_session_set_journal(ctx_session_t *s, struct ctx_journal_t *j);

/* Tell `fn` (with `baton`) of the first change; NULL: nobody. */
void ctx_session_on_change(ctx_session_t *s, ctx_session_changed_fn *fn,
                           void *baton);

/* The value under key, borrowed (valid until it is changed), or NULL.
 * Built from the value's text on the first call (the flat form keeps no
 * jansson values otherwise). */
json_t *ctx_session_get(ctx_session_t *s, const char *key);
int ctx_session_has(ctx_session_t *s, const char *key);

/* The value under key as its canonical JSON text (*text, *len bytes, not
 * NUL-terminated), borrowed: valid until the key changes. APR_NOTFOUND if
 * absent (also for a NULL key). Read it with ctx_flat_type, _int,
 * _double, _bool and _string (ctx_flat.h). */
apr_status_t ctx_session_get_text(ctx_session_t *s, const char *key,
                                  const char **text, apr_size_t *len);

/* The integer under key, in one call (ctx_session_get_text, then
 * ctx_flat_type and ctx_flat_int): APR_SUCCESS and *val, APR_NOTFOUND if
 * absent (also for a NULL key), APR_EINVAL when the value is not an
 * integer (*val unchanged then). Marks the session accessed. */
apr_status_t ctx_session_get_int(ctx_session_t *s, const char *key,
                                 apr_int64_t *val);

/* Store `val` (stolen, even on failure). APR_EINVAL for NULL arguments or a
 * value JSON text cannot hold (NaN, infinity, nested deeper than
 * CTX_JSON_MAX_DEPTH - 1 under the session's object), CTX_ETOOLARGE if the
 * session would no longer fit (unchanged then), CTX_ETOOLATE once sealed,
 * APR_ENOMEM without memory. */
apr_status_t ctx_session_set(ctx_session_t *s, const char *key, json_t *val);

/* ctx_session_set of an integer or a boolean, without a jansson value. */
apr_status_t ctx_session_set_int(ctx_session_t *s, const char *key,
                                 apr_int64_t val);
apr_status_t ctx_session_set_bool(ctx_session_t *s, const char *key,
                                  int val);

/* Append `val` (stolen, even on failure) to the list under key, creating
 * [val] when key is absent, without re-serializing the rest by hand.
 * APR_EINVAL if key holds something else than a list; otherwise as
 * ctx_session_set (unchanged on failure). */
apr_status_t ctx_session_append(ctx_session_t *s, const char *key,
                                json_t *val);

/* Set `field` of the object under key to `val` (stolen, even on failure),
 * creating {field: val} when key is absent. APR_EINVAL if key holds
 * something else than an object, or field is not valid UTF-8; otherwise as
 * ctx_session_set (unchanged on failure). */
apr_status_t ctx_session_set_field(ctx_session_t *s, const char *key,
                                   const char *field, json_t *val);

/* APR_NOTFOUND if absent; CTX_ETOOLATE once sealed. */
apr_status_t ctx_session_remove(ctx_session_t *s, const char *key);

/* Remove every key (the cookie is deleted when saved). */
apr_status_t ctx_session_clear(ctx_session_t *s);

/* Visit keys in key order (strcmp, as the text is written); returns 0 if
 * stopped. The visitor must not change the session. */
int ctx_session_do(ctx_session_t *s, ctx_session_visit_fn *fn, void *baton);

/* The number of keys; marks nothing. */
int ctx_session_count(const ctx_session_t *s);

/* Flask's session.permanent. */
apr_status_t ctx_session_set_permanent(ctx_session_t *s, int on);
int ctx_session_is_permanent(ctx_session_t *s);
/* The same, without marking the session accessed (for the owner). */
int ctx_session_permanent_flag(const ctx_session_t *s);

/* Keep the data, issue a new cookie (new time, new nonce, a new lifetime:
 * the creation time is reset) when saved. */
apr_status_t ctx_session_regenerate(ctx_session_t *s);
/* Drop the data; the cookie is deleted when saved. */
apr_status_t ctx_session_invalidate(ctx_session_t *s);

/* The data as a jansson object (borrowed, built on demand: valid until the
 * next change); marks nothing. */
const json_t *ctx_session_data(const ctx_session_t *s);

/* The data serialized by ctx_json_dump (*len set when not NULL): owned by
 * the session, valid until its next change or until its pool is destroyed;
 * made once per change (a size check has usually made it already). NULL
 * without memory. Marks nothing. */
const char *ctx_session_json(ctx_session_t *s, apr_size_t *len);

/* The number of JSON values in the current ctx_session_json text (every
 * scalar, array and object, the session's own object included); 0 when no
 * current text was made. Valid inside a `fits` callback, which is given
 * the text: the cookie's bound on values applies to it. */
apr_size_t ctx_session_json_values(const ctx_session_t *s);

/* Flags for the owner. */
int ctx_session_accessed(const ctx_session_t *s);
int ctx_session_modified(const ctx_session_t *s);
/* The saved cookie should be re-issued although unmodified (a fallback
 * key, an old format): such a re-issue keeps the issue time, so that key
 * rotation renews no lifetime; a modified session gets a fresh one. */
int ctx_session_needs_reissue(const ctx_session_t *s);
apr_int64_t ctx_session_issued(const ctx_session_t *s);

/* When the session was created: the loaded cookie's creation time (set by
 * the owner after loading; ctx_session_load sets it to the issue time), 0
 * for a new session and after ctx_session_regenerate, _clear or
 * _invalidate (each starts a new lifetime: the owner uses "now"). */
apr_int64_t ctx_session_created(const ctx_session_t *s);
void ctx_session_set_created(ctx_session_t *s, apr_int64_t created);

/* Ask for a re-issue that keeps the issue time (an old cookie format). */
void ctx_session_ask_reissue(ctx_session_t *s);

/* No changes from now on: each one is refused with CTX_ETOOLATE and logged
 * as an error (a change after the response headers left is a bug). */
void ctx_session_seal(ctx_session_t *s);
/* A background task's copy: sealed too, but a refused change is logged at
 * debug level only (documented behaviour the caller handles). */
void ctx_session_set_read_only(ctx_session_t *s);

/* The request log lines about this session name (the glue's request,
 * opaque here; it must outlive the session). NULL (the default): none. */
void ctx_session_set_log_request(ctx_session_t *s, void *request);
int ctx_session_sealed(const ctx_session_t *s);

#endif
