// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stub's entry point: a flat list of steps, each failure logged once and returned to the
// boot manager so it can try the next boot option.

#include "../shared/pe.hpp"
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

// The compressed kernel appended to this image, as located by the zboot header. The header holds
// file offsets; the section table maps them to where the firmware put the bytes.
efi::Status find_zboot_payload(const pe::View &self, zboot::ZstdPayload *out) {
        Result<zboot::Header> header = zboot::parse_header(self.image());
        if (!header)
                return log_error(status_from(header.error()), "No kernel: no .linux section and no zboot payload ({})",
                                 header.error());
        if (header->codec != zboot::Codec::Zstd)
                return log_error(efi::kUnsupported, "zboot payload is compressed with \"{}\", only zstd is supported",
                                 header->codec_name);
        Result<zboot::ZstdPayload> payload = zboot::locate_zstd_payload(self, *header);
        if (!payload)
                return log_error(status_from(payload.error()), "zboot payload is unusable: {} (file offset {}, {} bytes)",
                                 payload.error(), (uint64_t) header->payload_offset, header->stored_size());
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

        zboot::ZstdPayload payload;
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
        Bytes x86boot;
        if (find_x86_direct(self, &x86boot)) {
                InitrdService initrd;
                s = initrd.read_existing(st->BootServices);
                if (efi::is_error(s))
                        return s;
                Bytes raw_options(static_cast<const uint8_t *>(loaded->LoadOptions),
                                  loaded->LoadOptions ? loaded->LoadOptionsSize : 0);
                return boot_x86_direct(x86boot, payload, placement, options, raw_options, initrd.existing(), image, st);
        }

        KernelImage kernel;
        s = decompress_kernel(payload, placement, &kernel);
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
