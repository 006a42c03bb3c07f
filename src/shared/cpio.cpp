// SPDX-License-Identifier: LGPL-2.1-or-later

#include "cpio.hpp"

namespace zuki::cpio {

Status Writer::put(const void *data, size_t n) {
        if (failed_)
                return Error::NoSpace;
        if (!counting()) {
                if (!out_.contains(pos_, n)) {
                        failed_ = true;
                        return Error::NoSpace;
                }
                if (data)
                        __builtin_memcpy(out_.data() + pos_, data, n);
                else
                        __builtin_memset(out_.data() + pos_, 0, n);
        }
        pos_ += n;
        return ok_status();
}

Status Writer::pad4() {
        size_t n = (4 - pos_ % 4) % 4;
        return n ? put(nullptr, n) : ok_status();
}

Status Writer::entry(const char *path, uint32_t mode, Bytes data, uint32_t inode) {
        // Header: magic then 13 eight-digit hex fields: ino, mode, uid, gid, nlink, mtime,
        // filesize, devmajor, devminor, rdevmajor, rdevminor, namesize (with NUL), check.
        size_t name_size = string_length(path) + 1;
        if (data.size() > 0xffffffffu || name_size > 4096)
                return Error::SizeLimit;
        const uint32_t fields[13] = {inode, mode, 0, 0, 1, 0,
                                     (uint32_t) data.size(), 0, 0, 0, 0, (uint32_t) name_size, 0};
        char header[6 + 13 * 8];
        static constexpr char kHex[] = "0123456789abcdef";
        __builtin_memcpy(header, "070701", 6);
        for (int f = 0; f < 13; f++)
                for (int d = 0; d < 8; d++)
                        header[6 + f * 8 + d] = kHex[(fields[f] >> (28 - 4 * d)) & 0xf];
        ZUKI_TRY(put(header, sizeof header));
        ZUKI_TRY(put(path, name_size));
        ZUKI_TRY(pad4());
        if (!data.empty())
                ZUKI_TRY(put(data.data(), data.size()));
        return pad4();
}

Status Writer::add_directory(const char *path, uint32_t permissions) {
        return entry(path, kModeDirectory | (permissions & 07777), Bytes(), inode_++);
}

Status Writer::add_file(const char *path, Bytes data, uint32_t permissions) {
        return entry(path, kModeRegular | (permissions & 07777), data, inode_++);
}

Status Writer::add_directory_tree(const char *path, uint32_t permissions) {
        size_t n = string_length(path);
        char prefix[256];
        if (n >= sizeof prefix)
                return Error::SizeLimit;
        for (size_t i = 0; i < n; i++)
                if (path[i] == '/' && i > 0 && path[i - 1] != '/') {
                        __builtin_memcpy(prefix, path, i);
                        prefix[i] = 0;
                        ZUKI_TRY(add_directory(prefix, 0555));
                }
        return add_directory(path, permissions);
}

Status Writer::finish() {
        // Spelled out rather than produced by entry(): systemd writes the name size in upper case,
        // and these bytes are measured.
        static constexpr char kTrailer[] = "070701"
                                           "00000000" "00000000" "00000000" "00000000" "00000001"
                                           "00000000" "00000000" "00000000" "00000000" "00000000"
                                           "00000000" "0000000B" "00000000"
                                           "TRAILER!!!\0\0\0";
        static_assert(sizeof kTrailer == 124);
        return put(kTrailer, sizeof kTrailer);
}

} // namespace zuki::cpio
