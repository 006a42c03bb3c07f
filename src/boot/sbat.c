/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .sbat section (shim's Secure Boot Advanced Targeting, https://github.com/rhboot/shim/blob/main/SBAT.md):
 * CSV lines, the first one naming the SBAT format version. C rather than C++ so the array can
 * hold the text without its terminating NUL, as tools that merge .sbat sections expect. */

#if !defined(ZUKI_VERSION) || !defined(ZUKI_HOME)
#error "ZUKI_VERSION and ZUKI_HOME must be defined (meson.build)"
#endif

/* component_name,component_generation,vendor_name,vendor_package_name,vendor_version,vendor_url.
 * Raise the generation when a Secure Boot bypass is fixed in the stub, so that shim's revocations
 * can name the vulnerable builds. Distributions add their own line (zuki.debian,1,Debian,...). */
/* The addon stub (addon.cpp) is its own component, "zuki-addon": revoking the stub's generation
 * does not revoke every addon built on zukiaddon<arch>.efi.stub, and the other way round. */
#ifdef ZUKI_SBAT_ADDON
#define ZUKI_SBAT_COMPONENT "zuki-addon,1,The zuki developers,zuki-addon,"
#else
#define ZUKI_SBAT_COMPONENT "zuki,1,The zuki developers,zuki,"
#endif
#define ZUKI_SBAT \
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n" \
        ZUKI_SBAT_COMPONENT ZUKI_VERSION "," ZUKI_HOME "\n"

__attribute__((section(".sbat"), used)) const char zuki_sbat[sizeof(ZUKI_SBAT) - 1] = ZUKI_SBAT;
