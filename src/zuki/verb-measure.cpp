// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki measure: PCR 11, 12 and 13 predicted as the stub measures them (with what the ESP adds:
// credentials, extensions, addons, the SMBIOS command-line extension), or the PCR 11 policy signed
// as .pcrsig JSON (systemd-measure's calculate and sign).

#include <algorithm>
#include <cstring>

#include "boot-prediction.hpp"
#include "chid.hpp"
#include "hwids.hpp"
#include "cli.hpp"
#include "esp-inputs.hpp"
#include "event-log.hpp"
#include "failure.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"
#include "uki.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum {
        kOptProfile = cli::kFirstLongOnly, kOptLoadOptions, kOptBank, kOptPhase, kOptJson, kOptPrivateKey, kOptPublicKey,
        kOptAppend, kOptPolicyRef, kOptSignatureDigest, kOptSecureBoot, kOptAddon, kOptGlobalAddon, kOptSmbiosCmdlineExtra, kOptEsp, kOptUkiPath,
        kOptSmbiosFile, kOptEdid, kOptFirmwareDtb,
        kOptArchive,                                     // + sidecar::Kind
        kOptSection = kOptArchive + (int) sidecar::kKindCount, // + index in kSectionFiles
};

// sidecar::kTargets names the option of each kind ("--credential"); the table takes it from there.
constexpr const char *archive_option(sidecar::Kind k) { return sidecar::kTargets[(size_t) k].option + 2; }

// Section files, named as systemd-measure names them; option kOptSection + i is section i.
constexpr const char *kSectionFiles[] = {"linux", "osrel", "cmdline", "initrd", "ucode",
                                         "splash", "dtb", "uname", "sbat", "pcrpkey",
                                         "dtbauto", "hwids"};

constexpr cli::Option kOptions[] = {
        {"profile", kOptProfile, cli::Arg::Required, "N", "the UKI profile to measure (default 0)"},
        {"load-options", kOptLoadOptions, cli::Arg::Required, "TEXT", "EFI load options the stub takes as its command line (PCR 12)"},
        {"bank", kOptBank, cli::Arg::Required, "B", "a PCR bank (default sha256); may repeat"},
        {"phase", kOptPhase, cli::Arg::Required, "P", "a phase path, e.g. enter-initrd:leave-initrd; may repeat"},
        {"json", kOptJson, cli::Arg::Optional, "pretty|short", "print JSON (signing: compact unless pretty)"},
        {"private-key", kOptPrivateKey, cli::Arg::Required, "KEY|URI", "sign the PCR 11 policy and print the .pcrsig JSON"},
        {"public-key", kOptPublicKey, cli::Arg::Required, "FILE", "the public key of --private-key (default: derived)"},
        {"append", kOptAppend, cli::Arg::Required, "FILE", "add the signatures to this .pcrsig JSON"},
        {"policyref", kOptPolicyRef, cli::Arg::Required, "STRING",
         "bind the signatures to this policy reference (\"ref\", as systemd-measure 262)"},
        {"signature-digest", kOptSignatureDigest, cli::Arg::Required, "sha256|bank",
         "sign SHA-256 for every bank (default, systemd-measure 262) or each bank's digest (252-261)"},
        {"secure-boot", kOptSecureBoot, cli::Arg::None, nullptr, "predict a boot with Secure Boot on (load options then do not replace .cmdline)"},
        {archive_option(sidecar::Kind::Credentials), kOptArchive + 0, cli::Arg::Required, "FILE",
         "a credential (*.cred) in the UKI's drop-in directory (PCR 12); may repeat"},
        {archive_option(sidecar::Kind::GlobalCredentials), kOptArchive + 1, cli::Arg::Required, "FILE",
         "a credential in \\loader\\credentials (PCR 12); may repeat"},
        {archive_option(sidecar::Kind::Sysexts), kOptArchive + 2, cli::Arg::Required, "FILE",
         "a system extension (*.raw) in the UKI's drop-in directory (PCR 13); may repeat"},
        {archive_option(sidecar::Kind::GlobalSysexts), kOptArchive + 3, cli::Arg::Required, "FILE",
         "a system extension in \\loader\\extensions (PCR 13); may repeat"},
        {archive_option(sidecar::Kind::Confexts), kOptArchive + 4, cli::Arg::Required, "FILE",
         "a configuration extension (*.confext.raw) in the UKI's drop-in directory (PCR 12); may repeat"},
        {archive_option(sidecar::Kind::GlobalConfexts), kOptArchive + 5, cli::Arg::Required, "FILE",
         "a configuration extension in \\loader\\extensions (PCR 12); may repeat"},
        {"addon", kOptAddon, cli::Arg::Required, "FILE", "an addon (*.addon.efi) in the UKI's drop-in directory; may repeat"},
        {"global-addon", kOptGlobalAddon, cli::Arg::Required, "FILE", "an addon in \\loader\\addons; may repeat"},
        {"smbios-cmdline-extra", kOptSmbiosCmdlineExtra, cli::Arg::Required, "TEXT",
         "the value of the SMBIOS type 11 string io.systemd.stub.kernel-cmdline-extra="},
        {"smbios-file", kOptSmbiosFile, cli::Arg::Required, "FILE",
         "the machine's SMBIOS table (/sys/firmware/dmi/tables/DMI): .dtbauto is chosen by its CHIDs"},
        {"edid", kOptEdid, cli::Arg::Required, "FILE",
         "the EDID the firmware reports (e.g. /sys/class/drm/card0-eDP-1/edid): adds the EDID CHIDs"},
        {"firmware-dtb", kOptFirmwareDtb, cli::Arg::Required, "FILE",
         "the devicetree the firmware installs: .dtbauto is chosen by its compatible"},
        {"esp", kOptEsp, cli::Arg::Required, "DIR", "read a mounted ESP as the stub does (with --uki-path)"},
        {"uki-path", kOptUkiPath, cli::Arg::Required, "PATH", "where the UKI is on that ESP, e.g. /EFI/Linux/foo.efi"},
        {"linux", kOptSection + 0, cli::Arg::Required, "FILE", "section file: .linux"},
        {"osrel", kOptSection + 1, cli::Arg::Required, "FILE", "section file: .osrel"},
        {"cmdline", kOptSection + 2, cli::Arg::Required, "FILE", "section file: .cmdline"},
        {"initrd", kOptSection + 3, cli::Arg::Required, "FILE", "section file: .initrd"},
        {"ucode", kOptSection + 4, cli::Arg::Required, "FILE", "section file: .ucode"},
        {"splash", kOptSection + 5, cli::Arg::Required, "FILE", "section file: .splash"},
        {"dtb", kOptSection + 6, cli::Arg::Required, "FILE", "section file: .dtb"},
        {"uname", kOptSection + 7, cli::Arg::Required, "FILE", "section file: .uname"},
        {"sbat", kOptSection + 8, cli::Arg::Required, "FILE", "section file: .sbat"},
        {"pcrpkey", kOptSection + 9, cli::Arg::Required, "FILE", "section file: .pcrpkey"},
        {"dtbauto", kOptSection + 10, cli::Arg::Required, "FILE", "section file: .dtbauto (the one the machine picks)"},
        {"hwids", kOptSection + 11, cli::Arg::Required, "FILE", "section file: .hwids"},
};

constexpr const char *kUsage[] = {
        "[--profile N] [--load-options TEXT [--secure-boot]] [--bank B]... [--phase P]... [--json] UKI",
        "[--esp DIR --uki-path PATH] [--credential FILE]... [--addon FILE]... [--sysext FILE]...\n"
        "[--smbios-cmdline-extra TEXT] [--smbios-file FILE [--edid FILE] | --firmware-dtb FILE] ... UKI",
        "--linux FILE [--osrel FILE] [--cmdline FILE] [--initrd FILE] [--ucode FILE]\n"
        "[--splash FILE] [--dtb FILE] [--uname FILE] [--sbat FILE] [--pcrpkey FILE]\n"
        "[--dtbauto FILE] [--hwids FILE] ...",
        "... --private-key KEY|URI [--public-key FILE] [--append FILE] [--policyref STRING]\n"
        "[--signature-digest sha256|bank] [--json[=pretty]]",
};

// The kernel's command line as UTF-8, or null when it gets none.
nlohmann::ordered_json kernel_command_line(const PredictedBoot &boot) {
        const std::vector<char16_t> &c = boot.cmdline;
        std::optional<std::string> text = utf16_to_utf8(Bytes(reinterpret_cast<const uint8_t *>(c.data()), c.size() * 2));
        if (c.empty() || !text)
                return nullptr;
        return *text;
}

// The PCR 12 and 13 events in measuring order: type, description, digest per bank.
nlohmann::ordered_json esp_events(const measure::Plan &plan, const std::vector<std::string> &banks) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (size_t i = 0; i < plan.count; i++) {
                const measure::Event &ev = plan.events[i];
                if (ev.pcr != measure::kPcrKernelConfig && ev.pcr != measure::kPcrSysexts)
                        continue;
                nlohmann::ordered_json e;
                e["pcr"] = ev.pcr;
                e["type"] = ev.type == measure::kEvIpl ? "EV_IPL" : ev.type == measure::kEvEventTag ? "EV_EVENT_TAG" : "";
                if (ev.type == measure::kEvEventTag)
                        e["tag"] = ev.tag;
                std::optional<std::string> d = utf16_to_utf8(
                        Bytes(reinterpret_cast<const uint8_t *>(ev.description.data()), ev.description.size() * 2));
                e["description"] = ev.ascii_description ? std::string(ev.ascii_description) : d ? *d : to_hex(ev.raw_description);
                for (const std::string &bank : banks)
                        e["digests"][bank] = to_hex(bytes_of(event_digest(ev, bank)));
                out.push_back(e);
        }
        return out;
}

int run(const cli::Verb &verb, int argc, char **argv) {
        PredictOptions popt;
        popt.banks.clear();
        uint32_t profile = 0;
        std::optional<std::string> load_options;
        bool json = false, pretty = false, json_short = false, secure_boot = false;
        std::string private_key_path, public_key_path, append_path, policyref;
        bool policyref_given = false, digest_given = false;
        policy::SignDigest digest = policy::SignDigest::Sha256;
        std::vector<Buffer> files(std::size(kSectionFiles));
        std::vector<bool> given(std::size(kSectionFiles), false);
        // What the ESP adds; the named files are added after the --esp ones, so a name given twice is refused.
        EspSelection esp;
        bool esp_given = false;
        std::string esp_dir, uki_path;
        std::vector<std::pair<int, std::string>> esp_files;
        std::optional<Buffer> smbios_table, edid, firmware_dtb;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                if (id >= kOptSection && id < kOptSection + (int) std::size(kSectionFiles)) {
                        files[id - kOptSection] = read_file(arg);
                        given[id - kOptSection] = true;
                        return;
                }
                switch (id) {
                case kOptProfile: profile = (uint32_t) cli::parse_int(arg, "profile"); break;
                case kOptLoadOptions: load_options = arg; break;
                case kOptBank: popt.banks.push_back(arg); break;
                case kOptPhase: popt.phases.push_back(arg); break;
                case kOptJson:
                        json = true;
                        if (arg && std::strcmp(arg, "pretty") != 0 && std::strcmp(arg, "short") != 0)
                                throw UsageError(std::string("--json takes pretty or short, not ") + arg);
                        pretty = arg && std::strcmp(arg, "pretty") == 0;
                        json_short = arg && std::strcmp(arg, "short") == 0;
                        break;
                case kOptPrivateKey: private_key_path = arg; break;
                case kOptPublicKey: public_key_path = arg; break;
                case kOptAppend: append_path = arg; break;
                case kOptPolicyRef: policyref = arg; policyref_given = true; break;
                case kOptSignatureDigest:
                        if (std::strcmp(arg, "sha256") == 0)
                                digest = policy::SignDigest::Sha256;
                        else if (std::strcmp(arg, "bank") == 0)
                                digest = policy::SignDigest::Bank;
                        else
                                throw UsageError(std::string("--signature-digest takes sha256 or bank, not ") + arg);
                        digest_given = true;
                        break;
                case kOptSecureBoot: secure_boot = true; break;
                case kOptSmbiosCmdlineExtra: esp.smbios_cmdline_extra = arg; esp_given = true; break;
                case kOptEsp: esp_dir = arg; esp_given = true; break;
                case kOptSmbiosFile: smbios_table = read_to_end(arg, 1u << 20); break;
                case kOptEdid: edid = read_to_end(arg, 64u << 10); break;
                case kOptFirmwareDtb: firmware_dtb = read_file(arg, 32u << 20); break;
                case kOptUkiPath: uki_path = arg; esp_given = true; break;
                default: esp_files.emplace_back(id, arg); esp_given = true; break; // archives and addons
                }
        });
        if (!args)
                return 0;
        bool signing = !private_key_path.empty();
        if (!signing && (!public_key_path.empty() || !append_path.empty() || policyref_given || digest_given))
                throw UsageError("--public-key, --append, --policyref and --signature-digest need --private-key");
        if (signing && load_options)
                throw UsageError("--load-options does not apply to signing (PCR 11 only)");
        if (signing && esp_given)
                throw UsageError("The ESP's files and SMBIOS do not apply to signing (PCR 11 only)");
        if (esp_dir.empty() != uki_path.empty())
                throw UsageError("--esp and --uki-path go together");
        if (popt.banks.empty())
                popt.banks = {"sha256"};
        bool from_files = std::find(given.begin(), given.end(), true) != given.end();
        if (from_files ? !args->empty() : args->size() != 1)
                throw UsageError("zuki measure takes either one UKI or section files (--linux ...)");

        // The stub's boot under these conditions, from the shared boot model.
        BootConditions conditions;
        conditions.profile = profile;
        conditions.load_options = load_options;
        conditions.secure_boot = secure_boot;
        // The machine .dtbauto is chosen for, as the stub describes it (describe_machine()).
        hwids::Machine machine;
        if (edid && !smbios_table)
                throw UsageError("--edid goes with --smbios-file (the EDID CHIDs also use SMBIOS strings)");
        if (smbios_table || firmware_dtb) {
                chid::Fields fields;
                chid::fields_from_smbios(smbios_table ? bytes_of(*smbios_table) : Bytes(), chid::Source::Stub, &fields);
                if (edid && !chid::set_edid(bytes_of(*edid), &fields))
                        fail("--edid: not an EDID (128 bytes or more starting 00 ff ff ff ff ff ff 00, letters A-Z)");
                bool absent[chid::kTypeCount];
                chid::compute(fields, machine.chids, absent);
                if (firmware_dtb) {
                        machine.firmware_devicetree = true;
                        machine.firmware_compatible = hwids::root_compatible(bytes_of(*firmware_dtb));
                        if (machine.firmware_compatible.empty())
                                fail("--firmware-dtb: no root compatible string in that devicetree");
                }
                conditions.machine = &machine;
        }
        if (esp_given) {
                if (!esp_dir.empty())
                        read_esp(&esp, esp_dir, uki_path);
                for (const auto &[id, path] : esp_files) {
                        if (id == kOptAddon || id == kOptGlobalAddon)
                                add_addon_file(&esp, id == kOptAddon ? AddonScope::Own : AddonScope::Global, path);
                        else
                                add_archive_file(&esp, (sidecar::Kind) (id - kOptArchive), path);
                }
                conditions.esp = &esp;
        }
        std::unique_ptr<PredictedBoot> boot;
        Buffer uki;
        if (from_files) {
                if (profile != 0)
                        throw UsageError("--profile applies to a UKI, not to section files");
                measure::SectionContents contents;
                for (size_t i = 0; i < std::size(kSectionFiles); i++) {
                        if (!given[i])
                                continue;
                        std::string name = std::string(".") + kSectionFiles[i];
                        for (size_t k = 0; k < uki::kSectionCount; k++)
                                if (name == uki::kSectionNames[k]) {
                                        contents.present[k] = true;
                                        contents.data[k] = bytes_of(files[i]);
                                }
                }
                if (!contents.present[(size_t) uki::SectionId::Linux])
                        throw UsageError("Section files need --linux");
                boot = predict_boot(contents, "The sections", conditions);
        } else {
                uki = read_file(args->front());
                boot = predict_boot(bytes_of(uki), args->front(), conditions);
        }
        // Load options the stub will not use are worth one line: a PCR 12 prediction users expect.
        if (load_options && boot->boot.options_fate != model::OptionsFate::Used)
                std::fprintf(stderr, "zuki: the load options are %s; PCR 12 gets no command line\n",
                             model::describe(boot->boot.options_fate));
        // The ESP's files the stub would skip, one line each as the stub logs them.
        for (const std::string &note : boot->notes)
                cli::print_notice("warning: " + note);
        const measure::Plan &plan = boot->plan;

        if (signing) {
                // Everything is read and checked before anything is printed.
                nlohmann::ordered_json out = append_path.empty() ? nlohmann::ordered_json::object()
                                                                 : policy::load_signature_json(append_path);
                PolicyKeyPair keys = load_policy_key_pair(private_key_path, public_key_path);
                policy::sign(plan, {popt.banks, popt.phases, policyref, digest}, keys.private_key.get(), keys.public_key.get(), &out);
                std::printf("%s\n", pretty ? out.dump(1, '\t').c_str() : out.dump().c_str());
                return 0;
        }

        std::vector<PcrPrediction> predictions = predict(plan, popt);
        if (json) {
                nlohmann::ordered_json j = nlohmann::ordered_json::object();
                for (const PcrPrediction &p : predictions) {
                        nlohmann::ordered_json e;
                        if (p.pcr == measure::kPcrKernelBoot)
                                e["phase"] = p.phase;
                        e["pcr"] = p.pcr;
                        e["hash"] = to_hex(bytes_of(p.value));
                        j[p.bank].push_back(e);
                }
                if (esp_given) {
                        j["cmdline"] = kernel_command_line(*boot);
                        j["events"] = esp_events(plan, popt.banks);
                }
                if (json_short)
                        std::printf("%s\n", j.dump().c_str()); // --json=short: one line, as systemd-measure
                else
                        cli::print_json(j);
        } else {
                for (const PcrPrediction &p : predictions) {
                        std::printf("%u:%s=%s", p.pcr, p.bank.c_str(), to_hex(bytes_of(p.value)).c_str());
                        if (p.pcr == measure::kPcrKernelBoot)
                                std::printf(" # phase %s", p.phase.empty() ? ":" : p.phase.c_str());
                        std::printf("\n");
                }
                if (esp_given) {
                        nlohmann::ordered_json cmdline = kernel_command_line(*boot);
                        std::printf("# cmdline %s\n", cmdline.is_null() ? "(none)" : cmdline.get<std::string>().c_str());
                }
        }
        return 0;
}

} // namespace

const cli::Verb kMeasure = {
        "measure", kUsage,
        "Predict PCR 11, 12 and 13 as the stub measures them, per bank and phase path, with what the\n"
        "ESP and SMBIOS add (--esp, or one file at a time). With --private-key, sign the PCR 11\n"
        "policy per bank and phase path and print the .pcrsig JSON (as systemd-measure sign does).",
        kOptions, run,
};

} // namespace zuki::verbs
