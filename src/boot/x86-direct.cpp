// SPDX-License-Identifier: LGPL-2.1-or-later

#include "x86-direct.hpp"

#include "../shared/measure.hpp"
#include "../shared/wx.hpp"
#include "../shared/x86-boot.hpp"
#include "arch/cycles.hpp"
#include "efi/graphics-output.hpp"
#include "efi/rng.hpp"
#include "firmware/log.hpp"
#include "firmware/memory-protection.hpp"
#include "firmware/pages.hpp"
#include "firmware/placement.hpp"
#include "firmware/tpm.hpp"
#include "kernel.hpp"
#include "zstd-decompress.hpp"

namespace zuki::boot {

bool find_x86_direct(const pe::View &image, Bytes *section) {
        pe::Section s;
        if (!image.find(x86::kSectionName, &s))
                return false;
        *section = image.data(s);
        return true;
}

#if defined(__x86_64__)

namespace {

// Where the kernel may go: x86::Info's load address (16 MiB on distribution kernels) up to 4 GiB,
// which every firmware maps one to one.
constexpr uint64_t kMaxKernelAddress = 0xffffffffull;
// Linux's tagged PCR 9 events (drivers/firmware/efi/libstub/efi-stub-helper.c).
constexpr uint32_t kPcrInitrd = 9;
constexpr uint32_t kInitrdEventTag = 0x8f3b22ec;
constexpr uint32_t kLoadOptionsEventTag = 0x8f3b22ed;
constexpr char kInitrdDescription[] = "Linux initrd";
constexpr char kLoadOptionsDescription[] = "LOADED_IMAGE::LoadOptions";
// setup_data types (arch/x86/include/uapi/asm/bootparam.h).
constexpr uint32_t kSetupE820Ext = 1;
constexpr uint32_t kSetupDataHeader = 16; // le64 next, le32 type, le32 len
// screen_info (include/uapi/linux/screen_info.h).
constexpr uint8_t kVideoTypeEfi = 0x70;
constexpr uint32_t kVideoCapability64BitBase = 1 << 1;
constexpr uint32_t kRandomSeedSize = 32;
constexpr uint32_t kMaxInheritedSeed = 512;
// shim's vendor GUID (SHIM_LOCK_GUID), under which it mirrors MokSBState as MokSBStateRT.
constexpr efi::Guid kShimLockGuid = {0x605dab50, 0xe046, 0x4300, {0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23}};

x86::VariableByte read_variable_byte(efi::RuntimeServices *rs, const char16_t *name, const efi::Guid &vendor) {
        x86::VariableByte v;
        uintptr_t size = sizeof(v.value);
        efi::Status s = rs->GetVariable(name, &vendor, &v.attributes, &size, &v.value);
        if (s == efi::kNotFound)
                v.read = x86::VariableByte::Read::NotFound;
        else if (efi::is_error(s) || size != sizeof(v.value))
                v.read = x86::VariableByte::Read::Failed;
        else
                v.read = x86::VariableByte::Read::Found;
        return v;
}

// boot_params.secure_boot, as the kernel's EFI stub would set it: without it the kernel does not
// know it was booted with Secure Boot and does not lock itself down.
x86::SecureBootMode read_secure_boot_mode(efi::RuntimeServices *rs) {
        x86::SecureBootMode mode = x86::secure_boot_mode(read_variable_byte(rs, u"SecureBoot", efi::kGlobalVariableGuid),
                                                         read_variable_byte(rs, u"SetupMode", efi::kGlobalVariableGuid),
                                                         read_variable_byte(rs, u"MokSBStateRT", kShimLockGuid));
        if (mode == x86::SecureBootMode::Unknown)
                log_warning("Cannot read the SecureBoot variable; the kernel is told the Secure Boot state is unknown");
        return mode;
}

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

// The command line as UTF-8, NUL-terminated, into `out` (capacity bytes including the NUL).
Result<size_t> to_utf8(Span<const char16_t> text, uint8_t *out, size_t capacity) {
        size_t n = 0;
        auto put = [&](uint32_t byte) {
                if (n + 1 < capacity)
                        out[n] = (uint8_t) byte;
                n++;
        };
        for (size_t i = 0; i < text.size() && text[i]; i++) {
                uint32_t c = text[i];
                if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.size() && text[i + 1] >= 0xdc00 && text[i + 1] < 0xe000)
                        c = 0x10000 + ((c - 0xd800) << 10) + (text[++i] - 0xdc00);
                else if (c >= 0xd800 && c < 0xe000)
                        c = 0xfffd; // a lone surrogate
                if (c < 0x80) {
                        put(c);
                } else if (c < 0x800) {
                        put(0xc0 | c >> 6);
                        put(0x80 | (c & 0x3f));
                } else if (c < 0x10000) {
                        put(0xe0 | c >> 12);
                        put(0x80 | ((c >> 6) & 0x3f));
                        put(0x80 | (c & 0x3f));
                } else {
                        put(0xf0 | c >> 18);
                        put(0x80 | ((c >> 12) & 0x3f));
                        put(0x80 | ((c >> 6) & 0x3f));
                        put(0x80 | (c & 0x3f));
                }
        }
        if (n + 1 > capacity)
                return Error::SizeLimit;
        out[n] = 0;
        return n;
}

// Mask → (size, position) of one colour channel.
void channel(uint32_t mask, uint8_t *size, uint8_t *pos) {
        *size = *pos = 0;
        if (!mask)
                return;
        while (!(mask & 1)) {
                mask >>= 1;
                (*pos)++;
        }
        while (mask & 1) {
                mask >>= 1;
                (*size)++;
        }
}

// screen_info from the firmware's framebuffer, so the kernel's efifb/simpledrm keeps the console.
void fill_screen_info(efi::BootServices *bs, uint8_t *bp) {
        efi::GraphicsOutputProtocol *gop = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::GraphicsOutputProtocol::kGuid, nullptr, reinterpret_cast<void **>(&gop))) ||
            !gop || !gop->Mode || !gop->Mode->Info)
                return;
        const efi::GraphicsOutputModeInformation &info = *gop->Mode->Info;
        uint8_t rs, rp, gs, gp, bsz, bpos, xs, xp;
        switch (info.PixelFormat) {
        case efi::PixelFormat::RedGreenBlueReserved8:
                rs = gs = bsz = xs = 8, rp = 0, gp = 8, bpos = 16, xp = 24;
                break;
        case efi::PixelFormat::BlueGreenRedReserved8:
                rs = gs = bsz = xs = 8, rp = 16, gp = 8, bpos = 0, xp = 24;
                break;
        case efi::PixelFormat::BitMask:
                channel(info.PixelInformation.RedMask, &rs, &rp);
                channel(info.PixelInformation.GreenMask, &gs, &gp);
                channel(info.PixelInformation.BlueMask, &bsz, &bpos);
                channel(info.PixelInformation.ReservedMask, &xs, &xp);
                break;
        default:
                return; // no framebuffer to hand on
        }
        uint8_t *si = bp + x86::kScreenInfoOffset;
        uint64_t base = gop->Mode->FrameBufferBase;
        si[0x0f] = kVideoTypeEfi;
        store_le16(si + 0x12, (uint16_t) info.HorizontalResolution);
        store_le16(si + 0x14, (uint16_t) info.VerticalResolution);
        store_le16(si + 0x16, 32);
        store_le32(si + 0x18, (uint32_t) base);
        store_le32(si + 0x1c, (uint32_t) gop->Mode->FrameBufferSize);
        store_le16(si + 0x24, (uint16_t) (info.PixelsPerScanLine * 4));
        si[0x26] = rs, si[0x27] = rp, si[0x28] = gs, si[0x29] = gp;
        si[0x2a] = bsz, si[0x2b] = bpos, si[0x2c] = xs, si[0x2d] = xp;
        if (base >> 32) {
                store_le32(si + 0x36, kVideoCapability64BitBase);
                store_le32(si + 0x3a, (uint32_t) (base >> 32));
        }
}

// A fresh seed for the kernel's entropy pool in LINUX_EFI_RANDOM_SEED_TABLE, keeping a boot
// loader's seed after ours (the kernel's EFI stub does the same; it does not run here).
void install_random_seed(efi::SystemTable *st) {
        efi::BootServices *bs = st->BootServices;
        efi::RngProtocol *rng = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::RngProtocol::kGuid, nullptr, reinterpret_cast<void **>(&rng))) || !rng) {
                log_debug("No EFI_RNG_PROTOCOL, no random seed for the kernel");
                return;
        }
        const uint8_t *previous = nullptr;
        uint32_t previous_size = 0;
        for (uintptr_t i = 0; i < st->NumberOfTableEntries; i++) {
                if (st->ConfigurationTable[i].VendorGuid == efi::kLinuxRandomSeedTableGuid) {
                        previous = static_cast<const uint8_t *>(st->ConfigurationTable[i].VendorTable);
                        previous_size = load_le32(previous);
                        if (previous_size > kMaxInheritedSeed)
                                previous_size = kMaxInheritedSeed;
                }
        }
        void *table = nullptr;
        uint32_t size = kRandomSeedSize + previous_size;
        // ACPI reclaim memory: the kernel reads it before it reuses any RAM.
        if (efi::is_error(bs->AllocatePool(efi::MemoryType::ACPIReclaimMemory, 4 + size, &table)))
                return;
        uint8_t *t = static_cast<uint8_t *>(table);
        if (efi::is_error(rng->GetRNG(rng, nullptr, kRandomSeedSize, t + 4))) {
                bs->FreePool(table);
                log_warning("EFI_RNG_PROTOCOL failed, no random seed for the kernel");
                return;
        }
        if (previous_size)
                __builtin_memcpy(t + 4 + kRandomSeedSize, previous + 4, previous_size);
        store_le32(t, size);
        if (efi::is_error(bs->InstallConfigurationTable(&efi::kLinuxRandomSeedTableGuid, table))) {
                bs->FreePool(table);
                log_warning("Cannot install the random seed table, the kernel gets no seed from us");
        }
}

// PCR 9 as the kernel's EFI stub measures it: its load options, then the initrd it loaded.
void measure_like_efi_stub(efi::BootServices *bs, Bytes load_options, Bytes initrd) {
        measure::Plan plan;
        measure::Event e;
        e.pcr = kPcrInitrd;
        e.type = measure::kEvEventTag;
        if (!load_options.empty()) {
                e.tag = kLoadOptionsEventTag;
                e.data = load_options;
                e.raw_description = Bytes(reinterpret_cast<const uint8_t *>(kLoadOptionsDescription),
                                          sizeof(kLoadOptionsDescription));
                (void) plan.add(e);
        }
        if (!initrd.empty()) {
                e.tag = kInitrdEventTag;
                e.data = initrd;
                e.raw_description = Bytes(reinterpret_cast<const uint8_t *>(kInitrdDescription), sizeof(kInitrdDescription));
                (void) plan.add(e);
        }
        MeasureResult result;
        (void) measure_plan(bs, plan, &result); // a failure is logged there; the boot goes on
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

// One E820 entry as boot_params and SETUP_E820_EXT hold it: le64 address, le64 size, le32 type.
void store_e820(uint8_t *p, const x86::E820Entry &e) {
        store_le64(p, e.address);
        store_le64(p + 8, e.size);
        store_le32(p + 16, e.type);
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

efi::Status boot_x86_direct(Bytes section, const zboot::ZstdPayload &payload, const Placement &placement,
                            Span<const char16_t> cmdline, Bytes load_options, Bytes initrd, efi::Handle image,
                            efi::SystemTable *st) {
        efi::BootServices *bs = st->BootServices;
        Result<x86::Info> parsed = x86::parse(section);
        if (!parsed)
                return log_error(status_from(parsed.error()), "Kernel cannot be booted directly: {}", parsed.error());
        const x86::Info &info = *parsed;
        if (payload.decompressed_size != info.payload_size())
                return log_error(status_from(Error::SizeMismatch),
                                 "Kernel payload is unusable: {} (its trailer says {} bytes, .x86boot describes {})",
                                 Error::SizeMismatch, payload.decompressed_size, info.payload_size());

        // Physical placement: init_size bytes at a kernel_alignment-aligned slot from the load
        // address up; the payload is decompressed right there.
        uint64_t allocation = info.allocation_size();
        Pages kernel_pages;
        bool randomized = false;
        efi::Status s = allocate_kernel_in(bs, allocation, info.kernel_alignment, info.load_address, kMaxKernelAddress,
                                           placement, &kernel_pages, &randomized);
        if (efi::is_error(s))
                return s;
        {
                Pages workspace;
                s = allocate_aligned(zstd::workspace_size(), efi::kPageSize, efi::MemoryType::LoaderData, &workspace);
                if (efi::is_error(s))
                        return s;
                const char *detail = nullptr;
                Status r = zstd::decompress(payload.frame, MutableBytes(kernel_pages.data(), info.payload_size()),
                                            workspace.bytes(), &detail);
                if (!r)
                        return log_error(status_from(r.error()), "Kernel payload ({} bytes, {} expected) is unusable: {} ({})",
                                         (uint64_t) payload.frame.size(), info.payload_size(), r.error(),
                                         detail ? detail : "");
        }

        // The relocation table leaves the image (it may overlap BSS), which is then zeroed past the
        // stored bytes, and the virtual offset is applied.
        PoolArray<uint8_t> relocs;
        s = relocs.allocate(info.relocs_size);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate {} bytes for the relocation table", info.relocs_size);
        __builtin_memcpy(relocs.data(), kernel_pages.data() + info.file_size, info.relocs_size);
        __builtin_memset(kernel_pages.data() + info.file_size, 0, allocation - info.file_size);
        uint64_t delta = randomized ? x86::virtual_offset(info, placement.virtual_seed) : 0;
        Status r = x86::apply_relocations(MutableBytes(kernel_pages.data(), allocation), info.image_size,
                                          Bytes(relocs.data(), info.relocs_size), info.load_address, delta);
        if (!r)
                return log_error(status_from(r.error()), "Kernel relocation table is unusable: {}", r.error());
        relocs.reset();

        WxProtection protection;
        s = protection.apply(st, kernel_pages.data(), kernel_wx_plan(info, allocation));
        if (efi::is_error(s))
                return s;
        report_placement(placement, randomized, protection.active() ? "enforced" : "no-protocol");
        log_info("Kernel image at {} ({} bytes, decompressed in place, {} placement{}{})", Hex{kernel_pages.address()},
                 info.image_size, randomized ? "random" : "fixed", randomized ? "" : ": ", randomized ? "" : placement.why);
        log_info("Kernel virtual base {} ({} of {} slots)", Hex{x86::kStartKernelMap + info.load_address + delta},
                 delta / info.kernel_alignment, x86::virtual_slots(info));

        // boot_params: the kernel's setup header, then what a boot loader fills in.
        Pages params_pages;
        s = allocate_low(x86::kBootParamsSize, efi::MemoryType::LoaderData, &params_pages);
        if (efi::is_error(s))
                return s;
        uint8_t *bp = params_pages.data();
        __builtin_memcpy(bp + x86::kSetupHeaderStart, info.setup_header.data(), info.setup_header.size());
        bp[x86::kTypeOfLoaderOffset] = x86::kTypeOfLoaderUndefined;
        bp[x86::kLoadFlagsOffset] |= x86::kLoadedHigh;
        // The kernel randomises its own memory layout (direct map, vmalloc, vmemmap; with its own
        // entropy) only when told KASLR is on. As after its EFI stub, that is unless the command
        // line says nokaslr, whether or not this stub had an RNG for the image's placement.
        if (has_word(cmdline, "nokaslr"))
                bp[x86::kLoadFlagsOffset] &= (uint8_t) ~x86::kKaslrFlag;
        else
                bp[x86::kLoadFlagsOffset] |= x86::kKaslrFlag;
        bp[x86::kSecureBootOffset] = (uint8_t) read_secure_boot_mode(st->RuntimeServices);

        Pages cmdline_pages;
        uint64_t cmdline_capacity = (uint64_t) info.cmdline_size + 1;
        s = allocate_low(cmdline_capacity, efi::MemoryType::LoaderData, &cmdline_pages);
        if (efi::is_error(s))
                return s;
        Result<size_t> cmdline_length = to_utf8(cmdline, cmdline_pages.data(), cmdline_capacity);
        if (!cmdline_length)
                return log_error(efi::kBadBufferSize, "Command line is longer than the kernel's limit of {} bytes",
                                 (uint64_t) info.cmdline_size);
        store_le32(bp + x86::kCmdLinePtrOffset, (uint32_t) cmdline_pages.address());
        store_le32(bp + x86::kExtCmdLinePtrOffset, (uint32_t) (cmdline_pages.address() >> 32));
        uint64_t initrd_address = (uint64_t) (uintptr_t) initrd.data();
        if (!initrd.empty()) {
                store_le32(bp + x86::kRamdiskImageOffset, (uint32_t) initrd_address);
                store_le32(bp + x86::kExtRamdiskImageOffset, (uint32_t) (initrd_address >> 32));
                store_le32(bp + x86::kRamdiskSizeOffset, (uint32_t) initrd.size());
                store_le32(bp + x86::kExtRamdiskSizeOffset, (uint32_t) ((uint64_t) initrd.size() >> 32));
        }
        fill_screen_info(bs, bp);
        // As the kernel's EFI stub: the event log is copied first, then PCR 9 is measured (those
        // events reach the kernel through the final events table).
        install_event_log_for_linux(st);
        measure_like_efi_stub(bs, load_options, initrd);
        install_random_seed(st);

        // The memory map, with room for the descriptors our own allocations still add, and room
        // for E820 entries beyond the 128 boot_params holds.
        uintptr_t map_size = 0, key = 0, descriptor_size = 0;
        uint32_t descriptor_version = 0;
        s = bs->GetMemoryMap(&map_size, nullptr, &key, &descriptor_size, &descriptor_version);
        if (s != efi::kBufferTooSmall || descriptor_size < sizeof(efi::MemoryDescriptor))
                return log_error(efi::is_error(s) ? s : efi::kLoadError, "Cannot read the memory map");
        uintptr_t map_capacity = map_size + 32 * descriptor_size;
        size_t max_entries = map_capacity / descriptor_size;
        void *map = nullptr;
        s = bs->AllocatePool(efi::MemoryType::LoaderData, map_capacity, &map);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate the memory map");
        void *ext = nullptr;
        s = bs->AllocatePool(efi::MemoryType::LoaderData, kSetupDataHeader + max_entries * x86::kE820EntrySize, &ext);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate the E820 extension");
        PoolArray<x86::E820Entry> entries;
        s = entries.allocate(max_entries);
        if (efi::is_error(s))
                return log_error(s, "Cannot allocate the E820 table");
        // The timing line benchmarks read: from our entry to here, where only ExitBootServices and
        // the jump remain.
        log_info("Exiting boot services, entering the kernel at {} ({} cycles after stub entry)",
                 Hex{kernel_pages.address() + info.entry_offset}, read_cycles() - stub_entry_cycles());

        // From here nothing may allocate or log: the memory map must stay what we hand on.
        // ExitBootServices may fail once when the map changed under us; then read it again.
        for (int attempt = 0;; attempt++) {
                map_size = map_capacity;
                s = bs->GetMemoryMap(&map_size, static_cast<efi::MemoryDescriptor *>(map), &key, &descriptor_size,
                                     &descriptor_version);
                if (efi::is_error(s))
                        return attempt == 0 ? log_error(s, "Cannot read the memory map") : s;
                size_t needed = 0;
                Result<size_t> count = x86::convert_memory_map(Bytes(static_cast<const uint8_t *>(map), map_size),
                                                               descriptor_size, entries.data(), max_entries, &needed);
                if (!count)
                        return attempt == 0 ? log_error(efi::kBufferTooSmall, "Memory map has too many entries ({})",
                                                        (uint64_t) needed)
                                            : efi::kBufferTooSmall;
                size_t in_params = *count < x86::kE820TableCapacity ? *count : x86::kE820TableCapacity;
                for (size_t i = 0; i < in_params; i++)
                        store_e820(bp + x86::kE820TableOffset + i * x86::kE820EntrySize, entries.data()[i]);
                bp[x86::kE820EntriesOffset] = (uint8_t) in_params;
                uint64_t setup_data = 0;
                if (*count > in_params) {
                        uint8_t *x = static_cast<uint8_t *>(ext);
                        size_t extra = *count - in_params;
                        store_le64(x, 0);
                        store_le32(x + 8, kSetupE820Ext);
                        store_le32(x + 12, (uint32_t) (extra * x86::kE820EntrySize));
                        for (size_t i = 0; i < extra; i++)
                                store_e820(x + kSetupDataHeader + i * x86::kE820EntrySize, entries.data()[in_params + i]);
                        setup_data = (uint64_t) (uintptr_t) ext;
                }
                store_le64(bp + x86::kSetupDataOffset, setup_data);

                uint64_t systab = (uint64_t) (uintptr_t) st, memmap = (uint64_t) (uintptr_t) map;
                uint8_t *efi_info = bp + x86::kEfiInfoOffset;
                store_le32(efi_info + 0x00, x86::kEfiLoaderSignature64);
                store_le32(efi_info + 0x04, (uint32_t) systab);
                store_le32(efi_info + 0x08, (uint32_t) descriptor_size);
                store_le32(efi_info + 0x0c, descriptor_version);
                store_le32(efi_info + 0x10, (uint32_t) memmap);
                store_le32(efi_info + 0x14, (uint32_t) map_size);
                store_le32(efi_info + 0x18, (uint32_t) (systab >> 32));
                store_le32(efi_info + 0x1c, (uint32_t) (memmap >> 32));

                s = bs->ExitBootServices(image, key);
                if (!efi::is_error(s))
                        break;
                if (s != efi::kInvalidParameter || attempt > 0)
                        return attempt == 0 ? log_error(s, "ExitBootServices failed") : s;
        }

        // The kernel owns every allocation now: enter_kernel() does not return, so no destructor
        // frees them.
        enter_kernel(kernel_pages.address() + info.entry_offset, bp);
}

#else

efi::Status boot_x86_direct(Bytes, const zboot::ZstdPayload &, const Placement &, Span<const char16_t>, Bytes, Bytes,
                            efi::Handle, efi::SystemTable *) {
        return log_error(efi::kUnsupported, "An x86 direct-boot kernel cannot run on this architecture");
}

#endif

} // namespace zuki::boot
