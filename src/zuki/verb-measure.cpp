// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki measure: PCR 11 (and PCR 12) predicted as the stub measures them, or the PCR 11 policy
// signed as .pcrsig JSON (systemd-measure's calculate and sign).

#include <algorithm>
#include <cstring>

#include "boot-prediction.hpp"
#include "cli.hpp"
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
        kOptAppend, kOptSecureBoot, kOptSection,
};

// Section files, named as systemd-measure names them; option kOptSection + i is section i.
constexpr const char *kSectionFiles[] = {"linux", "osrel", "cmdline", "initrd", "ucode",
                                         "splash", "dtb", "uname", "sbat", "pcrpkey"};

constexpr cli::Option kOptions[] = {
        {"profile", kOptProfile, cli::Arg::Required, "N", "the UKI profile to measure (default 0)"},
        {"load-options", kOptLoadOptions, cli::Arg::Required, "TEXT", "EFI load options the stub takes as its command line (PCR 12)"},
        {"bank", kOptBank, cli::Arg::Required, "B", "a PCR bank (default sha256); may repeat"},
        {"phase", kOptPhase, cli::Arg::Required, "P", "a phase path, e.g. enter-initrd:leave-initrd; may repeat"},
        {"json", kOptJson, cli::Arg::Optional, "pretty|short", "print JSON (signing: compact unless pretty)"},
        {"private-key", kOptPrivateKey, cli::Arg::Required, "KEY|URI", "sign the PCR 11 policy and print the .pcrsig JSON"},
        {"public-key", kOptPublicKey, cli::Arg::Required, "FILE", "the public key of --private-key (default: derived)"},
        {"append", kOptAppend, cli::Arg::Required, "FILE", "add the signatures to this .pcrsig JSON"},
        {"secure-boot", kOptSecureBoot, cli::Arg::None, nullptr, "predict a boot with Secure Boot on (load options then do not replace .cmdline)"},
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
};

constexpr const char *kUsage[] = {
        "[--profile N] [--load-options TEXT [--secure-boot]] [--bank B]... [--phase P]... [--json] UKI",
        "--linux FILE [--osrel FILE] [--cmdline FILE] [--initrd FILE] [--ucode FILE]\n"
        "[--splash FILE] [--dtb FILE] [--uname FILE] [--sbat FILE] [--pcrpkey FILE] ...",
        "... --private-key KEY|URI [--public-key FILE] [--append FILE] [--json[=pretty]]",
};

int run(const cli::Verb &verb, int argc, char **argv) {
        PredictOptions popt;
        popt.banks.clear();
        uint32_t profile = 0;
        std::optional<std::string> load_options;
        bool json = false, pretty = false, secure_boot = false;
        std::string private_key_path, public_key_path, append_path;
        std::vector<Buffer> files(std::size(kSectionFiles));
        std::vector<bool> given(std::size(kSectionFiles), false);
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
                        break;
                case kOptPrivateKey: private_key_path = arg; break;
                case kOptPublicKey: public_key_path = arg; break;
                case kOptAppend: append_path = arg; break;
                case kOptSecureBoot: secure_boot = true; break;
                }
        });
        if (!args)
                return 0;
        bool signing = !private_key_path.empty();
        if (!signing && (!public_key_path.empty() || !append_path.empty()))
                throw UsageError("--public-key and --append need --private-key");
        if (signing && load_options)
                throw UsageError("--load-options does not apply to signing (PCR 11 only)");
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
                cli::print_json(j);
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

} // namespace

const cli::Verb kMeasure = {
        "measure", kUsage,
        "Predict PCR 11 (and PCR 12) as the stub measures them, per bank and phase path. With\n"
        "--private-key, sign the PCR 11 policy per bank and phase path and print the .pcrsig JSON\n"
        "(as systemd-measure sign does).",
        kOptions, run,
};

} // namespace zuki::verbs
