// SPDX-License-Identifier: LGPL-2.1-or-later

#include "uki-boot.hpp"

#include "../shared/boot-model.hpp"
#include "../shared/cpio.hpp"
#include "../shared/kernel-payload.hpp"
#include "../shared/limits.hpp"
#include "../shared/measure.hpp"
#include "../shared/uki.hpp"
#include "../shared/zboot.hpp"
#include "firmware/devicetree.hpp"
#include "firmware/identity.hpp"
#include "firmware/initrd.hpp"
#include "x86-direct.hpp"
#include "firmware/log.hpp"
#include "firmware/pages.hpp"
#include "firmware/tpm.hpp"
#include "firmware/variables.hpp"
#include "kernel.hpp"
#include "timings.hpp"

namespace zuki::boot {

namespace {

using uki::SectionId;

// StubFeatures bits (https://systemd.io/BOOT_LOADER_INTERFACE/): only what this stub implements.
constexpr uint64_t kFeatureReportBootPartition = uint64_t(1) << 0;
constexpr uint64_t kFeatureMultiProfileUki = uint64_t(1) << 9;
constexpr uint64_t kFeatureReportStubPartition = uint64_t(1) << 10;
constexpr uint64_t kStubFeatures = kFeatureReportBootPartition | kFeatureMultiProfileUki | kFeatureReportStubPartition;

// The load options as UTF-16, up to their first NUL.
Span<const char16_t> load_options_of(const efi::LoadedImageProtocol *loaded) {
        if (!loaded->LoadOptions || loaded->LoadOptionsSize < sizeof(char16_t))
                return {};
        const char16_t *p = static_cast<const char16_t *>(loaded->LoadOptions);
        size_t n = loaded->LoadOptionsSize / sizeof(char16_t);
        size_t len = 0;
        while (len < n && p[len])
                len++;
        return Span<const char16_t>(p, len);
}

// The command line the model chose, in pool memory (the kernel reads it from LoadOptions or
// boot_params after we are gone, so it must not live on our stack).
efi::Status settle_command_line(const model::Boot &boot, PoolArray<char16_t> *storage, Span<const char16_t> *cmdline) {
        *cmdline = {};
        if (boot.cmdline_units == 0)
                return efi::kSuccess;
        efi::Status s = storage->allocate(boot.cmdline_units);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate the command line");
        *cmdline = model::command_line(boot, storage->span());
        return efi::kSuccess;
}

// The initrd the kernel gets: the model's parts in its order, each padded to 4 bytes (the
// kernel's initramfs unpacker wants every cpio archive 4-byte aligned).
efi::Status build_initrd(const model::Boot &boot, Bytes loader_initrd, Pages *pages, Bytes *initrd) {
        Result<size_t> extra_size = model::extra_cpio_size(boot);
        if (!extra_size)
                return log_error(status_from(extra_size.error()), "Failed to size the /.extra archive: {}",
                                 extra_size.error());
        auto part_size = [&](model::InitrdPart part) -> uint64_t {
                switch (part) {
                case model::InitrdPart::Ucode: return boot.section(SectionId::Ucode).size();
                case model::InitrdPart::LoaderInitrd: return loader_initrd.size();
                case model::InitrdPart::Initrd: return boot.section(SectionId::Initrd).size();
                case model::InitrdPart::Extra: return *extra_size;
                }
                return 0;
        };
        uint64_t total = 0;
        for (model::InitrdPart part : model::kInitrdOrder)
                total += align_up(part_size(part), 4);
        if (total > limits::kMaxInitrdSize)
                return log_error(efi::kBadBufferSize, "The combined initrd would be {} bytes, the limit is {}", total,
                                 limits::kMaxInitrdSize);
        if (total == 0) {
                *initrd = Bytes();
                return efi::kSuccess;
        }
        efi::Status s = allocate_aligned(total, efi::kPageSize, efi::MemoryType::LoaderData, pages);
        if (efi::is_error(s))
                return s;
        uint8_t *p = pages->data();
        __builtin_memset(p, 0, total);
        for (model::InitrdPart part : model::kInitrdOrder) {
                uint64_t n = part_size(part);
                switch (part) {
                case model::InitrdPart::Ucode: __builtin_memcpy(p, boot.section(SectionId::Ucode).data(), n); break;
                case model::InitrdPart::LoaderInitrd: __builtin_memcpy(p, loader_initrd.data(), n); break;
                case model::InitrdPart::Initrd: __builtin_memcpy(p, boot.section(SectionId::Initrd).data(), n); break;
                case model::InitrdPart::Extra: {
                        cpio::Writer w(MutableBytes(p, n));
                        Status r = model::write_extra_cpio(boot, &w);
                        if (!r)
                                return log_error(status_from(r.error()), "Failed to write the /.extra archive: {}",
                                                 r.error());
                        break;
                }
                }
                p += align_up(n, 4);
        }
        *initrd = Bytes(pages->data(), total);
        return efi::kSuccess;
}

// One line for a boot the model refuses, with the limit that was crossed.
efi::Status refuse_boot(Error e, uint32_t profile) {
        switch (e) {
        case Error::LoadOptionsTooLong:
                return log_error(efi::kBadBufferSize, "The load options are longer than the limit of {} characters",
                                 limits::kMaxCommandLine);
        case Error::CmdlineTooLong:
                return log_error(efi::kBadBufferSize, "The .cmdline section is longer than the limit of {} bytes",
                                 limits::kMaxCommandLine);
        case Error::BadCommandLine: return log_error(efi::kLoadError, "The .cmdline section is not valid UTF-8");
        case Error::NotUki: return log_error(efi::kNotFound, "Profile {} of this UKI has no .linux section", profile);
        case Error::UnknownProfile:
                return log_error(efi::kNotFound, "Cannot use profile {} of this UKI: {}", profile, e);
        default: return log_error(efi::kLoadError, "Cannot use profile {} of this UKI: {}", profile, e);
        }
}

void export_variables(efi::SystemTable *st, const efi::LoadedImageProtocol *loaded, uint32_t profile,
                      const MeasureResult &measured, bool parameters_measured) {
        // Failing to set a variable only hides information from userspace: warn, boot on.
        auto check = [](efi::Status s, const char *name) {
                if (efi::is_error(s))
                        log_warning("Failed to set {}: {}, ignoring", name, s);
        };
        check(set_loader_string(u"StubInfo", u"zuki " ZUKI_VERSION), "StubInfo");
        check(set_loader_u64(u"StubFeatures", kStubFeatures), "StubFeatures");
        char16_t number[11];
        measure::format_decimal(profile, number);
        check(set_loader_string(u"StubProfile", number), "StubProfile");
        if (measured.pcr_measured[measure::kPcrKernelBoot])
                check(set_loader_string(u"StubPcrKernelImage", u"11"), "StubPcrKernelImage");
        if (parameters_measured)
                check(set_loader_string(u"StubPcrKernelParameters", u"12"), "StubPcrKernelParameters");

        // Where we were loaded from; the Loader* twins only when no boot loader set them.
        char16_t part_uuid[37];
        if (partition_uuid(st->BootServices, loaded->DeviceHandle, part_uuid)) {
                check(set_loader_string(u"StubDevicePartUUID", part_uuid), "StubDevicePartUUID");
                if (!loader_variable_exists(u"LoaderDevicePartUUID"))
                        check(set_loader_string(u"LoaderDevicePartUUID", part_uuid), "LoaderDevicePartUUID");
        }
        if (char16_t *identifier = image_identifier(st->BootServices, loaded)) {
                check(set_loader_string(u"StubImageIdentifier", identifier), "StubImageIdentifier");
                if (!loader_variable_exists(u"LoaderImageIdentifier"))
                        check(set_loader_string(u"LoaderImageIdentifier", identifier), "LoaderImageIdentifier");
                st->BootServices->FreePool(identifier);
        }

        // What a boot loader reports, when we were started without one.
        // Revisions are printed "major.minor" with a two-digit minor, as boot loaders do.
        auto put_revision = [](LineBuffer *b, uint32_t rev) {
                uint32_t minor = rev & 0xffff;
                b->format("{}.{}{}", (uint64_t) (rev >> 16), (uint64_t) (minor / 10), (uint64_t) (minor % 10));
        };
        if (!loader_variable_exists(u"LoaderFirmwareInfo")) {
                LineBuffer info;
                info.format("{} ", st->FirmwareVendor);
                put_revision(&info, st->FirmwareRevision);
                check(set_loader_string(u"LoaderFirmwareInfo", info.c_str()), "LoaderFirmwareInfo");
        }
        if (!loader_variable_exists(u"LoaderFirmwareType")) {
                LineBuffer type;
                type.put("UEFI ");
                put_revision(&type, st->Hdr.Revision);
                check(set_loader_string(u"LoaderFirmwareType", type.c_str()), "LoaderFirmwareType");
        }
}

} // namespace

// The kernel inside .linux, as the shared check classifies it: a zstd zboot image is
// decompressed directly (its own stub does not run), an x86 direct-boot payload is entered
// directly, a plain PE or a zboot image with another codec is loaded and started as it is.
// The kernel inside .linux, checked as far as it can be without decompressing it, in the words
// the host tool uses (zuki inspect/build refuse the same images first).
static Result<kernel::Payload> check_linux_section(Bytes linux_image, efi::Status *status) {
        Result<pe::View> nested = pe::View::parse(linux_image, pe::Layout::File);
        if (!nested) {
                *status = log_error(status_from(nested.error()), "Cannot boot the kernel in .linux: {}", nested.error());
                return nested.error();
        }
        Result<kernel::Payload> payload = kernel::check_kernel_payload(*nested, kernel::Origin::LinuxSection);
        if (!payload)
                *status = log_error(status_from(payload.error()), "Cannot boot the kernel in .linux: {}", payload.error());
        return payload;
}

static efi::Status boot_kernel_image(Bytes linux_image, const kernel::Payload *payload, efi::Handle image,
                                     efi::SystemTable *st, const efi::LoadedImageProtocol *loaded,
                                     Span<const char16_t> options, Bytes initrd) {
        Placement placement = decide_placement(st->BootServices, options);
        KernelImage kernel;
        switch (payload->kind) {
        case kernel::Kind::X86Direct: {
                // The kernel gets the command line and the combined initrd from boot_params
                // instead of LoadOptions and LoadFile2.
                Bytes raw_options(reinterpret_cast<const uint8_t *>(options.data()), options.size() * sizeof(char16_t));
                return boot_x86_direct(*payload, placement, options, raw_options, initrd, image, st);
        }
        case kernel::Kind::Zstd: {
                efi::Status s = decompress_kernel(payload->zstd, placement, &kernel);
                if (efi::is_error(s))
                        return s;
                break;
        }
        case kernel::Kind::PlainPe:
        case kernel::Kind::SelfDecompressing: use_plain_kernel(linux_image, placement, &kernel); break;
        }
        return place_and_start_kernel(&kernel, image, loaded, options, st);
}

efi::Status boot_uki(efi::Handle image, efi::SystemTable *st, const efi::LoadedImageProtocol *loaded,
                     const pe::View &self) {
        // Everything observable about this boot comes from the shared model, the one the host tool
        // predicts with: profile, command line, measurements, initrd parts.
        model::Inputs inputs;
        inputs.load_options = load_options_of(loaded);
        inputs.secure_boot = secure_boot_enabled();
        Result<model::Boot> planned = model::plan_boot(self, inputs);
        if (!planned)
                return refuse_boot(planned.error(), model::parse_load_options(inputs.load_options, true).profile);
        const model::Boot &boot = *planned;

        // A kernel the stub cannot boot is refused before anything is measured or exported.
        efi::Status s = efi::kSuccess;
        Result<kernel::Payload> payload = check_linux_section(boot.section(SectionId::Linux), &s);
        if (!payload)
                return s;

        PoolArray<char16_t> cmdline_storage;
        Span<const char16_t> cmdline;
        s = settle_command_line(boot, &cmdline_storage, &cmdline);
        if (efi::is_error(s))
                return s;

        // PCR 12 gets the profile tag (for profile != 0), PCR 11 the sections, PCR 12 the load
        // options when they are the command line: the order systemd-stub measures in.
        measure::Plan plan;
        char16_t profile_text[11];
        if (!model::add_measurements(boot, cmdline, profile_text, &plan))
                return log_error(efi::kOutOfResources, "Measurement plan overflow");
        MeasureResult measured;
        // A failure is logged there and leaves nothing reported as measured; the boot goes on.
        (void) measure_plan(st->BootServices, plan, &measured);
        bool parameters_measured = measured.pcr_measured[measure::kPcrKernelConfig];
        export_variables(st, loaded, boot.profile, measured, parameters_measured);

        // The UKI's devicetree replaces the firmware's for this boot.
        DevicetreeInstall devicetree;
        if (boot.has(SectionId::Dtb)) {
                s = devicetree.install(st, boot.section(SectionId::Dtb));
                if (efi::is_error(s))
                        return s;
        }

        // A boot loader (systemd-boot with "initrd" lines) may have registered an initrd: it is
        // combined with ours, and its registration is restored if the kernel returns.
        // Declared before the service, so the data outlives its registration.
        Pages initrd_pages;
        Bytes initrd;
        InitrdService initrd_service;
        s = initrd_service.read_existing(st->BootServices);
        if (efi::is_error(s))
                return s;
        {
                PhaseTimer timer(Phase::Initrd);
                s = build_initrd(boot, initrd_service.existing(), &initrd_pages, &initrd);
        }
        if (efi::is_error(s))
                return s;
        if (!initrd.empty()) {
                s = initrd_service.serve(st->BootServices, initrd);
                if (efi::is_error(s))
                        return s;
        }

        return boot_kernel_image(boot.section(SectionId::Linux), &*payload, image, st, loaded, cmdline, initrd);
}

} // namespace zuki::boot
