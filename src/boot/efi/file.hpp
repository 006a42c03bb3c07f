// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_SIMPLE_FILE_SYSTEM_PROTOCOL, EFI_FILE_PROTOCOL and EFI_FILE_INFO (UEFI 2.10, 13.4-13.5).

#pragma once

#include "types.hpp"

namespace efi {

struct FileProtocol {
        static constexpr uint64_t kModeRead = 0x1;
        static constexpr uint64_t kModeWrite = 0x2;
        static constexpr uint64_t kModeCreate = 0x8000000000000000;

        uint64_t Revision;
        Status (*Open)(FileProtocol *self, FileProtocol **handle, const Char16 *name, uint64_t mode,
                       uint64_t attributes);
        Status (*Close)(FileProtocol *self);
        void *Delete;
        // On a directory: the next EFI_FILE_INFO; *size 0 at the end, kBufferTooSmall with the
        // needed *size when the buffer is too small.
        Status (*Read)(FileProtocol *self, uintptr_t *size, void *buffer);
        Status (*Write)(FileProtocol *self, uintptr_t *size, const void *buffer);
        void *GetPosition;
        Status (*SetPosition)(FileProtocol *self, uint64_t position);
        Status (*GetInfo)(FileProtocol *self, const Guid *type, uintptr_t *size, void *buffer);
        void *SetInfo;
        Status (*Flush)(FileProtocol *self);
};

struct SimpleFileSystemProtocol {
        static constexpr Guid kGuid = {0x964e5b22, 0x6459, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

        uint64_t Revision;
        Status (*OpenVolume)(SimpleFileSystemProtocol *self, FileProtocol **root);
};

// EFI_FILE_INFO: fixed fields, then the NUL-terminated file name.
struct FileInfo {
        static constexpr Guid kGuid = {0x09576e92, 0x6d3f, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
        static constexpr uint64_t kReadOnly = 0x1;
        static constexpr uint64_t kDirectory = 0x10;

        uint64_t Size;
        uint64_t FileSize;
        uint64_t PhysicalSize;
        uint8_t CreateTime[16];
        uint8_t LastAccessTime[16];
        uint8_t ModificationTime[16];
        uint64_t Attribute;
        Char16 FileName[1];
};
static_assert(__builtin_offsetof(FileInfo, FileName) == 80);

// EFI_FILE_SYSTEM_INFO's fixed part (13.5.4): whether the whole volume is read-only.
struct FileSystemInfo {
        static constexpr Guid kGuid = {0x09576e93, 0x6d3f, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

        uint64_t Size;
        uint8_t ReadOnly;
        uint64_t VolumeSize;
        uint64_t FreeSpace;
        uint32_t BlockSize;
        Char16 VolumeLabel[1];
};
static_assert(__builtin_offsetof(FileSystemInfo, VolumeSize) == 16);

} // namespace efi
