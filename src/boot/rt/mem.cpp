// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The memory functions the compiler and zstd expect from a C library. Built with -ffreestanding,
// which keeps clang from turning these loops back into calls to themselves.

#include <stddef.h>
#include <stdint.h>

extern "C" {

void *memcpy(void *dest, const void *src, size_t n) {
        uint8_t *d = static_cast<uint8_t *>(dest);
        const uint8_t *s = static_cast<const uint8_t *>(src);
#if defined(__x86_64__)
        // "rep movsb" is the fast string copy on every CPU with ERMS and in QEMU's TCG.
        asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
#else
        while (n >= 8) {
                uint64_t v;
                __builtin_memcpy(&v, s, 8); // fixed size: always inlined as one load
                __builtin_memcpy(d, &v, 8);
                d += 8;
                s += 8;
                n -= 8;
        }
        while (n--)
                *d++ = *s++;
#endif
        return dest;
}

void *memmove(void *dest, const void *src, size_t n) {
        uint8_t *d = static_cast<uint8_t *>(dest);
        const uint8_t *s = static_cast<const uint8_t *>(src);
        if (d <= s || d >= s + n)
                return memcpy(dest, src, n);
        while (n--)
                d[n] = s[n];
        return dest;
}

void *memset(void *dest, int c, size_t n) {
        uint8_t *d = static_cast<uint8_t *>(dest);
#if defined(__x86_64__)
        asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
#else
        uint64_t v = 0x0101010101010101ull * (uint8_t) c;
        while (n >= 8) {
                __builtin_memcpy(d, &v, 8);
                d += 8;
                n -= 8;
        }
        while (n--)
                *d++ = (uint8_t) c;
#endif
        return dest;
}

int memcmp(const void *a, const void *b, size_t n) {
        const uint8_t *x = static_cast<const uint8_t *>(a);
        const uint8_t *y = static_cast<const uint8_t *>(b);
        for (size_t i = 0; i < n; i++)
                if (x[i] != y[i])
                        return x[i] < y[i] ? -1 : 1;
        return 0;
}

void *malloc(size_t) { return nullptr; }
void *calloc(size_t, size_t) { return nullptr; }
void free(void *) {}

// MSVC-convention marker the compiler references when floating point is used.
int _fltused = 0;

} // extern "C"
