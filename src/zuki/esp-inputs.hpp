// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The files on the ESP a UKI picks up (credentials, extensions, addons; sidecar.hpp has the
// rules), gathered on the host for a prediction: either named one by one (zuki measure
// --credential FILE ...) or read from a mounted ESP as the stub started from a given path reads
// it. Only gathering happens here; what the stub makes of the files (sorting, archives, addon
// verdicts, command line, measurements) is the shared model's, run by predict_boot().

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "file-io.hpp"
#include "sidecar.hpp"

namespace zuki {

// One file as the stub would list it: its name on the ESP and its contents.
struct EspFile {
        std::string name; // the directory entry's name (ASCII: sidecar::name_matches() held)
        std::string path; // on the host, for messages
        Buffer data;
};

enum class AddonScope : uint8_t {
        Global, // \loader\addons
        Own,    // the UKI's drop-in directory
};

// The addons are PE files not yet judged: predict_boot() parses and judges them as the stub does.
struct EspSelection {
        std::vector<EspFile> archives[sidecar::kKindCount]; // in any order: the model sorts
        std::vector<EspFile> addons[2];                     // by AddonScope, in any order
        std::optional<std::string> smbios_cmdline_extra;    // the value after the prefix, as QEMU's -smbios gives it
        // Files the stub would skip (not PE, too large, too many): one line each, as the stub logs them.
        std::vector<std::string> notes;

        bool empty() const;
};

// Adds the file at `path` as a `kind` file named by its base name. Fails when the stub would not
// pick up a file of that name for that kind, or a file of that name was already added.
void add_archive_file(EspSelection *selection, sidecar::Kind kind, const std::string &path);

// Adds the addon at `path` under its base name. Fails when the name does not end in .addon.efi
// or the file is not a PE image (the firmware would not load it).
void add_addon_file(EspSelection *selection, AddonScope scope, const std::string &path);

// Reads the ESP mounted at `esp_dir` as the stub started from `uki_path` (an ESP path such as
// /EFI/Linux/foo.efi or \EFI\Linux\foo.efi) reads it: its drop-in directory (sidecar::extra_dir_of())
// and the global directories, entries filtered by sidecar::name_matches() and our limits. Path
// components are matched ignoring ASCII case, as on FAT. Missing directories hold nothing.
void read_esp(EspSelection *selection, const std::string &esp_dir, const std::string &uki_path);

// The option of `kind` (sidecar::kTargets[kind].option without its "--").
const char *option_of(sidecar::Kind kind);

} // namespace zuki
