// SPDX-License-Identifier: LGPL-2.1-or-later

#include "uki-boot.hpp"

#include "../shared/cpio.hpp"
#include "../shared/limits.hpp"
#include "../shared/measure.hpp"
#include "../shared/text.hpp"
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

Bytes section_bytes(const pe::View &self, const uki::SectionSet &set, SectionId id) {
        return set.has(id) ? self.data(set.get(id)) : Bytes();
}

// Copies `text` into `out` (with room for a NUL), mangles it like systemd-stub and terminates it.
// Returns the command line including its NUL, or an empty span when nothing is left.
Span<const char16_t> settle(PoolArray<char16_t> *out, size_t length) {
        size_t n = text::mangle_command_line(Span<char16_t>(out->data(), length));
        if (n == 0)
                return {};
        out->data()[n] = 0;
        return Span<const char16_t>(out->data(), n + 1);
}

// The kernel's command line: the load options when Secure Boot is off or the UKI has no
// .cmdline (an override, measured into PCR 12), else the embedded .cmdline.
efi::Status settle_command_line(const pe::View &self, const uki::SectionSet &set, Span<const char16_t> options,
                                PoolArray<char16_t> *storage, Span<const char16_t> *cmdline, bool *from_options) {
        *from_options = false;
        *cmdline = {};
        bool has_embedded = set.has(SectionId::Cmdline);
        bool options_usable = !options.empty() && options[0] > 0x1f;
        if (options_usable && options.size() > limits::kMaxCommandLine)
                return log_error(efi::kBadBufferSize, "The load options are {} characters long, the limit is {}",
                                 (uint64_t) options.size(), limits::kMaxCommandLine);
        if (options_usable && !(has_embedded && secure_boot_enabled())) {
                efi::Status s = storage->allocate(options.size() + 1);
                if (efi::is_error(s))
                        return log_error(s, "Failed to allocate the command line");
                __builtin_memcpy(storage->data(), options.data(), options.size() * sizeof(char16_t));
                *cmdline = settle(storage, options.size());
                *from_options = !cmdline->empty();
                if (*from_options)
                        return efi::kSuccess;
        }
        if (!has_embedded)
                return efi::kSuccess;
        // Like systemd-stub, the text ends at the first NUL (PCR 11 still covers every byte).
        Bytes utf8 = section_bytes(self, set, SectionId::Cmdline);
        for (size_t i = 0; i < utf8.size(); i++)
                if (utf8[i] == 0) {
                        utf8 = Bytes(utf8.data(), i);
                        break;
                }
        if (utf8.size() > limits::kMaxCommandLine)
                return log_error(efi::kBadBufferSize, "The .cmdline section is {} bytes long, the limit is {}",
                                 (uint64_t) utf8.size(), limits::kMaxCommandLine);
        if (!text::is_valid_utf8(utf8))
                return log_error(efi::kLoadError, "The .cmdline section is not valid UTF-8");
        size_t units = text::utf8_to_utf16(utf8, Span<char16_t>());
        efi::Status s = storage->allocate(units + 1);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate the command line");
        text::utf8_to_utf16(utf8, storage->span());
        *cmdline = settle(storage, units);
        return efi::kSuccess;
}

// /.extra/ files for userspace, as systemd-stub provides them: the signed PCR policy and its key
// (found by systemd-cryptsetup), the os-release and the profile.
struct ExtraFile {
        SectionId id;
        const char *path;
};
constexpr ExtraFile kExtraFiles[] = {
        {SectionId::Pcrsig, ".extra/tpm2-pcr-signature.json"},
        {SectionId::Pcrpkey, ".extra/tpm2-pcr-public-key.pem"},
        {SectionId::Osrel, ".extra/os-release"},
        {SectionId::Profile, ".extra/profile"},
};

Status write_extra_cpio(const pe::View &self, const uki::SectionSet &set, cpio::Writer *w) {
        ZUKI_TRY(w->add_directory(".extra", 0555));
        for (const ExtraFile &f : kExtraFiles)
                if (set.has(f.id))
                        ZUKI_TRY(w->add_file(f.path, section_bytes(self, set, f.id), 0444));
        return w->finish();
}

bool wants_extra_cpio(const uki::SectionSet &set) {
        for (const ExtraFile &f : kExtraFiles)
                if (set.has(f.id))
                        return true;
        return false;
}

// The initrd the kernel gets: .ucode, the boot loader's initrd, .initrd and the /.extra cpio, each
// padded to 4 bytes (the kernel's initramfs unpacker wants every cpio archive 4-byte aligned).
efi::Status build_initrd(const pe::View &self, const uki::SectionSet &set, Bytes loader_initrd, Pages *pages,
                         Bytes *initrd) {
        Bytes ucode = section_bytes(self, set, SectionId::Ucode);
        Bytes main = section_bytes(self, set, SectionId::Initrd);
        bool extra = wants_extra_cpio(set);
        cpio::Writer counter{MutableBytes()};
        if (extra) {
                Status r = write_extra_cpio(self, set, &counter);
                if (!r)
                        return log_error(status_from(r.error()), "Failed to size the /.extra archive: {}", r.error());
        }
        uint64_t total = align_up(ucode.size(), 4) + align_up(loader_initrd.size(), 4) + align_up(main.size(), 4) +
                         counter.size();
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
        __builtin_memcpy(p, ucode.data(), ucode.size());
        p += align_up(ucode.size(), 4);
        __builtin_memcpy(p, loader_initrd.data(), loader_initrd.size());
        p += align_up(loader_initrd.size(), 4);
        __builtin_memcpy(p, main.data(), main.size());
        p += align_up(main.size(), 4);
        if (extra) {
                cpio::Writer w(MutableBytes(p, counter.size()));
                Status r = write_extra_cpio(self, set, &w);
                if (!r)
                        return log_error(status_from(r.error()), "Failed to write the /.extra archive: {}", r.error());
        }
        *initrd = Bytes(pages->data(), total);
        return efi::kSuccess;
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

// The kernel inside .linux: a zstd zboot image is decompressed directly (its own stub does not
// run); a plain PE, or a zboot image with another codec, is loaded and started as it is.
static efi::Status boot_kernel_image(Bytes linux_image, efi::Handle image, efi::SystemTable *st,
                              const efi::LoadedImageProtocol *loaded, Span<const char16_t> options, Bytes initrd) {
        KernelImage kernel;
        Placement placement = decide_placement(st->BootServices, options);
        efi::Status s;
        Result<zboot::Header> header = zboot::parse_header(linux_image);
        if (header && header->codec == zboot::Codec::Zstd) {
                Result<pe::View> nested = pe::View::parse(linux_image, pe::Layout::File);
                if (!nested)
                        return log_error(status_from(nested.error()), "The zboot image in .linux is malformed: {}",
                                         nested.error());
                Result<zboot::ZstdPayload> payload = zboot::locate_zstd_payload(*nested, *header);
                if (!payload)
                        return log_error(status_from(payload.error()), "The zboot payload in .linux is unusable: {}",
                                         payload.error());
                // An x86 direct-boot payload: the kernel gets the command line and the combined
                // initrd from boot_params instead of LoadOptions and LoadFile2.
                Bytes x86boot;
                if (find_x86_direct(*nested, &x86boot)) {
                        Bytes raw_options(reinterpret_cast<const uint8_t *>(options.data()), options.size() * sizeof(char16_t));
                        return boot_x86_direct(x86boot, *payload, placement, options, raw_options, initrd, image, st);
                }
                s = decompress_kernel(*payload, placement, &kernel);
                if (efi::is_error(s))
                        return s;
        } else {
                // A plain PE kernel, or a zboot image with another codec whose own stub decompresses.
                use_plain_kernel(linux_image, placement, &kernel);
        }
        return place_and_start_kernel(&kernel, image, loaded, options, st);
}

efi::Status boot_uki(efi::Handle image, efi::SystemTable *st, const efi::LoadedImageProtocol *loaded,
                     const pe::View &self) {
        // "@N" at the start of the load options picks profile N; the rest is the command line.
        Span<const char16_t> options = load_options_of(loaded);
        size_t rest = 0;
        bool has_selector = false;
        uint32_t profile = uki::parse_profile_selector(options, &rest, &has_selector);
        if (has_selector)
                options = Span<const char16_t>(options.data() + rest, options.size() - rest);

        Result<uki::SectionSet> set = uki::select_sections(self, profile);
        if (!set)
                return log_error(set.error() == Error::UnknownProfile ? efi::kNotFound : efi::kLoadError,
                                 "Cannot use profile {} of this UKI: {}", profile, set.error());
        if (!set->has(SectionId::Linux))
                return log_error(efi::kNotFound, "Profile {} of this UKI has no .linux section", profile);

        // PCR 11 gets the sections, PCR 12 the profile tag (for profile != 0), in systemd-stub's order.
        measure::Plan plan;
        char16_t profile_text[11];
        if (profile != 0 && !measure::add_profile(&plan, measure::format_decimal(profile, profile_text)))
                return log_error(efi::kOutOfResources, "Measurement plan overflow");
        Result<measure::SectionContents> contents = measure::contents_of(self, *set);
        if (!contents)
                return log_error(status_from(contents.error()), "UKI sections cannot be measured: {}", contents.error());
        if (!measure::add_sections(&plan, *contents))
                return log_error(efi::kOutOfResources, "Measurement plan overflow");

        PoolArray<char16_t> cmdline_storage;
        Span<const char16_t> cmdline;
        bool cmdline_from_options = false;
        efi::Status s = settle_command_line(self, *set, options, &cmdline_storage, &cmdline, &cmdline_from_options);
        if (efi::is_error(s))
                return s;
        if (cmdline_from_options && !measure::add_command_line(&plan, cmdline))
                return log_error(efi::kOutOfResources, "Measurement plan overflow");

        MeasureResult measured;
        // A failure is logged there and leaves nothing reported as measured; the boot goes on.
        (void) measure_plan(st->BootServices, plan, &measured);
        bool parameters_measured = measured.pcr_measured[measure::kPcrKernelConfig];
        export_variables(st, loaded, profile, measured, parameters_measured);

        // The UKI's devicetree replaces the firmware's for this boot.
        DevicetreeInstall devicetree;
        if (set->has(SectionId::Dtb)) {
                s = devicetree.install(st, section_bytes(self, *set, SectionId::Dtb));
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
        s = build_initrd(self, *set, initrd_service.existing(), &initrd_pages, &initrd);
        if (efi::is_error(s))
                return s;
        if (!initrd.empty()) {
                s = initrd_service.serve(st->BootServices, initrd);
                if (efi::is_error(s))
                        return s;
        }

        return boot_kernel_image(section_bytes(self, *set, SectionId::Linux), image, st, loaded, cmdline, initrd);
}

} // namespace zuki::boot
