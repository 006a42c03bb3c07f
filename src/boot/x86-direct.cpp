// SPDX-License-Identifier: LGPL-2.1-or-later

#include "x86-direct.hpp"

#include "../shared/wx.hpp"
#include "../shared/x86-boot-params.hpp"
#include "../shared/x86-boot.hpp"
#include "arch/cycles.hpp"
#include "efi/graphics-output.hpp"
#include "firmware/config-table.hpp"
#include "firmware/log.hpp"
#include "firmware/memory-protection.hpp"
#include "firmware/pages.hpp"
#include "firmware/placement.hpp"
#include "firmware/tpm.hpp"
#include "kernel.hpp"
#include "linux-efi-stub.hpp"
#include "timings.hpp"
#include "zstd-decompress.hpp"

namespace zuki::boot {

#if defined(__x86_64__)

namespace {

// Where the kernel may go: x86::Info's load address (16 MiB on distribution kernels) up to 4 GiB,
// which every firmware maps one to one.
constexpr uint64_t kMaxKernelAddress = 0xffffffffull;
// Descriptors our own allocations may add to the memory map between sizing and reading it.
constexpr uintptr_t kMemoryMapSlack = 32;

// The memory map ExitBootServices takes, and the E820 table made from it.
struct MemoryMap {
        PoolArray<uint8_t> buffer;         // handed to the kernel in efi_info
        PoolArray<x86::E820Entry> e820;    // scratch for the conversion
        PoolArray<uint8_t> e820_extension; // the SETUP_E820_EXT node for entries boot_params cannot hold
        uintptr_t descriptor_size = 0;
};

// Everything this path allocates. Destroyed before ExitBootServices (an error path), it gives
// all of it back; abandon() is for the rest: the firmware may shut boot services down partly on
// the first ExitBootServices call, even one that fails (UEFI 2.10, 7.4), so from then on nothing
// is freed, undone or logged through them; like Linux's libstub, only GetMemoryMap and
// ExitBootServices are called again.
struct Allocations {
        Pages kernel;       // the kernel at its physical slot, decompressed in place
        Pages params;       // boot_params
        Pages cmdline;      // the command line boot_params points to
        MemoryMap memory_map;
        ConfigTable event_log;   // LINUX_EFI_TPM_EVENT_LOG
        ConfigTable random_seed; // LINUX_EFI_RANDOM_SEED_TABLE
        // Declared last: destroyed first, so W^X is undone before the kernel's pages are freed
        // (EDK2 cannot free read-only pages; see kernel.hpp).
        WxProtection protection;

        void abandon() {
                protection.release();
                random_seed.release();
                event_log.release();
                memory_map.e820_extension.release();
                memory_map.e820.release();
                memory_map.buffer.release();
                cmdline.release();
                params.release();
                kernel.release();
        }
};

efi::Status allocate_low(uint64_t size, efi::MemoryType type, Pages *out) {
        efi::PhysicalAddress a = kMaxKernelAddress;
        uint64_t pages = efi::pages_for(size);
        efi::Status s = boot_services()->AllocatePages(efi::AllocateType::MaxAddress, type, pages, &a);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate {} bytes below 4 GiB", size);
        *out = Pages(a, pages);
        __builtin_memset(out->data(), 0, out->size());
        return efi::kSuccess;
}

// The firmware's framebuffer, so the kernel's efifb/simpledrm keeps the console. False when there
// is none to hand on (no GOP, or a mode without a linear framebuffer).
bool find_framebuffer(efi::BootServices *bs, x86::Framebuffer *out) {
        efi::GraphicsOutputProtocol *gop = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::GraphicsOutputProtocol::kGuid, nullptr, reinterpret_cast<void **>(&gop))) ||
            !gop || !gop->Mode || !gop->Mode->Info)
                return false;
        const efi::GraphicsOutputModeInformation &info = *gop->Mode->Info;
        switch (info.PixelFormat) {
        case efi::PixelFormat::RedGreenBlueReserved8:
                out->masks = x86::kRgbReserved8;
                break;
        case efi::PixelFormat::BlueGreenRedReserved8:
                out->masks = x86::kBgrReserved8;
                break;
        case efi::PixelFormat::BitMask:
                out->masks = {info.PixelInformation.RedMask, info.PixelInformation.GreenMask,
                              info.PixelInformation.BlueMask, info.PixelInformation.ReservedMask};
                break;
        default:
                return false;
        }
        out->base = gop->Mode->FrameBufferBase;
        out->size = gop->Mode->FrameBufferSize;
        out->width = info.HorizontalResolution;
        out->height = info.VerticalResolution;
        out->pixels_per_scan_line = info.PixelsPerScanLine;
        return true;
}

// W^X for the kernel while it still runs on the firmware's page tables: code segments read-only
// and executable, everything else (data, the init segment, BSS, the slack) writable and never
// executable. The kernel builds its own page tables before it runs anything outside .text.
wx::Plan kernel_wx_plan(const x86::Info &info, uint64_t allocation) {
        wx::Plan plan;
        uint64_t at = 0;
        auto add = [&](uint64_t end, bool executable) {
                if (end <= at || plan.count == wx::Plan::kCapacity)
                        return;
                if (plan.count && plan.ranges[plan.count - 1].executable == executable)
                        plan.ranges[plan.count - 1].size += end - at;
                else
                        plan.ranges[plan.count++] = wx::Range{at, end - at, executable};
                at = end;
        };
        for (uint32_t i = 0; i < info.segment_count; i++) {
                const x86::Segment &s = info.segments[i];
                bool code = (s.flags & x86::kSegmentExecutable) && !(s.flags & x86::kSegmentWritable);
                add(s.offset, false);
                add(align_up(s.offset + s.size, wx::kPageSize), code);
        }
        add(allocation, false);
        return plan;
}

// ---- The steps of boot_x86_direct(), in order ----

// The payload (flat image, then relocation table) straight into the kernel's pages.
efi::Status decompress_payload(const zboot::ZstdPayload &payload, const x86::Info &info, const Pages &kernel) {
        Pages workspace;
        efi::Status s = allocate_aligned(zstd::workspace_size(), efi::kPageSize, efi::MemoryType::LoaderData, &workspace);
        if (efi::is_error(s))
                return s;
        const char *detail = nullptr;
        Status r = zstd::decompress(payload.frame, MutableBytes(kernel.data(), info.payload_size()), workspace.bytes(),
                                    &detail);
        if (!r && detail && *detail)
                return log_error(status_from(r.error()), "Kernel payload ({} bytes, {} expected) is unusable: {} ({})",
                                 (uint64_t) payload.frame.size(), info.payload_size(), r.error(), detail);
        if (!r)
                return log_error(status_from(r.error()), "Kernel payload ({} bytes, {} expected) is unusable: {}",
                                 (uint64_t) payload.frame.size(), info.payload_size(), r.error());
        log_debug("Decompressed {} bytes into {} bytes ({} Huffman blocks by the x86_64 asm)",
                  (uint64_t) payload.frame.size(), info.payload_size(), zstd::asm_huffman_calls());
        // Calls and jumps back to displacements (parse() checked the segments against file_size).
        x86::unfilter_branches(info, MutableBytes(kernel.data(), info.file_size));
        return efi::kSuccess;
}

// The relocation table leaves the image (it may overlap BSS), which is then zeroed past the
// stored bytes, and the virtual offset `delta` is applied.
efi::Status relocate(const x86::Info &info, const Pages &kernel, uint64_t delta) {
        PoolArray<uint8_t> relocs;
        efi::Status s = relocs.allocate(info.relocs_size);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate {} bytes for the relocation table", info.relocs_size);
        uint64_t allocation = info.allocation_size();
        __builtin_memcpy(relocs.data(), kernel.data() + info.file_size, info.relocs_size);
        __builtin_memset(kernel.data() + info.file_size, 0, allocation - info.file_size);
        if (info.delta_relocations)
                x86::delta_decode_relocations(MutableBytes(relocs.data(), info.relocs_size));
        Status r = x86::apply_relocations(MutableBytes(kernel.data(), allocation), info.image_size,
                                          Bytes(relocs.data(), info.relocs_size), info.load_address, delta);
        if (!r)
                return log_error(status_from(r.error()), "Kernel relocation table is unusable: {}", r.error());
        return efi::kSuccess;
}

// The placement for `zuki status` and the log.
void report_kernel(const x86::Info &info, const Placement &placement, const Allocations &a, bool randomized,
                   uint64_t delta) {
        report_placement(placement, randomized, a.protection.active() ? "enforced" : "no-protocol");
        log_info("Kernel image at {} ({} bytes, decompressed in place, {} placement{}{})", Hex{a.kernel.address()},
                 info.image_size, randomized ? "random" : "fixed", randomized ? "" : ": ", randomized ? "" : placement.why);
        log_info("Kernel virtual base {} ({} of {} slots)", Hex{x86::kStartKernelMap + info.load_address + delta},
                 delta / info.kernel_alignment, x86::virtual_slots(info));
}

// boot_params: the kernel's setup header, then what a boot loader fills in (command line,
// initrd, framebuffer). The memory map parts follow in exit_boot_services().
efi::Status build_boot_params(const x86::Info &info, Span<const char16_t> cmdline, Bytes initrd, efi::SystemTable *st,
                              Allocations *a, x86::BootParams *out) {
        efi::Status s = allocate_low(x86::kBootParamsSize, efi::MemoryType::LoaderData, &a->params);
        if (efi::is_error(s))
                return s;
        Result<x86::BootParams> params = x86::BootParams::over(a->params.bytes());
        if (!params)
                return log_error(status_from(params.error()), "Cannot build boot_params: {}", params.error());
        // The kernel randomises its own memory layout (direct map, vmalloc, vmemmap; with its own
        // entropy) only when told KASLR is on. As after its EFI stub, that is unless the command
        // line says nokaslr, whether or not this stub had an RNG for the image's placement.
        x86::KernelKaslr kaslr = has_word(cmdline, "nokaslr") ? x86::KernelKaslr::Off : x86::KernelKaslr::On;
        Status r = params.value().set_setup_header(info.setup_header, kaslr, read_secure_boot_mode(st->RuntimeServices));
        if (!r)
                return log_error(status_from(r.error()), "Cannot build boot_params: {}", r.error());

        uint64_t cmdline_capacity = (uint64_t) info.cmdline_size + 1;
        s = allocate_low(cmdline_capacity, efi::MemoryType::LoaderData, &a->cmdline);
        if (efi::is_error(s))
                return s;
        if (!x86::command_line_utf8(cmdline, MutableBytes(a->cmdline.data(), cmdline_capacity)))
                return log_error(efi::kBadBufferSize, "Command line is longer than the kernel's limit of {} bytes",
                                 (uint64_t) info.cmdline_size);
        params.value().set_command_line(a->cmdline.address());
        params.value().set_initrd((uint64_t) (uintptr_t) initrd.data(), initrd.size());
        x86::Framebuffer framebuffer;
        if (find_framebuffer(st->BootServices, &framebuffer))
                params.value().set_framebuffer(framebuffer);
        *out = *params;
        return efi::kSuccess;
}

// Buffers for the memory map and the E820 table made from it, with room for the descriptors our
// own allocations still add, and for E820 entries beyond the 128 boot_params holds.
efi::Status allocate_memory_map(efi::BootServices *bs, MemoryMap *out) {
        uintptr_t map_size = 0, key = 0, descriptor_size = 0;
        uint32_t descriptor_version = 0;
        efi::Status s = bs->GetMemoryMap(&map_size, nullptr, &key, &descriptor_size, &descriptor_version);
        if (s != efi::kBufferTooSmall || descriptor_size < sizeof(efi::MemoryDescriptor))
                return log_error(efi::is_error(s) ? s : efi::kLoadError, "Cannot read the memory map");
        uintptr_t capacity = map_size + kMemoryMapSlack * descriptor_size;
        size_t max_entries = capacity / descriptor_size;
        s = out->buffer.allocate(capacity);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate the memory map");
        s = out->e820_extension.allocate(x86::e820_extension_size(max_entries));
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate the E820 extension");
        s = out->e820.allocate(max_entries);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate the E820 table");
        out->descriptor_size = descriptor_size;
        return efi::kSuccess;
}

// What the kernel's EFI stub would leave for the kernel: the event log is copied first, then PCR 9
// is measured (those events reach the kernel through the final events table), then the seed.
void hand_over_like_efi_stub(efi::SystemTable *st, Bytes load_options, Bytes initrd, Allocations *a) {
        install_event_log_for_linux(st, &a->event_log);
        measure_like_efi_stub(st->BootServices, load_options, initrd);
        install_random_seed(st, &a->random_seed);
}

// Reads the final memory map into E820 and efi_info and exits boot services. ExitBootServices may
// fail once when the map changed under us; then the map is read again. From the first call on,
// everything is abandoned to the kernel (see Allocations) and only the first attempt logs.
efi::Status exit_boot_services(efi::Handle image, efi::SystemTable *st, x86::BootParams params, Allocations *a) {
        efi::BootServices *bs = st->BootServices;
        // Taken before the loop: abandon() drops the owners' pointers, the retry still needs them.
        uint8_t *buffer = a->memory_map.buffer.data();
        uintptr_t capacity = a->memory_map.buffer.size();
        Span<x86::E820Entry> e820 = a->memory_map.e820.span();
        MutableBytes extension = a->memory_map.e820_extension.span();
        uintptr_t descriptor_size = a->memory_map.descriptor_size;
        for (int attempt = 0;; attempt++) {
                uintptr_t map_size = capacity, key = 0;
                uint32_t descriptor_version = 0;
                efi::Status s = bs->GetMemoryMap(&map_size, reinterpret_cast<efi::MemoryDescriptor *>(buffer), &key,
                                                 &descriptor_size, &descriptor_version);
                if (efi::is_error(s))
                        return attempt == 0 ? log_error(s, "Cannot read the memory map") : s;
                size_t needed = 0;
                Result<size_t> count = x86::convert_memory_map(Bytes(buffer, map_size), descriptor_size, e820.data(),
                                                               e820.size(), &needed);
                if (!count)
                        return attempt == 0 ? log_error(efi::kBufferTooSmall, "Memory map has too many entries ({})",
                                                        (uint64_t) needed)
                                            : efi::kBufferTooSmall;
                Status r = params.set_memory_map(Span<const x86::E820Entry>(e820.data(), *count), extension,
                                                 (uint64_t) (uintptr_t) extension.data());
                if (!r)
                        return attempt == 0 ? log_error(efi::kBufferTooSmall, "Memory map has too many entries ({})",
                                                        (uint64_t) *count)
                                            : efi::kBufferTooSmall;
                params.set_efi_info({.system_table = (uint64_t) (uintptr_t) st,
                                     .memory_map = (uint64_t) (uintptr_t) buffer,
                                     .memory_map_size = (uint32_t) map_size,
                                     .descriptor_size = (uint32_t) descriptor_size,
                                     .descriptor_version = descriptor_version});

                s = bs->ExitBootServices(image, key);
                a->abandon();
                if (!efi::is_error(s))
                        return efi::kSuccess;
                if (s != efi::kInvalidParameter || attempt > 0)
                        return attempt == 0 ? log_error(s, "ExitBootServices failed") : s;
        }
}

[[noreturn]] void enter_kernel(uint64_t entry, uint8_t *boot_params) {
        // The 64-bit boot protocol: interrupts off, RSI = boot_params, identity-mapped memory
        // (the firmware's page tables). startup_64 loads its own GDT, IDT and stack.
        asm volatile("cli\n\t"
                     "cld\n\t"
                     "jmp *%0\n\t"
                     :
                     : "r"(entry), "S"(boot_params)
                     : "memory");
        __builtin_unreachable();
}

} // namespace

// Every step logs its own failure; what was allocated until then is given back by `a`'s
// destructors (W^X undone first), until exit_boot_services() abandons it to the kernel.
efi::Status boot_x86_direct(const kernel::Payload &checked, const Placement &placement, Span<const char16_t> cmdline,
                            Bytes load_options, Bytes initrd, efi::Handle image, efi::SystemTable *st) {
        // The description was checked against the payload (kernel::check_kernel_payload); the
        // command line is checked against the kernel's cmdline_size before anything is allocated,
        // by the rule zuki build applies to .cmdline.
        const x86::Info &info = checked.x86;
        const zboot::ZstdPayload &payload = checked.zstd;
        Status fits = kernel::check_command_line(checked, cmdline);
        if (!fits)
                return log_error(efi::kBadBufferSize, "Cannot boot the kernel: {} ({} bytes)", fits.error(),
                                 (uint64_t) info.cmdline_size);
        efi::Status s;

        // Place (physical KASLR): init_size bytes at a kernel_alignment-aligned slot from the load
        // address up, where the payload is decompressed so the image is never copied.
        Allocations a;
        bool randomized = false;
        s = allocate_kernel_in(st->BootServices, info.allocation_size(), info.kernel_alignment, info.load_address,
                               kMaxKernelAddress, placement, &a.kernel, &randomized);
        if (efi::is_error(s))
                return s;

        // Decompress in place, once: the payload holds the flat image and its relocation table.
        {
                PhaseTimer timer(Phase::Decompress);
                s = decompress_payload(payload, info, a.kernel);
        }
        if (efi::is_error(s))
                return s;

        // Relocate for the virtual offset (virtual KASLR, only with a random physical slot) while
        // the image is still writable.
        uint64_t delta = randomized ? x86::virtual_offset(info, placement.virtual_seed) : 0;
        {
                PhaseTimer timer(Phase::Load);
                s = relocate(info, a.kernel, delta);
                // W^X now that the image is final; the firmware's page tables are those the kernel
                // starts on.
                if (!efi::is_error(s))
                        s = a.protection.apply(st, a.kernel.data(), kernel_wx_plan(info, info.allocation_size()));
        }
        if (efi::is_error(s))
                return s;
        report_kernel(info, placement, a, randomized, delta);

        // boot_params from the setup header, command line, initrd and framebuffer.
        x86::BootParams params;
        s = build_boot_params(info, cmdline, initrd, st, &a, &params);
        if (efi::is_error(s))
                return s;

        // The last variable we set: from the memory map on, nothing may change it.
        report_timings();

        // Memory map buffers before PCR 9 is extended, so that what can still fail afterwards is
        // only reading the map and exiting boot services.
        s = allocate_memory_map(st->BootServices, &a.memory_map);
        if (efi::is_error(s))
                return s;

        // What Linux's EFI stub would hand the kernel: TPM event log table, PCR 9, random seed.
        hand_over_like_efi_stub(st, load_options, initrd, &a);

        // The timing line benchmarks read: from our entry to here, where only ExitBootServices and
        // the jump remain. From here nothing may allocate or log: the memory map must stay what we
        // hand on.
        uint64_t entry = a.kernel.address() + info.entry_offset;
        log_info("Exiting boot services, entering the kernel at {} ({} cycles after stub entry)", Hex{entry},
                 read_cycles() - stub_entry_cycles());

        // Exit boot services with E820 and efi_info from the final map; `a` is abandoned from the
        // first ExitBootServices call on, so nothing is freed afterwards, success or not.
        s = exit_boot_services(image, st, params, &a);
        if (efi::is_error(s))
                return s;

        // Enter startup_64 with RSI = boot_params; it does not return.
        enter_kernel(entry, params.bytes().data());
}

#else

efi::Status boot_x86_direct(const kernel::Payload &, const Placement &, Span<const char16_t>, Bytes, Bytes, efi::Handle,
                            efi::SystemTable *) {
        return log_error(efi::kUnsupported, "An x86 direct-boot kernel cannot run on this architecture");
}

#endif

} // namespace zuki::boot
