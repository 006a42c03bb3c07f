// SPDX-License-Identifier: LGPL-2.1-or-later

#include "placement.hpp"

#include "../../shared/kaslr.hpp"
#include "../efi/rng.hpp"
#include "log.hpp"

namespace zuki::boot {

namespace {

// Alignment of the kernel image: on arm64 the EFI stub keeps an image aligned to EFI_KIMG_ALIGN
// (64 KiB) when KASLR is on and to MIN_KIMG_ALIGN (2 MiB) with nokaslr, and moves it otherwise
// (Linux arch/arm64/kernel/image.h, drivers/firmware/efi/libstub/arm64-stub.c). x86 bzImages
// place themselves; 2 MiB keeps them at CONFIG_PHYSICAL_ALIGN. riscv64's EFI stub wants 2 MiB
// (efi_get_kimg_min_align() in arch/riscv/include/asm/efi.h, SZ_2M for 64-bit, used for both
// cases by efi_kaslr_relocate_kernel() in libstub/kaslr.c): an image placed there with
// LINUX_EFI_LOADED_IMAGE_FIXED_GUID runs where it is.
#if defined(__aarch64__)
constexpr uint64_t kRandomAlignment = 64 * 1024;
constexpr uint64_t kFixedAlignment = 2 * 1024 * 1024;
#else
constexpr uint64_t kRandomAlignment = 2 * 1024 * 1024;
constexpr uint64_t kFixedAlignment = 2 * 1024 * 1024;
#endif

// How far the kernel's own memory reservation reaches past the image. riscv64 kernels reserve
// from _start to the next 2 MiB boundary after _end (arch/riscv/mm/init.c setup_bootmem(): the
// linear map of the kernel is read-only in 2 MiB pages with STRICT_KERNEL_RWX), and drop an initrd
// that overlaps a reservation ("INITRD: ... overlaps in-use memory region", seen under U-Boot when
// the kernel's EFI stub put the initrd right after a page-rounded image). Allocating up to that
// boundary keeps the firmware from handing those pages to anyone else.
#if defined(__riscv)
constexpr uint64_t kReservationGranule = 2 * 1024 * 1024;
#else
constexpr uint64_t kReservationGranule = efi::kPageSize;
#endif

// Collects the memory map as kaslr::Regions in pool memory.
efi::Status memory_regions(efi::BootServices *bs, PoolArray<kaslr::Region> *regions, size_t *count) {
        uintptr_t size = 0, key = 0, descriptor_size = 0;
        uint32_t version = 0;
        efi::Status s = bs->GetMemoryMap(&size, nullptr, &key, &descriptor_size, &version);
        if (s != efi::kBufferTooSmall || descriptor_size < sizeof(efi::MemoryDescriptor))
                return efi::is_error(s) ? s : efi::kLoadError;
        // Room for the descriptors our own allocations may add.
        size += 4 * descriptor_size;
        PoolArray<uint8_t> map;
        s = map.allocate(size);
        if (efi::is_error(s))
                return s;
        s = bs->GetMemoryMap(&size, reinterpret_cast<efi::MemoryDescriptor *>(map.data()), &key, &descriptor_size,
                             &version);
        if (efi::is_error(s))
                return s;
        size_t n = size / descriptor_size;
        s = regions->allocate(n);
        if (efi::is_error(s))
                return s;
        for (size_t i = 0; i < n; i++) {
                efi::MemoryDescriptor d;
                __builtin_memcpy(&d, map.data() + i * descriptor_size, sizeof(d));
                regions->data()[i] = kaslr::Region{d.PhysicalStart, d.NumberOfPages, d.Type, d.Attribute};
        }
        *count = n;
        return efi::kSuccess;
}

} // namespace

bool has_word(Span<const char16_t> cmdline, const char *word) {
        size_t n = string_length(word);
        for (size_t i = 0; i + n <= cmdline.size(); i++) {
                if (i > 0 && cmdline[i - 1] != u' ')
                        continue;
                size_t k = 0;
                while (k < n && cmdline[i + k] == (char16_t) word[k])
                        k++;
                if (k == n && (i + n == cmdline.size() || cmdline[i + n] == u' ' || cmdline[i + n] == 0))
                        return true;
        }
        return false;
}

Placement decide_placement(efi::BootServices *bs, Span<const char16_t> cmdline) {
        Placement p;
        p.alignment = kFixedAlignment;
        if (has_word(cmdline, "nokaslr")) {
                p.why = "nokaslr on the command line";
                p.tag = "nokaslr";
                return p;
        }
        efi::RngProtocol *rng = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::RngProtocol::kGuid, nullptr, reinterpret_cast<void **>(&rng))) ||
            !rng) {
                p.why = "no EFI_RNG_PROTOCOL";
                p.tag = "no-rng";
                return p;
        }
        uint8_t seed[8];
        efi::Status s = rng->GetRNG(rng, nullptr, sizeof(seed), seed);
        if (efi::is_error(s)) {
                p.why = "EFI_RNG_PROTOCOL failed";
                p.tag = "rng-failed";
                return p;
        }
        p.randomize = true;
        p.seed = load_le32(seed);
        p.virtual_seed = load_le32(seed + 4);
        p.alignment = kRandomAlignment;
        p.why = "random";
        p.tag = "random";
        return p;
}

// Allocates the slot kaslr::pick() chooses for `seed` (EfiLoaderCode, at that address). Logs
// nothing: kOutOfResources when no slot fits, else the firmware's status.
static efi::Status allocate_slot(efi::BootServices *bs, const kaslr::Request &request, uint32_t seed, Pages *out) {
        PoolArray<kaslr::Region> regions;
        size_t count = 0;
        efi::Status s = memory_regions(bs, &regions, &count);
        if (efi::is_error(s))
                return s;
        Result<uint64_t> address = kaslr::pick(Span<const kaslr::Region>(regions.data(), count), request, seed);
        if (!address)
                return efi::kOutOfResources;
        efi::PhysicalAddress a = *address;
        uint64_t pages = efi::pages_for(request.size);
        s = bs->AllocatePages(efi::AllocateType::Address, efi::MemoryType::LoaderCode, pages, &a);
        if (efi::is_error(s))
                return s;
        *out = Pages(a, pages);
        return efi::kSuccess;
}

efi::Status allocate_kernel(efi::BootServices *bs, uint64_t size, uint64_t alignment, const Placement &placement,
                            Pages *out, bool *randomized) {
        *randomized = false;
        uint64_t align = alignment > placement.alignment ? alignment : placement.alignment;
        size = align_up(size, kReservationGranule);
        if (placement.randomize) {
                kaslr::Request request{align_up(size, efi::kPageSize), align};
                efi::Status s = allocate_slot(bs, request, placement.seed, out);
                if (!efi::is_error(s)) {
                        *randomized = true;
                        return efi::kSuccess;
                }
                log_warning("Random placement failed ({}), placing the kernel deterministically", s);
        }
        return allocate_aligned(size, align, efi::MemoryType::LoaderCode, out);
}

efi::Status allocate_kernel_in(efi::BootServices *bs, uint64_t size, uint64_t alignment, uint64_t min_address,
                               uint64_t max_address, const Placement &placement, Pages *out, bool *randomized) {
        *randomized = false;
        uint64_t pages = efi::pages_for(size);
        // Fixed: the preferred (lowest allowed) address first, as the kernel's own loader would.
        if (!placement.randomize && min_address % alignment == 0) {
                efi::PhysicalAddress a = min_address;
                if (!efi::is_error(bs->AllocatePages(efi::AllocateType::Address, efi::MemoryType::LoaderCode, pages, &a))) {
                        *out = Pages(a, pages);
                        return efi::kSuccess;
                }
        }
        // A random slot, or the lowest one (seed 0) for a fixed placement.
        kaslr::Request request{pages * efi::kPageSize, alignment, max_address, min_address};
        efi::Status s = allocate_slot(bs, request, placement.randomize ? placement.seed : 0, out);
        if (efi::is_error(s))
                return log_error(s, "No room for the kernel ({} bytes, {}-aligned, between {} and {})",
                                 pages * efi::kPageSize, alignment, Hex{min_address}, Hex{max_address});
        *randomized = placement.randomize;
        return efi::kSuccess;
}

} // namespace zuki::boot
