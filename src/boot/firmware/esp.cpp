// SPDX-License-Identifier: LGPL-2.1-or-later

#include "esp.hpp"

#include "../../shared/device-path.hpp"
#include "../../shared/pe.hpp"
#include "../efi/file.hpp"
#include "log.hpp"
#include "shim.hpp"
#include "variables.hpp"
#include "volume.hpp"

namespace zuki::boot {

namespace {

using efi::kEndDevicePathType;
using efi::kEndEntireDevicePath;
using efi::kMediaDevicePath;
using efi::kMediaFilePathDp;
constexpr size_t kMaxPath = 1024; // UTF-16 units of an ESP path we build

size_t length16(const char16_t *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

struct Entry {
        char16_t name[sidecar::kMaxNameLength + 1];
        uint64_t size;
};

// Lists the entries of `dir` that sidecar::name_matches() accepts, sorted by name. A missing
// directory is no entry and no line.
efi::Status list_directory(efi::FileProtocol *root, const char16_t *dir, const char16_t *suffix,
                           const char16_t *exclude, PoolArray<Entry> *entries, size_t *count) {
        *count = 0;
        File d;
        efi::Status s = root->Open(root, d.out(), dir, efi::FileProtocol::kModeRead, 0);
        if (s == efi::kNotFound)
                return efi::kSuccess;
        if (efi::is_error(s))
                return log_error(s, "Failed to open {}, ignoring", dir);

        PoolArray<uint8_t> info;
        s = info.allocate(sizeof(efi::FileInfo) + 2 * (sidecar::kMaxNameLength + 1));
        if (efi::is_error(s))
                return s;
        for (;;) {
                uintptr_t size = info.size();
                s = d.get()->Read(d.get(), &size, info.data());
                if (s == efi::kBufferTooSmall) {
                        s = info.allocate(size);
                        if (efi::is_error(s))
                                return s;
                        continue;
                }
                if (efi::is_error(s))
                        return log_error(s, "Failed to read directory {}, ignoring", dir);
                if (size == 0)
                        break;
                const auto *fi = reinterpret_cast<const efi::FileInfo *>(info.data());
                size_t max_units = (size - __builtin_offsetof(efi::FileInfo, FileName)) / sizeof(char16_t);
                size_t n = 0;
                while (n < max_units && fi->FileName[n])
                        n++;
                Span<const char16_t> name(fi->FileName, n);
                bool is_dir = fi->Attribute & efi::FileInfo::kDirectory;
                if (!sidecar::name_matches(name, is_dir, suffix, exclude))
                        continue;
                if (fi->FileSize > sidecar::kMaxFileSize) {
                        log_warning("Ignoring {}\\{}: {} bytes, the limit is {}", dir, fi->FileName, fi->FileSize,
                                    sidecar::kMaxFileSize);
                        continue;
                }
                if (*count == sidecar::kMaxEntries) {
                        log_warning("Ignoring {}\\{}: more than {} entries in the directory", dir, fi->FileName,
                                    (uint64_t) sidecar::kMaxEntries);
                        continue;
                }
                if (*count == entries->size()) {
                        PoolArray<Entry> bigger;
                        s = bigger.allocate(*count ? 2 * *count : 16);
                        if (efi::is_error(s))
                                return log_error(s, "Out of memory listing {}", dir);
                        if (*count)
                                __builtin_memcpy(bigger.data(), entries->data(), *count * sizeof(Entry));
                        entries->reset();
                        *entries = move(bigger);
                }
                Entry &e = entries->data()[(*count)++];
                __builtin_memcpy(e.name, fi->FileName, n * sizeof(char16_t));
                e.name[n] = 0;
                e.size = fi->FileSize;
        }
        // Insertion sort by name: the lists are short, and this needs no allocation.
        Entry *v = entries->data();
        for (size_t i = 1; i < *count; i++)
                for (size_t j = i; j > 0 && sidecar::compare_names(Span<const char16_t>(v[j - 1].name, length16(v[j - 1].name)),
                                                                   Span<const char16_t>(v[j].name, length16(v[j].name))) > 0;
                     j--) {
                        Entry t = v[j];
                        v[j] = v[j - 1];
                        v[j - 1] = t;
                }
        return efi::kSuccess;
}

// "dir\name" into `out` (kMaxPath units); false when it does not fit.
bool join_path(const char16_t *dir, const char16_t *name, char16_t (&out)[kMaxPath]) {
        size_t a = length16(dir), b = length16(name);
        if (a + 1 + b + 1 > kMaxPath)
                return false;
        __builtin_memcpy(out, dir, a * sizeof(char16_t));
        out[a] = u'\\';
        __builtin_memcpy(out + a + 1, name, b * sizeof(char16_t));
        out[a + 1 + b] = 0;
        return true;
}

// Reads `path` (exactly `expected` bytes) into `out` at its current position.
efi::Status read_file(efi::FileProtocol *root, const char16_t *path, uint64_t expected, uint8_t *out) {
        File f;
        efi::Status s = root->Open(root, f.out(), path, efi::FileProtocol::kModeRead, 0);
        if (efi::is_error(s))
                return s;
        uint64_t done = 0;
        while (done < expected) {
                uintptr_t n = expected - done;
                s = f.get()->Read(f.get(), &n, out + done);
                if (efi::is_error(s))
                        return s;
                if (n == 0)
                        return efi::kLoadError;
                done += n;
        }
        return efi::kSuccess;
}

// The UKI's drop-in directory ("<path>.extra.d"), from the file-path nodes of `path`; false when
// the path has other nodes (systemd then looks for no drop-ins either).
bool extra_dir(const efi::DevicePath *path, char16_t (&out)[kMaxPath]) {
        if (!path)
                return false;
        char16_t joined[kMaxPath];
        size_t n = devpath::file_path_text(devpath::in_memory(path), joined);
        return n > 0 && sidecar::extra_dir_of(Span<const char16_t>(joined, n), out) > 0;
}

// The full device path of `file` on the device `device`: the device's path, one file-path node,
// the end node. In pool memory.
efi::Status file_device_path(efi::BootServices *bs, efi::Handle device, const char16_t *file,
                             PoolArray<uint8_t> *out) {
        efi::DevicePath *dp = nullptr;
        efi::Status s = bs->HandleProtocol(device, &efi::DevicePath::kGuid, reinterpret_cast<void **>(&dp));
        if (efi::is_error(s))
                return s;
        const uint8_t *p = reinterpret_cast<const uint8_t *>(dp);
        devpath::Nodes nodes(devpath::in_memory(dp));
        devpath::Node node;
        while (nodes.next(&node))
                ;
        if (!nodes.ended())
                return efi::kInvalidParameter;
        size_t device_len = nodes.offset();
        size_t name_bytes = (length16(file) + 1) * sizeof(char16_t);
        if (4 + name_bytes > 0xffff)
                return efi::kInvalidParameter;
        s = out->allocate(device_len + 4 + name_bytes + 4);
        if (efi::is_error(s))
                return s;
        uint8_t *q = out->data();
        __builtin_memcpy(q, p, device_len);
        q += device_len;
        q[0] = kMediaDevicePath;
        q[1] = kMediaFilePathDp;
        store_le16(q + 2, (uint16_t) (4 + name_bytes));
        __builtin_memcpy(q + 4, file, name_bytes);
        q += 4 + name_bytes;
        q[0] = kEndDevicePathType;
        q[1] = kEndEntireDevicePath;
        store_le16(q + 2, 4);
        return efi::kSuccess;
}

// An addon on the ESP, for a security hook that asks about it by path (shim.hpp).
struct AddonFile {
        efi::FileProtocol *root;
        const char16_t *path;
        uint64_t size;
};

efi::Status read_addon(void *context, PoolArray<uint8_t> *out) {
        const AddonFile *file = static_cast<const AddonFile *>(context);
        efi::Status s = out->allocate(file->size);
        return efi::is_error(s) ? s : read_file(file->root, file->path, file->size, out->data());
}

// Copies the sections the stub looks at (sidecar::addon_of()) out of a loaded addon, which is
// unloaded afterwards, with its name, into one pool block.
efi::Status copy_addon(const pe::View &view, const char16_t *name, const hwids::Machine *machine,
                       PoolArray<uint8_t> *storage, sidecar::Addon *out) {
        size_t name_units = length16(name) + 1;
        sidecar::Addon found = sidecar::addon_of(view, Span<const char16_t>(name, name_units), machine);
        size_t name_bytes = name_units * sizeof(char16_t);
        uint64_t total = align_up(name_bytes, 8);
        for (const sidecar::AddonSection &w : sidecar::kAddonSections)
                total += align_up((found.*(w.field)).size(), 8);
        efi::Status s = storage->allocate(total);
        if (efi::is_error(s))
                return s;
        uint8_t *p = storage->data();
        __builtin_memcpy(p, name, name_bytes);
        *out = found;
        out->name = Span<const char16_t>(reinterpret_cast<const char16_t *>(p), name_units);
        p += align_up(name_bytes, 8);
        for (const sidecar::AddonSection &w : sidecar::kAddonSections) {
                Bytes data = found.*(w.field);
                if (data.empty()) {
                        out->*(w.field) = Bytes(); // nothing may point into the unloaded image
                        continue;
                }
                __builtin_memcpy(p, data.data(), data.size());
                out->*(w.field) = Bytes(p, data.size());
                p += align_up(data.size(), 8);
        }
        return efi::kSuccess;
}

} // namespace

void EspExtras::gather(efi::Handle image, efi::SystemTable *st, const efi::LoadedImageProtocol *loaded,
                       const model::Boot &boot, const hwids::Machine *machine) {
        efi::BootServices *bs = st->BootServices;
        if (!loaded->DeviceHandle)
                return;
        File root;
        efi::Status s = open_volume_root(bs, loaded->DeviceHandle, &root);
        if (s == efi::kUnsupported)
                return; // not loaded from a file system: nothing beside us
        if (efi::is_error(s)) {
                log_error(s, "Failed to open the file system we were loaded from, ignoring its extras");
                return;
        }
        char16_t own_dir[kMaxPath];
        bool has_own_dir = extra_dir(loaded->FilePath, own_dir);

        // Addons: global ones first, then the UKI's own.
        const bool secure_boot = secure_boot_enabled();
        const char16_t *addon_dirs[2] = {sidecar::kGlobalAddonDir, has_own_dir ? own_dir : nullptr};
        for (const char16_t *dir : addon_dirs) {
                if (!dir)
                        continue;
                PoolArray<Entry> entries;
                size_t count = 0;
                if (efi::is_error(list_directory(root.get(), dir, sidecar::kAddonSuffix, nullptr, &entries, &count)))
                        continue;
                for (size_t i = 0; i < count; i++) {
                        const char16_t *name = entries.data()[i].name;
                        if (addon_count_ == model::kMaxAddons) {
                                log_warning("Ignoring addon {}\\{}: more than {} addons", dir, name,
                                            (uint64_t) model::kMaxAddons);
                                continue;
                        }
                        char16_t path[kMaxPath];
                        PoolArray<uint8_t> dp;
                        if (!join_path(dir, name, path) ||
                            efi::is_error(file_device_path(bs, loaded->DeviceHandle, path, &dp))) {
                                log_warning("Ignoring addon {}\\{}: cannot make its device path", dir, name);
                                continue;
                        }
                        efi::Handle h = nullptr;
                        AddonFile file{root.get(), path, entries.data()[i].size};
                        s = load_image_through_shim(image, reinterpret_cast<efi::DevicePath *>(dp.data()), secure_boot,
                                                    ImageReader{read_addon, &file}, &h);
                        if (efi::is_error(s)) {
                                if (h)
                                        bs->UnloadImage(h);
                                log_error(s, "Failed to load addon {}, ignoring", path);
                                continue;
                        }
                        efi::LoadedImageProtocol *li = nullptr;
                        s = bs->HandleProtocol(h, &efi::LoadedImageProtocol::kGuid, reinterpret_cast<void **>(&li));
                        Result<pe::View> view = efi::is_error(s) ? Result<pe::View>(Error::Truncated)
                                                                 : pe::View::parse(Bytes(static_cast<const uint8_t *>(li->ImageBase), li->ImageSize),
                                                                                   pe::Layout::Loaded);
                        sidecar::Addon addon;
                        if (view)
                                s = copy_addon(*view, name, machine, &addon_storage_[addon_count_], &addon);
                        bs->UnloadImage(h);
                        if (!view) {
                                log_error(efi::kLoadError, "Ignoring addon {}: {}", path, view.error());
                                continue;
                        }
                        if (efi::is_error(s)) {
                                log_error(s, "Ignoring addon {}: out of memory", path);
                                continue;
                        }
                        bool bad_cmdline = false;
                        sidecar::AddonVerdict verdict = model::judge_addon(boot, addon, &bad_cmdline);
                        if (verdict == sidecar::AddonVerdict::Used && bad_cmdline) {
                                log_error(efi::kLoadError, "Ignoring addon {}: its .cmdline is not UTF-8", path);
                                addon_storage_[addon_count_].reset();
                                continue;
                        }
                        if (verdict != sidecar::AddonVerdict::Used) {
                                // A PE with nothing an addon could bring is passed over quietly, as
                                // systemd-stub 262 does; the other verdicts are refusals.
                                if (verdict == sidecar::AddonVerdict::NoKnownSection)
                                        log_debug("Ignoring addon {}: {}", path, sidecar::describe(verdict));
                                else
                                        log_error(efi::kLoadError, "Ignoring addon {}: {}", path, sidecar::describe(verdict));
                                addon_storage_[addon_count_].reset();
                                continue;
                        }
                        addons_[addon_count_++] = addon;
                }
        }

        // Credentials and extensions.
        for (size_t k = 0; k < sidecar::kKindCount; k++) {
                const sidecar::Target &t = sidecar::kTargets[k];
                const char16_t *dir = t.global_dir ? t.global_dir : (has_own_dir ? own_dir : nullptr);
                if (!dir)
                        continue;
                PoolArray<Entry> entries;
                size_t count = 0;
                if (efi::is_error(list_directory(root.get(), dir, t.suffix, t.exclude_suffix, &entries, &count)) ||
                    count == 0)
                        continue;
                // Check the archive's size from the listed sizes before reading anything.
                PoolArray<sidecar::File> files;
                if (efi::is_error(files.allocate(count))) {
                        log_error(efi::kOutOfResources, "Out of memory packing {}", dir);
                        continue;
                }
                for (size_t i = 0; i < count; i++) {
                        const Entry &e = entries.data()[i];
                        files.data()[i] = {Span<const char16_t>(e.name, length16(e.name)), Bytes(nullptr, e.size)};
                }
                Result<size_t> listed_size = sidecar::archive_size(t, Span<const sidecar::File>(files.data(), count));
                if (!listed_size || *listed_size > limits::kMaxInitrdSize) {
                        log_error(efi::kBadBufferSize, "Ignoring {} ({}): the archive would be too large", dir,
                                  t.description);
                        continue;
                }
                // Read the files; one that cannot be read is left out and the rest packed, as
                // systemd-stub does (the archive, even of no file, is still written and measured).
                size_t kept = 0;
                for (size_t i = 0; i < count; i++) {
                        const Entry &e = entries.data()[i];
                        char16_t path[kMaxPath];
                        PoolArray<uint8_t> data;
                        if (!join_path(dir, e.name, path))
                                s = efi::kBadBufferSize;
                        else if (!efi::is_error(s = data.allocate(e.size)))
                                s = read_file(root.get(), path, e.size, data.data());
                        if (efi::is_error(s)) {
                                log_error(s, "Failed to read {}\\{}, ignoring", dir, e.name);
                                continue;
                        }
                        files.data()[kept++] = {Span<const char16_t>(e.name, length16(e.name)), Bytes(data.data(), e.size)};
                        data.release(); // freed below, after packing
                }
                Span<const sidecar::File> packed_files(files.data(), kept);
                Result<size_t> size = sidecar::archive_size(t, packed_files, sidecar::EmptyArchive::Directories);
                Status packed = size ? ok_status() : Status(size.error());
                if (packed && efi::is_error(archives_[k].allocate(*size))) {
                        log_error(efi::kOutOfResources, "Out of memory packing {}", dir);
                        packed = Status(Error::NoSpace);
                } else if (packed) {
                        cpio::Writer w(MutableBytes(archives_[k].data(), *size));
                        packed = sidecar::write_archive(t, packed_files, &w, sidecar::EmptyArchive::Directories);
                        if (packed && w.size() != *size)
                                packed = Status(Error::SizeMismatch);
                }
                for (size_t i = 0; i < kept; i++)
                        bs->FreePool(const_cast<uint8_t *>(files.data()[i].data.data()));
                if (!packed) {
                        if (packed.error() != Error::NoSpace)
                                log_error(efi::kLoadError, "Failed to pack {}: {}, ignoring", dir, packed.error());
                        archives_[k].reset();
                        continue;
                }
                log_debug("Packed {} file(s) from {} into /{}", (uint64_t) kept, dir, t.directory);
        }
}

model::EspInputs EspExtras::inputs() const {
        model::EspInputs in;
        in.addons = Span<const sidecar::Addon>(addons_, addon_count_);
        for (size_t k = 0; k < sidecar::kKindCount; k++)
                in.archives[k] = Bytes(archives_[k].data(), archives_[k].data() ? archives_[k].size() : 0);
        return in;
}

} // namespace zuki::boot
