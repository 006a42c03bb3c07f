// SPDX-License-Identifier: LGPL-2.1-or-later

#include "file-io.hpp"

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
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

// Opens `path` for reading and stats it; both failures name the path.
Fd open_for_reading(const std::string &path, struct stat *st) {
        Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0)
                fail("Cannot open " + path + ": " + errno_text(errno));
        if (::fstat(fd.get(), st) < 0)
                fail("Cannot stat " + path + ": " + errno_text(errno));
        return Fd(fd.release());
}

} // namespace

Buffer read_file(const std::string &path, uint64_t max_size) {
        struct stat st;
        Fd fd = open_for_reading(path, &st);
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

Buffer read_to_end(const std::string &path, uint64_t max_size) {
        struct stat st;
        Fd fd = open_for_reading(path, &st);
        if (S_ISDIR(st.st_mode))
                fail(path + " is a directory");
        Buffer data;
        uint8_t chunk[65536];
        for (;;) {
                ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail("Cannot read " + path + ": " + errno_text(errno));
                if (n == 0)
                        return data;
                if (data.size() + (size_t) n > max_size)
                        fail(path + " is too large (more than " + std::to_string(max_size) + " bytes)");
                data.insert(data.end(), chunk, chunk + n);
        }
}

namespace {

// Temporary files are PATH.zuki-tmp-XXXXXX (mkostemp's six characters), in the output's directory
// so that rename(2) stays on one file system.
constexpr char kTempInfix[] = ".zuki-tmp-";
constexpr size_t kTempSuffixLength = 6;

// The temporary file being written, for the signal handler. A fixed buffer (no allocation in the
// handler); the path is stored before `g_temp_registered` is set, with the signals blocked.
char g_temp_path[4096];
volatile sig_atomic_t g_temp_registered = 0;

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

// SIGINT/SIGTERM/SIGHUP while a temporary file exists: remove it with async-signal-safe calls
// only, then die of the same signal, so the parent sees what happened. SIGKILL cannot be caught:
// what it leaves behind the next run removes (remove_stale_temporaries).
extern "C" void unlink_temporary_and_reraise(int sig) {
        int saved = errno;
        if (g_temp_registered)
                ::unlink(g_temp_path);
        ::signal(sig, SIG_DFL);
        ::raise(sig);
        errno = saved;
}

void install_cleanup_handlers() {
        static bool installed = false;
        if (installed)
                return;
        installed = true;
        for (int sig : kCleanupSignals) {
                struct sigaction old{};
                if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
                        continue; // nohup and friends: an ignored signal stays ignored
                struct sigaction sa{};
                sa.sa_handler = unlink_temporary_and_reraise;
                sigemptyset(&sa.sa_mask);
                ::sigaction(sig, &sa, nullptr);
        }
}

// Blocks the cleanup signals while alive, so that creating the temporary file and registering it
// (or renaming it and forgetting it) is one step for the handler.
class SignalsBlocked {
public:
        SignalsBlocked() {
                sigset_t set;
                sigemptyset(&set);
                for (int sig : kCleanupSignals)
                        sigaddset(&set, sig);
                ::sigprocmask(SIG_BLOCK, &set, &old_);
        }
        ~SignalsBlocked() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
        SignalsBlocked(const SignalsBlocked &) = delete;
        SignalsBlocked &operator=(const SignalsBlocked &) = delete;

private:
        sigset_t old_;
};

bool is_temporary_name(const std::string &name) {
        size_t at = name.rfind(kTempInfix);
        if (at == std::string::npos || at == 0 || name.size() != at + std::strlen(kTempInfix) + kTempSuffixLength)
                return false;
        for (size_t i = name.size() - kTempSuffixLength; i < name.size(); i++)
                if (!std::isalnum((unsigned char) name[i]))
                        return false;
        return true;
}

// A temporary file that exists from creation until it is renamed into place or removed: locked
// (flock) for its whole life, known to the signal handler, removed by the destructor on every
// exception path.
class TemporaryFile {
public:
        explicit TemporaryFile(const std::string &path) : path_(path + kTempInfix + "XXXXXX") {
                if (path_.size() >= sizeof(g_temp_path))
                        fail("Path too long for a temporary file: " + path);
                install_cleanup_handlers();
                // Another zuki's cleanup may take the lock between mkostemp and our flock and
                // remove the new file; then the name no longer leads to it, and we try again.
                for (int attempt = 0; attempt < 8; attempt++) {
                        std::string name = path_;
                        SignalsBlocked blocked;
                        int fd = ::mkostemp(name.data(), O_CLOEXEC);
                        if (fd < 0)
                                return;
                        std::memcpy(g_temp_path, name.c_str(), name.size() + 1);
                        g_temp_registered = 1;
                        fd_ = fd;
                        path_ = name;
                        struct stat by_fd, by_name;
                        if (::flock(fd, LOCK_EX) == 0 && ::fstat(fd, &by_fd) == 0 &&
                            ::lstat(name.c_str(), &by_name) == 0 && by_fd.st_ino == by_name.st_ino &&
                            by_fd.st_dev == by_name.st_dev)
                                return;
                        forget();
                        ::close(fd);
                        fd_ = -1;
                        path_ = path + kTempInfix + "XXXXXX";
                }
                errno = EAGAIN;
        }
        ~TemporaryFile() {
                if (fd_ < 0)
                        return;
                SignalsBlocked blocked;
                ::unlink(path_.c_str());
                forget();
                ::close(fd_);
        }
        TemporaryFile(const TemporaryFile &) = delete;
        TemporaryFile &operator=(const TemporaryFile &) = delete;

        int fd() const { return fd_; }
        const std::string &path() const { return path_; }

        // rename(2) or link(2) it to `target` (still locked, so no cleanup can take it on the
        // way), then forget it. Returns the call's result; errno on failure.
        template <typename Move> int move_to(Move move) {
                SignalsBlocked blocked;
                int r = move(path_.c_str());
                if (r < 0)
                        return r;
                forget();
                ::close(fd_);
                fd_ = -1;
                return 0;
        }

private:
        static void forget() { g_temp_registered = 0; }

        std::string path_;
        int fd_ = -1;
};

enum class Replace { Allow, Refuse };

void write_via_temporary(const std::string &path, Bytes data, unsigned mode, Replace replace) {
        std::string dir_buf = path;
        std::string dir = ::dirname(dir_buf.data());
        remove_stale_temporaries(dir);
        TemporaryFile tmp(path);
        if (tmp.fd() < 0)
                fail("Cannot create a temporary file in " + dir + ": " + errno_text(errno));

        size_t done = 0;
        while (done < data.size()) {
                ssize_t n = ::write(tmp.fd(), data.data() + done, data.size() - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail("Cannot write " + path + ": " + errno_text(errno));
                done += (size_t) n;
        }
        if (::fchmod(tmp.fd(), mode) < 0)
                fail("Cannot set the mode of " + path + ": " + errno_text(errno));
        if (::fsync(tmp.fd()) < 0)
                fail("Cannot sync " + path + ": " + errno_text(errno));
        if (replace == Replace::Allow) {
                if (tmp.move_to([&](const char *from) { return ::rename(from, path.c_str()); }) < 0)
                        fail("Cannot rename the temporary file to " + path + ": " + errno_text(errno));
                return;
        }
        int r = tmp.move_to([&](const char *from) {
                int r = ::renameat2(AT_FDCWD, from, AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
                if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
                        // A file system without RENAME_NOREPLACE: link(2) also refuses an existing name.
                        r = ::link(from, path.c_str());
                        if (r == 0)
                                ::unlink(from);
                }
                return r;
        });
        if (r < 0) {
                if (errno == EEXIST)
                        fail(path + " already exists; not overwriting it");
                fail("Cannot create " + path + ": " + errno_text(errno));
        }
}

} // namespace

size_t remove_stale_temporaries(const std::string &dir) {
        int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0; // the write that follows reports the directory's problem
        DIR *d = ::fdopendir(dfd);
        if (!d) {
                ::close(dfd);
                return 0;
        }
        size_t removed = 0;
        const uid_t me = ::geteuid();
        while (struct dirent *e = ::readdir(d)) {
                std::string name = e->d_name;
                if (!is_temporary_name(name))
                        continue;
                Fd fd(::openat(dfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
                struct stat st, again;
                if (fd.get() < 0 || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != me)
                        continue;
                // A writer holds its lock until the file is renamed or removed: a lock we can take
                // belongs to a process that is gone (or never to a zuki that is still writing).
                if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0)
                        continue;
                if (::fstatat(dfd, name.c_str(), &again, AT_SYMLINK_NOFOLLOW) < 0 || again.st_ino != st.st_ino ||
                    again.st_dev != st.st_dev)
                        continue;
                if (::unlinkat(dfd, name.c_str(), 0) == 0)
                        removed++;
        }
        ::closedir(d);
        return removed;
}

void write_file_atomic(const std::string &path, Bytes data, unsigned mode) {
        write_via_temporary(path, data, mode, Replace::Allow);
}

void write_file_new(const std::string &path, Bytes data, unsigned mode) {
        write_via_temporary(path, data, mode, Replace::Refuse);
}

namespace {

// `dir` as a path to rename to and to put a sibling beside: without trailing slashes.
std::string without_trailing_slashes(std::string dir) {
        while (dir.size() > 1 && dir.back() == '/')
                dir.pop_back();
        return dir;
}

// Fails unless `dir` does not exist or is an empty directory.
void require_absent_or_empty(const std::string &dir) {
        struct stat st;
        if (::lstat(dir.c_str(), &st) < 0) {
                if (errno == ENOENT)
                        return;
                fail("Cannot stat " + dir + ": " + errno_text(errno));
        }
        if (!S_ISDIR(st.st_mode))
                fail(dir + " exists and is not a directory");
        DIR *d = ::opendir(dir.c_str());
        if (!d)
                fail("Cannot read " + dir + ": " + errno_text(errno));
        bool empty = true;
        while (struct dirent *e = ::readdir(d))
                if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                        empty = false;
        ::closedir(d);
        if (!empty)
                fail(dir + " exists and is not empty; not writing into it");
}

// A temporary directory that is removed with what was written into it unless it was renamed.
class TemporaryDirectory {
public:
        explicit TemporaryDirectory(const std::string &path) : path_(path + kTempInfix + "XXXXXX") {
                if (!::mkdtemp(path_.data()))
                        fail("Cannot create a temporary directory beside " + path + ": " + errno_text(errno));
                created_ = true;
        }
        ~TemporaryDirectory() {
                if (!created_)
                        return;
                for (const std::string &name : written_)
                        ::unlink((path_ + "/" + name).c_str());
                ::rmdir(path_.c_str());
        }
        TemporaryDirectory(const TemporaryDirectory &) = delete;
        TemporaryDirectory &operator=(const TemporaryDirectory &) = delete;

        void write(const std::string &name, Bytes data) {
                if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
                        fail("Not a file name: '" + name + "'");
                written_.push_back(name);
                write_file_atomic(path_ + "/" + name, data);
        }
        void rename_to(const std::string &dir) {
                Fd fd(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (fd.get() < 0 || ::fsync(fd.get()) < 0 || ::fchmod(fd.get(), 0755) < 0)
                        fail("Cannot sync " + path_ + ": " + errno_text(errno));
                if (::rename(path_.c_str(), dir.c_str()) < 0) {
                        if (errno == ENOTEMPTY || errno == EEXIST)
                                fail(dir + " exists and is not empty; not writing into it");
                        fail("Cannot rename the temporary directory to " + dir + ": " + errno_text(errno));
                }
                created_ = false;
        }

private:
        std::string path_;
        std::vector<std::string> written_;
        bool created_ = false;
};

} // namespace

void write_directory_atomic(const std::string &dir, const std::vector<NamedData> &files) {
        std::string target = without_trailing_slashes(dir);
        require_absent_or_empty(target);
        TemporaryDirectory tmp(target);
        for (const NamedData &f : files)
                tmp.write(f.name, f.data);
        tmp.rename_to(target);
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
