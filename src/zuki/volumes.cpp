// SPDX-License-Identifier: LGPL-2.1-or-later

#include "volumes.hpp"

#include <cctype>
#include <climits>
#include <cstdlib>
#include <sstream>

namespace zuki {

namespace {

// crypttab's device prefixes and the /dev/disk directory udev keeps for each.
constexpr std::pair<const char *, const char *> kDeviceTags[] = {
        {"UUID=", "dev/disk/by-uuid/"},
        {"PARTUUID=", "dev/disk/by-partuuid/"},
        {"LABEL=", "dev/disk/by-label/"},
        {"PARTLABEL=", "dev/disk/by-partlabel/"},
};

std::string under(const std::string &root, std::string path) {
        while (!path.empty() && path.front() == '/')
                path.erase(path.begin());
        if (root.empty() || root == "/")
                return "/" + path;
        return root.back() == '/' ? root + path : root + "/" + path;
}

// A crypttab device (or header=) value as a path below `root`.
std::string resolve_device(const std::string &root, const std::string &spec) {
        for (const auto &[tag, dir] : kDeviceTags)
                if (spec.rfind(tag, 0) == 0) {
                        std::string value = spec.substr(std::string(tag).size());
                        // udev names by-uuid links in lower case; crypttab may use either.
                        if (std::string(tag) == "UUID=" || std::string(tag) == "PARTUUID=")
                                for (char &c : value)
                                        c = (char) std::tolower((unsigned char) c);
                        return under(root, dir + value);
                }
        return under(root, spec);
}

// Two paths that name one device (symlinks in /dev/disk resolved); unresolvable ones by text.
std::string canonical(const std::string &path) {
        char buf[PATH_MAX];
        return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

std::vector<std::string> split(const std::string &text, char sep) {
        std::vector<std::string> out;
        std::string cur;
        std::istringstream in(text);
        while (std::getline(in, cur, sep))
                if (!cur.empty())
                        out.push_back(cur);
        return out;
}

} // namespace

std::vector<ConfiguredVolume> configured_volumes(const std::string &root, const std::string &crypttab,
                                                 const std::string &cmdline) {
        std::vector<ConfiguredVolume> out;
        std::istringstream lines(crypttab);
        std::string line;
        while (std::getline(lines, line)) {
                std::istringstream words(line);
                std::string name, device, keyfile, options;
                if (!(words >> name) || name[0] == '#' || !(words >> device))
                        continue;
                words >> keyfile >> options;
                ConfiguredVolume v{name, "crypttab", device, resolve_device(root, device), false};
                for (const std::string &o : split(options, ','))
                        if (o.rfind("header=", 0) == 0) {
                                v.path = resolve_device(root, o.substr(7));
                                v.detached_header = true;
                        }
                out.push_back(v);
        }

        // The root volume from the command line: rd.luks.uuid=UUID (optionally "luks-UUID"),
        // rd.luks.name=UUID=NAME, root=/dev/mapper/luks-UUID.
        std::vector<std::pair<std::string, std::string>> from_cmdline; // UUID, name
        std::istringstream args(cmdline);
        std::string arg;
        while (args >> arg) {
                for (const char *key : {"rd.luks.uuid=", "luks.uuid="})
                        if (arg.rfind(key, 0) == 0) {
                                std::string uuid = arg.substr(std::string(key).size());
                                if (uuid.rfind("luks-", 0) == 0)
                                        uuid = uuid.substr(5);
                                from_cmdline.emplace_back(uuid, "luks-" + uuid);
                        }
                for (const char *key : {"rd.luks.name=", "luks.name="})
                        if (arg.rfind(key, 0) == 0) {
                                std::string rest = arg.substr(std::string(key).size());
                                size_t eq = rest.find('=');
                                from_cmdline.emplace_back(rest.substr(0, eq), eq == std::string::npos ? "" : rest.substr(eq + 1));
                        }
                if (arg.rfind("root=/dev/mapper/luks-", 0) == 0)
                        from_cmdline.emplace_back(arg.substr(22), arg.substr(17));
        }
        for (const auto &[uuid, name] : from_cmdline) {
                if (uuid.empty())
                        continue;
                ConfiguredVolume v{name, "cmdline", "UUID=" + uuid, resolve_device(root, "UUID=" + uuid), false};
                bool known = false;
                for (const ConfiguredVolume &c : out)
                        known |= canonical(c.path) == canonical(v.path) || (c.source == "crypttab" && canonical(resolve_device(root, c.device)) == canonical(v.path));
                if (!known)
                        out.push_back(v);
        }
        return out;
}

} // namespace zuki
