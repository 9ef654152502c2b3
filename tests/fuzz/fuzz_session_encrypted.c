/* Fuzz the encrypted session cookie decoder (client input: the Cookie value). */
#include "fuzz_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_session(CTX_FORMAT_ENCRYPTED, data, size);
}
