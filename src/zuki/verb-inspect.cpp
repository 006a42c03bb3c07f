// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki inspect: what a PE image, kernel, zboot image or UKI contains.

#include "cli.hpp"
#include "extract.hpp"
#include "failure.hpp"
#include "inspect.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptJson = cli::kFirstLongOnly };

constexpr cli::Option kOptions[] = {
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON report instead of text"},
};

constexpr const char *kUsage[] = {"[--json] FILE"};

int run(const cli::Verb &verb, int argc, char **argv) {
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *) {
                if (id == kOptJson)
                        json = true;
        });
        if (!args)
                return 0;
        if (args->size() != 1)
                throw UsageError("zuki inspect takes exactly one FILE argument");
        Buffer image = read_file(args->front());
        nlohmann::ordered_json report = inspect_image(bytes_of(image));
        // Which loaders can read it: kexec (docs/kexec.md).
        KexecSupport kexec = kexec_support(bytes_of(image));
        if (!kexec.summary.empty())
                report["kexec"] = {{"extractable", kexec.extractable},
                                   {"systemd262", kexec.systemd262},
                                   {"summary", kexec.summary}};
        if (json)
                cli::print_json(report);
        else
                std::fputs(render_inspection(report).c_str(), stdout);
        if (!json && !kexec.summary.empty())
                std::printf("kexec: %s\n", kexec.summary.c_str());
        // The report is printed either way; the exit status says whether the stub would boot it.
        if (report.contains("stub_refuses"))
                fail(args->front() + ": " + report["stub_refuses"].get<std::string>());
        return 0;
}

} // namespace

const cli::Verb kInspect = {
        "inspect", kUsage, "Show what a PE image, kernel, zboot image or UKI contains.", kOptions, run,
};

} // namespace zuki::verbs
