// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Building a .hwids section from a directory of device descriptions, as ukify 262's --hwids DIR
// does, byte for byte: every *.json below DIR (recursively, in path order) holds "type"
// ("devicetree" or "uefi-fw"), "name", "hwids" (CHID strings) and "compatible" (devicetree) or
// "fwid" (uefi-fw). Descriptions with the same (type, name, compatible/fwid) are merged. Each
// device gets one entry per CHID, CHIDs in ascending order, devices in the order first seen, then
// the end entry, then every distinct string once, sorted, NUL-terminated
// (../shared/hwids.hpp has the entry layout).

#pragma once

#include <string>

#include "file-io.hpp"

namespace zuki {

Buffer build_hwids_section(const std::string &dir);

} // namespace zuki
