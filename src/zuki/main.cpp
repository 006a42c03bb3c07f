// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The zuki command line. Each verb parses its own options; errors are one line on stderr and a
// non-zero exit status (1 for failures, 2 for usage errors).

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.hpp"
#include "file-io.hpp"
#include "inspect.hpp"
#include "zboot-image.hpp"

#ifndef ZUKI_VERSION
#error "ZUKI_VERSION must be defined"
#endif
#ifndef ZUKI_STUB_DIR
#error "ZUKI_STUB_DIR must be defined"
#endif

namespace zuki {
namespace {

constexpr int kExitUsage = 2;

class UsageError : public Failure {
public:
        using Failure::Failure;
};

void print_help() {
        std::printf(
                "zuki " ZUKI_VERSION " - EFI zboot images and UKIs with the zuki stub\n"
                "\n"
                "Usage:\n"
                "  zuki zboot [--level N] [--no-long] [--threads N] [--stub FILE] [--output OUT] [--json] KERNEL\n"
                "      Wrap a Linux kernel with an EFI stub (x86_64 bzImage, arm64 Image) into a\n"
                "      zboot image: the zuki stub plus the zstd-compressed kernel.\n"
                "  zuki inspect [--json] FILE\n"
                "      Show what a PE image, kernel or zboot image contains.\n"
                "  zuki --help | --version\n"
                "\n"
                "zboot options:\n"
                "  -l, --level N     zstd level (default 19)\n"
                "      --no-long     disable long-distance matching\n"
                "  -T, --threads N   compression threads (default: one per CPU)\n"
                "      --stub FILE   stub to use (default: $ZUKI_STUB_DIR or " ZUKI_STUB_DIR ")\n"
                "  -o, --output OUT  output file (default: <KERNEL name>.zboot.efi in the current directory)\n"
                "      --json        print a JSON summary instead of text\n"
                "\n"
                "See zuki(1).\n");
}

std::string arch_suffix(uint16_t machine) { return machine == pe::kMachineArm64 ? "aa64" : "x64"; }

bool exists(const std::string &path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0;
}

// --stub, then $ZUKI_STUB_DIR, then the stub beside a build-tree binary, then the installed one.
std::string find_stub(const std::string &explicit_stub, uint16_t machine) {
        if (!explicit_stub.empty())
                return explicit_stub;
        std::string name = "zuki" + arch_suffix(machine) + ".efi.stub";
        if (const char *dir = std::getenv("ZUKI_STUB_DIR"); dir && *dir)
                return std::string(dir) + "/" + name;
        char self[4096];
        ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = 0;
                std::string dir(self);
                dir = dir.substr(0, dir.rfind('/'));
                std::string candidate = dir + "/../boot/" + name;
                if (exists(candidate))
                        return candidate;
        }
        return std::string(ZUKI_STUB_DIR) + "/" + name;
}

bool same_file(const std::string &a, const std::string &b) {
        struct stat sa, sb;
        return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

int parse_int(const char *arg, const char *what) {
        char *end = nullptr;
        errno = 0;
        long v = std::strtol(arg, &end, 10);
        if (errno || !end || *end || v < -1000 || v > 1000)
                throw UsageError(std::string("Invalid ") + what + ": " + arg);
        return (int) v;
}

int verb_zboot(int argc, char **argv) {
        enum { kOptNoLong = 0x100, kOptStub, kOptJson };
        static const option options[] = {
                {"level", required_argument, nullptr, 'l'},  {"no-long", no_argument, nullptr, kOptNoLong},
                {"threads", required_argument, nullptr, 'T'}, {"stub", required_argument, nullptr, kOptStub},
                {"output", required_argument, nullptr, 'o'},  {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},          {},
        };
        CompressOptions copt;
        std::string stub_path, output;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "l:T:o:h", options, nullptr)) != -1) {
                switch (c) {
                case 'l': copt.level = parse_int(optarg, "level"); break;
                case kOptNoLong: copt.long_distance = false; break;
                case 'T': copt.workers = parse_int(optarg, "thread count"); break;
                case kOptStub: stub_path = optarg; break;
                case 'o': output = optarg; break;
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki zboot takes exactly one KERNEL argument");
        std::string kernel_path = argv[optind];
        if (output.empty()) {
                std::string base = kernel_path.substr(kernel_path.rfind('/') + 1);
                output = base + ".zboot.efi";
        }
        if (same_file(kernel_path, output))
                fail("Output " + output + " would replace the input kernel");

        Buffer kernel = read_file(kernel_path);
        KernelInfo info = identify_kernel(bytes_of(kernel), kernel_path);
        std::string stub_file = find_stub(stub_path, info.machine);
        Buffer stub = read_file(stub_file);

        if (isatty(STDERR_FILENO))
                copt.progress = [](uint64_t done, uint64_t total) {
                        std::fprintf(stderr, "\rCompressing kernel: %3d%%", (int) (done * 100 / total));
                        if (done == total)
                                std::fprintf(stderr, "\n");
                };
        ZbootImage z = build_zboot(bytes_of(stub), bytes_of(kernel), copt);
        write_file_atomic(output, bytes_of(z.image), 0644);

        if (json) {
                nlohmann::ordered_json j;
                j["output"] = output;
                j["stub"] = stub_file;
                j["machine"] = pe::machine_name(info.machine);
                j["release"] = info.release;
                j["kernel_size"] = kernel.size();
                j["uncompressed_size"] = z.uncompressed_size;
                j["compressed_size"] = z.compressed_size;
                j["image_size"] = z.image.size();
                std::printf("%s\n", j.dump(2).c_str());
        } else {
                std::printf("%s: %s kernel %s, %zu bytes -> zboot image %zu bytes (payload %llu of %llu bytes)\n",
                            output.c_str(), pe::machine_name(info.machine),
                            info.release.empty() ? "(release unknown)" : info.release.c_str(), kernel.size(),
                            z.image.size(), (unsigned long long) z.compressed_size,
                            (unsigned long long) z.uncompressed_size);
        }
        return 0;
}

int verb_inspect(int argc, char **argv) {
        enum { kOptJson = 0x100 };
        static const option options[] = {
                {"json", no_argument, nullptr, kOptJson},
                {"help", no_argument, nullptr, 'h'},
                {},
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
                switch (c) {
                case kOptJson: json = true; break;
                case 'h': print_help(); return 0;
                default: throw UsageError("See 'zuki --help'");
                }
        }
        if (optind + 1 != argc)
                throw UsageError("zuki inspect takes exactly one FILE argument");
        Buffer image = read_file(argv[optind]);
        nlohmann::ordered_json report = inspect_image(bytes_of(image));
        if (json)
                std::printf("%s\n", report.dump(2).c_str());
        else
                std::fputs(render_inspection(report).c_str(), stdout);
        return 0;
}

int run(int argc, char **argv) {
        if (argc < 2)
                throw UsageError("No verb given; see 'zuki --help'");
        std::string verb = argv[1];
        if (verb == "--help" || verb == "-h" || verb == "help") {
                print_help();
                return 0;
        }
        if (verb == "--version") {
                std::printf("zuki " ZUKI_VERSION "\n");
                return 0;
        }
        // Each verb sees argv starting at its own name.
        optind = 1;
        if (verb == "zboot")
                return verb_zboot(argc - 1, argv + 1);
        if (verb == "inspect")
                return verb_inspect(argc - 1, argv + 1);
        throw UsageError("Unknown verb '" + verb + "'; see 'zuki --help'");
}

} // namespace
} // namespace zuki

int main(int argc, char **argv) {
        try {
                return zuki::run(argc, argv);
        } catch (const zuki::UsageError &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return zuki::kExitUsage;
        } catch (const zuki::Failure &e) {
                std::fprintf(stderr, "zuki: %s\n", e.what());
                return 1;
        } catch (const std::bad_alloc &) {
                std::fprintf(stderr, "zuki: out of memory\n");
                return 1;
        }
}
