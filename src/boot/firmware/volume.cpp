// SPDX-License-Identifier: LGPL-2.1-or-later

#include "volume.hpp"

#include "../efi/partition-info.hpp"
#include "pages.hpp"

namespace zuki::boot {

namespace {

// The GPT type of an EFI system partition, C12A7328-F81F-11D2-BA4B-00A0C93EC93B, in its on-disk
// (mixed-endian) byte order.
constexpr uint8_t kEspTypeGuid[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                      0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
constexpr uint8_t kMbrEspType = 0xef;

// EFI_FILE_INFO with room for a name: the file name is irrelevant here, but GetInfo wants room
// for it.
constexpr size_t kInfoBuffer = sizeof(efi::FileInfo) + 2 * 256;

} // namespace

efi::Status open_volume_root(efi::BootServices *bs, efi::Handle device, File *root) {
        efi::SimpleFileSystemProtocol *fs = nullptr;
        efi::Status s = bs->HandleProtocol(device, &efi::SimpleFileSystemProtocol::kGuid, reinterpret_cast<void **>(&fs));
        if (efi::is_error(s))
                return s;
        return fs->OpenVolume(fs, root->out());
}

bool is_esp_partition(efi::BootServices *bs, efi::Handle device) {
        efi::PartitionInfoProtocol *info = nullptr;
        if (efi::is_error(bs->HandleProtocol(device, &efi::PartitionInfoProtocol::kGuid, reinterpret_cast<void **>(&info))) ||
            !info)
                return false;
        if (info->Type == efi::PartitionInfoProtocol::kTypeGpt)
                return __builtin_memcmp(info->Info + efi::PartitionInfoProtocol::kGptTypeGuid, kEspTypeGuid, 16) == 0;
        if (info->Type == efi::PartitionInfoProtocol::kTypeMbr)
                return info->Info[efi::PartitionInfoProtocol::kMbrOsIndicator] == kMbrEspType;
        return false;
}

namespace {

// GetInfo(`type`) into `buffer`, first with `initial` bytes, once more with what the firmware asks
// for; less than `minimum` bytes back is a device error.
efi::Status get_info(efi::FileProtocol *f, const efi::Guid &type, size_t initial, size_t minimum,
                     PoolArray<uint8_t> *buffer) {
        efi::Status s = buffer->allocate(initial);
        if (efi::is_error(s))
                return s;
        uintptr_t n = buffer->size();
        s = f->GetInfo(f, &type, &n, buffer->data());
        if (s == efi::kBufferTooSmall && n > buffer->size()) {
                s = buffer->allocate(n);
                if (efi::is_error(s))
                        return s;
                s = f->GetInfo(f, &type, &n, buffer->data());
        }
        if (efi::is_error(s))
                return s;
        return n < minimum ? efi::kDeviceError : efi::kSuccess;
}

} // namespace

efi::Status file_size_and_attributes(efi::FileProtocol *f, uint64_t *size, uint64_t *attributes) {
        PoolArray<uint8_t> buffer;
        efi::Status s = get_info(f, efi::FileInfo::kGuid, kInfoBuffer, __builtin_offsetof(efi::FileInfo, FileName), &buffer);
        if (efi::is_error(s))
                return s;
        const auto *info = reinterpret_cast<const efi::FileInfo *>(buffer.data());
        *size = info->FileSize;
        *attributes = info->Attribute;
        return efi::kSuccess;
}

efi::Status open_and_stat(efi::FileProtocol *root, const char16_t *path, uint64_t mode, File *f, uint64_t *size,
                          uint64_t *attributes) {
        File opened;
        efi::Status s = root->Open(root, opened.out(), path, mode, 0);
        if (efi::is_error(s))
                return s;
        s = file_size_and_attributes(opened.get(), size, attributes);
        if (efi::is_error(s))
                return s;
        f->swap(opened);
        return efi::kSuccess;
}

efi::Status make_directory(efi::FileProtocol *root, const char16_t *path) {
        File dir;
        constexpr uint64_t kMode = efi::FileProtocol::kModeRead | efi::FileProtocol::kModeWrite | efi::FileProtocol::kModeCreate;
        return root->Open(root, dir.out(), path, kMode, efi::FileInfo::kDirectory);
}

efi::Status volume_read_only(efi::FileProtocol *root, bool *read_only) {
        PoolArray<uint8_t> buffer;
        efi::Status s = get_info(root, efi::FileSystemInfo::kGuid, sizeof(efi::FileSystemInfo) + 2 * 64,
                                 __builtin_offsetof(efi::FileSystemInfo, VolumeSize), &buffer);
        if (efi::is_error(s))
                return s;
        *read_only = reinterpret_cast<const efi::FileSystemInfo *>(buffer.data())->ReadOnly != 0;
        return efi::kSuccess;
}

efi::Status write_all(efi::FileProtocol *f, const void *data, size_t size) {
        uintptr_t n = size;
        efi::Status s = f->Write(f, &n, data);
        if (efi::is_error(s))
                return s;
        if (n != size)
                return efi::kDeviceError;
        return f->Flush(f);
}

efi::Status read_exact(efi::FileProtocol *f, void *data, size_t size) {
        uintptr_t n = size;
        efi::Status s = f->Read(f, &n, data);
        if (efi::is_error(s))
                return s;
        return n == size ? efi::kSuccess : efi::kDeviceError;
}

} // namespace zuki::boot
