// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stub's entry point: a flat list of steps, each failure logged once and returned to the
// boot manager so it can try the next boot option.

#include "../shared/pe.hpp"
#include "../shared/kernel-payload.hpp"
#include "../shared/zboot.hpp"
#include "efi/loaded-image.hpp"
#include "efi/system-table.hpp"
#include "firmware/log.hpp"
#include "firmware/pages.hpp"
#include "arch/cycles.hpp"
#include "kernel.hpp"
#include "firmware/variables.hpp"
#include "uki-boot.hpp"
#include "x86-direct.hpp"
#include "firmware/initrd.hpp"
#include "../shared/uki.hpp"

namespace zuki::boot {
namespace {

// Our own image as the firmware loaded it, validated with the shared PE model.
efi::Status find_self(efi::Handle image, efi::SystemTable *st, efi::LoadedImageProtocol **loaded,
                      pe::View *self) {
        efi::Status s = st->BootServices->HandleProtocol(image, &efi::LoadedImageProtocol::kGuid,
                                                         reinterpret_cast<void **>(loaded));
        if (efi::is_error(s))
                return log_error(s, "Failed to get our LoadedImage protocol");
        Bytes bytes(static_cast<const uint8_t *>((*loaded)->ImageBase), (*loaded)->ImageSize);
        Result<pe::View> view = pe::View::parse(bytes, pe::Layout::Loaded);
        if (!view)
                return log_error(status_from(view.error()), "Our own image is malformed: {}", view.error());
        *self = *view;
        return efi::kSuccess;
}

// The compressed kernel appended to this image, as located by the zboot header and checked by
// the rule the host tool applies. The header holds file offsets; the section table maps them to
// where the firmware put the bytes.
efi::Status find_zboot_payload(const pe::View &self, kernel::Payload *out) {
        Result<kernel::Payload> payload = kernel::check_kernel_payload(self, kernel::Origin::SelfImage);
        if (!payload && payload.error() == Error::NotZboot)
                return log_error(status_from(payload.error()), "No kernel: no .linux section and no zboot header");
        if (!payload)
                return log_error(status_from(payload.error()), "Cannot boot the kernel payload: {}", payload.error());
        *out = *payload;
        return efi::kSuccess;
}

efi::Status run(efi::Handle image, efi::SystemTable *st) {
        efi::LoadedImageProtocol *loaded = nullptr;
        pe::View self;
        efi::Status s = find_self(image, st, &loaded, &self);
        if (efi::is_error(s))
                return s;

        if (uki::is_uki(self))
                return boot_uki(image, st, loaded, self);

        kernel::Payload payload;
        s = find_zboot_payload(self, &payload);
        if (efi::is_error(s))
                return s;

        // zboot mode hands the load options on as they are; they are also the command line that
        // may say "nokaslr".
        Span<const char16_t> options(static_cast<const char16_t *>(loaded->LoadOptions),
                                     loaded->LoadOptions ? loaded->LoadOptionsSize / sizeof(char16_t) : 0);
        Placement placement = decide_placement(st->BootServices, options);

        // An x86 direct-boot payload: we are the kernel's loader, so its initrd is whatever a boot
        // loader registered for it (systemd-boot's "initrd" lines).
        if (payload.kind == kernel::Kind::X86Direct) {
                InitrdService initrd;
                s = initrd.read_existing(st->BootServices);
                if (efi::is_error(s))
                        return s;
                Bytes raw_options(static_cast<const uint8_t *>(loaded->LoadOptions),
                                  loaded->LoadOptions ? loaded->LoadOptionsSize : 0);
                return boot_x86_direct(payload, placement, options, raw_options, initrd.existing(), image, st);
        }

        KernelImage kernel;
        s = decompress_kernel(payload.zstd, placement, &kernel);
        if (efi::is_error(s))
                return s;
        return place_and_start_kernel(&kernel, image, loaded, options, st);
}

} // namespace
} // namespace zuki::boot

namespace zuki::boot {
namespace {
uint64_t entry_cycles;
} // namespace
uint64_t stub_entry_cycles() { return entry_cycles; }
} // namespace zuki::boot

extern "C" efi::Status efi_main(efi::Handle image, efi::SystemTable *st) {
        using namespace zuki::boot;
        entry_cycles = read_cycles();
        if (!st || st->Hdr.Signature != efi::kSystemTableSignature || !st->BootServices)
                return efi::kInvalidParameter;
        log_init(st);
        set_boot_services(st->BootServices);
        set_runtime_services(st->RuntimeServices);
#ifdef ZUKI_DEBUG_LOG
        log_set_level(LogLevel::Debug);
#endif
        return run(image, st);
}
