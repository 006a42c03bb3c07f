// SPDX-License-Identifier: LGPL-2.1-or-later

#include "hwids-build.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "chid.hpp"
#include "failure.hpp"
#include "hwids.hpp"

namespace zuki {

namespace {

// A CHID in its text form ("xxxxxxxx-xxxx-..."), with or without braces, any case.
chid::Chid parse_chid(const std::string &text, const std::string &where) {
        std::string hex;
        for (char c : text)
                if (c != '-' && c != '{' && c != '}')
                        hex += c;
        chid::Chid out;
        if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
                fail(where + ": \"" + text + "\" is not a CHID (a UUID)");
        for (size_t i = 0; i < 16; i++)
                out.bytes[i] = (uint8_t) std::stoi(hex.substr(2 * i, 2), nullptr, 16);
        return out;
}

struct Device {
        uint32_t type;
        std::string name, key;
        bool operator<(const Device &o) const { return std::tie(type, name, key) < std::tie(o.type, o.name, o.key); }
};

} // namespace

Buffer build_hwids_section(const std::string &dir) {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
                fail("--hwids: " + dir + " is not a directory");
        std::vector<fs::path> files;
        for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
                if (it->path().extension() == ".json" && !it->is_directory())
                        files.push_back(it->path());
        if (ec)
                fail("--hwids: cannot read " + dir + ": " + ec.message());
        std::sort(files.begin(), files.end());

        std::vector<Device> order;               // devices as first seen
        std::map<Device, std::set<std::string>> chids; // CHIDs per device, sorted by their bytes (hex text)
        std::set<std::string> strings;
        for (const fs::path &path : files) {
                std::string where = path.string();
                Buffer text = read_file(where, 16u << 20);
                nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
                if (j.is_discarded() || !j.is_object())
                        fail(where + ": not a JSON object");
                for (const char *k : {"type", "name", "hwids"})
                        if (!j.contains(k))
                                fail(where + ": no \"" + k + "\"");
                if (!j["type"].is_string() || !j["name"].is_string() || !j["hwids"].is_array())
                        fail(where + ": \"type\" and \"name\" must be strings, \"hwids\" a list");
                std::string type = j["type"];
                uint32_t t = type == "devicetree" ? hwids::kTypeDevicetree : type == "uefi-fw" ? hwids::kTypeUefiFirmware : 0;
                if (!t)
                        fail(where + ": unknown type \"" + type + "\" (devicetree or uefi-fw)");
                const char *key = t == hwids::kTypeDevicetree ? "compatible" : "fwid";
                const char *other = t == hwids::kTypeDevicetree ? "fwid" : "compatible";
                if (j.contains(other))
                        fail(where + ": \"" + other + "\" does not go with type \"" + type + "\"");
                if (!j.contains(key) || !j[key].is_string())
                        fail(where + ": no \"" + key + "\" string");
                Device d{t, j["name"], j[key]};
                if (!chids.count(d))
                        order.push_back(d);
                std::set<std::string> &set = chids[d];
                for (const auto &h : j["hwids"]) {
                        if (!h.is_string())
                                fail(where + ": \"hwids\" must hold strings");
                        chid::Chid c = parse_chid(h, where);
                        char s[37];
                        c.format(s);
                        set.insert(s);
                }
                strings.insert(d.name);
                strings.insert(d.key);
        }
        size_t entries = 1;
        for (const auto &[d, set] : chids)
                entries += set.size();
        std::map<std::string, uint32_t> offsets;
        Buffer blob;
        for (const std::string &s : strings) {
                offsets[s] = (uint32_t) (entries * hwids::kEntrySize + blob.size());
                blob.insert(blob.end(), s.begin(), s.end());
                blob.push_back(0);
        }
        Buffer out;
        for (const Device &d : order)
                for (const std::string &text : chids[d]) {
                        uint8_t e[hwids::kEntrySize] = {};
                        store_le32(e, d.type << 28 | (uint32_t) hwids::kEntrySize);
                        uint8_t efi[16];
                        parse_chid(text, "").efi_bytes(efi);
                        std::copy(efi, efi + 16, e + 4);
                        store_le32(e + 20, offsets[d.name]);
                        store_le32(e + 24, offsets[d.key]);
                        out.insert(out.end(), e, e + sizeof e);
                }
        out.resize(out.size() + hwids::kEntrySize, 0);
        out.insert(out.end(), blob.begin(), blob.end());
        if (out.size() > UINT32_MAX)
                fail("--hwids: the section would be too large");
        return out;
}

} // namespace zuki
