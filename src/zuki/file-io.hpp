// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reading inputs and writing outputs atomically: an output appears complete under its final
// name or not at all (temporary file in the same directory, fsync, rename).
//
// The temporary file, PATH.zuki-tmp-XXXXXX, is flock(2)ed by its writer from creation until it is
// renamed or removed. It is removed on every exit the process controls: failures and exceptions,
// and SIGINT/SIGTERM/SIGHUP (a handler unlinks it, then re-raises the signal). SIGKILL, a crash
// or a power cut can leave one behind; every later write into that directory first removes the
// temporary files zuki left there (remove_stale_temporaries).

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base.hpp"

namespace zuki {

using Buffer = std::vector<uint8_t>;

inline Bytes bytes_of(const Buffer &b) { return Bytes(b.data(), b.size()); }

// Reads a whole regular file; refuses directories, devices and files over `max_size`.
Buffer read_file(const std::string &path, uint64_t max_size = 2ull << 30);

// Reads a small file to its end, whatever size it reports: sysfs attributes (a DRM connector's
// edid says 0 bytes), pipes and process substitutions. More than `max_size` bytes is an error.
Buffer read_to_end(const std::string &path, uint64_t max_size);

// Writes `data` to `path` with `mode` via a temporary file and rename(2). On any failure the
// temporary file is removed and any existing `path` is left untouched.
void write_file_atomic(const std::string &path, Bytes data, unsigned mode = 0644);

// Removes, from `dir`, files named like zuki's temporary files (NAME.zuki-tmp-XXXXXX) that are
// regular files owned by the effective user and not locked: a writer that is still alive holds
// its lock, so only files of processes that are gone are removed. Returns how many it removed;
// errors (an unreadable directory, a file that vanished) are ignored, the write that follows
// reports what matters.
size_t remove_stale_temporaries(const std::string &dir);

// The same, but refuses to replace an existing `path` (for keys: never overwrite one). The
// temporary file is created with mode 0600 and only then given `mode`, so secret data is never
// readable by others on the way.
void write_file_new(const std::string &path, Bytes data, unsigned mode = 0600);

// A file of a directory written by write_directory_atomic().
struct NamedData {
        std::string name; // a plain file name, no '/'
        Bytes data;
};

// Creates the directory `dir` holding `files`, all or nothing: they are written (each as by
// write_file_atomic) into a temporary directory DIR.zuki-tmp-XXXXXX beside it, which is then
// renamed to `dir`. `dir` must not exist or be an empty directory (which the rename replaces);
// anything else is refused before a byte is written ("DIR exists and is not empty"). Failures and
// exceptions remove the temporary directory; a signal or crash while writing can leave it behind.
void write_directory_atomic(const std::string &dir, const std::vector<NamedData> &files);

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
