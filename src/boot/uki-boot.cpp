// SPDX-License-Identifier: LGPL-2.1-or-later

#include "uki-boot.hpp"

#include "../shared/boot-model.hpp"
#include "../shared/cpio.hpp"
#include "../shared/kernel-payload.hpp"
#include "../shared/limits.hpp"
#include "../shared/measure.hpp"
#include "../shared/smbios.hpp"
#include "../shared/uki.hpp"
#include "../shared/zboot.hpp"
#include "firmware/devicetree.hpp"
#include "firmware/console.hpp"
#include "firmware/boot-secret.hpp"
#include "firmware/esp.hpp"
#include "firmware/random-seed.hpp"
#include "firmware/smbios.hpp"
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
constexpr uint64_t kFeaturePickUpCredentials = uint64_t(1) << 1;
constexpr uint64_t kFeaturePickUpSysexts = uint64_t(1) << 2;
constexpr uint64_t kFeatureThreePcrs = uint64_t(1) << 3;
constexpr uint64_t kFeatureRandomSeed = uint64_t(1) << 4;
constexpr uint64_t kFeatureCmdlineAddons = uint64_t(1) << 5;
constexpr uint64_t kFeatureCmdlineSmbios = uint64_t(1) << 6;
constexpr uint64_t kFeatureDevicetreeAddons = uint64_t(1) << 7;
constexpr uint64_t kFeaturePickUpConfexts = uint64_t(1) << 8;
constexpr uint64_t kFeatureMultiProfileUki = uint64_t(1) << 9;
constexpr uint64_t kFeatureReportStubPartition = uint64_t(1) << 10;
constexpr uint64_t kFeatureReportUrl = uint64_t(1) << 11;
constexpr uint64_t kFeatureMeasureSmbios = uint64_t(1) << 12; // PCR 1, firmware/smbios.cpp (261)
constexpr uint64_t kStubFeatures = kFeatureReportBootPartition | kFeaturePickUpCredentials | kFeaturePickUpSysexts |
                                   kFeatureThreePcrs | kFeatureRandomSeed | kFeatureCmdlineAddons | kFeatureCmdlineSmbios |
                                   kFeatureDevicetreeAddons | kFeaturePickUpConfexts |
                                   kFeatureMultiProfileUki | kFeatureReportStubPartition | kFeatureReportUrl |
                                   kFeatureMeasureSmbios;

// The UKI's .dtbauto chosen for this machine, else its .dtb (a malformed one refuses the boot), as
// systemd-stub 262 prefers them; then the addons' devicetrees
// (model::addon_devicetree()): one that cannot be installed is left out with one line, and not
// measured. applied[i] says whether addon i's tree was installed.
efi::Status install_devicetrees(efi::SystemTable *st, const model::Boot &boot, const model::EspInputs &esp,
                                DevicetreeInstall *devicetree, bool (&applied)[model::kMaxAddons]) {
        bool installed = false;
        if (boot.has(SectionId::Dtbauto)) {
                efi::Status s = devicetree->install(st, boot.section(SectionId::Dtbauto), u".dtbauto section", &installed);
                if (efi::is_error(s))
                        return s;
        } else if (boot.has(SectionId::Dtb)) {
                efi::Status s = devicetree->install(st, boot.section(SectionId::Dtb), u".dtb section", &installed);
                if (efi::is_error(s))
                        return s;
        }
        for (size_t i = 0; i < esp.addons.size() && i < model::kMaxAddons; i++) {
                Bytes dtb = model::addon_devicetree(esp.addons[i]);
                if (dtb.empty())
                        continue;
                // Addon names come with their NUL.
                (void) devicetree->install(st, dtb, esp.addons[i].name.data(), &installed);
                applied[i] = installed;
                if (installed)
                        log_debug("Installed the devicetree of addon {}", esp.addons[i].name.data());
        }
        return efi::kSuccess;
}

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

// The addons' command line (in pool memory: it is measured and becomes part of the kernel's).
// One that is too long is left out with a line, as a whole.
efi::Status settle_addon_text(const model::EspInputs &esp, PoolArray<char16_t> *storage, Span<const char16_t> *text) {
        *text = {};
        Result<size_t> units = model::addon_command_line_units(esp.addons);
        if (!units) {
                log_error(efi::kBadBufferSize, "Ignoring the addons' command lines: {}", units.error());
                return efi::kSuccess;
        }
        if (*units == 0)
                return efi::kSuccess;
        efi::Status s = storage->allocate(*units);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate the addons' command line");
        *text = model::addon_command_line(esp.addons, storage->span());
        return efi::kSuccess;
}

// The SMBIOS type 11 command-line extension (pool memory), except in confidential VMs.
efi::Status settle_smbios_text(efi::BootServices *bs, Bytes table, PoolArray<char16_t> *storage,
                               Span<const char16_t> *text) {
        *text = {};
        bool found = false;
        Bytes value = smbios::find_oem_string(table, smbios::kCmdlineExtraPrefix, &found);
        if (!found || confidential_vm(bs))
                return efi::kSuccess;
        Result<size_t> units = model::smbios_command_line_units(value);
        if (!units) {
                log_error(efi::kLoadError, "Ignoring the SMBIOS {} string: {}", smbios::kCmdlineExtraPrefix, units.error());
                return efi::kSuccess;
        }
        if (*units == 0)
                return efi::kSuccess;
        efi::Status s = storage->allocate(*units);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate the SMBIOS command line");
        *text = model::smbios_command_line(value, storage->span());
        return efi::kSuccess;
}

// The initrd the kernel gets: the model's pieces in its order, each padded to 4 bytes (the
// kernel's initramfs unpacker wants every cpio archive 4-byte aligned).
efi::Status build_initrd(const model::Boot &boot, const model::EspInputs &esp, Bytes loader_initrd, Pages *pages,
                         Bytes *initrd) {
        Result<size_t> extra_size = model::extra_cpio_size(boot);
        if (!extra_size)
                return log_error(status_from(extra_size.error()), "Failed to size the /.extra archive: {}",
                                 extra_size.error());
        model::InitrdPiece pieces[model::kMaxInitrdPieces];
        size_t count = model::initrd_pieces(boot, esp, loader_initrd, *extra_size, pieces);
        uint64_t total = 0;
        for (size_t i = 0; i < count; i++)
                total += align_up(pieces[i].data.size(), 4);
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
        for (size_t i = 0; i < count; i++) {
                size_t n = pieces[i].data.size();
                if (pieces[i].part == model::InitrdPart::Extra) {
                        cpio::Writer w(MutableBytes(p, n));
                        Status r = model::write_extra_cpio(boot, &w);
                        if (!r)
                                return log_error(status_from(r.error()), "Failed to write the /.extra archive: {}",
                                                 r.error());
                } else {
                        __builtin_memcpy(p, pieces[i].data.data(), n);
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
                      const MeasureResult &measured, const model::EspInputs &esp) {
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
        // Which PCR holds what, for what was measured (systemd-stub's "measured" flags).
        auto claimed = [&](measure::Claim c) { return measured.claimed[(size_t) c] && model::claim_holds(c, esp); };
        if (claimed(measure::Claim::KernelImage))
                check(set_loader_string(u"StubPcrKernelImage", u"11"), "StubPcrKernelImage");
        if (claimed(measure::Claim::KernelParameters))
                check(set_loader_string(u"StubPcrKernelParameters", u"12"), "StubPcrKernelParameters");
        if (claimed(measure::Claim::InitrdSysexts))
                check(set_loader_string(u"StubPcrInitRDSysExts", u"13"), "StubPcrInitRDSysExts");
        if (claimed(measure::Claim::InitrdConfexts))
                check(set_loader_string(u"StubPcrInitRDConfExts", u"12"), "StubPcrInitRDConfExts");

        // Where we were loaded from; the Loader* twins only when no boot loader set them.
        char16_t part_uuid[37];
        if (partition_uuid(st->BootServices, loaded->DeviceHandle, part_uuid)) {
                check(set_loader_string(u"StubDevicePartUUID", part_uuid), "StubDevicePartUUID");
                if (!loader_variable_exists(u"LoaderDevicePartUUID"))
                        check(set_loader_string(u"LoaderDevicePartUUID", part_uuid), "LoaderDevicePartUUID");
        }
        PoolArray<char16_t> url;
        if (device_url(st->BootServices, loaded->DeviceHandle, &url)) {
                check(set_loader_string(u"StubDeviceURL", url.data()), "StubDeviceURL");
                if (!loader_variable_exists(u"LoaderDeviceURL"))
                        check(set_loader_string(u"LoaderDeviceURL", url.data()), "LoaderDeviceURL");
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
        // Without a TPM (or when it does not answer) the banks are 0x00000000, not absent:
        // systemd-stub 262 sets it so, seen under U-Boot riscv64, which has no TPM driver.
        if (!loader_variable_exists(u"LoaderTpm2ActivePcrBanks")) {
                uint32_t banks = 0; // left so when there is no TPM
                tpm_active_pcr_banks(st->BootServices, &banks);
                LineBuffer text;
                static constexpr char kHex[] = "0123456789abcdef";
                text.put("0x");
                for (int shift = 28; shift >= 0; shift -= 4) {
                        char digit[2] = {kHex[(banks >> shift) & 0xf], 0};
                        text.put(digit);
                }
                check(set_loader_string(u"LoaderTpm2ActivePcrBanks", text.c_str()), "LoaderTpm2ActivePcrBanks");
        }
        if (!loader_variable_exists(u"LoaderFirmwareType")) {
                LineBuffer type;
                type.put("UEFI ");
                put_revision(&type, st->Hdr.Revision);
                check(set_loader_string(u"LoaderFirmwareType", type.c_str()), "LoaderFirmwareType");
        }
        // The firmware's keyboard layout, for the OS's console keymap (262).
        hii::KeyboardLanguage keyboard;
        if (!loader_variable_exists(u"LoaderKeyboardLayout") && keyboard_layout_language(st->BootServices, &keyboard))
                check(set_loader_string(u"LoaderKeyboardLayout", keyboard.tag), "LoaderKeyboardLayout");
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
        // .dtbauto is chosen by the firmware's devicetree or the SMBIOS CHIDs (systemd-stub 262).
        Bytes smbios = smbios_table(st);
        hwids::Machine machine;
        describe_machine(st, smbios, &machine);
        inputs.machine = &machine;
        Result<model::Boot> planned = model::plan_boot(self, inputs);
        if (!planned)
                return refuse_boot(planned.error(), model::parse_load_options(inputs.load_options, true).profile);
        model::Boot boot = *planned; // ours to add the boot secret to
        if (boot.dtbauto_note == hwids::Note::HwidsFailed)
                log_error(efi::kNotFound, "HWID matching failed, no .dtbauto will be selected: {}", boot.hwids_error);
        else if (boot.dtbauto_note == hwids::Note::BadBlob)
                log_error(efi::kInvalidParameter, "Found a bad devicetree in PE section {}, ignoring it",
                          (uint64_t) boot.bad_blob_index);

        // A kernel the stub cannot boot is refused before anything is measured or exported.
        efi::Status s = efi::kSuccess;
        Result<kernel::Payload> payload = check_linux_section(boot.section(SectionId::Linux), &s);
        if (!payload)
                return s;

        // Addons, credentials and extensions from the ESP beside us.
        EspExtras esp_extras;
        esp_extras.gather(image, st, loaded, boot, &machine);
        model::EspInputs esp = esp_extras.inputs();
        PoolArray<char16_t> addon_text_storage;
        Span<const char16_t> addon_text;
        s = settle_addon_text(esp, &addon_text_storage, &addon_text);
        if (efi::is_error(s))
                return s;

        // SMBIOS: the type 11 command-line extension, and the PCR 1 measurements.
        PoolArray<char16_t> smbios_text_storage;
        Span<const char16_t> smbios_text;
        s = settle_smbios_text(st->BootServices, smbios, &smbios_text_storage, &smbios_text);
        if (efi::is_error(s))
                return s;

        // The kernel's command line: the UKI's or the load options, then the addons', then
        // SMBIOS's, each after a space.
        PoolArray<char16_t> appendix_storage;
        Span<const char16_t> appendix;
        if (!addon_text.empty() || !smbios_text.empty()) {
                s = appendix_storage.allocate(addon_text.size() + smbios_text.size() + 1);
                if (efi::is_error(s))
                        return log_error(s, "Failed to allocate the command line");
                appendix = model::join_command_lines(addon_text, smbios_text, appendix_storage.span());
        }
        // Load options are measured as passed, without what addons and SMBIOS append (measured
        // on their own below), as systemd-stub measures them before it appends anything.
        PoolArray<char16_t> options_storage;
        Span<const char16_t> options;
        s = settle_command_line(boot, &options_storage, &options);
        if (efi::is_error(s))
                return s;
        PoolArray<char16_t> cmdline_storage;
        Span<const char16_t> cmdline = options;
        if (!appendix.empty()) {
                s = cmdline_storage.allocate(options.size() + appendix.size() + 1);
                if (efi::is_error(s))
                        return log_error(s, "Failed to allocate the command line");
                cmdline = model::join_command_lines(options, appendix, cmdline_storage.span());
        }
        // The firmware's console, when the command line names none (systemd-stub 261/262; not
        // measured: it follows from the hardware the firmware reports).
        PoolArray<char16_t> console_storage;
        const char16_t *console = model::has_console_argument(cmdline) ? nullptr : console_argument(st);
        if (console) {
                size_t units = 1;
                while (console[units - 1])
                        units++;
                s = console_storage.allocate(cmdline.size() + units + 1);
                if (efi::is_error(s))
                        return log_error(s, "Failed to allocate the command line");
                cmdline = model::join_command_lines(cmdline, Span<const char16_t>(console, units), console_storage.span());
        }

        // The UKI's devicetree replaces the firmware's for this boot; then each addon's does
        // (global ones first, then the UKI's own), the last one installed winning, as in
        // systemd-stub 262. Installed before measuring: only the addon trees that were installed
        // are measured.
        DevicetreeInstall devicetree;
        bool devicetree_applied[model::kMaxAddons] = {};
        s = install_devicetrees(st, boot, esp, &devicetree, devicetree_applied);
        if (efi::is_error(s))
                return s;
        esp.devicetree_applied = devicetree_applied;

        // PCR 12 gets the profile tag (for profile != 0), PCR 11 the sections, PCR 12 the load
        // options when they are the command line: the order systemd-stub measures in.
        measure::Plan plan;
        char16_t profile_text[11];
        SmbiosMeasurements smbios_measurements;
        if (!smbios_measurements.add(smbios, &plan) || !model::add_measurements(boot, options, profile_text, &plan) ||
            !model::add_esp_measurements(esp, addon_text, smbios_text, &plan))
                return log_error(efi::kOutOfResources, "Measurement plan overflow");
        MeasureResult measured;
        // A failure is logged there and leaves nothing reported as measured; the boot goes on.
        (void) measure_plan(st->BootServices, plan, &measured);
        if (measured.claimed[(size_t) measure::Claim::Platform])
                announce_smbios_measured();

        // A fresh random seed for the kernel, then the boot secret drawn from it (systemd-stub
        // 262 does both right after measuring the sections).
        refresh_random_seed(st, loaded);
        uint8_t boot_secret[secret::kSize];
        if (prepare_boot_secret(st, loaded, boot.section(SectionId::Osrel), boot_secret))
                boot.boot_secret = Bytes(boot_secret, sizeof(boot_secret));
        export_variables(st, loaded, boot.profile, measured, esp);

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
                s = build_initrd(boot, esp, initrd_service.existing(), &initrd_pages, &initrd);
        }
        wipe_secret(boot_secret, sizeof(boot_secret)); // the initrd holds it now
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
