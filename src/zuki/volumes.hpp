// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The encrypted volumes this system unlocks at boot, as systemd-cryptsetup learns them: entries of
// /etc/crypttab (crypttab(5): name, device, key file, options) and the root volume named on the
// kernel command line (rd.luks.uuid=, rd.luks.name=, luks.uuid=, luks.name=, or a root= of the
// form /dev/mapper/luks-UUID, as systemd-cryptsetup-generator and dracut name it). Devices given
// as UUID=, PARTUUID=, LABEL=, PARTLABEL= are looked up in /dev/disk/by-*; everything is read
// below a root directory, so tests can fake it.

#pragma once

#include <string>
#include <vector>

namespace zuki {

struct ConfiguredVolume {
        std::string name;    // the mapping name ("" when the command line does not give one)
        std::string source;  // "crypttab" or "cmdline"
        std::string device;  // as written: "UUID=…", "/dev/sda2", "/luks.img"
        std::string path;    // where the LUKS2 header is read: the device or header= file, under the root
        bool detached_header = false;
};

// Every volume of <root>/etc/crypttab, then the command line's root volume unless crypttab
// already names the same device. `cmdline` is the kernel command line (from <root>/proc/cmdline).
std::vector<ConfiguredVolume> configured_volumes(const std::string &root, const std::string &crypttab,
                                                 const std::string &cmdline);

} // namespace zuki
