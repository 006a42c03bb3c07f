// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI device paths (UEFI 2.10, 10.2–10.3) as the boot loader interface reads them: the URI a
// network-booted image came from (StubDeviceURL / LoaderDeviceURL, systemd 258). Pure functions
// over bytes, so the host tests run them on hand-made and hostile paths.

#pragma once

#include "base.hpp"

namespace zuki::devpath {

inline constexpr uint8_t kMessagingDevicePath = 0x03;
inline constexpr uint8_t kMsgUriDp = 24; // URI_DEVICE_PATH: the URI's bytes follow the 4-byte header
inline constexpr uint8_t kEndType = 0x7f;
inline constexpr size_t kHeaderSize = 4;
// A path longer than this is taken as malformed (firmware paths have a handful of nodes).
inline constexpr size_t kMaxNodes = 64;

// The size of the device path at `path` up to and including its end node, reading no further
// than `limit` bytes; 0 when no end node comes within kMaxNodes nodes and `limit` bytes, or a
// node is shorter than its header.
size_t path_size(const uint8_t *path, size_t limit);

// The text of the first URI node of `path` (the bytes after the node header, up to the node's end
// or its first NUL: EDK2 and iPXE end the URI with one, the specification does not require it);
// false when there is no URI node or the path is malformed before one. The text is UTF-8 as the
// firmware wrote it; the caller converts it.
bool find_uri(Bytes path, Bytes *uri);

} // namespace zuki::devpath
