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
#include "kernel.hpp"

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
        Result<uint32_t> rva = self.file_range_to_rva(header->payload_offset, header->stored_size());
        if (!rva)
                return log_error(status_from(rva.error()), "zboot payload at file offset {} (+{}) is not inside a section",
                                 (uint64_t) header->payload_offset, header->stored_size());
        Result<zboot::ZstdPayload> payload =
                zboot::split_zstd_payload(*header, Bytes(self.image().data() + *rva, header->stored_size()));
        if (!payload)
                return log_error(status_from(payload.error()), "zboot payload is unusable: {}", payload.error());
        *out = *payload;
        return efi::kSuccess;
}

efi::Status run(efi::Handle image, efi::SystemTable *st) {
        efi::LoadedImageProtocol *loaded = nullptr;
        pe::View self;
        efi::Status s = find_self(image, st, &loaded, &self);
        if (efi::is_error(s))
                return s;

        // UKI mode (a .linux section) comes with measured boot; until that exists, refuse rather
        // than boot a UKI unmeasured.
        pe::Section linux_section;
        if (self.find(".linux", &linux_section))
                return log_error(efi::kUnsupported, "UKI images (.linux section) are not supported by this stub yet");

        zboot::ZstdPayload payload;
        s = find_zboot_payload(self, &payload);
        if (efi::is_error(s))
                return s;

        KernelImage kernel;
        s = decompress_kernel(payload, default_kernel_alignment(), &kernel);
        if (efi::is_error(s))
                return s;
        s = place_kernel(&kernel);
        if (efi::is_error(s))
                return s;
        return start_kernel(&kernel, image, loaded, st);
}

} // namespace
} // namespace zuki::boot

extern "C" efi::Status efi_main(efi::Handle image, efi::SystemTable *st) {
        using namespace zuki::boot;
        if (!st || st->Hdr.Signature != efi::kSystemTableSignature || !st->BootServices)
                return efi::kInvalidParameter;
        log_init(st);
        set_boot_services(st->BootServices);
#ifdef ZUKI_DEBUG_LOG
        log_set_level(LogLevel::Debug);
#endif
        return run(image, st);
}
