// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The zuki command line. Each verb parses its own options; errors are one line on stderr and a
// non-zero exit status (1 for failures, 2 for usage errors).

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <regex>
#include <set>
#include <functional>
#include <optional>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "check-unlock.hpp"
#include "authenticode.hpp"
#include "boot-prediction.hpp"
#include "boot-status.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "inspect.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"
#include "policy-check.hpp"
#include "text.hpp"
#include "uki-build.hpp"
#include "uki.hpp"
#include "zboot-image.hpp"

#ifndef ZUKI_VERSION
#error "ZUKI_VERSION must be defined"
#endif
#ifndef ZUKI_STUB_DIR
#error "ZUKI_STUB_DIR must be defined"
#endif

namespace zuki {
namespace {

constexpr int kExitUsage = 2;
// zuki verify: 0 valid, 1 invalid or unsigned, 2 usage, 3 could not check (see zuki(1)).
constexpr int kExitInvalid = 1;
constexpr int kExitCannotCheck = 3;

class UsageError : public Failure {
public:
        using Failure::Failure;
};

void print_help() {
        std::printf(
                "zuki " ZUKI_VERSION " - EFI zboot images and UKIs with the zuki stub\n"
                "\n"
                "Usage:\n"
                "  zuki zboot [--level N] [--no-long] [--threads N] [--x86-boot auto|direct|efistub] [--stub FILE]\n"
                "             [--output OUT] [--json] KERNEL\n"
                "      Wrap a Linux kernel with an EFI stub (x86_64 bzImage, arm64 Image) into a\n"
                "      zboot image: the zuki stub plus the zstd-compressed kernel.\n"
                "  zuki build --linux KERNEL [--initrd FILE]... [--cmdline TEXT|@FILE] [--os-release TEXT|@FILE]\n"
                "             [--uname TEXT] [--sbat TEXT|@FILE] [--splash FILE] [--devicetree FILE]\n"
                "             [--microcode FILE] [--pcrpkey FILE] [--no-compress] [--x86-boot MODE] [--stub FILE]\n"
                "             [--section NAME:TEXT|@FILE]... [--profile TEXT|@FILE [--profile-cmdline TEXT|@FILE]]...\n"
                "             [--pcr-private-key KEY|URI [--pcr-public-key FILE] [--phases P,...]]... [--pcr-banks B,...]\n"
                "             [--secureboot-private-key KEY|URI --secureboot-certificate CERT] --output UKI\n"
                "      Assemble a UKI on the zuki stub; the kernel becomes a zboot image unless --no-compress.\n"
                "      With PCR keys, embed .pcrpkey and the signed PCR 11 policies as .pcrsig.\n"
                "  zuki measure [--profile N] [--load-options TEXT [--secure-boot]] [--bank B]... [--phase P]... [--json] UKI\n"
                "  zuki measure --linux FILE [--osrel FILE] [--cmdline FILE] [--initrd FILE] [--ucode FILE]\n"
                "               [--splash FILE] [--dtb FILE] [--uname FILE] [--sbat FILE] [--pcrpkey FILE] ...\n"
                "      Predict PCR 11 (and PCR 12) as the stub measures them, per bank and phase path.\n"
                "  zuki measure ... --private-key KEY|URI [--public-key FILE] [--append FILE] [--json[=pretty]]\n"
                "      Sign the PCR 11 policy per bank and phase path; print the .pcrsig JSON\n"
                "      (as systemd-measure sign does).\n"
                "  zuki genkey --pcr-private-key FILE [--pcr-public-key FILE] [--secureboot-private-key FILE\n"
                "              --secureboot-certificate FILE [--secureboot-certificate-validity DAYS]\n"
                "              [--secureboot-certificate-common-name CN]] [--json]\n"
                "      Create new keys (RSA 2048) as ukify genkey does; never overwrites a file.\n"
                "  zuki check-unlock [--profile N] [--phase P]... [--json] UKI DEVICE|LUKS-HEADER-FILE\n"
                "      Tell whether the UKI's signed PCR policy will unlock the volume's systemd-tpm2\n"
                "      token after a reboot (exit status per answer, see zuki(1)).\n"
                "  zuki check-policy [--phases P,...] [--json] UKI\n"
                "      Check that every profile's .pcrsig authorizes the PCR 11 values the stub will\n"
                "      produce booting this UKI (exit 1 and one line per problem otherwise).\n"
                "  zuki sign --private-key KEY|pkcs11:URI --certificate CERT [--chain FILE]... [--replace]\n"
                "            [--output OUT] [--json] IMAGE\n"
                "      Authenticode-sign a PE image (SHA-256, PKCS#7) for UEFI Secure Boot.\n"
                "  zuki verify --certificate CERT [--json] IMAGE\n"
                "      Check an image's Authenticode signature against a certificate (exit 0 valid,\n"
                "      1 invalid or unsigned, 3 could not check).\n"
                "  zuki inspect [--json] FILE\n"
                "      Show what a PE image, kernel, zboot image or UKI contains.\n"
                "  zuki status [--json] [--root DIR]\n"
                "      Report how the running system booted: stub, boot loader entry, KASLR and W^X,\n"
                "      PCR 11 against the UKI's signed PCR policy.\n"
                "  zuki --help | --version\n"
                "\n"
                "zboot options:\n"
                "  -l, --level N     zstd level (default 19)\n"
                "      --no-long     disable long-distance matching\n"
                "      --x86-boot    x86_64: 'direct' re-packs vmlinux so the stub enters the kernel itself\n"
                "                    (one decompression, physical and virtual KASLR); 'efistub' keeps the\n"
                "                    bzImage for its own EFI stub; 'auto' (default) is direct when the kernel\n"
                "                    qualifies (64-bit entry, relocatable, relocation table present)\n"
                "  -T, --threads N   compression threads (default: one per CPU)\n"
                "      --stub FILE   stub to use (default: $ZUKI_STUB_DIR or " ZUKI_STUB_DIR ")\n"
                "  -o, --output OUT  output file (default: <KERNEL name>.zboot.efi in the current directory)\n"
                "      --json        print a JSON summary instead of text\n"
                "\n"
                "See zuki(1).\n");
}

std::string arch_suffix(uint16_t machine) { return machine == pe::kMachineArm64 ? "aa64" : "x64"; }

bool exists(const std::string &path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0;
}

// --stub, then $ZUKI_STUB_DIR, then the stub beside a build-tree binary, then the installed one.
std::string find_stub(const std::string &explicit_stub, uint16_t machine) {
        if (!explicit_stub.empty())
                return explicit_stub;
        std::string name = "zuki" + arch_suffix(machine) + ".efi.stub";
        if (const char *dir = std::getenv("ZUKI_STUB_DIR"); dir && *dir)
                return std::string(dir) + "/" + name;
        char self[4096];
        ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = 0;
                std::string dir(self);
                dir = dir.substr(0, dir.rfind('/'));
                std::string candidate = dir + "/../boot/" + name;
                if (exists(candidate))
                        return candidate;
        }
        return std::string(ZUKI_STUB_DIR) + "/" + name;
}

// Compression progress on stderr, when that is a terminal (nothing in logs or pipes).
std::function<void(uint64_t, uint64_t)> terminal_progress() {
        if (!isatty(STDERR_FILENO))
                return {};
        return [](uint64_t done, uint64_t total) {
                std::fprintf(stderr, "\rCompressing kernel: %3d%%", (int) (done * 100 / total));
                if (done == total)
                        std::fprintf(stderr, "\n");
        };
}

bool same_file(const std::string &a, const std::string &b) {
        struct stat sa, sb;
        return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

int parse_int(const char *arg, const char *what) {
        char *end = nullptr;
        errno = 0;
        long v = std::strtol(arg, &end, 10);
        if (errno || !end || *end || v < -1000 || v > 1000)
                throw UsageError(std::string("Invalid ") + what + ": " + arg);
        return (int) v;
}

X86Boot parse_x86_boot(const char *arg) {
        std::string a = arg;
        if (a == "auto")
                return X86Boot::Auto;
        if (a == "direct")
                return X86Boot::Direct;
        if (a == "efistub")
                return X86Boot::EfiStub;
        throw UsageError("Invalid --x86-boot value: " + a + " (auto, direct or efistub)");
}

void print_notice(const std::string &line) { std::fprintf(stderr, "zuki: %s\n", line.c_str()); }

int verb_zboot(int argc, char **argv) {
        enum { kOptNoLong = 0x100, kOptStub, kOptJson, kOptX86Boot };
        static const option options[] = {
                {"level", required_argument, nullptr, 'l'},  {"no-long", no_argument, nullptr, kOptNoLong},
                {"x86-boot", required_argument, nullptr, kOptX86Boot},
                {"threads", required_argument, nullptr, 'T'}, {"stub", required_argument, nullptr, kOptStub},
                {"output", required_argument, nullptr, 'o'},  {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},          {},
        };
        CompressOptions copt;
        std::string stub_path, output;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "l:T:o:h", options, nullptr)) != -1) {
                switch (c) {
                case 'l': copt.level = parse_int(optarg, "level"); break;
                case kOptNoLong: copt.long_distance = false; break;
                case kOptX86Boot: copt.x86_boot = parse_x86_boot(optarg); break;
                case 'T': copt.workers = parse_int(optarg, "thread count"); break;
                case kOptStub: stub_path = optarg; break;
                case 'o': output = optarg; break;
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki zboot takes exactly one KERNEL argument");
        std::string kernel_path = argv[optind];
        if (output.empty()) {
                std::string base = kernel_path.substr(kernel_path.rfind('/') + 1);
                output = base + ".zboot.efi";
        }
        if (same_file(kernel_path, output))
                fail("Output " + output + " would replace the input kernel");

        Buffer kernel = read_file(kernel_path);
        KernelInfo info = identify_kernel(bytes_of(kernel), kernel_path);
        std::string stub_file = find_stub(stub_path, info.machine);
        Buffer stub = read_file(stub_file);

        copt.progress = terminal_progress();
        copt.notice = print_notice;
        ZbootImage z = build_zboot(bytes_of(stub), bytes_of(kernel), copt);
        write_file_atomic(output, bytes_of(z.image), 0644);

        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["stub"] = stub_file;
                j["machine"] = pe::machine_name(info.machine);
                j["release"] = info.release;
                j["kernel_size"] = kernel.size();
                j["uncompressed_size"] = z.uncompressed_size;
                j["compressed_size"] = z.compressed_size;
                j["image_size"] = z.image.size();
                if (info.machine == pe::kMachineX64) {
                        j["x86_boot"] = z.x86_direct ? "direct" : "efistub";
                        if (z.x86_direct)
                                j["kernel_codec"] = z.x86_codec;
                }
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                std::printf("%s: %s kernel %s, %zu bytes -> zboot image %zu bytes (payload %llu of %llu bytes%s)\n",
                            output.c_str(), pe::machine_name(info.machine),
                            info.release.empty() ? "(release unknown)" : info.release.c_str(), kernel.size(),
                            z.image.size(), (unsigned long long) z.compressed_size,
                            (unsigned long long) z.uncompressed_size,
                            info.machine != pe::kMachineX64 ? ""
                            : z.x86_direct                  ? ", x86 direct boot"
                                                            : ", kernel's EFI stub");
        }
        return 0;
}

int verb_inspect(int argc, char **argv) {
        enum { kOptJson = 0x100 };
        static const option options[] = {
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki inspect takes exactly one FILE argument");
        Buffer image = read_file(argv[optind]);
        nlohmann::ordered_json report = inspect_image(bytes_of(image));
        if (json)
                std::printf("%s\n", report.dump(2).c_str());
        else
                std::fputs(render_inspection(report).c_str(), stdout);
        return 0;
}

// TEXT, or the contents of FILE for "@FILE" (ukify's convention).
Buffer text_or_file(const char *arg) {
        if (arg[0] == '@')
                return read_file(arg + 1);
        return Buffer(arg, arg + std::strlen(arg));
}

Buffer default_os_release() {
        for (const char *p : {"/etc/os-release", "/usr/lib/os-release"})
                if (exists(p))
                        return read_file(p);
        fail("No --os-release given and no /etc/os-release or /usr/lib/os-release");
}

// A PCR policy signing key and the public key that names it (pkfp). Without a public key file the
// public key is derived from the private key; a given one must belong to it.
struct PolicyKeyPair {
        Pkey private_key, public_key;
};

PolicyKeyPair load_policy_key_pair(const std::string &private_path, const std::string &public_path) {
        PolicyKeyPair k;
        k.private_key = load_private_key(private_path);
        check_policy_key(k.private_key.get(), private_key_name(private_path));
        if (public_path.empty()) {
                k.public_key = public_half(k.private_key.get());
                return k;
        }
        k.public_key = load_public_key(public_path);
        check_policy_key(k.public_key.get(), public_path);
        if (!same_public_key(k.private_key.get(), k.public_key.get()))
                fail(public_path + " is not the public key of " + private_key_name(private_path));
        return k;
}

// ukify's list syntax for --pcr-banks and --phases: items separated by commas or whitespace.
std::vector<std::string> split_list(const std::string &text) {
        std::vector<std::string> out;
        std::string cur;
        for (char c : text + ",") {
                if (c == ',' || std::isspace((unsigned char) c)) {
                        if (!cur.empty())
                                out.push_back(cur);
                        cur.clear();
                } else {
                        cur += c;
                }
        }
        return out;
}

// The boot of a UKI's profile as the stub will make it, with no load options; its plan points
// into `uki` and into the result.
std::unique_ptr<PredictedBoot> plan_of_uki(Bytes uki, const std::string &what, uint32_t profile) {
        BootConditions conditions;
        conditions.profile = profile;
        return predict_boot(uki, what, conditions);
}

// The phase words systemd-pcrphase measures (ukify's KNOWN_PHASES).
std::vector<std::string> parse_phase_group(const std::string &text) {
        static const std::set<std::string> kKnown = {"enter-initrd", "leave-initrd", "sysinit", "ready", "shutdown", "final"};
        std::vector<std::string> paths = split_list(text);
        for (const std::string &p : paths)
                for (const std::string &w : phase_words(p))
                        if (!kKnown.count(w))
                                throw UsageError("Unknown boot phase '" + w + "' in " + p);
        if (paths.empty())
                throw UsageError("--phases needs at least one phase path");
        return paths;
}

int verb_build(int argc, char **argv) {
        enum {
                kOptLinux = 0x100, kOptInitrd, kOptCmdline, kOptOsRelease, kOptNoOsRelease, kOptUname, kOptSbat,
                kOptSplash, kOptDevicetree, kOptMicrocode, kOptPcrpkey, kOptNoCompress, kOptStub, kOptJson,
                kOptProfile, kOptProfileCmdline, kOptSection, kOptPcrPrivateKey, kOptPcrPublicKey, kOptPhases,
                kOptPcrBanks, kOptSbKey, kOptSbCert, kOptX86Boot,
        };
        static const option options[] = {
                {"linux", required_argument, nullptr, kOptLinux},
                {"initrd", required_argument, nullptr, kOptInitrd},
                {"cmdline", required_argument, nullptr, kOptCmdline},
                {"os-release", required_argument, nullptr, kOptOsRelease},
                {"no-os-release", no_argument, nullptr, kOptNoOsRelease},
                {"uname", required_argument, nullptr, kOptUname},
                {"sbat", required_argument, nullptr, kOptSbat},
                {"splash", required_argument, nullptr, kOptSplash},
                {"devicetree", required_argument, nullptr, kOptDevicetree},
                {"microcode", required_argument, nullptr, kOptMicrocode},
                {"pcrpkey", required_argument, nullptr, kOptPcrpkey},
                {"no-compress", no_argument, nullptr, kOptNoCompress},
                {"profile", required_argument, nullptr, kOptProfile},
                {"profile-cmdline", required_argument, nullptr, kOptProfileCmdline},
                {"section", required_argument, nullptr, kOptSection},
                {"pcr-private-key", required_argument, nullptr, kOptPcrPrivateKey},
                {"pcr-public-key", required_argument, nullptr, kOptPcrPublicKey},
                {"phases", required_argument, nullptr, kOptPhases},
                {"pcr-banks", required_argument, nullptr, kOptPcrBanks},
                {"secureboot-private-key", required_argument, nullptr, kOptSbKey},
                {"secureboot-certificate", required_argument, nullptr, kOptSbCert},
                {"stub", required_argument, nullptr, kOptStub},
                {"output", required_argument, nullptr, 'o'},
                {"level", required_argument, nullptr, 'l'},
                {"x86-boot", required_argument, nullptr, kOptX86Boot},
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        UkiInputs in;
        CompressOptions copt;
        std::string linux_path, stub_path, output, sb_key, sb_cert;
        bool json = false, no_os_release = false;
        std::vector<std::string> pcr_private_keys, pcr_public_keys, pcr_banks;
        std::vector<std::vector<std::string>> phase_groups;
        int c;
        while ((c = getopt_long(argc, argv, "o:l:h", options, nullptr)) != -1) {
                switch (c) {
                case kOptLinux: linux_path = optarg; break;
                case kOptX86Boot: copt.x86_boot = parse_x86_boot(optarg); break;
                case kOptInitrd: in.initrds.push_back(read_file(optarg)); break;
                case kOptCmdline: in.cmdline = text_or_file(optarg); break;
                case kOptOsRelease: in.osrel = text_or_file(optarg); break;
                case kOptNoOsRelease: no_os_release = true; break;
                case kOptUname: in.uname = optarg; break;
                case kOptSbat: in.sbat = text_or_file(optarg); break;
                case kOptSplash: in.splash = read_file(optarg); break;
                case kOptDevicetree: in.devicetree = read_file(optarg); break;
                case kOptMicrocode: in.microcode = read_file(optarg); break;
                case kOptPcrpkey: in.pcrpkey = read_file(optarg); break;
                case kOptNoCompress: in.compress = false; break;
                case kOptProfile: in.profiles.push_back({text_or_file(optarg), std::nullopt}); break;
                case kOptSection: {
                        const char *colon = std::strchr(optarg, ':');
                        if (!colon)
                                throw UsageError(std::string("--section wants NAME:TEXT or NAME:@FILE, got ") + optarg);
                        std::string name(optarg, (size_t) (colon - optarg));
                        validate_section_name(name);
                        in.extra_sections.emplace_back(name, text_or_file(colon + 1));
                        break;
                }
                case kOptProfileCmdline:
                        if (in.profiles.empty())
                                throw UsageError("--profile-cmdline must follow a --profile");
                        in.profiles.back().cmdline = text_or_file(optarg);
                        break;
                case kOptPcrPrivateKey: pcr_private_keys.push_back(optarg); break;
                case kOptPcrPublicKey: pcr_public_keys.push_back(optarg); break;
                case kOptPhases: phase_groups.push_back(parse_phase_group(optarg)); break;
                case kOptPcrBanks: pcr_banks = split_list(optarg); break; // the last one counts, as in ukify
                case kOptStub: stub_path = optarg; break;
                case kOptSbKey: sb_key = optarg; break;
                case kOptSbCert: sb_cert = optarg; break;
                case 'o': output = optarg; break;
                case 'l': copt.level = parse_int(optarg, "level"); break;
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind != argc)
                throw UsageError("zuki build takes no positional arguments");
        // ukify pairs the n-th --pcr-public-key and --phases with the n-th --pcr-private-key.
        if (!pcr_public_keys.empty() && pcr_public_keys.size() != pcr_private_keys.size())
                throw UsageError("Give one --pcr-public-key per --pcr-private-key, or none");
        if (!phase_groups.empty() && phase_groups.size() != pcr_private_keys.size())
                throw UsageError("Give one --phases per --pcr-private-key, or none");
        if (pcr_private_keys.empty() && !pcr_banks.empty())
                throw UsageError("--pcr-banks needs --pcr-private-key");
        for (std::string &b : pcr_banks)
                b = policy::normalize_bank(b);
        std::vector<PolicyKeyPair> pcr_keys;
        for (size_t i = 0; i < pcr_private_keys.size(); i++)
                pcr_keys.push_back(load_policy_key_pair(pcr_private_keys[i], pcr_public_keys.empty() ? "" : pcr_public_keys[i]));
        // .pcrpkey (measured, so it is in place before signing): --pcrpkey wins; otherwise the key
        // when there is exactly one, as ukify does.
        if (!in.pcrpkey && pcr_keys.size() == 1)
                in.pcrpkey = public_key_pem(pcr_keys[0].public_key.get());
        if (!pcr_keys.empty()) {
                in.sign_pcr_policy = [&](Bytes image, uint32_t profile) {
                        std::unique_ptr<PredictedBoot> boot = plan_of_uki(image, "The new UKI", profile);
                        nlohmann::ordered_json sig = nlohmann::ordered_json::object();
                        for (size_t i = 0; i < pcr_keys.size(); i++)
                                policy::sign(boot->plan, {pcr_banks, phase_groups.empty() ? std::vector<std::string>() : phase_groups[i]},
                                             pcr_keys[i].private_key.get(), pcr_keys[i].public_key.get(), &sig);
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
        uint16_t machine = 0;
        Result<pe::View> kv = pe::View::parse(bytes_of(in.linux_image), pe::Layout::File);
        if (!kv)
                fail(linux_path + " is not a kernel with an EFI stub", kv.error());
        machine = kv->machine();
        std::string stub_file = find_stub(stub_path, machine);
        Buffer stub = read_file(stub_file);
        copt.progress = terminal_progress();
        copt.notice = print_notice;
        UkiResult r = build_uki(bytes_of(stub), in, copt);
        // The guarantee: the stub booting this very file produces PCR 11 values its .pcrsig
        // authorizes, in every profile; otherwise the disk would fall back to its passphrase.
        PolicyCheckOptions pcheck;
        for (const std::vector<std::string> &group : phase_groups)
                pcheck.phases.insert(pcheck.phases.end(), group.begin(), group.end());
        PolicyCheck checked = check_embedded_policies(bytes_of(r.image), "The new UKI", pcheck);
        if (!checked.ok())
                fail(checked.problems.front() +
                     (checked.problems.size() > 1 ? " (and " + std::to_string(checked.problems.size() - 1) + " more)" : "") +
                     "; not writing " + output);
        // Signing is the last step: nothing may change the image afterwards.
        std::optional<authenticode::SignResult> signature;
        if (signer) {
                authenticode::SignOptions sopt;
                sopt.signing_time = authenticode::source_date_epoch();
                signature = authenticode::sign_image(bytes_of(r.image), *signer, sopt);
                r.image = std::move(signature->image);
        }
        write_file_atomic(output, bytes_of(r.image), 0644);
        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["stub"] = stub_file;
                j["uname"] = r.uname;
                j["size"] = r.image.size();
                for (const AddedSection &s : r.sections)
                        j["sections"].push_back({{"name", s.name}, {"size", s.size}});
                if (signature) {
                        j["signed"] = {{"signer", signature->signer},
                                       {"sha256", to_hex(bytes_of(signature->digest))},
                                       {"signing_time", authenticode::format_time(signature->signing_time)}};
                }
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                std::printf("%s: UKI %zu bytes, kernel %s, sections", output.c_str(), r.image.size(),
                            r.uname.empty() ? "(release unknown)" : r.uname.c_str());
                for (const AddedSection &s : r.sections)
                        std::printf(" %s", s.name.c_str());
                if (signature)
                        std::printf(", signed by %s", signature->signer.c_str());
                std::printf("\n");
        }
        return 0;
}

int verb_sign(int argc, char **argv) {
        enum { kOptKey = 0x100, kOptCert, kOptChain, kOptReplace, kOptJson };
        static const option options[] = {
                {"private-key", required_argument, nullptr, kOptKey},
                {"certificate", required_argument, nullptr, kOptCert},
                {"chain", required_argument, nullptr, kOptChain},
                {"replace", no_argument, nullptr, kOptReplace},
                {"output", required_argument, nullptr, 'o'},
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        std::string key, cert, output;
        std::vector<std::string> chain;
        authenticode::SignOptions sopt;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "o:h", options, nullptr)) != -1) {
                switch (c) {
                case kOptKey: key = optarg; break;
                case kOptCert: cert = optarg; break;
                case kOptChain: chain.push_back(optarg); break;
                case kOptReplace: sopt.replace = true; break;
                case 'o': output = optarg; break;
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki sign takes exactly one IMAGE argument");
        if (key.empty() || cert.empty())
                throw UsageError("zuki sign needs --private-key and --certificate");
        std::string image_path = argv[optind];
        if (output.empty())
                output = image_path; // signed in place, atomically
        sopt.signing_time = authenticode::source_date_epoch();

        Buffer image = read_file(image_path);
        authenticode::Signer signer = authenticode::load_signer(key, cert, chain);
        authenticode::SignResult r;
        try {
                r = authenticode::sign_image(bytes_of(image), signer, sopt);
        } catch (const Failure &e) {
                fail(image_path + ": " + e.what());
        }
        struct stat st;
        unsigned mode = same_file(image_path, output) && ::stat(output.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
        write_file_atomic(output, bytes_of(r.image), mode);

        std::string digest = to_hex(bytes_of(r.digest));
        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["signer"] = r.signer;
                j["sha256"] = digest;
                j["signing_time"] = authenticode::format_time(r.signing_time);
                j["replaced"] = r.replaced;
                j["certificate_table"] = {{"offset", r.table.offset}, {"size", r.table.size}};
                j["signature_size"] = r.signature_size;
                j["size"] = r.image.size();
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                std::printf("%s: signed by %s, sha256 %s%s\n", output.c_str(), r.signer.c_str(), digest.c_str(),
                            r.replaced ? " (old signature replaced)" : "");
        }
        return 0;
}

int verb_verify(int argc, char **argv) {
        enum { kOptCert = 0x100, kOptJson };
        static const option options[] = {
                {"certificate", required_argument, nullptr, kOptCert},
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        std::string cert_path;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptCert: cert_path = optarg; break;
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki verify takes exactly one IMAGE argument");
        if (cert_path.empty())
                throw UsageError("zuki verify needs --certificate");
        std::string image_path = argv[optind];

        // Inputs that cannot be read say nothing about the signature: a distinct exit status.
        X509Ptr cert;
        Buffer image;
        try {
                cert = load_certificate(cert_path);
                image = read_file(image_path);
        } catch (const Failure &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return kExitCannotCheck;
        }
        authenticode::VerifyResult r = authenticode::verify_image(bytes_of(image), cert.get());

        // The reason to report: the image's own problem, or the first signature's.
        std::string problem = r.problem;
        if (!r.valid && problem.empty() && !r.signatures.empty())
                problem = r.signatures.front().problem;
        if (json) {
                nlohmann::ordered_json j;
                j["image"] = image_path;
                j["valid"] = r.valid;
                j["signed"] = r.is_signed;
                if (!r.valid)
                        j["problem"] = problem;
                if (!r.digest.empty())
                        j["sha256"] = to_hex(bytes_of(r.digest));
                j["signatures"] = nlohmann::ordered_json::array();
                for (const authenticode::SignatureCheck &s : r.signatures) {
                        nlohmann::ordered_json e;
                        e["valid"] = s.valid;
                        if (!s.valid)
                                e["problem"] = s.problem;
                        e["signer"] = s.signer;
                        e["issuer"] = s.issuer;
                        e["digest_algorithm"] = s.digest_algorithm;
                        e["signed_digest"] = to_hex(bytes_of(s.signed_digest));
                        if (s.signing_time)
                                e["signing_time"] = authenticode::format_time(*s.signing_time);
                        j["signatures"].push_back(e);
                }
                std::printf("%s\n", j.dump(2).c_str());
        }
        if (!r.valid) {
                std::fprintf(stderr, "zuki: %s: signature not valid: %s\n", image_path.c_str(), problem.c_str());
                return kExitInvalid;
        }
        if (!json) {
                for (const authenticode::SignatureCheck &s : r.signatures) {
                        if (!s.valid)
                                continue;
                        std::printf("%s: valid signature by %s, sha256 %s%s%s\n", image_path.c_str(), s.signer.c_str(),
                                    to_hex(bytes_of(r.digest)).c_str(), s.signing_time ? ", signed " : "",
                                    s.signing_time ? authenticode::format_time(*s.signing_time).c_str() : "");
                        break;
                }
        }
        return 0;
}

int verb_measure(int argc, char **argv) {
        enum {
                kOptProfile = 0x100, kOptLoadOptions, kOptBank, kOptPhase, kOptJson, kOptPrivateKey, kOptPublicKey,
                kOptAppend, kOptSecureBoot, kOptSection,
        };
        // Section files, named as systemd-measure names them.
        static const char *const kSectionOptions[] = {"linux", "osrel", "cmdline", "initrd", "ucode", "splash",
                                                      "dtb", "uname", "sbat", "pcrpkey"};
        std::vector<option> options = {
                {"profile", required_argument, nullptr, kOptProfile},
                {"load-options", required_argument, nullptr, kOptLoadOptions},
                {"bank", required_argument, nullptr, kOptBank},
                {"phase", required_argument, nullptr, kOptPhase},
                {"json", optional_argument, nullptr, kOptJson},
                {"private-key", required_argument, nullptr, kOptPrivateKey},
                {"public-key", required_argument, nullptr, kOptPublicKey},
                {"append", required_argument, nullptr, kOptAppend},
                {"secure-boot", no_argument, nullptr, kOptSecureBoot},
                {"help", no_argument, nullptr, 'h'},
        };
        for (size_t i = 0; i < std::size(kSectionOptions); i++)
                options.push_back({kSectionOptions[i], required_argument, nullptr, (int) (kOptSection + i)});
        options.push_back({});

        PredictOptions popt;
        popt.banks.clear();
        uint32_t profile = 0;
        std::optional<std::string> load_options;
        bool json = false, pretty = false, secure_boot = false;
        std::string private_key_path, public_key_path, append_path;
        std::vector<Buffer> files(std::size(kSectionOptions));
        std::vector<bool> given(std::size(kSectionOptions), false);
        int c;
        while ((c = getopt_long(argc, argv, "h", options.data(), nullptr)) != -1) {
                if (c >= kOptSection && c < kOptSection + (int) std::size(kSectionOptions)) {
                        files[c - kOptSection] = read_file(optarg);
                        given[c - kOptSection] = true;
                        continue;
                }
                switch (c) {
                case kOptProfile: profile = (uint32_t) parse_int(optarg, "profile"); break;
                case kOptLoadOptions: load_options = optarg; break;
                case kOptBank: popt.banks.push_back(optarg); break;
                case kOptPhase: popt.phases.push_back(optarg); break;
                case kOptJson:
                        json = true;
                        if (optarg && std::strcmp(optarg, "pretty") != 0 && std::strcmp(optarg, "short") != 0)
                                throw UsageError(std::string("--json takes pretty or short, not ") + optarg);
                        pretty = optarg && std::strcmp(optarg, "pretty") == 0;
                        break;
                case kOptPrivateKey: private_key_path = optarg; break;
                case kOptPublicKey: public_key_path = optarg; break;
                case kOptAppend: append_path = optarg; break;
                case kOptSecureBoot: secure_boot = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        bool signing = !private_key_path.empty();
        if (!signing && (!public_key_path.empty() || !append_path.empty()))
                throw UsageError("--public-key and --append need --private-key");
        if (signing && load_options)
                throw UsageError("--load-options does not apply to signing (PCR 11 only)");
        if (popt.banks.empty())
                popt.banks = {"sha256"};
        bool from_files = std::find(given.begin(), given.end(), true) != given.end();
        if (from_files ? optind != argc : optind + 1 != argc)
                throw UsageError("zuki measure takes either one UKI or section files (--linux ...)");

        // The stub's boot under these conditions, from the shared boot model.
        BootConditions conditions;
        conditions.profile = profile;
        conditions.load_options = load_options;
        conditions.secure_boot = secure_boot;
        std::unique_ptr<PredictedBoot> boot;
        Buffer uki;
        if (from_files) {
                if (profile != 0)
                        throw UsageError("--profile applies to a UKI, not to section files");
                measure::SectionContents contents;
                for (size_t i = 0; i < std::size(kSectionOptions); i++) {
                        if (!given[i])
                                continue;
                        std::string name = std::string(".") + kSectionOptions[i];
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
                uki = read_file(argv[optind]);
                boot = predict_boot(bytes_of(uki), argv[optind], conditions);
        }
        // Load options the stub will not use are worth one line: a PCR 12 prediction users expect.
        if (load_options && boot->boot.options_fate != model::OptionsFate::Used)
                std::fprintf(stderr, "zuki: the load options are %s; PCR 12 gets no command line\n",
                             model::describe(boot->boot.options_fate));
        const measure::Plan &plan = boot->plan;

        if (signing) {
                // Everything is read and checked before anything is printed.
                nlohmann::ordered_json out = append_path.empty() ? nlohmann::ordered_json::object()
                                                                 : policy::load_signature_json(append_path);
                PolicyKeyPair keys = load_policy_key_pair(private_key_path, public_key_path);
                policy::sign(plan, {popt.banks, popt.phases}, keys.private_key.get(), keys.public_key.get(), &out);
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
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                for (const PcrPrediction &p : predictions) {
                        std::printf("%u:%s=%s", p.pcr, p.bank.c_str(), to_hex(bytes_of(p.value)).c_str());
                        if (p.pcr == measure::kPcrKernelBoot)
                                std::printf(" # phase %s", p.phase.empty() ? ":" : p.phase.c_str());
                        std::printf("\n");
                }
        }
        return 0;
}

// The common name ukify gives a generated Secure Boot certificate (at most 64 bytes, RFC 5280
// ub-common-name).
std::string default_common_name() {
        char host[256] = "";
        if (::gethostname(host, sizeof host - 1) != 0)
                std::strcpy(host, "localhost");
        std::string cn = std::string("SecureBoot signing key on host ") + host;
        if (cn.size() > 64)
                cn = cn.substr(0, 61) + "...";
        return cn;
}

int verb_genkey(int argc, char **argv) {
        enum {
                kOptPcrPrivateKey = 0x100, kOptPcrPublicKey, kOptSbKey, kOptSbCert, kOptSbValidity, kOptSbCommonName,
                kOptSbCertDir, kOptJson,
        };
        static const option options[] = {
                {"pcr-private-key", required_argument, nullptr, kOptPcrPrivateKey},
                {"pcr-public-key", required_argument, nullptr, kOptPcrPublicKey},
                {"secureboot-private-key", required_argument, nullptr, kOptSbKey},
                {"secureboot-certificate", required_argument, nullptr, kOptSbCert},
                {"secureboot-certificate-validity", required_argument, nullptr, kOptSbValidity},
                {"secureboot-certificate-common-name", required_argument, nullptr, kOptSbCommonName},
                {"secureboot-certificate-dir", required_argument, nullptr, kOptSbCertDir},
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        std::vector<std::string> pcr_private, pcr_public;
        std::string sb_key, sb_cert, common_name = default_common_name();
        int validity = 3650;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptPcrPrivateKey: pcr_private.push_back(optarg); break;
                case kOptPcrPublicKey: pcr_public.push_back(optarg); break;
                case kOptSbKey: sb_key = optarg; break;
                case kOptSbCert: sb_cert = optarg; break;
                case kOptSbValidity: {
                        char *end = nullptr;
                        long days = std::strtol(optarg, &end, 10);
                        if (!*optarg || *end || days < 1 || days > 36500)
                                throw UsageError(std::string("Invalid certificate validity (days, 1-36500): ") + optarg);
                        validity = (int) days;
                        break;
                }
                case kOptSbCommonName:
                        common_name = optarg;
                        if (common_name.empty() || common_name.size() > 64)
                                throw UsageError("The common name must be 1 to 64 bytes long");
                        break;
                case kOptSbCertDir: break; // ukify's NSS database for pesign; genkey writes files
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind != argc)
                throw UsageError("zuki genkey takes no positional arguments");
        if (sb_key.empty() != sb_cert.empty())
                throw UsageError("--secureboot-private-key and --secureboot-certificate go together");
        if (pcr_public.size() > pcr_private.size())
                throw UsageError("Each --pcr-public-key needs a --pcr-private-key");
        if (pcr_private.empty() && sb_key.empty())
                throw UsageError("zuki genkey needs --pcr-private-key or --secureboot-private-key/--secureboot-certificate");

        // Refuse before generating anything: every output must be new and named once.
        std::vector<std::string> outputs = pcr_private;
        outputs.insert(outputs.end(), pcr_public.begin(), pcr_public.end());
        if (!sb_key.empty())
                outputs.insert(outputs.end(), {sb_key, sb_cert});
        std::set<std::string> seen;
        for (const std::string &o : outputs) {
                if (!seen.insert(o).second)
                        throw UsageError(o + " is named twice");
                struct stat st;
                if (::lstat(o.c_str(), &st) == 0)
                        fail(o + " already exists; not overwriting it");
        }

        // Written so far, removed again if a later one fails (no half-made key set).
        std::vector<std::string> written;
        nlohmann::ordered_json report = nlohmann::ordered_json::array();
        auto write = [&](const std::string &path, const Buffer &data, unsigned mode, const char *what, EVP_PKEY *key) {
                write_file_new(path, bytes_of(data), mode);
                written.push_back(path);
                report.push_back({{"file", path}, {"content", what}, {"pkfp", to_hex(bytes_of(key_fingerprint(key)))}});
        };
        try {
                for (size_t i = 0; i < pcr_private.size(); i++) {
                        Pkey key = generate_rsa_key(2048);
                        SecretBuffer pem(private_key_pem(key.get()));
                        write(pcr_private[i], pem.get(), 0600, "PCR signing private key", key.get());
                        if (i < pcr_public.size())
                                write(pcr_public[i], public_key_pem(key.get()), 0644, "PCR signing public key", key.get());
                }
                if (!sb_key.empty()) {
                        Pkey key = generate_rsa_key(2048);
                        SecretBuffer pem(private_key_pem(key.get()));
                        Buffer cert = self_signed_certificate_pem(key.get(), common_name, validity);
                        write(sb_key, pem.get(), 0600, "Secure Boot private key", key.get());
                        write(sb_cert, cert, 0644, "Secure Boot certificate", key.get());
                }
        } catch (...) {
                for (const std::string &w : written)
                        ::unlink(w.c_str());
                throw;
        }
        if (json) {
                std::printf("%s\n", report.dump(2).c_str());
        } else {
                for (const auto &r : report)
                        std::printf("%s: %s (key fingerprint %s)\n", r["file"].get<std::string>().c_str(),
                                    r["content"].get<std::string>().c_str(), r["pkfp"].get<std::string>().c_str());
        }
        return 0;
}

int verb_check_unlock(int argc, char **argv) {
        enum { kOptProfile = 0x100, kOptPhase, kOptJson };
        static const option options[] = {
                {"profile", required_argument, nullptr, kOptProfile},
                {"phase", required_argument, nullptr, kOptPhase},
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        uint32_t profile = 0;
        CheckUnlockOptions copt;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptProfile: {
                        int p = parse_int(optarg, "profile");
                        if (p < 0 || (uint32_t) p >= uki::kMaxProfiles)
                                throw UsageError(std::string("Invalid profile: ") + optarg);
                        profile = (uint32_t) p;
                        break;
                }
                case kOptPhase: copt.phases.push_back(optarg); break;
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 2 != argc)
                throw UsageError("zuki check-unlock takes a UKI and a LUKS2 device or header file");
        std::string uki_path = argv[optind], volume = argv[optind + 1];

        Buffer uki = read_file(uki_path);
        UkiPolicy policy;
        std::unique_ptr<PredictedBoot> boot = plan_of_uki(bytes_of(uki), uki_path, profile);
        policy.plan = boot->plan;
        for (auto [id, has, data] : {std::tuple{uki::SectionId::Pcrsig, &policy.has_pcrsig, &policy.pcrsig},
                                     std::tuple{uki::SectionId::Pcrpkey, &policy.has_pcrpkey, &policy.pcrpkey}}) {
                *has = boot->has_section(id);
                if (*has) {
                        Bytes b = boot->boot.section(id);
                        data->assign(b.begin(), b.end());
                }
        }
        // Trailing NULs in .pcrsig (section padding written by some tools) are not JSON.
        while (!policy.pcrsig.empty() && policy.pcrsig.back() == 0)
                policy.pcrsig.pop_back();

        std::vector<std::pair<int, std::string>> tokens = read_tpm2_tokens(volume);
        UnlockAnswer best = UnlockAnswer::NoToken;
        std::string best_reason = "the volume has no systemd-tpm2 token";
        nlohmann::ordered_json token_reports = nlohmann::ordered_json::array();
        std::string lines;
        for (const auto &[id, text] : tokens) {
                Bytes tb(reinterpret_cast<const uint8_t *>(text.data()), text.size());
                TokenVerdict v = judge_token(parse_tpm2_token(tb, "Token " + std::to_string(id)), policy, copt);
                nlohmann::ordered_json r;
                r["token"] = id;
                r["answer"] = answer_name(v.answer);
                r["exit"] = (int) v.answer;
                r["reason"] = v.reason;
                for (auto &[k, val] : v.details.items())
                        r[k] = val;
                token_reports.push_back(r);
                lines += "  token " + std::to_string(id) + ": " + answer_name(v.answer) + ": " + v.reason + "\n";
                if (answer_rank(v.answer) < answer_rank(best) || token_reports.size() == 1) {
                        best = v.answer;
                        best_reason = "token " + std::to_string(id) + ": " + v.reason;
                }
        }
        bool unlocks = best == UnlockAnswer::Unlocks || best == UnlockAnswer::UnlocksWithPin;
        if (json) {
                nlohmann::ordered_json j;
                j["uki"] = uki_path;
                j["volume"] = volume;
                j["profile"] = profile;
                j["answer"] = answer_name(best);
                j["exit"] = (int) best;
                j["unlocks"] = unlocks;
                j["pin"] = best == UnlockAnswer::UnlocksWithPin;
                j["reason"] = best_reason;
                j["tokens"] = token_reports;
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                std::printf("%s: %s (%s)\n%s", unlocks ? "yes" : best == UnlockAnswer::CannotTell ? "cannot tell" : "no",
                            answer_name(best), best_reason.c_str(), lines.c_str());
        }
        return (int) best;
}

int verb_check_policy(int argc, char **argv) {
        enum { kOptPhases = 0x100, kOptJson };
        static const option options[] = {
                {"phases", required_argument, nullptr, kOptPhases},
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        PolicyCheckOptions popt;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptPhases: {
                        std::vector<std::string> paths = parse_phase_group(optarg);
                        popt.phases.insert(popt.phases.end(), paths.begin(), paths.end());
                        break;
                }
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki check-policy takes exactly one UKI argument");
        std::string path = argv[optind];
        Buffer uki = read_file(path);
        PolicyCheck r = check_embedded_policies(bytes_of(uki), path, popt);
        if (json) {
                nlohmann::ordered_json j;
                j["uki"] = path;
                j["ok"] = r.ok();
                j["problems"] = r.problems;
                j["profiles"] = r.report;
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                for (const auto &p : r.report) {
                        std::printf("profile %u: ", p["profile"].get<uint32_t>());
                        if (!p["pcrsig"].get<bool>()) {
                                std::printf("no .pcrsig\n");
                                continue;
                        }
                        size_t n = p.contains("entries") ? p["entries"].size() : 0;
                        std::printf("%zu .pcrsig entr%s authorize%s this UKI's PCR 11\n", n, n == 1 ? "y" : "ies",
                                    n == 1 ? "s" : "");
                }
        }
        for (const std::string &problem : r.problems)
                std::fprintf(stderr, "zuki: %s\n", problem.c_str());
        return r.ok() ? 0 : 1;
}

int verb_status(int argc, char **argv) {
        enum { kOptJson = 0x100, kOptRoot };
        static const option options[] = {
                {"json", no_argument, nullptr, kOptJson},
                {"root", required_argument, nullptr, kOptRoot},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        StatusOptions sopt;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptJson: json = true; break;
                case kOptRoot: sopt.root = optarg; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind != argc)
                throw UsageError("zuki status takes no positional arguments");
        if (!exists(sopt.root))
                fail("Root directory " + sopt.root + " does not exist");
        nlohmann::ordered_json report = boot_status(sopt);
        if (json)
                std::printf("%s\n", report.dump(2).c_str());
        else
                std::fputs(render_status(report).c_str(), stdout);
        // Under systemd (JOURNAL_STREAM set) the "<4>" prefix makes this a warning in the journal.
        if (std::string warning = unlock_warning(report); !warning.empty())
                std::fprintf(stderr, "%szuki: warning: %s\n", std::getenv("JOURNAL_STREAM") ? "<4>" : "", warning.c_str());
        return 0;
}

int run(int argc, char **argv) {
        if (argc < 2)
                throw UsageError("No verb given; see 'zuki --help'");
        std::string verb = argv[1];
        if (verb == "--help" || verb == "-h" || verb == "help") {
                print_help();
                return 0;
        }
        if (verb == "--version") {
                std::printf("zuki " ZUKI_VERSION "\n");
                return 0;
        }
        // Each verb sees argv starting at its own name.
        optind = 1;
        if (verb == "zboot")
                return verb_zboot(argc - 1, argv + 1);
        if (verb == "inspect")
                return verb_inspect(argc - 1, argv + 1);
        if (verb == "build")
                return verb_build(argc - 1, argv + 1);
        if (verb == "measure")
                return verb_measure(argc - 1, argv + 1);
        if (verb == "genkey")
                return verb_genkey(argc - 1, argv + 1);
        if (verb == "check-unlock")
                return verb_check_unlock(argc - 1, argv + 1);
        if (verb == "check-policy")
                return verb_check_policy(argc - 1, argv + 1);
        if (verb == "sign")
                return verb_sign(argc - 1, argv + 1);
        if (verb == "verify")
                return verb_verify(argc - 1, argv + 1);
        if (verb == "status")
                return verb_status(argc - 1, argv + 1);
        throw UsageError("Unknown verb '" + verb + "'; see 'zuki --help'");
}

} // namespace
} // namespace zuki

// What a verb printed is its result (the .pcrsig JSON of `measure --private-key`, a --json report):
// a full disk or a closed pipe behind stdout must not end in success with the result cut short.
static int finish_stdout(int status) {
        errno = 0;
        if (std::fflush(stdout) == 0 && !std::ferror(stdout))
                return status;
        std::fprintf(stderr, "zuki: Cannot write to standard output: %s\n",
                     std::strerror(errno ? errno : EIO));
        return status == 0 ? 1 : status;
}

int main(int argc, char **argv) {
        try {
                return finish_stdout(zuki::run(argc, argv));
        } catch (const zuki::UsageError &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return zuki::kExitUsage;
        } catch (const zuki::Failure &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return 1;
        } catch (const std::bad_alloc &) {
                std::fprintf(stderr, "zuki: out of memory\n");
                return 1;
        }
}
