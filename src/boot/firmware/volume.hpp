// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Files on the ESP the stub writes (\loader\random-seed, \loader\boot-secret-mixin): an owner of
// an open EFI_FILE_PROTOCOL handle and the few queries both need.

#pragma once

#include "../efi/file.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

class File {
public:
        File() = default;
        File(const File &) = delete;
        File &operator=(const File &) = delete;
        ~File() {
                if (f_)
                        f_->Close(f_);
        }
        efi::FileProtocol **out() { return &f_; }
        efi::FileProtocol *get() const { return f_; }
        efi::FileProtocol *operator->() const { return f_; }
        void swap(File &other) {
                efi::FileProtocol *t = f_;
                f_ = other.f_;
                other.f_ = t;
        }

private:
        efi::FileProtocol *f_ = nullptr;
};

// The root directory of the file system on `device` (the one the stub was loaded from).
efi::Status open_volume_root(efi::BootServices *bs, efi::Handle device, File *root);

// Whether `device` is an EFI system partition, as its EFI_PARTITION_INFO_PROTOCOL says. Unknown
// (no protocol) counts as no.
bool is_esp_partition(efi::BootServices *bs, efi::Handle device);

// The file's size and attributes (EFI_FILE_INFO).
efi::Status file_size_and_attributes(efi::FileProtocol *f, uint64_t *size, uint64_t *attributes);

// Opens `path` below `root` with `mode` and asks its size and attributes; any failure of either
// step is returned (the caller says which file) and leaves `f` closed.
efi::Status open_and_stat(efi::FileProtocol *root, const char16_t *path, uint64_t mode, File *f, uint64_t *size,
                          uint64_t *attributes);

// Makes the directory `path` below `root` (an existing one is fine), for a file the stub starts in
// it: systemd-stub 262 makes \loader on an ESP that has none before it starts its random seed file.
efi::Status make_directory(efi::FileProtocol *root, const char16_t *path);

// EFI_FILE_SYSTEM_INFO.ReadOnly; a failure to ask is reported, not guessed.
efi::Status volume_read_only(efi::FileProtocol *root, bool *read_only);

// Write()s all of `data` and Flush()es; a short write is kDeviceError.
efi::Status write_all(efi::FileProtocol *f, const void *data, size_t size);

// Read()s exactly `size` bytes; fewer is kDeviceError.
efi::Status read_exact(efi::FileProtocol *f, void *data, size_t size);

// A write refused because the medium or file is read-only (not a fault worth a warning).
constexpr bool write_refused(efi::Status s) { return s == efi::kWriteProtected || s == efi::kAccessDenied; }

} // namespace zuki::boot
