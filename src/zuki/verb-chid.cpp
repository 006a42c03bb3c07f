// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki chid: the Computer Hardware IDs of a machine, computed from its SMBIOS structure table as
// fwupd and `systemd-analyze chid` list them, and which of them systemd-stub 262 (and zuki's stub)
// would match a .hwids section with.

#include <cstdio>

#include "chid.hpp"
#include "smbios.hpp"
#include "cli.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptSmbiosFile = cli::kFirstLongOnly, kOptStub };

constexpr cli::Option kOptions[] = {
        {"smbios-file", kOptSmbiosFile, cli::Arg::Required, "FILE",
         "the SMBIOS structure table (default /sys/firmware/dmi/tables/DMI)"},
        {"stub", kOptStub, cli::Arg::None, nullptr,
         "compute as the stub does: missing strings count as empty, no BIOS/enclosure fields"},
};

constexpr const char *kUsage[] = {"[--smbios-file FILE] [--stub]"};

constexpr const char kFieldChars[chid::kFieldCount + 1] = "MFPSmpBvRreE";

int run(const cli::Verb &verb, int argc, char **argv) {
        std::string path = "/sys/firmware/dmi/tables/DMI";
        chid::Source source = chid::Source::Full;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                if (id == kOptSmbiosFile)
                        path = arg;
                else if (id == kOptStub)
                        source = chid::Source::Stub;
        });
        if (!args)
                return 0;
        if (!args->empty())
                throw UsageError("zuki chid takes no arguments");
        Buffer table = read_file(path, 1u << 20);
        chid::Fields fields;
        chid::fields_from_smbios(bytes_of(table), source, &fields);
        chid::Chid chids[chid::kTypeCount];
        bool absent[chid::kTypeCount];
        chid::compute(fields, chids, absent);
        bool any = false;
        for (size_t t = 0; t < chid::kTypeCount; t++) {
                if (absent[t])
                        continue;
                char flags[chid::kFieldCount + 1] = {};
                for (size_t f = 0; f < chid::kFieldCount; f++)
                        flags[f] = (chid::kTypeFields[t] & (1u << f)) ? kFieldChars[f] : '-';
                char text[37];
                chids[t].format(text);
                std::printf("%2zu %s %s\n", t, flags, text);
                any = true;
        }
        if (!any)
                fail(path + ": no SMBIOS type 1 manufacturer, so no CHID");
        return 0;
}

} // namespace

const cli::Verb kChid = {
        "chid", kUsage, "Print the Computer Hardware IDs (CHIDs) of this machine or of an SMBIOS table.", kOptions,
        run,
};

} // namespace zuki::verbs
