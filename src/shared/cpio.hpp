// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A writer for "newc" cpio archives (the format the Linux initramfs unpacker reads,
// Documentation/driver-api/early-userspace/buffer-format.rst) into a caller's buffer. The stub
// uses it to hand .pcrsig, .pcrpkey, .osrel and .profile to userspace under /.extra/, and to pack
// credentials and extensions from the ESP, as systemd-stub does. The archives it writes are byte
// for byte the ones systemd-stub (src/boot/cpio.c) writes, because those bytes are measured: every
// entry has uid/gid/mtime/dev 0 and nlink 1 (directories too), inodes count up from 1, and the
// trailer is systemd's (its name size spelled "0000000B").

#pragma once

#include "base.hpp"

namespace zuki::cpio {

inline constexpr uint32_t kModeDirectory = 0040000;
inline constexpr uint32_t kModeRegular = 0100000;

class Writer {
public:
        // With an empty buffer the writer only counts: size() is then the bytes needed.
        explicit Writer(MutableBytes out, uint32_t first_inode = 1) : out_(out), inode_(first_inode) {}

        Status add_directory(const char *path, uint32_t permissions);
        // Every leading directory of `path` with mode 0555, then `path` itself with `permissions`
        // (systemd's pack_cpio_prefix).
        Status add_directory_tree(const char *path, uint32_t permissions);
        Status add_file(const char *path, Bytes data, uint32_t permissions);
        // Appends the "TRAILER!!!" entry.
        Status finish();

        size_t size() const { return pos_; }
        bool counting() const { return out_.data() == nullptr; }

private:
        Status entry(const char *path, uint32_t mode, Bytes data, uint32_t inode);
        Status put(const void *data, size_t n);
        Status pad4();

        MutableBytes out_;
        size_t pos_ = 0;
        bool failed_ = false; // after a NoSpace nothing more is written: no archive with a hole
        uint32_t inode_;
};

} // namespace zuki::cpio
