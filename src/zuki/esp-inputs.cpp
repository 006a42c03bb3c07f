// SPDX-License-Identifier: LGPL-2.1-or-later

#include "esp-inputs.hpp"

#include <algorithm>
#include <filesystem>

#include "failure.hpp"
#include "pe.hpp"
#include "text.hpp"

namespace zuki {

namespace fs = std::filesystem;

namespace {

std::u16string to_u16(const std::string &utf8) {
        Bytes in(reinterpret_cast<const uint8_t *>(utf8.data()), utf8.size());
        if (!text::is_valid_utf8(in))
                return {};
        std::u16string out(text::utf8_to_utf16(in, Span<char16_t>()), u'\0');
        text::utf8_to_utf16(in, Span<char16_t>(out.data(), out.size()));
        return out;
}

std::string to_ascii(const char16_t *s) {
        std::string out;
        for (; *s; s++)
                out += (char) *s;
        return out;
}

bool matches(const std::string &name, bool is_directory, const char16_t *suffix, const char16_t *exclude) {
        std::u16string n = to_u16(name);
        return !n.empty() && sidecar::name_matches(Span<const char16_t>(n.data(), n.size()), is_directory, suffix, exclude);
}

bool is_pe(Bytes data) { return bool(pe::View::parse(data, pe::Layout::File)); }

void add_unique(std::vector<EspFile> *files, EspFile f, const std::string &what) {
        for (const EspFile &e : *files)
                if (e.name == f.name)
                        fail(what + ": " + f.path + " and " + e.path + " have the same name on the ESP");
        files->push_back(std::move(f));
}

bool equal_no_case(const std::string &a, const std::string &b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                          [](char x, char y) { return std::tolower((unsigned char) x) == std::tolower((unsigned char) y); });
}

// The host path of the ESP path `esp_path` ('\' separated) below `root`, components matched
// ignoring ASCII case as FAT does; nullopt when a component is missing.
std::optional<fs::path> resolve(const fs::path &root, const std::string &esp_path) {
        fs::path p = root;
        size_t pos = 0;
        while (pos <= esp_path.size()) {
                size_t end = esp_path.find('\\', pos);
                if (end == std::string::npos)
                        end = esp_path.size();
                std::string part = esp_path.substr(pos, end - pos);
                pos = end + 1;
                if (part.empty())
                        continue;
                std::error_code ec;
                if (fs::exists(p / part, ec)) {
                        p /= part;
                        continue;
                }
                std::optional<fs::path> found;
                for (const fs::directory_entry &e : fs::directory_iterator(p, ec))
                        if (equal_no_case(e.path().filename().string(), part)) {
                                found = e.path();
                                break;
                        }
                if (!found)
                        return std::nullopt;
                p = *found;
        }
        return p;
}

// The entries of the ESP directory `dir` the stub would list for `suffix`, with their contents,
// in directory order (the model sorts). Skipped files are noted as the stub logs them.
std::vector<EspFile> list(EspSelection *selection, const fs::path &root, const char16_t *dir, const char16_t *suffix,
                          const char16_t *exclude) {
        std::vector<EspFile> out;
        std::string esp_dir = to_ascii(dir);
        std::optional<fs::path> host = resolve(root, esp_dir);
        std::error_code ec;
        if (!host || !fs::is_directory(*host, ec))
                return out;
        for (const fs::directory_entry &e : fs::directory_iterator(*host, ec)) {
                std::string name = e.path().filename().string();
                if (!matches(name, e.is_directory(ec), suffix, exclude))
                        continue;
                uint64_t size = e.file_size(ec);
                if (ec)
                        fail("Cannot read " + e.path().string() + ": " + ec.message());
                if (size > sidecar::kMaxFileSize) {
                        selection->notes.push_back("Ignoring " + esp_dir + "\\" + name + ": " + std::to_string(size) +
                                                   " bytes, the limit is " + std::to_string(sidecar::kMaxFileSize));
                        continue;
                }
                if (out.size() == sidecar::kMaxEntries) {
                        selection->notes.push_back("Ignoring " + esp_dir + "\\" + name + ": more than " +
                                                   std::to_string(sidecar::kMaxEntries) + " entries in the directory");
                        continue;
                }
                out.push_back({name, e.path().string(), read_file(e.path().string())});
        }
        if (ec)
                fail("Cannot list " + host->string() + ": " + ec.message());
        return out;
}

} // namespace

bool EspSelection::empty() const {
        for (const auto &a : archives)
                if (!a.empty())
                        return false;
        return addons[0].empty() && addons[1].empty() && !smbios_cmdline_extra;
}

const char *option_of(sidecar::Kind kind) { return sidecar::kTargets[(size_t) kind].option + 2; }

void add_archive_file(EspSelection *selection, sidecar::Kind kind, const std::string &path) {
        const sidecar::Target &t = sidecar::kTargets[(size_t) kind];
        std::string name = fs::path(path).filename().string();
        if (!matches(name, false, t.suffix, t.exclude_suffix))
                throw UsageError(std::string(t.option) + " " + path + ": the stub does not pick up a file named \"" + name +
                                 "\" for " + t.option + " (it must end in " + to_ascii(t.suffix) +
                                 (t.exclude_suffix ? ", not " + to_ascii(t.exclude_suffix) : std::string()) +
                                 ", be ASCII, not start with '.', at most " + std::to_string(sidecar::kMaxNameLength) +
                                 " characters)");
        Buffer data = read_file(path);
        if (data.size() > sidecar::kMaxFileSize)
                fail(path + ": " + std::to_string(data.size()) + " bytes, the stub's limit is " +
                     std::to_string(sidecar::kMaxFileSize));
        add_unique(&selection->archives[(size_t) kind], {name, path, std::move(data)}, t.option);
}

void add_addon_file(EspSelection *selection, AddonScope scope, const std::string &path) {
        const char *option = scope == AddonScope::Global ? "--global-addon" : "--addon";
        std::string name = fs::path(path).filename().string();
        if (!matches(name, false, sidecar::kAddonSuffix, nullptr))
                throw UsageError(std::string(option) + " " + path + ": the stub does not pick up a file named \"" + name +
                                 "\" for " + option + " (it must end in .addon.efi, be ASCII, not start with '.', at most " +
                                 std::to_string(sidecar::kMaxNameLength) + " characters)");
        Buffer data = read_file(path);
        Result<pe::View> view = pe::View::parse(bytes_of(data), pe::Layout::File);
        if (!view)
                fail(std::string(option) + " " + path + " is not a PE image (the firmware would not load it)", view.error());
        add_unique(&selection->addons[(size_t) scope], {name, path, std::move(data)}, option);
}

void read_esp(EspSelection *selection, const std::string &esp_dir, const std::string &uki_path) {
        std::error_code ec;
        if (!fs::is_directory(esp_dir, ec))
                fail("--esp " + esp_dir + ": not a directory");
        std::u16string image = to_u16(uki_path);
        if (image.empty())
                throw UsageError("--uki-path " + uki_path + ": not an ESP path");
        char16_t own[1024];
        if (!sidecar::extra_dir_of(Span<const char16_t>(image.data(), image.size()), Span<char16_t>(own, std::size(own))))
                throw UsageError("--uki-path " + uki_path + ": too long");
        fs::path root(esp_dir);

        const char16_t *addon_dirs[2] = {sidecar::kGlobalAddonDir, own};
        for (size_t scope = 0; scope < 2; scope++)
                for (EspFile &f : list(selection, root, addon_dirs[scope], sidecar::kAddonSuffix, nullptr)) {
                        // The firmware's LoadImage refuses what is not a PE image: the stub logs it and goes on.
                        if (!is_pe(bytes_of(f.data))) {
                                selection->notes.push_back("Failed to load addon " + to_ascii(addon_dirs[scope]) + "\\" + f.name +
                                                           ": not a PE image, ignoring");
                                continue;
                        }
                        selection->addons[scope].push_back(std::move(f));
                }
        for (size_t k = 0; k < sidecar::kKindCount; k++) {
                const sidecar::Target &t = sidecar::kTargets[k];
                for (EspFile &f : list(selection, root, t.global_dir ? t.global_dir : own, t.suffix, t.exclude_suffix))
                        selection->archives[k].push_back(std::move(f));
        }
}

} // namespace zuki
