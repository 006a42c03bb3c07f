// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki status: how the running system booted, and whether a signed-policy TPM unlock would fail.

#include <cstdlib>
#include <sys/stat.h>

#include "boot-status.hpp"
#include "cli.hpp"
#include "failure.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptJson = cli::kFirstLongOnly, kOptRoot, kOptUki };

constexpr cli::Option kOptions[] = {
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON report instead of text"},
        {"root", kOptRoot, cli::Arg::Required, "DIR", "read everything below DIR instead of /"},
        {"uki", kOptUki, cli::Arg::Required, "FILE",
         "predict from FILE instead of the booted UKI found on the ESP (e.g. the one a kernel update wrote)"},
};

constexpr const char *kUsage[] = {"[--json] [--root DIR] [--uki FILE]"};

int run(const cli::Verb &verb, int argc, char **argv) {
        StatusOptions sopt;
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptJson: json = true; break;
                case kOptRoot: sopt.root = arg; break;
                case kOptUki: sopt.uki = arg; break;
                }
        });
        if (!args)
                return 0;
        if (!args->empty())
                throw UsageError("zuki status takes no positional arguments");
        struct stat st;
        if (::stat(sopt.root.c_str(), &st) != 0)
                fail("Root directory " + sopt.root + " does not exist");
        nlohmann::ordered_json report = boot_status(sopt);
        if (json)
                cli::print_json(report);
        else
                std::fputs(render_status(report).c_str(), stdout);
        // Under systemd (JOURNAL_STREAM set) the "<4>" prefix makes this a warning in the journal.
        if (std::string warning = unlock_warning(report); !warning.empty())
                std::fprintf(stderr, "%szuki: warning: %s\n", std::getenv("JOURNAL_STREAM") ? "<4>" : "", warning.c_str());
        return 0;
}

} // namespace

const cli::Verb kStatus = {
        "status", kUsage,
        "Report how the running system booted: stub, boot loader entry, KASLR and W^X,\n"
        "PCR 11 against the UKI's signed PCR policy.",
        kOptions, run,
};

} // namespace zuki::verbs
