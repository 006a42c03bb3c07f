// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-secret.hpp"

#include "../../shared/sha256.hpp"
#include "../efi/graphics-output.hpp" // kLinuxRandomSeedTableGuid
#include "config-table.hpp"
#include "log.hpp"
#include "variables.hpp"
#include "volume.hpp"

namespace zuki::boot {

namespace {

using secret::kSize;

constexpr char16_t kVariable[] = u"LoaderBootSecret";
constexpr char16_t kMixinPath[] = u"\\loader\\boot-secret-mixin";
// Without runtime access: the variable disappears from view at ExitBootServices().
constexpr uint32_t kVariableAttributes = efi::kVariableNonVolatile | efi::kVariableBootserviceAccess;
constexpr uint32_t kAccessAttributes = kVariableAttributes | efi::kVariableRuntimeAccess;

// The seed table we draw from (ours, or a boot loader's), at least one seed long.
MutableBytes seed_table(efi::SystemTable *st) {
        uint8_t *t = static_cast<uint8_t *>(find_config_table(st, efi::kLinuxRandomSeedTableGuid));
        if (!t) {
                log_debug("No random seed table, no boot secret");
                return {};
        }
        uint32_t size = load_le32(t);
        if (size < secret::kSeedSize) {
                log_debug("The random seed table is too short for a boot secret");
                return {};
        }
        return MutableBytes(t, secret::kSeedTableHeader + size);
}

// LoaderBootSecret, created when missing. One that the OS could read (runtime access) or of
// another size is not used, and not replaced either.
bool acquire_variable_secret(MutableBytes table, uint8_t (&out)[kSize]) {
        uint8_t data[kSize];
        size_t size = 0;
        uint32_t attributes = 0;
        efi::Status s = get_loader_variable(kVariable, data, sizeof(data), &size, &attributes);
        if (s == efi::kNotFound) {
                secret::make_secret_from_seed(table, data);
                s = set_loader_variable(kVariable, kVariableAttributes, data, sizeof(data));
                if (efi::is_error(s)) {
                        wipe_secret(data, sizeof(data));
                        log_debug("Failed to set the LoaderBootSecret EFI variable: {}", s);
                        return false;
                }
        } else if (efi::is_error(s) && s != efi::kBufferTooSmall) {
                log_debug("Failed to read the LoaderBootSecret EFI variable: {}", s);
                return false;
        } else if (s == efi::kBufferTooSmall || size != kSize) {
                wipe_secret(data, sizeof(data));
                log_debug("Unexpected size of the LoaderBootSecret EFI variable, ignoring");
                return false;
        } else if ((attributes & kAccessAttributes) != kVariableAttributes) {
                wipe_secret(data, sizeof(data));
                log_debug("Unexpected attributes of the LoaderBootSecret EFI variable, ignoring");
                return false;
        }
        __builtin_memcpy(out, data, kSize);
        wipe_secret(data, sizeof(data));
        return true;
}

// \loader\boot-secret-mixin, created when missing (or empty) on a writable volume. A shorter one
// is neither used nor overwritten: it might be someone's key.
bool acquire_mixin(efi::FileProtocol *root, MutableBytes table, uint8_t (&out)[kSize]) {
        File f;
        bool writable = true;
        uint64_t size = 0, attributes = 0;
        efi::Status s = open_and_stat(root, kMixinPath,
                                      efi::FileProtocol::kModeRead | efi::FileProtocol::kModeWrite | efi::FileProtocol::kModeCreate,
                                      &f, &size, &attributes);
        if (s == efi::kWriteProtected) {
                writable = false;
                s = open_and_stat(root, kMixinPath, efi::FileProtocol::kModeRead, &f, &size, &attributes);
        }
        if (efi::is_error(s)) {
                log_debug("Failed to open or query the boot secret mixin file {}: {}", kMixinPath, s);
                return false;
        }
        if (size == 0 && writable) {
                if (attributes & efi::FileInfo::kReadOnly) {
                        log_debug("The boot secret mixin file {} is read-only, not initializing it", kMixinPath);
                        return false;
                }
                uint8_t mixin[kSize];
                secret::make_secret_from_seed(table, mixin);
                s = write_all(f.get(), mixin, sizeof(mixin));
                if (efi::is_error(s)) {
                        wipe_secret(mixin, sizeof(mixin));
                        log_debug("Failed to write the boot secret mixin file: {}", s);
                        return false;
                }
                __builtin_memcpy(out, mixin, kSize);
                wipe_secret(mixin, sizeof(mixin));
                return true;
        }
        if (size < kSize) {
                log_debug("The boot secret mixin file {} is too short ({} < {} bytes)", kMixinPath, size, (uint64_t) kSize);
                return false;
        }
        s = read_exact(f.get(), out, kSize);
        if (efi::is_error(s)) {
                log_debug("Failed to read the boot secret mixin file: {}", s);
                return false;
        }
        return true;
}

} // namespace

bool prepare_boot_secret(efi::SystemTable *st, const efi::LoadedImageProtocol *loaded, Bytes osrel,
                         uint8_t (&out)[kSize]) {
        if (!loaded->DeviceHandle)
                return false;
        File root;
        efi::Status s = open_volume_root(st->BootServices, loaded->DeviceHandle, &root);
        if (efi::is_error(s)) {
                log_debug("Cannot open the volume we were loaded from, no boot secret: {}", s);
                return false;
        }
        MutableBytes table = seed_table(st);
        if (table.empty())
                return false;
        uint8_t variable[kSize], mixin[kSize];
        bool ok = acquire_variable_secret(table, variable) && acquire_mixin(root.get(), table, mixin);
        if (ok)
                secret::derive(variable, mixin, secret::os_id(osrel), out);
        wipe_secret(variable, sizeof(variable));
        wipe_secret(mixin, sizeof(mixin));
        return ok;
}

} // namespace zuki::boot
