/* ctx_session_store: loading and saving a server-side session (issue #12)
 * through a ctx_store_t, with the id cookie of ctx_session_id.h and the
 * merge of ctx_journal.h.
 *
 * Stored value: the session's JSON encoded by ctx_codec exactly as a
 * cookie of CtxSessionFormat `signed` or `encrypted` (version 2: "s2." or
 * "e2.", see ctx_codec.h), with one difference: where a cookie binds the
 * cookie name, the stored value binds the entry's store key (48 bytes,
 * "ctx1." ...). So whoever can write to the store cannot forge a session
 * (no key), cannot read one (encrypted), and cannot move a value from one
 * entry to another (a privileged session copied under an attacker's id
 * does not verify). The app is bound by the codec and by the store key.
 * The value's issue time is its last write; its creation time is the
 * session's (CtxSessionMaxLifetime); both are checked on every read as
 * for cookies, so an entry the store failed to expire is still refused.
 * Entries are written to expire CtxSessionMaxAge seconds after the write.
 *
 * Load: the id cookie is verified first; a missing, forged, truncated or
 * foreign id makes no store call ("no session"). Then exactly one get. A
 * miss, a value that does not verify or is too large is "no session" (the
 * next save that writes makes a new id: a dead id is never brought back,
 * so an invalidated or expired id, or one planted by an attacker whose
 * entry is gone, never becomes a session again). A store failure is
 * CTX_ESTORE: never an empty session.
 *
 * Save, given the request's journal:
 *   nothing recorded   no write; the entry's lifetime is refreshed (get the
 *                      latest value, re-encode it with a new issue time,
 *                      set) when ctx_store_refresh_due says so; an id
 *                      verified by a fallback key is re-signed (cookie
 *                      only, same entry).
 *   changes            get the latest value, apply the journal to it
 *                      (ctx_journal_apply), encode, check the size, set.
 *                      A result with no keys deletes the entry and the
 *                      cookie. A miss gives a new id (see load).
 *   regenerate         as changes, under a new id; then the old entry is
 *                      deleted.
 *   invalidate         the old entry is deleted first; changes made after
 *                      the invalidate go to a new id.
 * A failing get or set writes nothing and returns CTX_ESTORE; the client
 * keeps its cookie (*cookie stays KEEP).
 *
 * Concurrency: socache has no compare-and-set. Between a save's get and
 * its set, another save of the same session may write; the later set
 * then loses that save's changes (the window is one store round trip).
 * The same holds for an invalidate that runs inside another request's
 * save window: that save may write the entry again under the old id.
 * Outside that window, requests keep each other's changes (different
 * keys) and the last save wins on the same key.
 *
 * Cost: a read of an entry whose bytes, key and second are those of the
 * last read accepted in the same pool (the save's read of the latest entry
 * when no other request saved since the load) takes a copy of that read's
 * result instead of decoding again (the pool keeps it as userdata; a task's
 * save, in its own pool, always decodes).
 *
 * How the glue drives it: a ctx_store_ops_t over the socache provider
 * (under the global mutex for AP_SOCACHE_FLAG_NOTMPSAFE), wrapped by
 * ctx_store_health, in a ctx_session_store_t per server config; on first
 * use, ctx_session_store_load_verified with the id cookie it verified, then ctx_session_load
 * the data into the request's ctx_session_t and ctx_session_set_journal a
 * ctx_journal_t to it; in the save filter, ctx_session_store_save with
 * that journal and a Set-Cookie as *cookie says. */
#ifndef CTX_SESSION_STORE_H
#define CTX_SESSION_STORE_H

#include <apr_pools.h>
#include <jansson.h>

#include "ctx_codec.h"
#include "ctx_journal.h"
#include "ctx_keys.h"
#include "ctx_session_id.h"
#include "ctx_store.h"

/* The configuration of one session store: borrowed by every call, must
 * outlive them (the glue keeps it in the server config). */
typedef struct {
    const ctx_store_t *store;
    const ctx_keyring_t *keys;
    const char *app_name;       /* CtxAppName */
    const char *cookie_name;    /* the id cookie's name */
    ctx_format_t format;        /* CTX_FORMAT_SIGNED or _ENCRYPTED */
    apr_int64_t max_age;        /* the entry's lifetime, seconds, > 0 */
    apr_int64_t max_skew;       /* seconds a stored issue time may be
                                 * ahead (servers' clocks) */
    apr_int64_t max_lifetime;   /* CtxSessionMaxLifetime; 0: none */
    apr_size_t max_size;        /* largest stored value, bytes, > 0 */
    int no_new_id;              /* 1: the caller can send no cookie (a
                                 * background task): a save that would
                                 * need a new id (the entry is gone, or
                                 * regenerate) writes nothing and returns
                                 * APR_NOTFOUND; a dead id stays dead */
} ctx_session_store_t;

/* What the save asks the glue to do with the id cookie. */
typedef enum {
    CTX_SSTORE_COOKIE_KEEP = 0, /* send nothing */
    CTX_SSTORE_COOKIE_SET,      /* send state.sid.cookie (its Max-Age
                                 * restarts with the entry's lifetime) */
    CTX_SSTORE_COOKIE_DELETE    /* delete the cookie */
} ctx_sstore_cookie_t;

/* One request's view of its entry: filled by load, updated by save. Plain
 * data, no pointers (lives wherever the glue keeps it). */
typedef struct {
    int has_id;                 /* sid holds a verified id */
    ctx_sid_t sid;
    ctx_reason_t id_reason;     /* the cookie's verify (CTX_REASON_OK with
                                 * has_id; MALFORMED for no cookie) */
    int found;                  /* the entry was read and accepted */
    ctx_reason_t value_reason;  /* the stored value's decode: OK when
                                 * found, OVERSIZED for APR_ENOSPC */
    apr_int64_t issued;         /* found: the value's last write */
    apr_int64_t created;        /* found: the session's creation */
} ctx_session_store_state_t;

/* Load the session of the id cookie `cookie` (`len` bytes; NULL: no
 * cookie) at `now` (seconds). *st is filled. *data: a new reference to the
 * stored object (the caller owns it) when st->found, else NULL (no
 * session: start an empty one). Returns APR_SUCCESS (found or not),
 * CTX_ESTORE (the store failed: *data NULL, st->has_id set; do not treat
 * as empty), APR_EINVAL for a bad configuration or arguments. */
apr_status_t ctx_session_store_load(const ctx_session_store_t *ss,
                                    apr_pool_t *p, const char *cookie,
                                    apr_size_t len, apr_int64_t now,
                                    ctx_session_store_state_t *st,
                                    json_t **data);

/* ctx_session_store_load that gives the stored session in flat form
 * (ctx_flat.h; in `p`, NULL when not found): what the glue loads into the
 * request's session, no jansson values made. */
struct ctx_flat_t;
apr_status_t ctx_session_store_load_flat(const ctx_session_store_t *ss,
                                         apr_pool_t *p, const char *cookie,
                                         apr_size_t len, apr_int64_t now,
                                         ctx_session_store_state_t *st,
                                         struct ctx_flat_t **data);

/* ctx_session_store_load_flat for an id the caller has verified already
 * (ctx_sid_verify with this store's keys, app and cookie name returned
 * CTX_REASON_OK; `sid` is copied): the same without verifying it again.
 * `sid` NULL: no id (no session, no store call). */
apr_status_t ctx_session_store_load_verified(const ctx_session_store_t *ss,
                                             apr_pool_t *p,
                                             const ctx_sid_t *sid,
                                             apr_int64_t now,
                                             ctx_session_store_state_t *st,
                                             struct ctx_flat_t **data);

/* Save the journal `j` (NULL: no changes) of the session loaded into *st,
 * at `now`; *st is updated (a new id, found, issued, created) and *cookie
 * says what to send. Returns APR_SUCCESS; CTX_ESTORE (a get, set or
 * delete failed: nothing written, *st unchanged, *cookie KEEP; except
 * that an invalidate whose delete succeeded stands: *st has no id and
 * *cookie is DELETE);
 * CTX_ETOOLARGE (the encoded value would exceed max_size: nothing
 * written); APR_INCOMPLETE (regenerate: the new entry is written and *st
 * and *cookie are set for it, but the old entry could not be deleted: it
 * stays valid until it expires); APR_EINVAL (bad configuration or a
 * journal value that is not JSON); APR_EGENERAL (OpenSSL failed);
 * APR_NOTFOUND (ss->no_new_id and a new id would be needed: nothing
 * written, except an invalidate's delete).
 * Temporary allocations go to `p`. */
apr_status_t ctx_session_store_save(const ctx_session_store_t *ss,
                                    apr_pool_t *p,
                                    ctx_session_store_state_t *st,
                                    const ctx_journal_t *j, apr_int64_t now,
                                    ctx_sstore_cookie_t *cookie);

#endif
