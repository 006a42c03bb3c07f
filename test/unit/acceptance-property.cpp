// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The property behind "what the stub refuses, the host refuses first" (issue 21, docs/limits.md):
// over deterministic, seeded mutations of real zboot images and of UKIs built from them, the
// decisions of `zuki inspect` and `zuki build` (the library functions those verbs decide with)
// equal the stub's. The stub's side is its own sequence of shared calls (src/boot/stub.cpp,
// uki-boot.cpp, kernel.cpp, x86-direct.cpp) over the image the firmware's loader makes of the
// file (load-plan), with the stub's own zstd wrapper (src/boot/zstd-decompress.cpp, built here
// against libzstd). A disagreement in either direction is printed and fails the run.
//
//   acceptance-property MUTATIONS SEED ARCH:STUB:ZBOOT...
//
// Prints the inputs, how many both sides accepted, and the refusals counted by the stub's reason.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../../src/boot/zstd-decompress.hpp"
#include "boot-model.hpp"
#include "failure.hpp"
#include "file-io.hpp"
#include "inspect.hpp"
#include "kernel-payload.hpp"
#include "load-plan.hpp"
#include "pe-fixture.hpp"
#include "stub-acceptance.hpp"
#include "uki-build.hpp"
#include "uki.hpp"
#include "zboot-image.hpp"
#include "x86-boot.hpp"
#include "zboot.hpp"

namespace zuki {
namespace {

// ---- Seeded, reproducible choices (splitmix64) ----

struct Random {
        uint64_t state;
        uint64_t next() {
                uint64_t z = (state += 0x9e3779b97f4a7c15ull);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
                return z ^ (z >> 31);
        }
        uint64_t below(uint64_t n) { return n ? next() % n : 0; }
        // Values where bounds checks go wrong: zero, one, the edges, near the original.
        uint32_t interesting(uint32_t original) {
                switch (below(9)) {
                case 0: return 0;
                case 1: return 1;
                case 2: return 0xffffffff;
                case 3: return 0x7fffffff;
                case 4: return original + 1;
                case 5: return original - 1;
                case 6: return original + 0x1000;
                case 7: return original - 0x1000;
                default: return (uint32_t) next();
                }
        }
};

// ---- The stub's decision ----

struct Verdict {
        bool accepted = true;
        std::string reason; // the stub's refusal (empty when accepted)
};

Verdict refusal(const std::string &step, Error e) { return {false, step + ": " + describe(e)}; }

// The stub's zstd step (zstd::decompress into declared-size pages). Unchanged frames are decoded
// once: most mutations leave the payload alone.
class Decompressor {
public:
        Status run(const zboot::ZstdPayload &p, const uint8_t **out) {
                for (const Entry &e : cache_)
                        if (e.size == p.decompressed_size && e.frame.size() == p.frame.size() &&
                            std::memcmp(e.frame.data(), p.frame.data(), p.frame.size()) == 0) {
                                *out = e.bytes.data();
                                return e.status;
                        }
                Entry e;
                e.frame.assign(p.frame.begin(), p.frame.end());
                e.size = p.decompressed_size;
                e.bytes.resize(p.decompressed_size);
                std::vector<uint8_t> workspace(zstd::workspace_size());
                e.status = zstd::decompress(p.frame, MutableBytes(e.bytes.data(), e.bytes.size()),
                                            MutableBytes(workspace.data(), workspace.size()), nullptr);
                if (cache_.size() >= 4)
                        cache_.erase(cache_.begin());
                cache_.push_back(std::move(e));
                *out = cache_.back().bytes.data();
                return cache_.back().status;
        }

private:
        struct Entry {
                std::vector<uint8_t> frame;
                uint64_t size = 0;
                std::vector<uint8_t> bytes;
                Status status = ok_status();
        };
        std::vector<Entry> cache_;
};

// kernel.cpp place_kernel(): the decompressed (or plain) kernel PE is parsed, loaded and relocated.
Verdict place_kernel(Bytes file, uint16_t machine) {
        Result<pe::View> view = pe::View::parse(file, pe::Layout::File);
        if (!view)
                return refusal("kernel image", view.error());
        if (view->machine() != machine)
                return refusal("kernel image", Error::UnsupportedMachine);
        Result<load::Plan> plan = load::plan(*view);
        if (!plan)
                return refusal("kernel image", plan.error());
        std::vector<uint8_t> dest(plan->image_size);
        MutableBytes d(dest.data(), dest.size());
        Status r = load::materialize(*view, *plan, d);
        if (r)
                r = load::relocate(d, *plan, 0x40000000);
        if (!r)
                return refusal("kernel image", r.error());
        Result<pe::View> loaded = pe::View::parse(Bytes(dest.data(), dest.size()), pe::Layout::Loaded);
        if (!loaded)
                return refusal("loaded kernel image", loaded.error());
        return {};
}

// What the stub does with a checked kernel payload until it jumps: decompress, relocate or load.
Verdict consume_kernel(const kernel::Payload &payload, Bytes pe_file, Span<const char16_t> cmdline, uint16_t machine,
                       Decompressor *zstd) {
        switch (payload.kind) {
        case kernel::Kind::PlainPe:
        case kernel::Kind::SelfDecompressing: return place_kernel(pe_file, machine);
        case kernel::Kind::Zstd:
        case kernel::Kind::X86Direct: break;
        }
        const uint8_t *inner = nullptr;
        Status r = zstd->run(payload.zstd, &inner);
        if (!r)
                return refusal("decompressing", r.error());
        Bytes decompressed(inner, payload.zstd.decompressed_size);
        if (payload.kind == kernel::Kind::Zstd)
                return place_kernel(decompressed, machine);
        // x86-direct.cpp: the command line against cmdline_size, then the relocation table.
        r = kernel::check_command_line(payload, cmdline);
        if (r)
                r = kernel::check_decompressed(payload, decompressed, machine);
        if (!r)
                return refusal("x86 direct boot", r.error());
        return {};
}

// The firmware's PE loader: the file becomes the loaded image the stub finds itself in.
Verdict firmware_load(Bytes file, std::vector<uint8_t> *loaded) {
        Result<pe::View> view = pe::View::parse(file, pe::Layout::File);
        if (!view)
                return refusal("firmware loader", view.error());
        Result<load::Plan> plan = load::plan(*view);
        if (!plan)
                return refusal("firmware loader", plan.error());
        loaded->assign(plan->image_size, 0);
        Status r = load::materialize(*view, *plan, MutableBytes(loaded->data(), loaded->size()));
        if (!r)
                return refusal("firmware loader", r.error());
        return {};
}

// uki-boot.cpp check_linux_section() and boot_kernel_image(): the kernel in .linux, booted with
// this command line.
Verdict stub_boots_linux(Bytes linux_image, Span<const char16_t> cmdline, uint16_t machine, Decompressor *zstd) {
        Result<pe::View> nested = pe::View::parse(linux_image, pe::Layout::File);
        if (!nested)
                return refusal(".linux", nested.error());
        Result<kernel::Payload> payload = kernel::check_kernel_payload(*nested, kernel::Origin::LinuxSection);
        if (!payload)
                return refusal(".linux", payload.error());
        return consume_kernel(*payload, linux_image, cmdline, machine, zstd);
}

// uki-boot.cpp boot_uki() for one profile, selected as a boot loader would ("@N").
Verdict stub_boots_profile(const pe::View &self, uint32_t profile, Decompressor *zstd) {
        std::u16string options;
        if (profile != 0)
                for (char c : "@" + std::to_string(profile))
                        options += (char16_t) c;
        model::Inputs in;
        in.load_options = Span<const char16_t>(options.data(), options.size());
        Result<model::Boot> boot = model::plan_boot(self, in);
        if (!boot)
                return refusal("boot model", boot.error());
        std::vector<char16_t> cmdline(boot->cmdline_units);
        Span<const char16_t> line = model::command_line(*boot, Span<char16_t>(cmdline.data(), cmdline.size()));
        return stub_boots_linux(boot->section(uki::SectionId::Linux), line, self.machine(), zstd);
}

// stub.cpp run(): the image booted on its own, as the firmware loaded it. A UKI is judged in
// every profile (the host speaks for all of them).
Verdict stub_boots(Bytes file, Decompressor *zstd) {
        std::vector<uint8_t> loaded;
        Verdict v = firmware_load(file, &loaded);
        if (!v.accepted)
                return v;
        Result<pe::View> self = pe::View::parse(Bytes(loaded.data(), loaded.size()), pe::Layout::Loaded);
        if (!self)
                return refusal("own image", self.error());
        if (uki::is_uki(*self)) {
                Result<uki::SectionSet> set = uki::select_sections(*self, 0);
                uint32_t profiles = set && set->profile_count ? set->profile_count : 1;
                for (uint32_t p = 0; p < profiles; p++) {
                        v = stub_boots_profile(*self, p, zstd);
                        if (!v.accepted)
                                return v;
                }
                return v;
        }
        Result<kernel::Payload> payload = kernel::check_kernel_payload(*self, kernel::Origin::SelfImage);
        if (!payload)
                return refusal("zboot payload", payload.error());
        return consume_kernel(*payload, Bytes(), {}, self->machine(), zstd);
}

// ---- The host's decisions ----

struct HostVerdict {
        bool accepted = true;
        std::string reason;
};

// zuki inspect: exit 0 without "stub refuses".
HostVerdict host_inspect(Bytes image) {
        try {
                nlohmann::ordered_json report = inspect_image(image);
                if (report.contains("stub_refuses"))
                        return {false, report["stub_refuses"].get<std::string>()};
                return {};
        } catch (const Failure &f) {
                return {false, f.what()};
        }
}

// zuki build --linux KERNEL --cmdline CMDLINE: build_uki(), then the stub's checks on the result.
HostVerdict host_build(Bytes stub, Bytes kernel, const std::string &cmdline, Buffer *uki) {
        try {
                UkiInputs in;
                in.linux_image.assign(kernel.begin(), kernel.end());
                in.cmdline = Buffer(cmdline.begin(), cmdline.end());
                in.osrel = Buffer{'I', 'D', '=', 'z', '\n'};
                in.uname = "";
                UkiResult r = build_uki(stub, in, CompressOptions());
                check_stub_accepts_uki(bytes_of(r.image), "The new UKI");
                *uki = std::move(r.image);
                return {};
        } catch (const Failure &f) {
                return {false, f.what()};
        }
}

// ---- Mutations ----

// Where the interesting bytes of an image are, found in the unmutated original.
struct Landmarks {
        uint32_t headers_end = 0;       // end of the section table
        uint32_t optional_header = 0;
        uint32_t section_table = 0;
        uint32_t section_count = 0;
        uint32_t payload = 0, payload_size = 0; // zboot payload (file offsets), 0 if none
        uint32_t x86boot = 0, x86boot_size = 0; // .x86boot data
        uint32_t cmdline_size_field = 0;        // setup header cmdline_size inside .x86boot
        uint32_t linux_offset = 0, linux_size = 0; // a UKI's .linux
};

Landmarks find_landmarks(Bytes image) {
        Landmarks m;
        Result<pe::View> v = pe::View::parse(image, pe::Layout::File);
        if (!v)
                fail("Base image does not parse", v.error());
        m.optional_header = v->optional_header_offset();
        m.section_table = v->section_table_end() - (uint32_t) v->section_count() * pe::kSectionHeaderSize;
        m.section_count = (uint32_t) v->section_count();
        m.headers_end = v->section_table_end();
        Result<zboot::Header> h = zboot::parse_header(image);
        if (h) {
                m.payload = h->payload_offset;
                m.payload_size = h->payload_size;
        }
        pe::Section s;
        if (v->find(x86::kSectionName, &s)) {
                m.x86boot = s.raw_offset;
                m.x86boot_size = s.data_size();
                Result<x86::Info> info = x86::parse(v->data(s));
                if (info)
                        m.cmdline_size_field = (uint32_t) (info->setup_header.data() - image.data()) +
                                               x86::kCmdlineSizeOffset - x86::kSetupHeaderStart;
        }
        if (v->find(".linux", &s)) {
                m.linux_offset = s.raw_offset;
                m.linux_size = s.data_size();
        }
        return m;
}

// One mutation of `image`, its name for the report. `base` offsets everything when the zboot
// image sits inside a UKI's .linux.
std::string mutate(std::vector<uint8_t> *image, const Landmarks &m, uint32_t base, Random *rng) {
        auto put32 = [&](uint64_t at, uint32_t v) {
                if (at + 4 <= image->size())
                        store_le32(image->data() + at, v);
        };
        auto get32 = [&](uint64_t at) { return at + 4 <= image->size() ? load_le32(image->data() + at) : 0u; };
        for (;;) {
                switch (rng->below(12)) {
                case 0: { // a flipped bit anywhere in the headers
                        uint32_t at = base + (uint32_t) rng->below(m.headers_end);
                        (*image)[at] ^= (uint8_t) (1u << rng->below(8));
                        return "header bit";
                }
                case 1: { // a section table field
                        static const uint32_t kFields[] = {pe::kSecVirtualSize, pe::kSecVirtualAddress, pe::kSecSizeOfRawData,
                                                           pe::kSecPointerToRawData, pe::kSecCharacteristics};
                        uint32_t at = base + m.section_table + (uint32_t) rng->below(m.section_count) * pe::kSectionHeaderSize +
                                      kFields[rng->below(5)];
                        put32(at, rng->interesting(get32(at)));
                        return "section field";
                }
                case 2: { // an optional header field
                        static const uint32_t kFields[] = {pe::kOptEntryPoint, pe::kOptSectionAlignment,
                                                           pe::kOptFileAlignment, pe::kOptSizeOfImage,
                                                           pe::kOptSizeOfHeaders};
                        uint32_t at = base + m.optional_header + kFields[rng->below(5)];
                        put32(at, rng->interesting(get32(at)));
                        return "optional header field";
                }
                case 3: { // the zboot header's payload offset or size
                        if (!m.payload)
                                continue;
                        uint32_t at = base + (rng->below(2) ? zboot::kPayloadOffsetOffset : zboot::kPayloadSizeOffset);
                        put32(at, rng->interesting(get32(at)));
                        return "zboot header field";
                }
                case 4: { // the codec name
                        static const char *kCodecs[] = {"gzip", "lz4", "zstd22", "", "zst", "xzkern"};
                        const char *c = kCodecs[rng->below(6)];
                        if (!m.payload)
                                continue;
                        std::memset(image->data() + base + zboot::kCodecOffset, 0, zboot::kCodecFieldSize);
                        std::memcpy(image->data() + base + zboot::kCodecOffset, c, std::strlen(c));
                        return "zboot codec";
                }
                case 5: { // the size trailer
                        if (!m.payload)
                                continue;
                        uint32_t at = base + m.payload + m.payload_size;
                        put32(at, rng->interesting(get32(at)));
                        return "zboot size trailer";
                }
                case 6: { // a skippable zstd frame in front of the kernel's frame
                        if (!m.payload)
                                continue;
                        put32(base + m.payload, kernel::kZstdSkippableMagic | (uint32_t) rng->below(16));
                        put32(base + m.payload + 4, m.payload_size - 8);
                        return "skippable frame first";
                }
                case 7: { // a skippable frame after the kernel's, inside the declared payload
                        if (!m.payload)
                                continue;
                        uint32_t end = base + m.payload + m.payload_size;
                        uint32_t trailer = get32(end);
                        put32(end, kernel::kZstdSkippableMagic);
                        put32(end + 4, 0);
                        put32(end + 8, trailer);
                        put32(base + zboot::kPayloadSizeOffset, m.payload_size + 8);
                        return "skippable frame after";
                }
                case 8: { // a byte of .x86boot
                        if (!m.x86boot)
                                continue;
                        uint32_t at = base + m.x86boot + (uint32_t) rng->below(m.x86boot_size);
                        (*image)[at] = rng->below(2) ? (uint8_t) ((*image)[at] ^ (1u << rng->below(8))) : (uint8_t) rng->next();
                        return ".x86boot byte";
                }
                case 9: { // the kernel's cmdline_size
                        if (!m.cmdline_size_field)
                                continue;
                        static const uint32_t kSizes[] = {0, 1, 255, 2047, 4095, 0xffffffff};
                        put32(base + m.cmdline_size_field, kSizes[rng->below(6)]);
                        return "setup header cmdline_size";
                }
                case 10: { // truncation: in the headers, in the payload, or just short of the end
                        uint64_t size = image->size();
                        uint64_t cut = rng->below(3) == 0 ? rng->below(m.headers_end + 0x1000) : size - 1 - rng->below(size / 2);
                        image->resize(cut);
                        return "truncated";
                }
                default: { // a bit of the compressed payload
                        if (!m.payload)
                                continue;
                        uint32_t at = base + m.payload + (uint32_t) rng->below(m.payload_size);
                        (*image)[at] ^= (uint8_t) (1u << rng->below(8));
                        return "payload bit";
                }
                }
        }
}

// ---- The run ----

struct Tally {
        uint64_t inputs = 0, accepted = 0, refused = 0, disagreements = 0;
        std::map<std::string, uint64_t> reasons;
        uint64_t not_uki = 0;       // mutated UKIs without a .linux: no claim to judge
        uint64_t alone_differs = 0; // zboot images booted on their own, see run_arch()
        std::map<std::string, uint64_t> alone_reasons;
};

void judge(Tally *t, const std::string &input, const std::string &host_side, const HostVerdict &host, const Verdict &stub) {
        t->inputs++;
        if (host.accepted == stub.accepted) {
                if (host.accepted)
                        t->accepted++;
                else {
                        t->refused++;
                        t->reasons[stub.reason]++;
                }
                return;
        }
        t->disagreements++;
        if (t->disagreements <= 20)
                std::printf("DISAGREE %s: %s %s, the stub %s\n", input.c_str(), host_side.c_str(),
                            host.accepted ? "accepts" : ("refuses (" + host.reason + ")").c_str(),
                            stub.accepted ? "accepts" : ("refuses (" + stub.reason + ")").c_str());
}

struct Arch {
        std::string name;
        Buffer stub, zboot;
        uint16_t machine = 0;
};

// A small kernel of the stub's architecture: what zuki zboot checks a kernel for (an EFI
// application with the arm64 Image magic or an x86 setup header), with code and data. Wrapped by
// zuki zboot's own build_zboot() onto the real stub, it makes a real zboot image of 100-odd KiB,
// so that most of the mutations run in milliseconds; the real kernels get fewer.
Buffer small_zboot(Bytes stub, uint16_t machine) {
        test::ImageSpec spec;
        spec.machine = machine;
        spec.entry_point = 0x1000;
        spec.size_of_image = 0x4000;
        spec.sections = {{".text", 0x1000, 0x800, 0x400, 0x800, test::kText, {}},
                         {".data", 0x2000, 0x1800, 0xc00, 0x400, test::kData, {}}};
        std::vector<uint8_t> k = test::build(spec);
        store_le16(k.data() + spec.lfanew + 4 + pe::kCoffHeaderSize + pe::kOptSubsystem, pe::kSubsystemEfiApplication);
        if (machine == pe::kMachineArm64)
                std::memcpy(k.data() + 0x38, "ARM\x64", 4);
        else
                std::memcpy(k.data() + 0x202, "HdrS", 4);
        CompressOptions options;
        options.level = 3;
        options.x86_boot = X86Boot::EfiStub;
        return build_zboot(stub, Bytes(k.data(), k.size()), options).image;
}

void run_arch(const Arch &a, uint32_t count, uint64_t seed, Tally *t) {
        Decompressor zstd;
        Bytes stub = bytes_of(a.stub);
        // The UKI mutated below: a base .cmdline and two profiles, built as zuki build builds it.
        UkiInputs in;
        in.linux_image = a.zboot;
        in.cmdline = Buffer{'q', 'u', 'i', 'e', 't'};
        in.osrel = Buffer{'I', 'D', '=', 'z', '\n'};
        in.uname = "";
        in.profiles.push_back(ProfileInputs{Buffer{'I', 'D', '=', '0'}, std::nullopt});
        in.profiles.push_back(ProfileInputs{Buffer{'I', 'D', '=', '1'}, Buffer{'d', 'e', 'b', 'u', 'g'}});
        Buffer uki = build_uki(stub, in, CompressOptions()).image;
        Landmarks zm = find_landmarks(bytes_of(a.zboot)), um = find_landmarks(bytes_of(uki));
        Landmarks linux_m = find_landmarks(Bytes(uki.data() + um.linux_offset, um.linux_size));

        Random rng{seed};
        // Command lines around the x86 kernel's cmdline_size (2047 bytes for Debian's).
        static const size_t kCmdlineLengths[] = {5, 2047, 2048, 4096};
        for (uint32_t i = 0; i < count; i++) {
                // zboot images: booted on their own, inspected, and given to zuki build.
                std::vector<uint8_t> z(a.zboot.begin(), a.zboot.end());
                std::string what = i == 0 ? "unchanged" : mutate(&z, zm, 0, &rng);
                std::string id = a.name + " zboot #" + std::to_string(i) + " (" + what + ")";
                Bytes zb(z.data(), z.size());
                bool is_zboot = zboot::has_header(zb);
                if (is_zboot) {
                        // zuki inspect speaks for the image as zuki build --linux uses it: the
                        // kernel in .linux, with no command line.
                        HostVerdict inspect = host_inspect(zb);
                        judge(t, id, "zuki inspect", inspect, stub_boots_linux(zb, {}, a.machine, &zstd));
                        // zuki build with a command line around the x86 kernel's cmdline_size, and
                        // the stub booting what it wrote.
                        std::string cmdline(kCmdlineLengths[rng.below(4)], 'x');
                        std::u16string line16(cmdline.begin(), cmdline.end());
                        Buffer built;
                        HostVerdict build = host_build(stub, zb, cmdline, &built);
                        judge(t, id + " cmdline " + std::to_string(cmdline.size()), "zuki build", build,
                              stub_boots_linux(zb, Span<const char16_t>(line16.data(), line16.size()), a.machine, &zstd));
                        if (build.accepted)
                                judge(t, id + " as built", "zuki build", build, stub_boots(bytes_of(built), &zstd));
                        // Booted on its own (zboot mode). zuki inspect speaks for the image as
                        // .linux, so this is counted, not judged: a zboot image may carry another
                        // stub (Linux's own boots its gzip payload), which the host cannot tell.
                        Verdict alone = stub_boots(zb, &zstd);
                        if (alone.accepted != inspect.accepted) {
                                t->alone_differs++;
                                t->alone_reasons[alone.accepted ? "host: " + inspect.reason : "stub: " + alone.reason]++;
                        }
                }
                // UKIs: inspected and booted, with the mutation anywhere, or in the zboot image in .linux.
                std::vector<uint8_t> u(uki.begin(), uki.end());
                bool in_linux = rng.below(2);
                what = in_linux ? ".linux " + mutate(&u, linux_m, um.linux_offset, &rng) : mutate(&u, um, 0, &rng);
                id = a.name + " UKI #" + std::to_string(i) + " (" + what + ")";
                Bytes ub(u.data(), u.size());
                // Still a UKI to the host? Otherwise zuki inspect makes no claim about booting it.
                Result<pe::View> still = pe::View::parse(ub, pe::Layout::File);
                if (still && !uki::is_uki(*still) && !zboot::has_header(ub)) {
                        t->not_uki++;
                        continue;
                }
                judge(t, id, "zuki inspect", host_inspect(ub), stub_boots(ub, &zstd));
        }
}

} // namespace
} // namespace zuki

int main(int argc, char **argv) {
        using namespace zuki;
        if (argc < 4) {
                std::fprintf(stderr, "usage: %s MUTATIONS SEED ARCH:STUB:ZBOOT...\n", argv[0]);
                return 2;
        }
        uint32_t count = (uint32_t) std::stoul(argv[1]);
        uint64_t seed = std::stoull(argv[2]);
        auto start = std::chrono::steady_clock::now();
        Tally t;
        try {
                for (int i = 3; i < argc; i++) {
                        std::string spec = argv[i];
                        size_t c1 = spec.find(':'), c2 = spec.find(':', c1 + 1);
                        Arch a{spec.substr(0, c1), read_file(spec.substr(c1 + 1, c2 - c1 - 1)), read_file(spec.substr(c2 + 1))};
                        Result<pe::View> stub = pe::View::parse(bytes_of(a.stub), pe::Layout::File);
                        if (!stub)
                                fail("The stub does not parse", stub.error());
                        a.machine = stub->machine();
                        run_arch(a, count / 16, seed + (uint64_t) i, &t);
                        a.zboot = small_zboot(bytes_of(a.stub), a.machine);
                        run_arch(a, count, seed + 100 + (uint64_t) i, &t);
                }
        } catch (const Failure &f) {
                std::fprintf(stderr, "acceptance-property: %s\n", f.what());
                return 1;
        }
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("inputs %llu, both accept %llu, both refuse %llu, disagreements %llu, %.1f s\n",
                    (unsigned long long) t.inputs, (unsigned long long) t.accepted, (unsigned long long) t.refused,
                    (unsigned long long) t.disagreements, seconds);
        for (const auto &[reason, n] : t.reasons)
                std::printf("  refused %6llu  %s\n", (unsigned long long) n, reason.c_str());
        std::printf("mutated UKIs no longer a UKI (not judged): %llu\n", (unsigned long long) t.not_uki);
        std::printf("zboot images booted on their own (not judged): %llu differ from zuki inspect\n",
                    (unsigned long long) t.alone_differs);
        for (const auto &[reason, n] : t.alone_reasons)
                std::printf("  %6llu  %s\n", (unsigned long long) n, reason.c_str());
        return t.disagreements ? 1 : 0;
}
