// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reading inputs and writing outputs atomically: an output appears complete under its final
// name or not at all (temporary file in the same directory, fsync, rename).

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base.hpp"

namespace zuki {

using Buffer = std::vector<uint8_t>;

inline Bytes bytes_of(const Buffer &b) { return Bytes(b.data(), b.size()); }

// Reads a whole regular file; refuses directories, devices and files over `max_size`.
Buffer read_file(const std::string &path, uint64_t max_size = 2ull << 30);

// Writes `data` to `path` with `mode` via a temporary file and rename(2). On any failure the
// temporary file is removed and any existing `path` is left untouched.
void write_file_atomic(const std::string &path, Bytes data, unsigned mode = 0644);

// The same, but refuses to replace an existing `path` (for keys: never overwrite one). The
// temporary file is created with mode 0600 and only then given `mode`, so secret data is never
// readable by others on the way.
void write_file_new(const std::string &path, Bytes data, unsigned mode = 0600);

// True when both paths name one existing file (after symlinks: same device and inode), as `x`
// and `./x`, a symlink and its target, or two hard links do.
bool same_file(const std::string &a, const std::string &b);

// An input file of a writing verb, and what it is to the user ("kernel", "initrd").
struct InputFile {
        std::string path;
        std::string role;
};

// Refuses, before anything is read at length or written, an output that is one of the verb's
// inputs: writing it would replace the input with the result. Throws Failure
// "Output OUT would replace the input ROLE (PATH)".
void refuse_output_over_inputs(const std::string &output, const std::vector<InputFile> &inputs);

} // namespace zuki
