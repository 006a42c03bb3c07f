// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki check-policy: does every profile's .pcrsig authorize the PCR 11 values the stub will
// produce booting this UKI? (policy-check.hpp; zuki-ukify and kernel-install ask before installing.)

#include "cli.hpp"
#include "failure.hpp"
#include "pcr-policy.hpp"
#include "policy-check.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptPhases = cli::kFirstLongOnly, kOptJson };

constexpr cli::Option kOptions[] = {
        {"phases", kOptPhases, cli::Arg::Required, "P,...", "phase paths accepted besides the systemd-pcrphase sequences"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON report instead of text"},
};

constexpr const char *kUsage[] = {"[--phases P,...] [--json] UKI"};

int run(const cli::Verb &verb, int argc, char **argv) {
        PolicyCheckOptions popt;
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptPhases: {
                        std::vector<std::string> paths = policy::parse_phase_group(arg);
                        popt.phases.insert(popt.phases.end(), paths.begin(), paths.end());
                        break;
                }
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (args->size() != 1)
                throw UsageError("zuki check-policy takes exactly one UKI argument");
        const std::string &path = args->front();
        Buffer uki = read_file(path);
        PolicyCheck r = check_embedded_policies(bytes_of(uki), path, popt);
        if (json) {
                nlohmann::ordered_json j;
                j["uki"] = path;
                j["ok"] = r.ok();
                j["problems"] = r.problems;
                j["profiles"] = r.report;
                cli::print_json(j);
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

} // namespace

const cli::Verb kCheckPolicy = {
        "check-policy", kUsage,
        "Check that every profile's .pcrsig authorizes the PCR 11 values the stub will\n"
        "produce booting this UKI (exit 1 and one line per problem otherwise).",
        kOptions, run,
};

} // namespace zuki::verbs
