/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The few <string.h> functions the freestanding stub provides (rt/mem.cpp), for zstd. */
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#ifdef __cplusplus
}
#endif
