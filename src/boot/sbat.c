/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .sbat section (shim's Secure Boot Advanced Targeting, https://github.com/rhboot/shim/blob/main/SBAT.md):
 * CSV lines, the first one naming the SBAT format version. C rather than C++ so the array can
 * hold the text without its terminating NUL, as tools that merge .sbat sections expect. */

#ifndef ZUKI_VERSION
#error "ZUKI_VERSION must be defined"
#endif

#define ZUKI_SBAT \
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n" \
        "zuki,1,zuki,zuki," ZUKI_VERSION ",https://zuki.invalid/\n"

__attribute__((section(".sbat"), used)) const char zuki_sbat[sizeof(ZUKI_SBAT) - 1] = ZUKI_SBAT;
