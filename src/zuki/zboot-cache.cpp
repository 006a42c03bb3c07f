// SPDX-License-Identifier: LGPL-2.1-or-later

#include "zboot-cache.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "crypto.hpp"
#include "encoding.hpp"
#include "failure.hpp"
#include "self-reloc.hpp"

namespace zuki::zboot_cache {

namespace {

using Notice = std::function<void(const std::string &)>;

void say(const Notice &notice, const std::string &line) {
        if (notice)
                notice(line);
}

// A file or directory only the effective user can have written.
bool owned_and_private(const struct stat &st) {
        return st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::string entry_path(const std::string &dir, const std::string &key, const char *suffix) {
        return dir + "/" + key + suffix;
}

// KEY.meta: "name=value" lines.
std::string meta_value(const std::string &meta, const std::string &name) {
        size_t at = 0;
        while (at < meta.size()) {
                size_t end = meta.find('\n', at);
                if (end == std::string::npos)
                        end = meta.size();
                std::string line = meta.substr(at, end - at);
                if (line.compare(0, name.size() + 1, name + "=") == 0)
                        return line.substr(name.size() + 1);
                at = end + 1;
        }
        return {};
}

// A regular file of the cache that only we can have written, read whole; nullopt otherwise.
std::optional<Buffer> read_entry(const std::string &path) {
        struct stat st;
        if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !owned_and_private(st))
                return std::nullopt;
        return read_file(path);
}

} // namespace

std::optional<std::string> key(Bytes stub, Bytes kernel, const CompressOptions &options) {
        // zuki itself: the code that makes the image (and libzstd's version is linked into it).
        Buffer self;
        try {
                self = read_file("/proc/self/exe");
        } catch (const Failure &) {
                return std::nullopt;
        }
        int workers = effective_workers(options);
        // Multi-threaded zstd writes other (equally valid) bytes than single-threaded; the number
        // of threads beyond one does not change them.
        std::string settings = "zuki zboot cache 1\nlevel=" + std::to_string(options.level) +
                               "\nlong=" + std::to_string(options.long_distance) +
                               "\nthreaded=" + std::to_string(workers > 1) +
                               "\nx86_boot=" + std::to_string((int) options.x86_boot) + "\n";
        Buffer d_self = sha256({bytes_of(self)});
        Buffer d_stub = sha256({stub});
        Buffer d_kernel = sha256({kernel});
        Buffer k = sha256({Bytes((const uint8_t *) settings.data(), settings.size()), bytes_of(d_self),
                           bytes_of(d_stub), bytes_of(d_kernel)});
        return to_hex(bytes_of(k));
}

bool usable(const std::string &dir, const Notice &notice) {
        struct stat st;
        if (lstat(dir.c_str(), &st) != 0) {
                if (errno != ENOENT) {
                        say(notice, "Not using the zboot cache " + dir + ": " + std::strerror(errno));
                        return false;
                }
                std::error_code ec;
                std::filesystem::path parent = std::filesystem::path(dir).parent_path();
                if (!parent.empty())
                        std::filesystem::create_directories(parent, ec);
                if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
                        say(notice, "Not using the zboot cache " + dir + ": cannot create it: " + std::strerror(errno));
                        return false;
                }
                if (lstat(dir.c_str(), &st) != 0) {
                        say(notice, "Not using the zboot cache " + dir + ": " + std::strerror(errno));
                        return false;
                }
        }
        if (!S_ISDIR(st.st_mode)) {
                say(notice, "Not using the zboot cache " + dir + ": not a directory");
                return false;
        }
        if (!owned_and_private(st)) {
                say(notice, "Not using the zboot cache " + dir +
                                    ": it must belong to this user and be writable by nobody else");
                return false;
        }
        return true;
}

std::optional<ZbootImage> lookup(const std::string &dir, const std::string &key, Bytes kernel,
                                 const Notice &notice) {
        const std::string efi = entry_path(dir, key, ".efi"), meta_path = entry_path(dir, key, ".meta");
        std::optional<Buffer> meta_bytes = read_entry(meta_path);
        if (!meta_bytes)
                return std::nullopt;
        std::optional<Buffer> image = read_entry(efi);
        if (!image)
                return std::nullopt;
        std::string meta(meta_bytes->begin(), meta_bytes->end());
        if (meta_value(meta, "size") != std::to_string(image->size()) ||
            meta_value(meta, "sha256") != to_hex(bytes_of(sha256({bytes_of(*image)})))) {
                say(notice, "The zboot cache entry " + efi + " does not match its .meta; not using it");
                return std::nullopt;
        }
        ZbootImage z;
        try {
                ZbootContents back = read_zboot(bytes_of(*image));
                z.kernel = identify_kernel(kernel, "Kernel");
                z.uncompressed_size = back.uncompressed_size;
                z.compressed_size = back.frame.size();
                z.x86_direct = !back.x86boot.empty();
        } catch (const Failure &f) {
                say(notice, "The zboot cache entry " + efi + " is not a usable zboot image (" + f.what() +
                                    "); not using it");
                return std::nullopt;
        }
        z.x86_codec = meta_value(meta, "x86_codec");
        z.self_relocating = self_reloc::is_detached(bytes_of(*image));
        z.image = std::move(*image);
        z.from_cache = true;
        // Most recently used: pruning removes the oldest first.
        (void) utimensat(AT_FDCWD, efi.c_str(), nullptr, 0);
        return z;
}

void store(const std::string &dir, const std::string &key, const ZbootImage &image, const Notice &notice) {
        try {
                std::string meta = "size=" + std::to_string(image.image.size()) +
                                   "\nsha256=" + to_hex(bytes_of(sha256({bytes_of(image.image)}))) +
                                   "\nx86_codec=" + image.x86_codec + "\n";
                // .meta first: an .efi without its .meta is never used.
                write_file_atomic(entry_path(dir, key, ".meta"),
                                  Bytes((const uint8_t *) meta.data(), meta.size()), 0600);
                write_file_atomic(entry_path(dir, key, ".efi"), bytes_of(image.image), 0600);
        } catch (const Failure &f) {
                say(notice, std::string("Cannot store the zboot image in the cache: ") + f.what());
                return;
        }
        // Keep the newest kMaxEntries images.
        struct Entry {
                std::string stem;
                struct timespec mtime;
        };
        std::vector<Entry> entries;
        std::error_code ec;
        for (const auto &e : std::filesystem::directory_iterator(dir, ec)) {
                std::string name = e.path().filename().string();
                if (name.size() != 64 + 4 || name.compare(64, 4, ".efi") != 0)
                        continue;
                struct stat st;
                if (lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
                        entries.push_back({name.substr(0, 64), st.st_mtim});
        }
        if (entries.size() <= kMaxEntries)
                return;
        std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
                return a.mtime.tv_sec != b.mtime.tv_sec ? a.mtime.tv_sec > b.mtime.tv_sec
                                                        : a.mtime.tv_nsec > b.mtime.tv_nsec;
        });
        for (size_t i = kMaxEntries; i < entries.size(); i++) {
                (void) unlink(entry_path(dir, entries[i].stem, ".efi").c_str());
                (void) unlink(entry_path(dir, entries[i].stem, ".meta").c_str());
        }
}

} // namespace zuki::zboot_cache
