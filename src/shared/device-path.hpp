// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI device paths (UEFI 2.10, 10.2–10.3) as the stub reads them: the URI a network-booted image
// came from (StubDeviceURL / LoaderDeviceURL, systemd 258), the GPT partition of the ESP
// (LoaderDevicePartUUID), the file-path nodes of the UKI (its ".extra.d" directory) and the
// device part of a path. One bounded walk serves all of them; pure functions over bytes, so the
// host tests and the fuzzer run them on hand-made and hostile paths.

#pragma once

#include "base.hpp"

namespace zuki::devpath {

inline constexpr uint8_t kMessagingDevicePath = 0x03;
inline constexpr uint8_t kMsgUriDp = 24; // URI_DEVICE_PATH: the URI's bytes follow the 4-byte header
inline constexpr uint8_t kMediaDevicePath = 0x04;
inline constexpr uint8_t kMediaHardDriveDp = 0x01; // HARDDRIVE_DEVICE_PATH
inline constexpr uint8_t kMediaFilePathDp = 0x04;  // FILEPATH_DEVICE_PATH: a NUL-terminated UTF-16 name
inline constexpr uint8_t kEndType = 0x7f;
inline constexpr size_t kHeaderSize = 4;
// A path longer than this is taken as malformed (firmware paths have a handful of nodes).
inline constexpr size_t kMaxNodes = 64;

struct Node {
        uint8_t type = 0;
        uint8_t subtype = 0;
        Bytes data; // the bytes after the node's header
};

// A walk over the nodes of one device path, never reading outside `path`. next() gives each node
// before the end node; it returns false at the end node, and also where the path is malformed (a
// node shorter than its header or longer than what is left, no end node within kMaxNodes), which
// ended() tells apart.
class Nodes {
public:
        explicit Nodes(Bytes path) : path_(path) {}
        bool next(Node *node);
        // After next() returned false: whether the walk stopped at a well-formed end node.
        bool ended() const { return ended_; }
        // The offset of the node next() returns next (of the end node, once ended()).
        size_t offset() const { return offset_; }

private:
        Bytes path_;
        size_t offset_ = 0;
        size_t count_ = 0;
        bool ended_ = false;
};

// The size of the device path at `path` up to and including its end node, reading no further
// than `limit` bytes; 0 when no end node comes within kMaxNodes nodes and `limit` bytes, or a
// node is shorter than its header.
size_t path_size(const uint8_t *path, size_t limit);

// A path in firmware memory, whose extent is known only from its nodes: bounded by its end node
// (empty when malformed); the walk reads node headers only as far as the nodes reach.
inline Bytes in_memory(const void *path) {
        const uint8_t *p = static_cast<const uint8_t *>(path);
        return p ? Bytes(p, path_size(p, kMaxNodes * 0xffff)) : Bytes();
}

// The text of the first URI node of `path` (the bytes after the node header, up to the node's end
// or its first NUL: EDK2 and iPXE end the URI with one, the specification does not require it);
// false when there is no URI node or the path is malformed before one. The text is UTF-8 as the
// firmware wrote it; the caller converts it.
bool find_uri(Bytes path, Bytes *uri);

// The GPT partition GUID (16 bytes, EFI byte order) of the first hard-drive node of `path` with a
// GUID signature (UEFI 2.10, 10.3.5.1: the signature at node offset 24, its type, 2, at 41); false
// when there is none before the end or the path is malformed before one.
bool find_gpt_partition(Bytes path, Bytes *guid);

// The file-path nodes of `path` joined with '/' as the device-path-to-text conversion joins them
// (each node's name up to its NUL), into `out`; returns the number of UTF-16 units written, or 0
// when the path has a node that is not a file-path node, is malformed, or does not fit (the
// caller keeps one unit for a terminating NUL of its own).
size_t file_path_text(Bytes path, Span<char16_t> out);

} // namespace zuki::devpath
