// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A cache of zboot images (zuki zboot/build --cache-dir, set by zuki's kernel-install plugin).
//
// Installing one kernel package on Debian wraps the same kernel two or three times: dracut's
// post-update hook and systemd-boot's postinst hook each run kernel-install, and dracut run by
// kernel-install runs the post-update hook again. Compression at level 19 is the slow part of
// making a UKI, so the second and later runs reuse the first one's image.
//
// An entry is KEY.efi (the zboot image) and KEY.meta, keyed by a SHA-256 over the zuki executable
// itself (so a changed zuki never reuses an older one's images), the stub, the kernel and every
// option that changes the bytes written. The directory must belong to the effective user and be
// writable by nobody else (it is created 0700 when missing), or it is not used: an image taken from
// it ends up in a UKI that is signed and booted. A hit is checked before it is used (its size and
// SHA-256 against KEY.meta, and read back as a zboot image). Entries are written atomically; the
// newest kMaxEntries are kept.

#pragma once

#include <functional>
#include <optional>
#include <string>

#include "zboot-image.hpp"

namespace zuki::zboot_cache {

constexpr size_t kMaxEntries = 6;

// The entry key for these inputs, or nullopt when the cache cannot be used (`notice` says why).
std::optional<std::string> key(Bytes stub, Bytes kernel, const CompressOptions &options);

// Prepares `dir` (creates it 0700 when missing) and checks that it is safe to use; false, with
// one line to `notice`, when it is not.
bool usable(const std::string &dir, const std::function<void(const std::string &)> &notice);

// The cached image for `key`, if there is a valid one (its kernel info from `kernel`).
std::optional<ZbootImage> lookup(const std::string &dir, const std::string &key, Bytes kernel,
                                 const std::function<void(const std::string &)> &notice);

// Stores `image` under `key` and removes the oldest entries beyond kMaxEntries. Failing to store
// is not an error of the build: `notice` gets one line.
void store(const std::string &dir, const std::string &key, const ZbootImage &image,
           const std::function<void(const std::string &)> &notice);

} // namespace zuki::zboot_cache
