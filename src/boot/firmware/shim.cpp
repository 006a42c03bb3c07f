// SPDX-License-Identifier: LGPL-2.1-or-later

#include "shim.hpp"

#include "../efi/security.hpp"
#include "log.hpp"

namespace zuki::boot {

namespace {

// The one override in force (LoadImage() is not re-entered by the images we load: none is started).
struct Override {
        efi::ShimLockProtocol *shim = nullptr;
        const ImageReader *reader = nullptr;
        efi::SecurityArchProtocol *security = nullptr;
        decltype(efi::SecurityArchProtocol::FileAuthenticationState) original = nullptr;
        efi::Security2ArchProtocol *security2 = nullptr;
        decltype(efi::Security2ArchProtocol::FileAuthentication) original2 = nullptr;
};
constinit Override g_override;

// Whether shim's Verify() accepts the image: `buffer` when the firmware handed it over, else what
// the reader reads.
bool shim_accepts(const void *buffer, uint64_t size) {
        PoolArray<uint8_t> read;
        if (!buffer) {
                if (efi::is_error(g_override.reader->read(g_override.reader->context, &read)))
                        return false;
                buffer = read.data();
                size = read.size();
        }
        return size <= 0xffffffffu && g_override.shim->Verify(buffer, (uint32_t) size) == efi::kSuccess;
}

efi::Status security_hook(const efi::SecurityArchProtocol *self, uint32_t authentication_status,
                          const efi::DevicePath *file) {
        if (shim_accepts(nullptr, 0))
                return efi::kSuccess;
        return g_override.original(self, authentication_status, file);
}

efi::Status security2_hook(const efi::Security2ArchProtocol *self, const efi::DevicePath *path, void *buffer,
                           uintptr_t size, uint8_t boot_policy) {
        if (shim_accepts(buffer, size))
                return efi::kSuccess;
        return g_override.original2(self, path, buffer, size, boot_policy);
}

// Points the firmware's hooks that exist at shim for its lifetime.
class OverrideScope {
public:
        OverrideScope(efi::BootServices *bs, efi::ShimLockProtocol *shim, const ImageReader &reader) {
                g_override = Override{};
                g_override.shim = shim;
                g_override.reader = &reader;
                void *p = nullptr;
                if (!efi::is_error(bs->LocateProtocol(&efi::SecurityArchProtocol::kGuid, nullptr, &p)) && p) {
                        g_override.security = static_cast<efi::SecurityArchProtocol *>(p);
                        g_override.original = g_override.security->FileAuthenticationState;
                        g_override.security->FileAuthenticationState = security_hook;
                }
                p = nullptr;
                if (!efi::is_error(bs->LocateProtocol(&efi::Security2ArchProtocol::kGuid, nullptr, &p)) && p) {
                        g_override.security2 = static_cast<efi::Security2ArchProtocol *>(p);
                        g_override.original2 = g_override.security2->FileAuthentication;
                        g_override.security2->FileAuthentication = security2_hook;
                }
        }
        OverrideScope(const OverrideScope &) = delete;
        OverrideScope &operator=(const OverrideScope &) = delete;
        ~OverrideScope() {
                if (g_override.security)
                        g_override.security->FileAuthenticationState = g_override.original;
                if (g_override.security2)
                        g_override.security2->FileAuthentication = g_override.original2;
                g_override = Override{};
        }
};

// SHIM_LOCK when it is shim 15.x's (no SHIM_IMAGE_LOADER beside it) and Secure Boot is on.
efi::ShimLockProtocol *old_shim(efi::BootServices *bs, bool secure_boot) {
        void *shim = nullptr, *loader = nullptr;
        if (!secure_boot || efi::is_error(bs->LocateProtocol(&efi::ShimLockProtocol::kGuid, nullptr, &shim)) || !shim ||
            !efi::is_error(bs->LocateProtocol(&efi::kShimImageLoaderGuid, nullptr, &loader)))
                return nullptr;
        return static_cast<efi::ShimLockProtocol *>(shim);
}

} // namespace

bool tell_old_shim_we_take_part(bool secure_boot) {
        efi::ShimLockProtocol *shim = old_shim(boot_services(), secure_boot);
        if (!shim)
                return false;
        static const uint8_t kNothing = 0;
        (void) shim->Verify(&kNothing, 0); // refused (no PE header): only the call counts
        log_debug("Told shim 15.x that its image takes part in verification");
        return true;
}

efi::Status load_image_through_shim(efi::Handle parent, efi::DevicePath *path, bool secure_boot,
                                    const ImageReader &reader, efi::Handle *image) {
        efi::BootServices *bs = boot_services();
        *image = nullptr;
        efi::ShimLockProtocol *shim = old_shim(bs, secure_boot);
        if (!shim)
                return bs->LoadImage(0, parent, path, nullptr, 0, image);
        log_debug("Verifying through shim's SHIM_LOCK protocol (shim before 16)");
        OverrideScope scope(bs, shim, reader);
        return bs->LoadImage(0, parent, path, nullptr, 0, image);
}

} // namespace zuki::boot
