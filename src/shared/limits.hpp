// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Resource limits applied to untrusted input, shared by the stub and the host tool so that an
// image the host accepts is one the stub accepts. Documented in docs/limits.md.

#pragma once

#include <stdint.h>

namespace zuki::limits {

// PE: sections in one image. Linux kernels have <= 8, a UKI ~16; multi-profile UKIs repeat theirs
// per profile, and systemd-stub 258+ takes at least 120. The stubs have header room for 400+.
inline constexpr uint32_t kMaxSections = 256;
// PE: the section table's largest size in bytes (kMaxSections headers of 40 bytes). It must also
// end within SizeOfHeaders and the file.
inline constexpr uint32_t kMaxSectionTableSize = kMaxSections * 40;
// PE: the largest SectionAlignment we load (arm64 Images use 64 KiB).
inline constexpr uint32_t kMaxSectionAlignment = 64u * 1024 * 1024;
// PE: the largest SizeOfImage we accept for a kernel image.
inline constexpr uint64_t kMaxImageSize = 1024ull * 1024 * 1024;
// zboot: the largest decompressed payload (the trailer's size word) we allocate.
inline constexpr uint64_t kMaxDecompressedSize = 1024ull * 1024 * 1024;
// zboot: the largest compressed payload we read.
inline constexpr uint64_t kMaxCompressedSize = 512ull * 1024 * 1024;

// UKI/zboot: the longest command line (embedded .cmdline in bytes, or load options in UTF-16
// units) the stub hands on. Kernels take 2048 (x86_64, arm64 before 6.2) to 4096 bytes.
inline constexpr uint64_t kMaxCommandLine = 16 * 1024;

// UKI/x86 direct boot: the largest initrd the stub reads from a boot loader's LoadFile2, and the
// largest combined initrd (.ucode, the loader's, .initrd, generated cpios) it hands on. Real
// initrds are tens to a few hundred MiB; the x86 boot protocol's classic initrd_addr_max is 2 GiB.
// Keeps every initrd size within 31 bits and a page count computed from it from wrapping.
inline constexpr uint64_t kMaxInitrdSize = 2048ull * 1024 * 1024;

// The page size EFI allocates in.
inline constexpr uint64_t kPageSize = 4096;

} // namespace zuki::limits
