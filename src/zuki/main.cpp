// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The zuki command line: finds the verb (verbs.hpp, one file each) and maps what it throws to the
// exit status: 1 for failures, 2 for usage errors, each with one line on stderr.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "cli.hpp"
#include "failure.hpp"
#include "verbs.hpp"

#ifndef ZUKI_VERSION
#error "ZUKI_VERSION must be defined"
#endif

namespace zuki {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr const cli::Verb *kVerbs[] = {
        &verbs::kZboot,       &verbs::kBuild, &verbs::kMeasure, &verbs::kGenkey,  &verbs::kCheckUnlock,
        &verbs::kCheckPolicy, &verbs::kSign,  &verbs::kVerify,  &verbs::kInspect, &verbs::kExtract,
        &verbs::kKexec,       &verbs::kStatus,      &verbs::kChid,
};

void print_help() {
        std::printf("zuki " ZUKI_VERSION " - EFI zboot images and UKIs with the zuki stub\n\nUsage:\n");
        for (const cli::Verb *verb : kVerbs)
                cli::print_verb_overview(*verb, stdout);
        std::printf("  zuki --help | --version\n"
                    "\n"
                    "Run 'zuki VERB --help' for the options of a verb. See zuki(1).\n");
}

int run(int argc, char **argv) {
        if (argc < 2)
                throw UsageError("No verb given; see 'zuki --help'");
        std::string name = argv[1];
        if (name == "--help" || name == "-h" || name == "help") {
                print_help();
                return 0;
        }
        if (name == "--version") {
                std::printf("zuki " ZUKI_VERSION "\n");
                return 0;
        }
        // Each verb sees argv starting at its own name.
        for (const cli::Verb *verb : kVerbs)
                if (name == verb->name)
                        return verb->run(*verb, argc - 1, argv + 1);
        throw UsageError("Unknown verb '" + name + "'; see 'zuki --help'");
}

// What a verb printed is its result (the .pcrsig JSON of `measure --private-key`, a --json report):
// a full disk or a closed pipe behind stdout must not end in success with the result cut short.
int finish_stdout(int status) {
        errno = 0;
        if (std::fflush(stdout) == 0 && !std::ferror(stdout))
                return status;
        std::fprintf(stderr, "zuki: Cannot write to standard output: %s\n", std::strerror(errno ? errno : EIO));
        return status == 0 ? kExitFailure : status;
}

} // namespace
} // namespace zuki

int main(int argc, char **argv) {
        try {
                return zuki::finish_stdout(zuki::run(argc, argv));
        } catch (const zuki::UsageError &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return zuki::kExitUsage;
        } catch (const zuki::Failure &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return zuki::kExitFailure;
        } catch (const std::bad_alloc &) {
                std::fprintf(stderr, "zuki: out of memory\n");
                return zuki::kExitFailure;
        }
}
