// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki check-unlock: will the UKI's signed PCR policy unlock the volume's systemd-tpm2 token after
// a reboot? The exit status is the answer (see check-unlock.hpp and zuki(1)).

#include "check-unlock.hpp"
#include "cli.hpp"
#include "failure.hpp"
#include "uki.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptProfile = cli::kFirstLongOnly, kOptPhase, kOptJson };

constexpr cli::Option kOptions[] = {
        {"profile", kOptProfile, cli::Arg::Required, "N", "the UKI profile that will boot (default 0)"},
        {"phase", kOptPhase, cli::Arg::Required, "P", "a phase path to check (default: the four of systemd-pcrphase)"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON report instead of text"},
};

constexpr const char *kUsage[] = {"[--profile N] [--phase P]... [--json] UKI DEVICE|LUKS-HEADER-FILE"};

int run(const cli::Verb &verb, int argc, char **argv) {
        uint32_t profile = 0;
        CheckUnlockOptions copt;
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptProfile: {
                        int p = cli::parse_int(arg, "profile");
                        if (p < 0 || (uint32_t) p >= uki::kMaxProfiles)
                                throw UsageError(std::string("Invalid profile: ") + arg);
                        profile = (uint32_t) p;
                        break;
                }
                case kOptPhase: copt.phases.push_back(arg); break;
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (args->size() != 2)
                throw UsageError("zuki check-unlock takes a UKI and a LUKS2 device or header file");
        const std::string &uki_path = (*args)[0], &volume = (*args)[1];

        Buffer uki = read_file(uki_path);
        UkiPolicy policy = uki_policy_of(bytes_of(uki), profile, uki_path);
        VolumeVerdict v = judge_volume(read_tpm2_tokens(volume), policy, copt);
        bool unlocks = v.answer == UnlockAnswer::Unlocks || v.answer == UnlockAnswer::UnlocksWithPin;
        if (json) {
                nlohmann::ordered_json j;
                j["uki"] = uki_path;
                j["volume"] = volume;
                j["profile"] = profile;
                j["answer"] = answer_name(v.answer);
                j["exit"] = (int) v.answer;
                j["unlocks"] = unlocks;
                j["pin"] = v.answer == UnlockAnswer::UnlocksWithPin;
                j["reason"] = v.reason;
                j["tokens"] = v.tokens;
                cli::print_json(j);
        } else {
                std::printf("%s: %s (%s)\n%s", unlocks ? "yes" : v.answer == UnlockAnswer::CannotTell ? "cannot tell" : "no",
                            answer_name(v.answer), v.reason.c_str(), v.lines.c_str());
        }
        return (int) v.answer;
}

} // namespace

const cli::Verb kCheckUnlock = {
        "check-unlock", kUsage,
        "Tell whether the UKI's signed PCR policy will unlock the volume's systemd-tpm2\n"
        "token after a reboot (exit status per answer, see zuki(1)).",
        kOptions, run,
};

} // namespace zuki::verbs
