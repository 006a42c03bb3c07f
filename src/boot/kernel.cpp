// SPDX-License-Identifier: LGPL-2.1-or-later

#include "kernel.hpp"

#include "../shared/kernel-payload.hpp"
#include "arch/cache.hpp"
#include "arch/cycles.hpp"
#include "efi/rng.hpp"
#include "firmware/log.hpp"
#include "firmware/variables.hpp"
#include "timings.hpp"
#include "zstd-decompress.hpp"

namespace zuki::boot {

uint16_t native_machine() {
#if defined(__x86_64__)
        return pe::kMachineX64;
#elif defined(__aarch64__)
        return pe::kMachineArm64;
#elif defined(__riscv) && __riscv_xlen == 64
        return pe::kMachineRiscv64;
#else
#error "unsupported architecture"
#endif
}

efi::Status status_from(Error error) {
        switch (error) {
        case Error::None: return efi::kSuccess;
        case Error::UnsupportedMachine:
        case Error::UnsupportedCodec: return efi::kUnsupported;
        case Error::SizeLimit: return efi::kBadBufferSize;
        case Error::NoSpace: return efi::kBufferTooSmall;
        case Error::DecompressFailed:
        case Error::SizeMismatch: return efi::kVolumeCorrupted;
        default: return efi::kLoadError;
        }
}

efi::Status decompress_kernel(const zboot::ZstdPayload &payload, const Placement &placement, KernelImage *out) {
        PhaseTimer timer(Phase::Decompress);
        out->placement = placement;
        efi::Status s = allocate_kernel(boot_services(), payload.decompressed_size, efi::kPageSize, placement,
                                        &out->file_pages, &out->randomized);
        if (efi::is_error(s))
                return s; // logged by allocate_aligned
        out->file = Bytes(out->file_pages.data(), payload.decompressed_size);

        Pages workspace;
        s = allocate_aligned(zstd::workspace_size(), efi::kPageSize, efi::MemoryType::LoaderData, &workspace);
        if (efi::is_error(s))
                return s;

        const char *detail = nullptr;
        Status r = zstd::decompress(payload.frame, MutableBytes(out->file_pages.data(), out->file.size()),
                                    workspace.bytes(), &detail);
        if (!r && detail && *detail)
                return log_error(status_from(r.error()), "Kernel payload ({} bytes, {} expected) is unusable: {} ({})",
                                 (uint64_t) payload.frame.size(), (uint64_t) out->file.size(), r.error(), detail);
        if (!r)
                return log_error(status_from(r.error()), "Kernel payload ({} bytes, {} expected) is unusable: {}",
                                 (uint64_t) payload.frame.size(), (uint64_t) out->file.size(), r.error());
        log_debug("Decompressed {} bytes into {} bytes at {} ({} Huffman blocks by the x86_64 asm)",
                  (uint64_t) payload.frame.size(), (uint64_t) out->file.size(), Hex{out->file_pages.address()},
                  zstd::asm_huffman_calls());
        return efi::kSuccess;
}

void use_plain_kernel(Bytes pe_file, const Placement &placement, KernelImage *out) {
        out->file = pe_file;
        out->placement = placement;
}

// What `zuki status` reports as the boot's KASLR and W^X: one volatile variable, words only (no
// addresses: efivarfs is world-readable). "fallback" means a random slot was wanted but could not
// be allocated.
void report_placement(const Placement &placement, bool randomized, const char *wx_state) {
        const char *kaslr = randomized ? "random" : placement.randomize ? "fallback" : placement.tag;
        LineBuffer value;
        value.format("kaslr={} wx={}", kaslr, wx_state);
        efi::Status s = set_loader_string(u"StubZukiPlacement", value.c_str());
        if (efi::is_error(s))
                log_warning("Failed to set StubZukiPlacement: {}, ignoring", s);
}

efi::Status place_kernel(KernelImage *kernel, efi::SystemTable *st) {
        PhaseTimer timer(Phase::Load);
        Result<pe::View> view = pe::View::parse(kernel->file, pe::Layout::File);
        if (!view)
                return log_error(status_from(view.error()), "Kernel image is not a usable PE: {}", view.error());
        Result<load::Plan> plan = zuki::kernel::check_loadable(*view, native_machine());
        if (!plan && plan.error() == Error::UnsupportedMachine)
                return log_error(efi::kUnsupported, "Kernel is for {}, this stub runs on {}",
                                 pe::machine_name(view->machine()), pe::machine_name(native_machine()));
        if (!plan)
                return log_error(status_from(plan.error()), "Kernel image cannot be loaded: {}", plan.error());
        kernel->plan = *plan;

        // Load in place when the file layout already is the memory layout and the buffer is large
        // and aligned enough; otherwise copy into pages of the image's own size and alignment.
        bool in_place = plan->in_place && !kernel->file_pages.empty() &&
                        kernel->file.data() == kernel->file_pages.data() &&
                        kernel->file_pages.size() >= plan->image_size &&
                        kernel->file_pages.address() % plan->alignment == 0;
        MutableBytes dest;
        if (in_place) {
                dest = kernel->file_pages.bytes();
        } else {
                efi::Status s = allocate_kernel(boot_services(), plan->image_size, plan->alignment, kernel->placement,
                                                &kernel->image_pages, &kernel->randomized);
                if (efi::is_error(s))
                        return s;
                dest = kernel->image_pages.bytes();
        }

        Status r = load::materialize(*view, *plan, dest);
        if (!r)
                return log_error(status_from(r.error()), "Failed to lay out the kernel image: {}", r.error());
        r = load::relocate(dest, *plan, (uint64_t) (uintptr_t) dest.data());
        if (!r)
                return log_error(status_from(r.error()), "Failed to relocate the kernel image: {}", r.error());
        if (!in_place) {
                kernel->file_pages.reset();
                kernel->file = Bytes();
        }

        kernel->base = dest.data();

        // Code read-only and executable, the rest writable and not executable.
        Result<pe::View> loaded = pe::View::parse(Bytes(dest.data(), plan->image_size), pe::Layout::Loaded);
        if (!loaded)
                return log_error(status_from(loaded.error()), "Loaded kernel image does not parse: {}", loaded.error());
        // An image whose code shares pages with writable data (old kernels with one RWX section)
        // cannot be W^X; it boots with the firmware's permissions, as it would without the stub.
        Result<wx::Plan> wx_plan = wx::plan(*loaded, plan->image_size);
        const char *wx_state = "unsupported-image";
        if (!wx_plan) {
                log_warning("Kernel image cannot be mapped W^X ({}), keeping the firmware's permissions", wx_plan.error());
        } else {
                efi::Status ws = kernel->protection.apply(st, kernel->base, *wx_plan);
                if (efi::is_error(ws))
                        return ws;
                wx_state = kernel->protection.active() ? "enforced" : "no-protocol";
        }
        // One line on where the kernel went and why: tests compare it with what the guest sees.
        log_info("Kernel image at {} ({} bytes, {}, {} placement{}{})", Hex{(uint64_t) (uintptr_t) kernel->base},
                 plan->image_size, in_place ? "decompressed in place" : "copied",
                 kernel->randomized ? "random" : "fixed", kernel->randomized ? "" : ": ",
                 kernel->randomized ? "" : kernel->placement.why);
        report_placement(kernel->placement, kernel->randomized, wx_state);
        return efi::kSuccess;
}

efi::Status start_kernel(KernelImage *kernel, efi::Handle parent, const efi::LoadedImageProtocol *parent_image,
                         Span<const char16_t> options, efi::SystemTable *st) {
        efi::BootServices *bs = st->BootServices;

        sync_instruction_cache(kernel->base, kernel->plan.image_size);

        // The kernel's EFI stub finds itself through its LoadedImage: ImageBase must be where the
        // image really is, and the load options are its command line.
        efi::LoadedImageProtocol loaded = {};
        loaded.Revision = efi::LoadedImageProtocol::kRevision;
        loaded.ParentHandle = parent;
        loaded.SystemTable = st;
        loaded.DeviceHandle = parent_image->DeviceHandle;
        loaded.FilePath = parent_image->FilePath;
        loaded.LoadOptionsSize = (uint32_t) (options.size() * sizeof(char16_t));
        loaded.LoadOptions = options.empty() ? nullptr : const_cast<char16_t *>(options.data());
        loaded.ImageBase = kernel->base;
        loaded.ImageSize = kernel->plan.image_size;
        loaded.ImageCodeType = efi::MemoryType::LoaderCode;
        loaded.ImageDataType = efi::MemoryType::LoaderData;

        // A randomly placed image also carries LINUX_EFI_LOADED_IMAGE_FIXED_GUID, so that the kernel's
        // EFI stub keeps our placement instead of choosing its own.
        const efi::Guid *fixed = kernel->randomized ? &efi::kLinuxLoadedImageFixedGuid : nullptr;
        efi::Handle handle = nullptr;
        efi::Status s = bs->InstallMultipleProtocolInterfaces(&handle, &efi::LoadedImageProtocol::kGuid, &loaded,
                                                              fixed, nullptr, nullptr);
        if (efi::is_error(s))
                return log_error(s, "Failed to install the kernel's LoadedImage protocol");

        // The timing line benchmarks read: the kernel's EFI stub (and its own decompressor) run next.
        report_timings();
        log_info("Starting the kernel's EFI stub ({} cycles after stub entry)", read_cycles() - stub_entry_cycles());
        using Entry = efi::Status (*)(efi::Handle, efi::SystemTable *);
        Entry entry = reinterpret_cast<Entry>(kernel->base + kernel->plan.entry_rva);
        s = entry(handle, st);

        // Only reached when the kernel's EFI stub gave up; undo and hand its status back.
        efi::Status u = bs->UninstallMultipleProtocolInterfaces(handle, &efi::LoadedImageProtocol::kGuid, &loaded,
                                                                fixed, nullptr, nullptr);
        if (efi::is_error(u))
                log_warning("Failed to uninstall the kernel's LoadedImage protocol: {}, ignoring", u);
        return log_error(efi::is_error(s) ? s : efi::kLoadError, "Kernel returned");
}

} // namespace zuki::boot

namespace zuki::boot {

efi::Status place_and_start_kernel(KernelImage *kernel, efi::Handle parent, const efi::LoadedImageProtocol *parent_image,
                                   Span<const char16_t> options, efi::SystemTable *st) {
        efi::Status s = place_kernel(kernel, st);
        if (efi::is_error(s))
                return s;
        return start_kernel(kernel, parent, parent_image, options, st);
}

} // namespace zuki::boot
