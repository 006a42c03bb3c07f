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
#include "firmware/shim.hpp"
#include "arch/cycles.hpp"
#include "kernel.hpp"
#include "firmware/variables.hpp"
#include "uki-boot.hpp"
#include "x86-direct.hpp"
#include "firmware/initrd.hpp"
#include "../shared/limits.hpp"
#include "../shared/uki.hpp"
#include "efi/device-path.hpp"
#include "efi/simple-text-output.hpp"
#include "rt/self-reloc.hpp"

extern "C" efi::Status efi_main(efi::Handle image, efi::SystemTable *st);

namespace zuki::boot {
namespace {

// systemd-stub 258 and later start the PE in a UKI's .linux themselves: they copy its sections
// but not its headers, and point FilePath at the file's bytes with one memory-mapped device path
// node. The headers are read from there then. The end address is inclusive in the UEFI
// specification and in systemd 262.1 (start + size - 1); a loader that makes it exclusive gives a
// file one byte longer, which parses the same. The file must describe the image we run in: our
// entry point at its AddressOfEntryPoint, within the loaded size.
bool parse_self_from_file(const efi::LoadedImageProtocol *loaded, pe::View *self) {
        const efi::DevicePath *node = loaded->FilePath;
        if (!node || node->Type != efi::kHardwareDevicePath || node->SubType != efi::kHwMemoryMappedDp)
                return false;
        const uint8_t *p = reinterpret_cast<const uint8_t *>(node);
        if ((node->Length[0] | node->Length[1] << 8) < efi::kMemoryMappedDpSize)
                return false;
        uint64_t start = load_le64(p + 8), end = load_le64(p + 16);
        if (start == 0 || end < start || end - start >= limits::kMaxImageSize)
                return false;
        Result<pe::View> view = pe::View::parse(Bytes(reinterpret_cast<const uint8_t *>(start), end - start + 1),
                                                pe::Layout::File);
        uintptr_t entry = reinterpret_cast<uintptr_t>(&efi_main) - reinterpret_cast<uintptr_t>(loaded->ImageBase);
        if (!view || view->entry_point() != entry || view->size_of_image() > loaded->ImageSize)
                return false;
        *self = *view;
        return true;
}

// Our own image as the firmware loaded it, validated with the shared PE model.
efi::Status find_self(efi::Handle image, efi::SystemTable *st, efi::LoadedImageProtocol **loaded,
                      pe::View *self) {
        efi::Status s = st->BootServices->HandleProtocol(image, &efi::LoadedImageProtocol::kGuid,
                                                         reinterpret_cast<void **>(loaded));
        if (efi::is_error(s))
                return log_error(s, "Failed to get our LoadedImage protocol");
        Bytes bytes(static_cast<const uint8_t *>((*loaded)->ImageBase), (*loaded)->ImageSize);
        Result<pe::View> view = pe::View::parse(bytes, pe::Layout::Loaded);
        if (view) {
                *self = *view;
                return efi::kSuccess;
        }
        if (parse_self_from_file(*loaded, self)) {
                log_debug("Loaded without headers; using the file's at its memory-mapped device path");
                return efi::kSuccess;
        }
        return log_error(status_from(view.error()), "Our own image is malformed: {}", view.error());
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
        // Started by shim 15.x under Secure Boot: it would halt at ExitBootServices unless told
        // (firmware/shim.hpp).
        (void) tell_old_shim_we_take_part(secure_boot_enabled());

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
        // Before anything reads a pointer from our data: the logger's tables are such pointers.
        if (!apply_self_relocation()) {
                if (st->ConOut)
                        st->ConOut->OutputString(
                                st->ConOut, u"zuki: error: Cannot relocate the stub: malformed self-relocation table\r\n");
                return efi::kLoadError;
        }
        log_init(st);
        set_boot_services(st->BootServices);
        set_runtime_services(st->RuntimeServices);
#ifdef ZUKI_DEBUG_LOG
        log_set_level(LogLevel::Debug);
#endif
        return run(image, st);
}
