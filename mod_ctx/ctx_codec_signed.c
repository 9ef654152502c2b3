/* ctx_codec_signed: the signed format, "s2." PAYLOAD "." TS "." CT "." MAC
 * with the app and cookie names bound, and version 1 ("s1.", read only
 * when codec->legacy); see ctx_codec.h. */
#include <string.h>

#include "ctx_codec_private.h"

#define SIGNED_PREFIX CTX_CODEC_SIGNED_PREFIX
#define SIGNED_DOMAIN CTX_CODEC_SIGNED_DOMAIN
/* Version 1: read only (codec->legacy), never written. */
#define SIGNED_PREFIX_1 "s1."
#define SIGNED_DOMAIN_1 "mod_ctx signed 1"

/* ctx_codec_decode_signed for anything but version 2: version 1 (when
 * codec->legacy), or a value of neither (version 2 and the encoding are
 * inline in ctx_codec_private.h). */
ctx_reason_t ctx_codec_decode_signed_other(const ctx_codec_t *codec,
                                           apr_pool_t *p, const char *value,
                                           apr_size_t len, apr_int64_t now,
                                           ctx_flat_t **data,
                                           ctx_codec_meta_t *meta)
{
    int version;
    ctx_codec_binding_t b;
    ctx_codec_hmac_t f;
    ctx_reason_t reason;

    if ((reason = ctx_codec_version(codec, CTX_FORMAT_SIGNED, value, len,
                                    SIGNED_PREFIX,
                                    SIGNED_DOMAIN, SIGNED_PREFIX_1,
                                    SIGNED_DOMAIN_1, &version, &b))
        != CTX_REASON_OK) {
        return reason;
    }
    f.prefix = version == 2 ? SIGNED_PREFIX : SIGNED_PREFIX_1;
    f.prefix_len = version == 2 ? sizeof(SIGNED_PREFIX) - 1
                                : sizeof(SIGNED_PREFIX_1) - 1;
    f.kind = CTX_CODEC_KEYED_HMAC_SHA256;
    f.purpose = CTX_KEY_SIGN;
    f.binding = &b;
    f.with_created = version == 2;
    f.always_compress = 0;
    reason = ctx_codec_hmac_decode(codec, &f, p, value, len, now, data, meta);
    if (reason == CTX_REASON_OK) {
        meta->legacy = version == 1;
    }
    return reason;
}
