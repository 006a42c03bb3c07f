/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zstd references malloc/calloc/free for contexts it allocates itself. The stub only uses a
 * static decompression context in EFI pages, so these exist to link and always fail (rt/mem.cpp). */
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void free(void *p);
#ifdef __cplusplus
}
#endif
