// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki chid: the Computer Hardware IDs of a machine, computed from its SMBIOS structure table as
// fwupd and `systemd-analyze chid` list them, and which of them systemd-stub 262 (and zuki's stub)
// would match a .hwids section with.

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "chid.hpp"
#include "smbios.hpp"
#include "cli.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptSmbiosFile = cli::kFirstLongOnly, kOptEdid, kOptStub };

constexpr cli::Option kOptions[] = {
        {"smbios-file", kOptSmbiosFile, cli::Arg::Required, "FILE",
         "the SMBIOS structure table (default /sys/firmware/dmi/tables/DMI)"},
        {"edid", kOptEdid, cli::Arg::Required, "FILE",
         "the display's EDID, for the EDID CHIDs (default: the one EDID under /sys/class/drm, if only one)"},
        {"stub", kOptStub, cli::Arg::None, nullptr,
         "compute as the stub does: missing strings count as empty, no BIOS/enclosure fields"},
};

constexpr const char *kUsage[] = {"[--smbios-file FILE] [--edid FILE] [--stub]"};

// The EDID of this machine's display as `systemd-analyze chid` picks it: the edid attributes of
// the DRM connectors; only when exactly one holds an EDID (several: which one the firmware reports
// is unknown, and the EDID CHIDs are left out, with a note).
struct Edid {
        std::string path; // empty: none chosen
        Buffer data;
};

Edid system_edid() {
        std::vector<Edid> found;
        std::error_code ec;
        for (const auto &entry : std::filesystem::directory_iterator("/sys/class/drm", ec)) {
                std::string path = entry.path().string() + "/edid";
                std::error_code exists_ec;
                if (!std::filesystem::exists(path, exists_ec))
                        continue;
                // A connector that cannot be read is passed over, as systemd-analyze does.
                try {
                        Buffer b = read_to_end(path, 64u << 10);
                        char id[7];
                        if (chid::edid_panel_id(bytes_of(b), id))
                                found.push_back(Edid{path, std::move(b)});
                } catch (const Failure &) {
                }
        }
        if (found.size() > 1) {
                std::fprintf(stderr, "zuki chid: %zu displays report an EDID, leaving out the EDID CHIDs; choose one with --edid:\n",
                             found.size());
                for (const Edid &f : found)
                        std::fprintf(stderr, "  %s\n", f.path.c_str());
                return {};
        }
        return found.empty() ? Edid{} : std::move(found[0]);
}

constexpr const char kFieldChars[chid::kFieldCount + 1] = "MFPSmpBvRreE";

int run(const cli::Verb &verb, int argc, char **argv) {
        std::string path = "/sys/firmware/dmi/tables/DMI", edid_path;
        bool this_machine = true;
        chid::Source source = chid::Source::Full;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                if (id == kOptSmbiosFile)
                        path = arg, this_machine = false;
                else if (id == kOptEdid)
                        edid_path = arg;
                else if (id == kOptStub)
                        source = chid::Source::Stub;
        });
        if (!args)
                return 0;
        if (!args->empty())
                throw UsageError("zuki chid takes no arguments");
        Buffer table = read_to_end(path, 1u << 20);
        chid::Fields fields;
        chid::fields_from_smbios(bytes_of(table), source, &fields);
        Edid edid;
        if (!edid_path.empty())
                edid = Edid{edid_path, read_to_end(edid_path, 64u << 10)};
        else if (this_machine)
                edid = system_edid(); // read once, while choosing
        edid_path = edid.path;
        if (!edid_path.empty()) {
                if (!chid::set_edid(bytes_of(edid.data), &fields))
                        fail(edid_path + ": not an EDID (128 bytes or more starting 00 ff ff ff ff ff ff 00, letters A-Z)");
                std::fprintf(stderr, "zuki chid: EDID panel %.7s from %s\n", fields.edid_panel, edid_path.c_str());
        }
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
