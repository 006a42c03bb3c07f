// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki zboot: a Linux kernel with an EFI stub wrapped into a zboot image on the zuki stub.

#include "cli.hpp"
#include "failure.hpp"
#include "host-defaults.hpp"
#include "kernel-info.hpp"
#include "stub-acceptance.hpp"
#include "verbs.hpp"
#include "self-reloc.hpp"
#include "zboot-image.hpp"

namespace zuki::verbs {

namespace {

enum { kOptNoLong = cli::kFirstLongOnly, kOptStub, kOptJson, kOptX86Boot, kOptRepair, kOptCacheDir };

constexpr cli::Option kOptions[] = {
        {"level", 'l', cli::Arg::Required, "N", "zstd level (default 19)"},
        {"no-long", kOptNoLong, cli::Arg::None, nullptr, "disable long-distance matching"},
        {"x86-boot", kOptX86Boot, cli::Arg::Required, "MODE",
         "x86_64: direct (the stub enters vmlinux itself), efistub (the kernel's own) or auto (default)"},
        {"threads", 'T', cli::Arg::Required, "N", "compression threads (default: one per CPU)"},
        {"stub", kOptStub, cli::Arg::Required, "FILE", "stub to use (default: $ZUKI_STUB_DIR or the installed one)"},
        {"output", 'o', cli::Arg::Required, "OUT", "output file (default: <KERNEL name>.zboot.efi here)"},
        {"cache-dir", kOptCacheDir, cli::Arg::Required, "DIR",
         "reuse an image made from the same kernel, stub and options by this zuki, and keep new ones there"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON summary instead of text"},
        {"repair", kOptRepair, cli::Arg::None, nullptr,
         "restore the zboot header of IMAGE (after objcopy rewrote it), in place or to --output"},
};

constexpr const char *kUsage[] = {
        "[--level N] [--no-long] [--threads N] [--x86-boot auto|direct|efistub] [--stub FILE]\n"
        "[--cache-dir DIR] [--output OUT] [--json] KERNEL",
        "--repair [--output OUT] IMAGE",
};

// --repair: the zboot header back into the MS-DOS header of a zuki zboot image a tool rewrote,
// from its .payload section (zboot::find_header). Loaders other than the zuki stub (ukify,
// systemd's kexec) need the header; the stub does not.
int repair(const std::string &path, std::string output) {
        if (output.empty())
                output = path;
        Buffer image = read_file(path);
        Result<pe::View> view = pe::View::parse(bytes_of(image), pe::Layout::File);
        if (!view)
                fail(path + " is not a PE image we can read", view.error());
        bool rewritten = false;
        Result<zboot::Header> header = zboot::find_header(*view, &rewritten);
        if (!header && header.error() == Error::NotZboot)
                fail(path + " is not a zuki zboot image (no zboot header and no " + kPayloadSectionName +
                     " section holding a zstd frame)");
        if (!header)
                fail(path + ": invalid zboot header", header.error());
        // objcopy also points the base relocation directory at .reloc again, which systemd-stub
        // 258+ refuses in a .linux; the stub relocates itself, so the directory is emptied again.
        bool relocations_back = view->directory(pe::kDirBaseReloc).size != 0 && self_reloc::is_detached(bytes_of(image));
        if (!rewritten && !relocations_back) {
                std::printf("%s: the zboot header is intact, nothing to repair\n", path.c_str());
                return 0;
        }
        // The headers are covered by Authenticode: changing them after signing would break the
        // signature.
        if (view->directory(pe::kDirSecurity).size != 0)
                fail(path + " is signed: restoring its zboot header would break the signature; repair it "
                     "before signing");
        if (rewritten) {
                Status s = zboot::write_header(MutableBytes(image.data(), image.size()), header->payload_offset,
                                               header->payload_size, header->codec_name);
                if (!s)
                        fail("Cannot write the zboot header", s.error());
        }
        if (relocations_back) {
                bool cleared = false;
                Status s = self_reloc::clear_restored_directory(MutableBytes(image.data(), image.size()), &cleared);
                if (!s)
                        fail("Cannot empty the base relocation directory again", s.error());
        }
        try {
                check_stub_accepts_kernel(bytes_of(image), kernel::Origin::SelfImage, view->machine(), "The repaired image");
        } catch (const Failure &f) {
                fail(std::string(f.what()) + "; not writing " + output);
        }
        write_file_atomic(output, bytes_of(image), 0644);
        if (rewritten)
                std::printf("%s: zboot header restored (zstd payload, %u bytes at %#x)\n", output.c_str(),
                            (unsigned) header->payload_size, (unsigned) header->payload_offset);
        if (relocations_back)
                std::printf("%s: base relocation directory emptied again (the stub relocates itself)\n",
                            output.c_str());
        return 0;
}

int run(const cli::Verb &verb, int argc, char **argv) {
        CompressOptions copt;
        std::string stub_path, output;
        bool json = false, repair_image = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case 'l': copt.level = cli::parse_int(arg, "level"); break;
                case kOptNoLong: copt.long_distance = false; break;
                case kOptX86Boot: copt.x86_boot = cli::parse_x86_boot(arg); break;
                case 'T': copt.workers = cli::parse_int(arg, "thread count"); break;
                case kOptStub: stub_path = arg; break;
                case 'o': output = arg; break;
                case kOptJson: json = true; break;
                case kOptRepair: repair_image = true; break;
                case kOptCacheDir: copt.cache_dir = arg; break;
                }
        });
        if (!args)
                return 0;
        if (repair_image) {
                if (args->size() != 1)
                        throw UsageError("zuki zboot --repair takes exactly one IMAGE argument");
                return repair(args->front(), output);
        }
        if (args->size() != 1)
                throw UsageError("zuki zboot takes exactly one KERNEL argument");
        std::string kernel_path = args->front();
        if (output.empty())
                output = kernel_path.substr(kernel_path.rfind('/') + 1) + ".zboot.efi";
        std::vector<InputFile> inputs = {{kernel_path, "kernel"}};
        if (!stub_path.empty())
                inputs.push_back({stub_path, "stub"});
        refuse_output_over_inputs(output, inputs);

        Buffer kernel = read_file(kernel_path);
        KernelInfo info = identify_kernel(bytes_of(kernel), kernel_path);
        std::string stub_file = find_stub(stub_path, info.machine);
        refuse_output_over_inputs(output, {{stub_file, "stub"}});
        Buffer stub = read_file(stub_file);

        copt.progress = cli::terminal_progress();
        copt.notice = cli::print_notice;
        ZbootImage z = build_zboot(bytes_of(stub), bytes_of(kernel), copt);
        // The stub's own checks over what it would boot, before anything is written.
        try {
                check_stub_accepts_kernel(bytes_of(z.image), kernel::Origin::SelfImage, info.machine, "The new zboot image");
        } catch (const Failure &f) {
                fail(std::string(f.what()) + "; not writing " + output);
        }
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
                if (!copt.cache_dir.empty())
                        j["cache"] = z.from_cache ? "hit" : "miss";
                if (info.machine == pe::kMachineX64) {
                        j["x86_boot"] = z.x86_direct ? "direct" : "efistub";
                        if (z.x86_direct)
                                j["kernel_codec"] = z.x86_codec;
                }
                cli::print_json(j);
        } else {
                std::printf("%s: %s kernel %s, %zu bytes -> zboot image %zu bytes (payload %llu of %llu bytes%s)\n",
                            output.c_str(), pe::machine_name(info.machine),
                            info.release.empty() ? "(release unknown)" : info.release.c_str(), kernel.size(),
                            z.image.size(), (unsigned long long) z.compressed_size,
                            (unsigned long long) z.uncompressed_size,
                            info.machine != pe::kMachineX64 ? ""
                            : z.x86_direct                  ? ", x86 direct boot"
                                                            : ", kernel's EFI stub");
        }
        return 0;
}

} // namespace

const cli::Verb kZboot = {
        "zboot", kUsage,
        "Wrap a Linux kernel with an EFI stub (x86_64 bzImage, arm64 Image) into a zboot image:\n"
        "the zuki stub plus the zstd-compressed kernel.",
        kOptions, run,
};

} // namespace zuki::verbs
