/* Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput. Built
 * with libFuzzer by tests/fuzz/run, and with replay.c (a plain main that
 * feeds every file of the target's seed corpus) by `make check`. */
#ifndef CTX_FUZZ_H
#define CTX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
