// SPDX-License-Identifier: LGPL-2.1-or-later

#include "file-io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.hpp"

namespace zuki {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

class Fd {
public:
        explicit Fd(int fd) : fd_(fd) {}
        ~Fd() {
                if (fd_ >= 0)
                        ::close(fd_);
        }
        Fd(const Fd &) = delete;
        Fd &operator=(const Fd &) = delete;
        int get() const { return fd_; }
        int release() {
                int fd = fd_;
                fd_ = -1;
                return fd;
        }

private:
        int fd_;
};

} // namespace

Buffer read_file(const std::string &path, uint64_t max_size) {
        Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0)
                fail("Cannot open " + path + ": " + errno_text(errno));
        struct stat st;
        if (::fstat(fd.get(), &st) < 0)
                fail("Cannot stat " + path + ": " + errno_text(errno));
        if (!S_ISREG(st.st_mode))
                fail(path + " is not a regular file");
        if ((uint64_t) st.st_size > max_size)
                fail(path + " is too large (" + std::to_string(st.st_size) + " bytes)");
        Buffer data((size_t) st.st_size);
        size_t done = 0;
        while (done < data.size()) {
                ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail("Cannot read " + path + ": " + errno_text(errno));
                if (n == 0)
                        fail("Cannot read " + path + ": file shrank while reading");
                done += (size_t) n;
        }
        return data;
}

namespace {

enum class Replace { Allow, Refuse };

void write_via_temporary(const std::string &path, Bytes data, unsigned mode, Replace replace) {
        std::string dir_buf = path;
        std::string dir = ::dirname(dir_buf.data());
        std::string tmp = path + ".zuki-tmp-XXXXXX";
        Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
        if (fd.get() < 0)
                fail("Cannot create a temporary file in " + dir + ": " + errno_text(errno));

        auto abort_with = [&](const std::string &what, int err) {
                ::unlink(tmp.c_str());
                fail(what + " " + path + ": " + errno_text(err));
        };

        size_t done = 0;
        while (done < data.size()) {
                ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        abort_with("Cannot write", errno);
                done += (size_t) n;
        }
        if (::fchmod(fd.get(), mode) < 0)
                abort_with("Cannot set the mode of", errno);
        if (::fsync(fd.get()) < 0)
                abort_with("Cannot sync", errno);
        if (::close(fd.release()) < 0)
                abort_with("Cannot close", errno);
        if (replace == Replace::Allow) {
                if (::rename(tmp.c_str(), path.c_str()) < 0)
                        abort_with("Cannot rename the temporary file to", errno);
                return;
        }
        int r = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
        if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
                // A file system without RENAME_NOREPLACE: link(2) also refuses an existing name.
                r = ::link(tmp.c_str(), path.c_str());
                if (r == 0)
                        ::unlink(tmp.c_str());
        }
        if (r < 0) {
                int err = errno;
                ::unlink(tmp.c_str());
                if (err == EEXIST)
                        fail(path + " already exists; not overwriting it");
                fail("Cannot create " + path + ": " + errno_text(err));
        }
}

} // namespace

void write_file_atomic(const std::string &path, Bytes data, unsigned mode) {
        write_via_temporary(path, data, mode, Replace::Allow);
}

void write_file_new(const std::string &path, Bytes data, unsigned mode) {
        write_via_temporary(path, data, mode, Replace::Refuse);
}

bool same_file(const std::string &a, const std::string &b) {
        struct stat sa, sb;
        return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

void refuse_output_over_inputs(const std::string &output, const std::vector<InputFile> &inputs) {
        for (const InputFile &in : inputs)
                if (same_file(output, in.path))
                        fail("Output " + output + " would replace the input " + in.role + " (" + in.path + ")");
}

} // namespace zuki
