// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The recipes of systemd-stub 262's random seed and boot secret, as pure functions the stub and the
// unit tests share (src/boot/firmware/random-seed.cpp and boot-secret.cpp do the firmware part).
//
// Random seed (systemd-boot's recipe, which systemd-stub follows when no boot loader did it): a
// key K = SHA-256 over a label and length-prefixed inputs (each input preceded by its size as a
// little-endian 64-bit word, the size_t of a 64-bit EFI build): the previous
// LINUX_EFI_RANDOM_SEED_TABLE's bytes, 32 bytes of EFI_RNG_PROTOCOL, the LoaderSystemToken EFI
// variable, the old \loader\random-seed file, the firmware's monotonic counter and EFI_TIME. The
// file gets SHA-256(K || 0x00), the new table SHA-256(K || 0x01).
//
// Boot secret (systemd-stub 261+): LoaderBootSecret (32 bytes, an NV+BS variable the OS cannot
// read) and \loader\boot-secret-mixin (32 bytes on the ESP) are created from the seed table when
// missing; the OS gets SHA-256(label || variable || mixin || le64 len(id) || id) with id the
// .osrel's IMAGE_ID=, else its ID=, else "linux". Every secret taken from the seed table evolves it,
// so that no seed byte is used twice.

#pragma once

#include "base.hpp"
#include "sha256.hpp"

namespace zuki::secret {

inline constexpr size_t kSize = 32;

// LINUX_EFI_RANDOM_SEED_TABLE (include/linux/efi.h struct linux_efi_random_seed): le32 size,
// then the seed.
inline constexpr size_t kSeedTableHeader = 4;
inline constexpr size_t kSeedSize = 32;

// The random seed file's sizes systemd accepts: shorter counts as new, longer is refused.
inline constexpr uint64_t kSeedFileMin = 32;
inline constexpr uint64_t kSeedFileMax = 32 * 1024;

inline constexpr char kSeedLabel[] = "systemd-boot random seed label v1";

// Starts the random seed key: the label.
void begin_seed_key(Sha256 *h);
// One input of the key: its size (le64), then its bytes.
void add_seed_input(Sha256 *h, Bytes data);
// K, then the new file contents SHA-256(K || 0) and the new table seed SHA-256(K || 1).
void finish_seed(Sha256 *h, uint8_t (&file)[kSeedSize], uint8_t (&table_seed)[kSeedSize]);

// A secret made from a seed table (header included, size >= kSeedSize checked by the caller):
// SHA-256("systemd-stub random seed make secret label v1" || le32 size || seed), after which the
// table evolves: its first 32 seed bytes become SHA-256("... evolve label v1" || le32 size || seed).
void make_secret_from_seed(MutableBytes table, uint8_t (&out)[kSize]);

// The OS identifier from .osrel text (up to its first NUL): IMAGE_ID= if any (the first), else the
// last ID=, else "linux". Lines are read as systemd-boot reads key=value files: spaces and tabs
// around the line trimmed, '#' comments, the key up to the first '=', the value after all '='
// that follow, one pair of double quotes removed.
Bytes os_id(Bytes osrel);

// The secret the OS gets.
void derive(const uint8_t (&variable)[kSize], const uint8_t (&mixin)[kSize], Bytes id, uint8_t (&out)[kSize]);

} // namespace zuki::secret
