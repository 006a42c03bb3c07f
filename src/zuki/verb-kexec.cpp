// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki kexec: load the kernel of a zuki image (or of any UKI) into the running kernel with
// kexec-tools, which cannot read a zstd zboot image itself (docs/kexec.md). The kernel file comes
// from `zuki extract`'s code; for a UKI the initrd is its .ucode and .initrd (in that order, as the
// stub hands them over) and the command line its .cmdline. After loading, `systemctl kexec` (or
// `kexec -e`) starts it: systemd finds a kernel already loaded and does not load its own.

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli.hpp"
#include "extract.hpp"
#include "failure.hpp"
#include "verbs.hpp"

extern char **environ;

namespace zuki::verbs {

namespace {

enum {
        kOptInitrd = cli::kFirstLongOnly,
        kOptCmdline,
        kOptAppend,
        kOptReuseCmdline,
        kOptProfile,
        kOptSyscall,
        kOptKexec,
        kOptDryRun,
        kOptJson,
};

constexpr cli::Option kOptions[] = {
        {"initrd", kOptInitrd, cli::Arg::Required, "FILE", "an initrd to pass after the UKI's (repeatable)"},
        {"cmdline", kOptCmdline, cli::Arg::Required, "TEXT|@FILE", "the command line instead of the UKI's .cmdline"},
        {"append", kOptAppend, cli::Arg::Required, "TEXT", "words to add to the end of the command line"},
        {"reuse-cmdline", kOptReuseCmdline, cli::Arg::None, nullptr,
         "the running kernel's command line (without BOOT_IMAGE= and initrd=)"},
        {"profile", kOptProfile, cli::Arg::Required, "N", "the UKI profile to take .linux, .initrd and .cmdline from"},
        {"syscall", kOptSyscall, cli::Arg::Required, "auto|file|load",
         "kexec_file_load (-s), kexec_load (-l), or file then load unless locked down (default auto)"},
        {"kexec", kOptKexec, cli::Arg::Required, "PATH", "the kexec-tools program (default: kexec in PATH or /usr/sbin)"},
        {"dry-run", kOptDryRun, cli::Arg::None, nullptr, "check the image and print the kexec command; load nothing"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print the result as JSON"},
};

constexpr const char *kUsage[] = {
        "[--profile N] [--initrd FILE]... [--cmdline TEXT|@FILE | --reuse-cmdline] [--append TEXT]\n"
        "[--syscall auto|file|load] [--kexec PATH] [--dry-run] [--json] IMAGE",
};

enum class Syscall { Auto, File, Load };

// A command line as a kernel takes it: NULs and line ends (ukify ends .cmdline with one) become
// spaces, runs of blanks one space, none at either end.
std::string normalize_cmdline(std::string_view text) {
        std::string out;
        bool blank = false;
        for (char c : text) {
                if (c == '\0' || c == '\n' || c == '\r' || c == '\t' || c == ' ') {
                        blank = !out.empty();
                        continue;
                }
                if (blank)
                        out += ' ';
                blank = false;
                out += c;
        }
        return out;
}

std::string read_text(const std::string &path) {
        std::ifstream in(path);
        if (!in)
                return {};
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
}

// /proc/cmdline without what a boot loader adds for the kernel it started (kexec-tools'
// --reuse-cmdline drops the same words).
std::string running_cmdline() {
        std::string all = read_text("/proc/cmdline");
        if (all.empty())
                fail("Cannot read /proc/cmdline for --reuse-cmdline");
        std::istringstream words(all);
        std::string word, out;
        while (words >> word) {
                if (word.rfind("BOOT_IMAGE=", 0) == 0 || word.rfind("initrd=", 0) == 0)
                        continue;
                out += (out.empty() ? "" : " ") + word;
        }
        return out;
}

// The kernel lockdown mode ("none", "integrity", "confidentiality"), or "" when the kernel has no
// lockdown LSM (or securityfs is not mounted).
std::string lockdown_mode() {
        std::string s = read_text("/sys/kernel/security/lockdown");
        size_t open = s.find('['), close = s.find(']');
        return open != std::string::npos && close > open ? s.substr(open + 1, close - open - 1) : "";
}

// A private directory for the files kexec-tools reads; removed with everything in it.
class ScratchDir {
public:
        ScratchDir() {
                const char *base = std::getenv("TMPDIR");
                path_ = std::string(base && *base ? base : "/tmp") + "/zuki-kexec.XXXXXX";
                if (!mkdtemp(path_.data()))
                        fail("Cannot create a directory for kexec's files in " + path_.substr(0, path_.rfind('/')) + ": " +
                             std::strerror(errno));
        }
        ~ScratchDir() {
                for (const std::string &f : files_)
                        unlink(f.c_str());
                rmdir(path_.c_str());
        }
        ScratchDir(const ScratchDir &) = delete;
        ScratchDir &operator=(const ScratchDir &) = delete;

        std::string write(const char *name, Bytes data) {
                std::string f = path_ + "/" + name;
                files_.push_back(f);
                write_file_new(f, data, 0600);
                return f;
        }

private:
        std::string path_;
        std::vector<std::string> files_;
};

struct RunResult {
        int status = -1;         // exit status, or -1 when it did not run or died by a signal
        std::string last_line;   // the last non-empty line it printed
};

// Runs argv with stdout and stderr on a pipe; what it prints goes to our stderr (stdout stays
// clean for --json) and its last line is kept for our message.
RunResult run_program(const std::vector<std::string> &argv) {
        RunResult r;
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                fail(std::string("pipe: ") + std::strerror(errno));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
        std::vector<char *> args;
        for (const std::string &a : argv)
                args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        pid_t pid;
        int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        if (err != 0) {
                close(fds[0]);
                r.last_line = std::string("cannot run ") + argv[0] + ": " + std::strerror(err);
                return r;
        }
        std::string out;
        char buf[4096];
        for (;;) {
                ssize_t n = read(fds[0], buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                out.append(buf, (size_t) n);
                fwrite(buf, 1, (size_t) n, stderr);
        }
        close(fds[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        fail(std::string("waitpid: ") + std::strerror(errno));
        r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);)
                if (!normalize_cmdline(line).empty())
                        r.last_line = normalize_cmdline(line);
        if (WIFSIGNALED(status))
                r.last_line = std::string("killed by signal ") + std::to_string(WTERMSIG(status));
        return r;
}

// kexec-tools: --kexec, else `kexec` in PATH, else /usr/sbin/kexec or /sbin/kexec (an
// unprivileged PATH often lacks sbin; loading needs root anyway, --dry-run does not).
std::string find_kexec(const std::string &given) {
        if (!given.empty())
                return given;
        const char *path = std::getenv("PATH");
        std::string dirs = std::string(path ? path : "") + ":/usr/sbin:/sbin";
        std::istringstream parts(dirs);
        for (std::string d; std::getline(parts, d, ':');)
                if (!d.empty() && access((d + "/kexec").c_str(), X_OK) == 0)
                        return d + "/kexec";
        return "kexec";
}

std::string shell_quote(const std::string &s) {
        if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:+@%") ==
                                  std::string::npos)
                return s;
        std::string out = "'";
        for (char c : s)
                out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return out + "'";
}

const char *syscall_name(bool file) { return file ? "kexec_file_load" : "kexec_load"; }

int run(const cli::Verb &verb, int argc, char **argv) {
        std::vector<std::string> extra_initrds;
        std::string cmdline_arg, append, kexec_path;
        bool have_cmdline = false, reuse = false, dry_run = false, json = false;
        int profile = 0;
        Syscall syscall = Syscall::Auto;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case kOptInitrd: extra_initrds.emplace_back(arg); break;
                case kOptCmdline: {
                        Buffer text = cli::text_or_file(arg);
                        cmdline_arg.assign(text.begin(), text.end());
                        have_cmdline = true;
                        break;
                }
                case kOptAppend: append += std::string(append.empty() ? "" : " ") + arg; break;
                case kOptReuseCmdline: reuse = true; break;
                case kOptProfile: profile = cli::parse_int(arg, "profile"); break;
                case kOptSyscall:
                        if (std::strcmp(arg, "auto") == 0)
                                syscall = Syscall::Auto;
                        else if (std::strcmp(arg, "file") == 0)
                                syscall = Syscall::File;
                        else if (std::strcmp(arg, "load") == 0)
                                syscall = Syscall::Load;
                        else
                                throw UsageError(std::string("--syscall: want auto, file or load, not '") + arg + "'");
                        break;
                case kOptKexec: kexec_path = arg; break;
                case kOptDryRun: dry_run = true; break;
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (args->size() != 1)
                throw UsageError("zuki kexec takes exactly one IMAGE argument");
        if (profile < 0)
                throw UsageError("--profile must be 0 or more");
        if (have_cmdline && reuse)
                throw UsageError("--cmdline and --reuse-cmdline exclude each other");
        const std::string &input = args->front();

        Buffer image = read_file(input);
        ExtractedKernel k = extract_kernel(bytes_of(image), (uint32_t) profile, input);

        // The initrd: a UKI's .ucode then .initrd, then --initrd files, concatenated (cpio archives
        // may follow each other; the kernel unpacks them in order).
        Buffer initrd;
        nlohmann::ordered_json initrd_parts = nlohmann::ordered_json::array();
        std::string uki_cmdline;
        bool uki_has_cmdline = false;
        if (k.from_uki) {
                std::vector<ExtractedSection> sections = extract_uki_sections(bytes_of(image), (uint32_t) profile, input);
                for (const char *name : {".ucode", ".initrd"})
                        for (const ExtractedSection &s : sections)
                                if (s.name == name) {
                                        initrd.insert(initrd.end(), s.data.begin(), s.data.end());
                                        initrd_parts.push_back({{"from", s.name}, {"size", s.data.size()}});
                                }
                for (const ExtractedSection &s : sections)
                        if (s.name == ".cmdline") {
                                uki_cmdline.assign(s.data.begin(), s.data.end());
                                uki_has_cmdline = true;
                        }
        }
        for (const std::string &f : extra_initrds) {
                Buffer data = read_file(f);
                initrd.insert(initrd.end(), data.begin(), data.end());
                initrd_parts.push_back({{"from", f}, {"size", data.size()}});
        }

        std::string cmdline;
        const char *cmdline_from;
        if (have_cmdline) {
                cmdline = normalize_cmdline(cmdline_arg);
                cmdline_from = "--cmdline";
        } else if (reuse) {
                cmdline = running_cmdline();
                cmdline_from = "/proc/cmdline";
        } else if (uki_has_cmdline) {
                cmdline = normalize_cmdline(uki_cmdline);
                cmdline_from = ".cmdline";
        } else if (k.from_uki) {
                cmdline_from = "none (the UKI has no .cmdline)";
        } else {
                throw UsageError(input + " is a zboot image, which carries no command line: give --cmdline or --reuse-cmdline");
        }
        if (!append.empty())
                cmdline += (cmdline.empty() ? "" : " ") + normalize_cmdline(append);

        std::string lockdown = lockdown_mode();
        bool locked = !lockdown.empty() && lockdown != "none";
        if (syscall == Syscall::Load && locked)
                fail("The running kernel is locked down (" + lockdown +
                     "): kexec_load is refused there; use --syscall=file with a kernel it can verify");
        std::vector<bool> attempts; // true: kexec_file_load
        if (syscall != Syscall::Load)
                attempts.push_back(true);
        if (syscall == Syscall::Load || (syscall == Syscall::Auto && !locked))
                attempts.push_back(false);

        std::string kexec = find_kexec(kexec_path);
        const char *kind = kernel_file_kind(k.info.machine);
        std::string release = k.info.release.empty() ? "(release unknown)" : k.info.release;
        std::unique_ptr<ScratchDir> scratch;
        std::string kernel_file = "KERNEL", initrd_file = "INITRD";
        if (!dry_run) {
                scratch = std::make_unique<ScratchDir>();
                kernel_file = scratch->write(kind, bytes_of(k.kernel));
                if (!initrd.empty())
                        initrd_file = scratch->write("initrd", bytes_of(initrd));
        }
        auto command = [&](bool file) {
                std::vector<std::string> c{kexec};
                if (file)
                        c.emplace_back("-s");
                c.insert(c.end(), {"-l", kernel_file});
                if (!initrd.empty())
                        c.push_back("--initrd=" + initrd_file);
                c.push_back("--command-line=" + cmdline);
                return c;
        };

        nlohmann::ordered_json j;
        j["image"] = input;
        j["kernel"] = {{"machine", pe::machine_name(k.info.machine)},
                       {"kind", kind},
                       {"release", k.info.release},
                       {"size", k.kernel.size()},
                       {"source", k.source == KernelSource::LinuxSection ? "uncompressed" : "zboot"}};
        j["initrd"] = {{"size", initrd.size()}, {"parts", initrd_parts}};
        j["cmdline"] = cmdline;
        j["cmdline_from"] = cmdline_from;
        j["lockdown"] = lockdown.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(lockdown);
        j["dry_run"] = dry_run;

        if (dry_run) {
                nlohmann::ordered_json cmds = nlohmann::ordered_json::array();
                for (bool file : attempts) {
                        std::vector<std::string> c = command(file);
                        cmds.push_back(c);
                        if (!json) {
                                std::string line;
                                for (const std::string &w : c)
                                        line += (line.empty() ? "" : " ") + shell_quote(w);
                                std::printf("%s%s\n", attempts.size() > 1 && !file ? "if that fails: " : "", line.c_str());
                        }
                }
                j["commands"] = cmds;
                if (json)
                        cli::print_json(j);
                else
                        std::printf("%s %s %s from %s: %zu bytes; initrd %zu bytes; command line from %s\n",
                                    pe::machine_name(k.info.machine), kind, release.c_str(), input.c_str(),
                                    k.kernel.size(), initrd.size(), cmdline_from);
                return 0;
        }

        std::string failures;
        for (bool file : attempts) {
                RunResult r = run_program(command(file));
                if (r.status == 0) {
                        j["syscall"] = syscall_name(file);
                        std::string loaded = read_text("/sys/kernel/kexec_loaded");
                        j["loaded"] = loaded.rfind('1', 0) == 0;
                        if (json) {
                                cli::print_json(j);
                        } else {
                                std::printf("Loaded %s %s %s from %s with %s: initrd %zu bytes, command line (from %s):\n  %s\n",
                                            pe::machine_name(k.info.machine), kind, release.c_str(), input.c_str(),
                                            syscall_name(file), initrd.size(), cmdline_from, cmdline.c_str());
                                std::printf("'systemctl kexec' starts it (systemd does not load another when one is loaded).\n");
                        }
                        return 0;
                }
                failures += std::string(failures.empty() ? "" : "; ") + syscall_name(file) + ": " +
                            (r.last_line.empty() ? "exit status " + std::to_string(r.status) : r.last_line);
        }
        fail("kexec-tools did not load " + input + " (" + failures + ")" +
             (locked ? "; the kernel is locked down (" + lockdown + "): only a kernel it can verify is loaded" : ""));
}

} // namespace

const cli::Verb kKexec = {
        "kexec", kUsage,
        "Load the kernel of a zuki image or UKI for kexec with kexec-tools, with the UKI's .ucode and\n"
        ".initrd as initrd and its .cmdline; then 'systemctl kexec' starts it.",
        kOptions, run,
};

} // namespace zuki::verbs
