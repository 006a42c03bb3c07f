// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki build: a UKI on the zuki stub, with signed PCR policies and a Secure Boot signature when
// keys are given. Options follow ukify's.

#include <cstring>

#include "authenticode.hpp"
#include "cli.hpp"
#include "hwids-build.hpp"
#include "failure.hpp"
#include "host-defaults.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "uki-build.hpp"
#include "boot-prediction.hpp"
#include "policy-check.hpp"
#include "stub-acceptance.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum {
        kOptLinux = cli::kFirstLongOnly, kOptInitrd, kOptCmdline, kOptOsRelease, kOptNoOsRelease, kOptUname, kOptSbat,
        kOptSplash, kOptDevicetree, kOptMicrocode, kOptPcrpkey, kOptNoCompress, kOptStub, kOptJson, kOptProfile,
        kOptProfileCmdline, kOptSection, kOptPcrPrivateKey, kOptPcrPublicKey, kOptPhases, kOptPcrBanks, kOptPolicyRef, kOptSignInitrdPcrs, kOptSbKey,
        kOptSbCert, kOptX86Boot, kOptDevicetreeAuto, kOptHwids, kOptCacheDir, kOptAddon, kOptEfiArch,
};

constexpr cli::Option kOptions[] = {
        {"linux", kOptLinux, cli::Arg::Required, "KERNEL", "the kernel (bzImage, Image) or a zboot image (required)"},
        {"initrd", kOptInitrd, cli::Arg::Required, "FILE", "an initrd; several are concatenated in order"},
        {"cmdline", kOptCmdline, cli::Arg::Required, "TEXT|@FILE", "the kernel command line (.cmdline)"},
        {"os-release", kOptOsRelease, cli::Arg::Required, "TEXT|@FILE", ".osrel (default: the host's os-release)"},
        {"no-os-release", kOptNoOsRelease, cli::Arg::None, nullptr, "no .osrel section"},
        {"uname", kOptUname, cli::Arg::Required, "TEXT", ".uname (default: the release found in the kernel)"},
        {"sbat", kOptSbat, cli::Arg::Required, "TEXT|@FILE", "SBAT lines merged into the stub's .sbat"},
        {"splash", kOptSplash, cli::Arg::Required, "FILE", "a boot splash image (.splash)"},
        {"devicetree", kOptDevicetree, cli::Arg::Required, "FILE", "a devicetree blob (.dtb)"},
        {"devicetree-auto", kOptDevicetreeAuto, cli::Arg::Required, "FILE",
         "a devicetree the stub may choose for the machine (.dtbauto); may repeat"},
        {"dtbauto", kOptDevicetreeAuto, cli::Arg::Required, "FILE", "the same as --devicetree-auto"},
        {"hwids", kOptHwids, cli::Arg::Required, "DIR", "device descriptions (*.json, as ukify's) for .hwids"},
        {"microcode", kOptMicrocode, cli::Arg::Required, "FILE", "a microcode initrd (.ucode)"},
        {"pcrpkey", kOptPcrpkey, cli::Arg::Required, "FILE", "the PCR policy public key to embed (.pcrpkey)"},
        {"no-compress", kOptNoCompress, cli::Arg::None, nullptr, "keep a plain kernel as it is (no zboot image)"},
        {"profile", kOptProfile, cli::Arg::Required, "TEXT|@FILE", "start a profile with this .profile text"},
        {"profile-cmdline", kOptProfileCmdline, cli::Arg::Required, "TEXT|@FILE", "the last profile's command line"},
        {"section", kOptSection, cli::Arg::Required, "NAME:TEXT|@FILE", "an extra section, e.g. .extra:@file"},
        {"pcr-private-key", kOptPcrPrivateKey, cli::Arg::Required, "KEY|URI", "sign the PCR 11 policy with this key"},
        {"pcr-public-key", kOptPcrPublicKey, cli::Arg::Required, "FILE", "the public key of the n-th --pcr-private-key"},
        {"phases", kOptPhases, cli::Arg::Required, "P,...", "phase paths the n-th --pcr-private-key signs"},
        {"pcr-banks", kOptPcrBanks, cli::Arg::Required, "B,...", "PCR banks to sign for (default sha256)"},
        {"policyref", kOptPolicyRef, cli::Arg::Required, "STRING", "the policy reference the n-th --pcr-private-key signs for"},
        {"sign-initrd-pcrs", kOptSignInitrdPcrs, cli::Arg::None, nullptr,
         "also sign enter-initrd with the first key for policy reference \"initrd\" (ukify 262)"},
        {"secureboot-private-key", kOptSbKey, cli::Arg::Required, "KEY|URI", "Authenticode-sign the UKI with this key"},
        {"secureboot-certificate", kOptSbCert, cli::Arg::Required, "CERT", "the certificate of the Secure Boot key"},
        {"stub", kOptStub, cli::Arg::Required, "FILE", "stub to use (default: $ZUKI_STUB_DIR or the installed one)"},
        {"addon", kOptAddon, cli::Arg::None, nullptr,
         "build a UKI addon (.cmdline, .dtb, .dtbauto, .hwids, .initrd, .ucode, .uname) on zukiaddon<arch>.efi.stub"},
        {"efi-arch", kOptEfiArch, cli::Arg::Required, "ARCH", "--addon: x64, aa64 or riscv64 (default: this machine's)"},
        {"output", 'o', cli::Arg::Required, "UKI", "the UKI to write (required)"},
        {"level", 'l', cli::Arg::Required, "N", "zstd level for the kernel (default 19)"},
        {"x86-boot", kOptX86Boot, cli::Arg::Required, "MODE", "x86_64: auto, direct or efistub, as for zboot"},
        {"cache-dir", kOptCacheDir, cli::Arg::Required, "DIR", "reuse and keep zboot images there, as for zboot"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON summary instead of text"},
};

constexpr const char *kUsage[] = {
        "--linux KERNEL [--initrd FILE]... [--cmdline TEXT|@FILE] [--os-release TEXT|@FILE]\n"
        "[--uname TEXT] [--sbat TEXT|@FILE] [--splash FILE] [--devicetree FILE]\n"
        "[--devicetree-auto FILE]... [--hwids DIR]\n"
        "[--microcode FILE] [--pcrpkey FILE] [--no-compress] [--x86-boot MODE] [--cache-dir DIR] [--stub FILE]\n"
        "[--section NAME:TEXT|@FILE]... [--profile TEXT|@FILE [--profile-cmdline TEXT|@FILE]]...\n"
        "[--pcr-private-key KEY|URI [--pcr-public-key FILE] [--phases P,...] [--policyref STRING]]...\n"
        "[--pcr-banks B,...] [--sign-initrd-pcrs]\n"
        "[--secureboot-private-key KEY|URI --secureboot-certificate CERT] --output UKI",
        "--addon [--efi-arch x64|aa64|riscv64] [--cmdline TEXT|@FILE] [--initrd FILE]... [--devicetree FILE]\n"
        "[--devicetree-auto FILE]... [--hwids DIR] [--microcode FILE] [--uname TEXT] [--sbat TEXT|@FILE]\n"
        "[--stub FILE] [--secureboot-private-key KEY|URI --secureboot-certificate CERT] --output ADDON",
};

// The options that make no sense for an addon (zuki build --addon refuses them).
constexpr int kUkiOnly[] = {kOptLinux,      kOptOsRelease,     kOptNoOsRelease,  kOptSplash,   kOptPcrpkey,  kOptNoCompress,
                            kOptProfile,    kOptProfileCmdline, kOptPcrPrivateKey, kOptPcrPublicKey, kOptPhases,
                            kOptPcrBanks,   kOptPolicyRef,     kOptSignInitrdPcrs, kOptX86Boot,  kOptCacheDir,
                            'l'};

// The PE machine an addon is built for: --efi-arch (ukify's names), else this machine's.
uint16_t addon_machine(const std::string &efi_arch) {
        if (efi_arch == "x64")
                return pe::kMachineX64;
        if (efi_arch == "aa64")
                return pe::kMachineArm64;
        if (efi_arch == "riscv64")
                return pe::kMachineRiscv64;
        if (!efi_arch.empty())
                throw UsageError("--efi-arch: x64, aa64 or riscv64, not " + efi_arch);
#if defined(__aarch64__)
        return pe::kMachineArm64;
#elif defined(__riscv)
        return pe::kMachineRiscv64;
#else
        return pe::kMachineX64;
#endif
}

// Signs `image` when a signer is given (the last step: nothing may change it afterwards), writes it
// atomically to `output`, and returns the signature made, if any.
std::optional<authenticode::SignResult> sign_and_write(Buffer *image, const std::optional<authenticode::Signer> &signer,
                                                       const std::string &output) {
        std::optional<authenticode::SignResult> signature;
        if (signer) {
                authenticode::SignOptions sopt;
                sopt.signing_time = authenticode::source_date_epoch();
                signature = authenticode::sign_image(bytes_of(*image), *signer, sopt);
                *image = std::move(signature->image);
        }
        write_file_atomic(output, bytes_of(*image), 0644);
        return signature;
}

// The one-line text summary of what zuki build wrote: "OUT: WHAT N bytes, sections ...".
void print_summary(const std::string &output, const std::string &what, const UkiResult &r,
                   const std::optional<authenticode::SignResult> &signature) {
        std::printf("%s: %s %zu bytes", output.c_str(), what.c_str(), r.image.size());
        if (what == "UKI")
                std::printf(", kernel %s", r.uname.empty() ? "(release unknown)" : r.uname.c_str());
        std::printf(", sections");
        for (const AddedSection &s : r.sections)
                std::printf(" %s", s.name.c_str());
        if (signature)
                std::printf(", signed by %s", signature->signer.c_str());
        std::printf("\n");
}

// The sections and signature of what zuki build wrote, for --json.
void describe_output(nlohmann::ordered_json *j, const UkiResult &r,
                     const std::optional<authenticode::SignResult> &signature) {
        (*j)["size"] = r.image.size();
        for (const AddedSection &s : r.sections)
                (*j)["sections"].push_back({{"name", s.name}, {"size", s.size}});
        if (signature)
                (*j)["signed"] = {{"signer", signature->signer},
                                  {"sha256", to_hex(bytes_of(signature->digest))},
                                  {"signing_time", authenticode::format_time(signature->signing_time)}};
}

// zuki build --addon: the given sections on the addon stub, signed when asked, as ukify 262
// builds an addon on systemd's addon<arch>.efi.stub.
int build_addon(UkiInputs &in, const std::string &stub_path, const std::string &efi_arch, const std::string &output,
                const std::string &sb_key, const std::string &sb_cert, bool json, const std::vector<std::string> &uki_only,
                std::vector<InputFile> &inputs) {
        if (!uki_only.empty())
                throw UsageError(uki_only.front() + " does not go into an addon (--addon takes .cmdline, .dtb, "
                                                    ".dtbauto, .hwids, .initrd, .ucode, .uname and .sbat)");
        if (output.empty())
                throw UsageError("zuki build needs --output");
        if (sb_key.empty() != sb_cert.empty())
                throw UsageError("--secureboot-private-key and --secureboot-certificate go together");
        // What a UKI's stub takes from an addon (sidecar::judge_addon): one of these at least.
        if (!in.cmdline && in.initrds.empty() && !in.devicetree && in.devicetree_auto.empty() && !in.microcode)
                throw UsageError("--addon needs something to add: --cmdline, --initrd, --devicetree, "
                                 "--devicetree-auto or --microcode");
        for (const auto &[name, data] : in.extra_sections)
                for (const char *uki_section : {".linux", ".osrel", ".splash", ".pcrpkey", ".pcrsig", ".profile"})
                        if (name == uki_section)
                                throw UsageError("--section " + name + " does not go into an addon (a stub refuses "
                                                 "or ignores it there)");
        std::optional<authenticode::Signer> signer;
        if (!sb_key.empty())
                signer = authenticode::load_signer(sb_key, sb_cert, {});
        uint16_t machine = addon_machine(efi_arch);
        std::string stub_file = find_stub(stub_path, machine, "zukiaddon");
        inputs.push_back({stub_file, "stub"});
        refuse_output_over_inputs(output, inputs);
        Buffer stub = read_file(stub_file);
        // --efi-arch and --stub must agree; --stub alone names the architecture itself.
        if (Result<pe::View> sv = pe::View::parse(bytes_of(stub), pe::Layout::File);
            sv && !efi_arch.empty() && sv->machine() != machine)
                throw UsageError("--efi-arch " + efi_arch + " but the stub " + stub_file + " is for " +
                                 pe::machine_name(sv->machine()));
        UkiResult r = build_uki(bytes_of(stub), in, CompressOptions());
        std::optional<authenticode::SignResult> signature = sign_and_write(&r.image, signer, output);
        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["stub"] = stub_file;
                j["addon"] = true;
                describe_output(&j, r, signature);
                cli::print_json(j);
        } else {
                print_summary(output, "addon", r, signature);
        }
        return 0;
}

int run(const cli::Verb &verb, int argc, char **argv) {
        UkiInputs in;
        CompressOptions copt;
        std::string linux_path, stub_path, output, sb_key, sb_cert, efi_arch;
        bool json = false, no_os_release = false;
        // What an addon cannot hold, as the option names the user gave.
        std::vector<std::string> uki_only;
        std::vector<std::string> pcr_private_keys, pcr_public_keys, pcr_banks;
        std::vector<std::vector<std::string>> phase_groups;
        std::vector<std::string> policyrefs;
        bool sign_initrd_pcrs = false;
        // Every file read, so that --output cannot name one of them.
        std::vector<InputFile> inputs;
        auto input = [&](const char *path, const std::string &role) {
                inputs.push_back({path, role});
                return read_file(path);
        };
        auto input_or_text = [&](const char *arg, const std::string &role) {
                if (arg[0] == '@')
                        inputs.push_back({arg + 1, role});
                return cli::text_or_file(arg);
        };
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                for (int k : kUkiOnly)
                        if (k == id)
                                for (const cli::Option &o : kOptions)
                                        if (o.id == id)
                                                uki_only.push_back(std::string("--") + o.name);
                switch (id) {
                case kOptLinux: linux_path = arg; break;
                case kOptAddon: in.addon = true; break;
                case kOptEfiArch: efi_arch = arg; break;
                case kOptX86Boot: copt.x86_boot = cli::parse_x86_boot(arg); break;
                case kOptCacheDir: copt.cache_dir = arg; break;
                case kOptInitrd: in.initrds.push_back(input(arg, "initrd")); break;
                case kOptCmdline: in.cmdline = input_or_text(arg, "command line"); break;
                case kOptOsRelease: in.osrel = input_or_text(arg, "os-release"); break;
                case kOptNoOsRelease: no_os_release = true; break;
                case kOptUname: in.uname = arg; break;
                case kOptSbat: in.sbat = input_or_text(arg, "SBAT"); break;
                case kOptSplash: in.splash = input(arg, "splash"); break;
                case kOptDevicetree: in.devicetree = input(arg, "devicetree"); break;
                case kOptDevicetreeAuto: in.devicetree_auto.push_back(input(arg, "devicetree")); break;
                case kOptHwids: in.hwids = build_hwids_section(arg); break;
                case kOptMicrocode: in.microcode = input(arg, "microcode"); break;
                case kOptPcrpkey: in.pcrpkey = input(arg, "PCR public key"); break;
                case kOptNoCompress: in.compress = false; break;
                case kOptProfile: in.profiles.push_back({input_or_text(arg, "profile"), std::nullopt}); break;
                case kOptSection: {
                        const char *colon = std::strchr(arg, ':');
                        if (!colon)
                                throw UsageError(std::string("--section wants NAME:TEXT or NAME:@FILE, got ") + arg);
                        std::string name(arg, (size_t) (colon - arg));
                        validate_section_name(name);
                        in.extra_sections.emplace_back(name, input_or_text(colon + 1, "section " + name));
                        break;
                }
                case kOptProfileCmdline:
                        if (in.profiles.empty())
                                throw UsageError("--profile-cmdline must follow a --profile");
                        in.profiles.back().cmdline = input_or_text(arg, "profile command line");
                        break;
                case kOptPcrPrivateKey:
                        pcr_private_keys.push_back(arg);
                        inputs.push_back({arg, "PCR private key"});
                        break;
                case kOptPcrPublicKey:
                        pcr_public_keys.push_back(arg);
                        inputs.push_back({arg, "PCR public key"});
                        break;
                case kOptPhases: phase_groups.push_back(policy::parse_phase_group(arg)); break;
                case kOptPcrBanks: pcr_banks = policy::split_list(arg); break; // the last one counts, as in ukify
                case kOptPolicyRef: policyrefs.push_back(arg); break;
                case kOptSignInitrdPcrs: sign_initrd_pcrs = true; break;
                case kOptStub:
                        stub_path = arg;
                        inputs.push_back({arg, "stub"});
                        break;
                case kOptSbKey:
                        sb_key = arg;
                        inputs.push_back({arg, "Secure Boot private key"});
                        break;
                case kOptSbCert:
                        sb_cert = arg;
                        inputs.push_back({arg, "Secure Boot certificate"});
                        break;
                case 'o': output = arg; break;
                case 'l': copt.level = cli::parse_int(arg, "level"); break;
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (!args->empty())
                throw UsageError("zuki build takes no positional arguments");
        if (in.addon)
                return build_addon(in, stub_path, efi_arch, output, sb_key, sb_cert, json, uki_only, inputs);
        if (!efi_arch.empty())
                throw UsageError("--efi-arch is for --addon (a UKI's architecture is its kernel's)");
        // ukify pairs the n-th --pcr-public-key and --phases with the n-th --pcr-private-key.
        if (!pcr_public_keys.empty() && pcr_public_keys.size() != pcr_private_keys.size())
                throw UsageError("Give one --pcr-public-key per --pcr-private-key, or none");
        if (!phase_groups.empty() && phase_groups.size() != pcr_private_keys.size())
                throw UsageError("Give one --phases per --pcr-private-key, or none");
        if (!policyrefs.empty() && policyrefs.size() != pcr_private_keys.size())
                throw UsageError("Give one --policyref per --pcr-private-key, or none");
        if (pcr_private_keys.empty() && !pcr_banks.empty())
                throw UsageError("--pcr-banks needs --pcr-private-key");
        if (pcr_private_keys.empty() && sign_initrd_pcrs)
                throw UsageError("--sign-initrd-pcrs needs --pcr-private-key");
        for (std::string &b : pcr_banks)
                b = policy::normalize_bank(b);
        if (!linux_path.empty())
                inputs.push_back({linux_path, "kernel"});
        refuse_output_over_inputs(output, inputs);
        std::vector<PolicyKeyPair> pcr_keys;
        for (size_t i = 0; i < pcr_private_keys.size(); i++)
                pcr_keys.push_back(load_policy_key_pair(pcr_private_keys[i], pcr_public_keys.empty() ? "" : pcr_public_keys[i]));
        // .pcrpkey (measured, so it is in place before signing): --pcrpkey wins; otherwise the key
        // when there is exactly one, as ukify does.
        if (!in.pcrpkey && pcr_keys.size() == 1)
                in.pcrpkey = public_key_pem(pcr_keys[0].public_key.get());
        if (!pcr_keys.empty()) {
                in.sign_pcr_policy = [&](Bytes image, uint32_t profile) {
                        // The boot of this profile as the stub will make it, with no load options;
                        // with .dtbauto sections, once per .dtbauto the machine may choose, as
                        // ukify 262 signs (a machine that matches none gets no policy there either).
                        std::vector<DtbautoMachine> machines = dtbauto_machines(image, "The new UKI");
                        nlohmann::ordered_json sig = nlohmann::ordered_json::object();
                        for (size_t m = 0; m < std::max<size_t>(machines.size(), 1); m++) {
                                BootConditions conditions;
                                conditions.profile = profile;
                                conditions.machine = machines.empty() ? nullptr : &machines[m].machine;
                                std::unique_ptr<PredictedBoot> boot = predict_boot(image, "The new UKI", conditions);
                                nlohmann::ordered_json one = nlohmann::ordered_json::object();
                                for (size_t i = 0; i < pcr_keys.size(); i++)
                                        policy::sign(boot->plan,
                                                     {pcr_banks, phase_groups.empty() ? std::vector<std::string>() : phase_groups[i],
                                                      policyrefs.empty() ? std::string() : policyrefs[i]},
                                                     pcr_keys[i].private_key.get(), pcr_keys[i].public_key.get(), &one);
                                // ukify 262's --sign-initrd-pcrs: one more group with the first key, a
                                // policy only the initrd phase satisfies, bound to the reference "initrd".
                                if (sign_initrd_pcrs)
                                        policy::sign(boot->plan, {pcr_banks, {"enter-initrd"}, "initrd"},
                                                     pcr_keys[0].private_key.get(), pcr_keys[0].public_key.get(), &one);
                                policy::merge_signatures(&sig, one);
                        }
                        std::string text = sig.dump();
                        return Buffer(text.begin(), text.end());
                };
        }
        if (linux_path.empty())
                throw UsageError("zuki build needs --linux");
        if (output.empty())
                throw UsageError("zuki build needs --output");
        if (sb_key.empty() != sb_cert.empty())
                throw UsageError("--secureboot-private-key and --secureboot-certificate go together");
        // Load and check the signing key first, so a bad key costs no compression time.
        std::optional<authenticode::Signer> signer;
        if (!sb_key.empty())
                signer = authenticode::load_signer(sb_key, sb_cert, {});
        if (!in.osrel && !no_os_release)
                in.osrel = default_os_release();
        in.linux_image = read_file(linux_path);

        // The stub's architecture follows the kernel (or the kernel inside a zboot image).
        Result<pe::View> kv = pe::View::parse(bytes_of(in.linux_image), pe::Layout::File);
        if (!kv)
                fail(linux_path + " is not a kernel with an EFI stub", kv.error());
        std::string stub_file = find_stub(stub_path, kv->machine());
        refuse_output_over_inputs(output, {{stub_file, "stub"}});
        Buffer stub = read_file(stub_file);
        copt.progress = cli::terminal_progress();
        copt.notice = cli::print_notice;
        UkiResult r = build_uki(bytes_of(stub), in, copt);
        // What the stub refuses, the host refuses first: its kernel checks over every profile's
        // .linux and .cmdline, before anything is written.
        try {
                check_stub_accepts_uki(bytes_of(r.image), "The new UKI");
        } catch (const Failure &f) {
                fail(std::string(f.what()) + "; not writing " + output);
        }
        // The guarantee: the stub booting this very file produces PCR 11 values its .pcrsig
        // authorizes, in every profile; otherwise the disk would fall back to its passphrase.
        PolicyCheckOptions pcheck;
        for (const std::vector<std::string> &group : phase_groups)
                pcheck.phases.insert(pcheck.phases.end(), group.begin(), group.end());
        if (sign_initrd_pcrs && !phase_groups.empty())
                pcheck.phases.push_back("enter-initrd");
        PolicyCheck checked = check_embedded_policies(bytes_of(r.image), "The new UKI", pcheck);
        if (!checked.ok())
                fail(checked.problems.front() +
                     (checked.problems.size() > 1 ? " (and " + std::to_string(checked.problems.size() - 1) + " more)" : "") +
                     "; not writing " + output);
        std::optional<authenticode::SignResult> signature = sign_and_write(&r.image, signer, output);
        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["stub"] = stub_file;
                j["uname"] = r.uname;
                describe_output(&j, r, signature);
                cli::print_json(j);
        } else {
                print_summary(output, "UKI", r, signature);
        }
        return 0;
}

} // namespace

const cli::Verb kBuild = {
        "build", kUsage,
        "Assemble a UKI on the zuki stub; the kernel becomes a zboot image unless --no-compress.\n"
        "With PCR keys, embed .pcrpkey and the signed PCR 11 policies as .pcrsig. With --addon,\n"
        "assemble a UKI addon instead, on the addon stub.",
        kOptions, run,
};

} // namespace zuki::verbs
