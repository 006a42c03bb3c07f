// SPDX-License-Identifier: LGPL-2.1-or-later
//
// elf2pe: turns the riscv64 stub, linked by ld.lld as a static PIE, into a PE32+ EFI application.
//
// clang has no riscv64 Windows target and lld-link no RISC-V support, so the riscv64 stub is an
// ELF first. The ELF is linked with src/boot/riscv64-stub.lds, which starts the first section at
// the header room the other stubs have and page-aligns each group of sections, so that every ELF
// address is already the RVA the PE image uses (PC-relative code needs no fix-ups). This tool then
//  - groups the allocated ELF sections into PE sections by permission: executable -> .text (r-x),
//    writable -> .data (rw-), .sbat -> .sbat (r--), anything else -> .rdata (r--); sections that
//    only serve the ELF dynamic loader (.dynamic, .dynsym, .dynstr, .hash, .rela.dyn) are left out;
//  - turns each R_RISCV_RELATIVE dynamic relocation into an IMAGE_REL_BASED_DIR64 entry and writes
//    the absolute address (ImageBase + addend) into the image, and refuses any other dynamic
//    relocation: a static PIE that needs symbol lookups cannot run as an EFI application;
//  - refuses what an EFI application cannot have: constructors (.init_array), TLS, a section that
//    is writable and executable, groups sharing a page (W^X needs page granularity);
//  - writes the PE headers with the properties check-stub.py verifies for every stub (machine,
//    subsystem 10, DYNAMIC_BASE | NX_COMPAT | HIGH_ENTROPY_VA, 4 KiB sections with file offsets
//    equal to RVAs, MajorImageVersion 1 as the other stubs' /version:1.0).
//
// The output is written to a temporary file and renamed over OUT only when complete.
//
//     elf2pe [--image-base ADDR] IN.elf OUT.efi

#include <elf.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint16_t kMachineRiscv64 = 0x5064;
constexpr uint16_t kOptionalMagicPe32Plus = 0x20b;
constexpr uint16_t kSubsystemEfiApplication = 10;
constexpr uint16_t kDllHighEntropyVa = 0x0020, kDllDynamicBase = 0x0040, kDllNxCompat = 0x0100;
constexpr uint16_t kFileExecutableImage = 0x0002, kFileLargeAddressAware = 0x0020;
constexpr uint32_t kScnCode = 0x20, kScnInitializedData = 0x40, kScnDiscardable = 0x02000000;
constexpr uint32_t kScnExecute = 0x20000000, kScnRead = 0x40000000, kScnWrite = 0x80000000;
constexpr uint16_t kRelBasedDir64 = 10;
constexpr size_t kDosHeaderSize = 0x40, kCoffHeaderSize = 20, kOptionalHeaderSize = 240;
constexpr size_t kSectionHeaderSize = 40, kDataDirectories = 16, kBaseRelocDirectory = 5;
// The ELF must leave at least this many free section headers after ours (zuki build and ukify
// append .linux, .initrd, ... there); test/pe/check-stub.py asks for 30.
constexpr size_t kMinFreeSectionHeaders = 30;

struct Failure {
        std::string message;
};

[[noreturn]] void fail(std::string message) { throw Failure{std::move(message)}; }

std::string hex(uint64_t v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%#llx", (unsigned long long) v);
        return buf;
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

template <typename T> T load(const std::vector<uint8_t> &data, uint64_t offset) {
        if (offset > data.size() || data.size() - offset < sizeof(T))
                fail("truncated ELF: " + std::to_string(sizeof(T)) + " bytes at offset " + hex(offset));
        T v;
        std::memcpy(&v, data.data() + offset, sizeof(T));
        return v;
}

template <typename T> void store(std::vector<uint8_t> &data, uint64_t offset, T v) {
        std::memcpy(data.data() + offset, &v, sizeof(T));
}

enum class Kind { Text, Rdata, Sbat, Data };

struct PeSection {
        const char *name;
        Kind kind;
        uint64_t start = 0, end = 0; // RVAs, end includes .bss
        std::vector<std::string> members;
};

const char *kind_name(Kind k) {
        switch (k) {
        case Kind::Text: return ".text";
        case Kind::Rdata: return ".rdata";
        case Kind::Sbat: return ".sbat";
        case Kind::Data: return ".data";
        }
        return "?";
}

uint32_t characteristics(Kind k) {
        switch (k) {
        case Kind::Text: return kScnCode | kScnExecute | kScnRead;
        case Kind::Rdata:
        case Kind::Sbat: return kScnInitializedData | kScnRead;
        case Kind::Data: return kScnInitializedData | kScnRead | kScnWrite;
        }
        return 0;
}

const char *riscv_reloc_name(uint32_t type) {
        switch (type) {
        case R_RISCV_32: return "R_RISCV_32";
        case R_RISCV_64: return "R_RISCV_64";
        case R_RISCV_COPY: return "R_RISCV_COPY";
        case R_RISCV_JUMP_SLOT: return "R_RISCV_JUMP_SLOT";
        case R_RISCV_TLS_DTPMOD64: return "R_RISCV_TLS_DTPMOD64";
        case R_RISCV_TLS_DTPREL64: return "R_RISCV_TLS_DTPREL64";
        case R_RISCV_TLS_TPREL64: return "R_RISCV_TLS_TPREL64";
        case 58: return "R_RISCV_IRELATIVE";
        default: return "unknown";
        }
}

struct Converter {
        const std::vector<uint8_t> &elf;
        uint64_t image_base;
        // --no-relocations: an image whose code holds no absolute address (the addon stub) needs
        // no table; without the option a missing table is an error, as for the stub it would be.
        bool allow_no_relocations = false;

        std::vector<Elf64_Shdr> shdrs;
        std::string shstrtab_name(const Elf64_Shdr &sh) const {
                const Elf64_Shdr &strtab = shdrs.at(load<Elf64_Ehdr>(elf, 0).e_shstrndx);
                if (sh.sh_name >= strtab.sh_size)
                        fail("section name outside .shstrtab");
                uint64_t at = strtab.sh_offset + sh.sh_name;
                std::string name;
                while (at < elf.size() && at < strtab.sh_offset + strtab.sh_size && elf[at])
                        name += char(elf[at++]);
                return name;
        }

        std::vector<uint8_t> convert() {
                auto eh = load<Elf64_Ehdr>(elf, 0);
                if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
                        fail("not an ELF file");
                if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
                        fail("not a little-endian ELF64 file");
                if (eh.e_machine != EM_RISCV)
                        fail("ELF machine " + std::to_string(eh.e_machine) + " is not RISC-V (243)");
                if (eh.e_type != ET_DYN)
                        fail("not a position-independent executable (link with -pie --no-dynamic-linker)");
                if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum)
                        fail("no usable section header table");
                for (unsigned i = 0; i < eh.e_shnum; i++)
                        shdrs.push_back(load<Elf64_Shdr>(elf, eh.e_shoff + uint64_t(i) * sizeof(Elf64_Shdr)));

                std::vector<PeSection> sections = group_sections();
                uint64_t headers = sections.front().start;
                uint64_t table_end = kDosHeaderSize + 4 + kCoffHeaderSize + kOptionalHeaderSize +
                                     (sections.size() + 1) * kSectionHeaderSize;
                if (headers < table_end + kMinFreeSectionHeaders * kSectionHeaderSize)
                        fail("the first section starts at " + hex(headers) + ": no room for " +
                             std::to_string(kMinFreeSectionHeaders) + " more section headers (see the linker script)");

                uint64_t image_end = align_up(sections.back().end, kPage);
                std::vector<uint8_t> image(image_end, 0);
                for (const Elf64_Shdr &sh : shdrs) {
                        if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS || !kept(sh))
                                continue;
                        if (sh.sh_offset > elf.size() || elf.size() - sh.sh_offset < sh.sh_size)
                                fail("section " + shstrtab_name(sh) + " lies outside the file");
                        std::memcpy(image.data() + sh.sh_addr, elf.data() + sh.sh_offset, sh.sh_size);
                }

                std::map<uint64_t, std::vector<uint16_t>> pages = base_relocations(sections, image);
                std::vector<uint8_t> reloc;
                for (auto &[page, offsets] : pages) {
                        if (offsets.size() % 2)
                                offsets.push_back(0); // IMAGE_REL_BASED_ABSOLUTE pads to 4 bytes
                        uint32_t block = uint32_t(8 + 2 * offsets.size());
                        size_t at = reloc.size();
                        reloc.resize(at + block);
                        store<uint32_t>(reloc, at, uint32_t(page));
                        store<uint32_t>(reloc, at + 4, block);
                        for (size_t i = 0; i < offsets.size(); i++)
                                store<uint16_t>(reloc, at + 8 + 2 * i, offsets[i]);
                }
                if (reloc.empty() && !allow_no_relocations)
                        fail("no R_RISCV_RELATIVE relocation: the stub would not be relocatable");
                // No table at all when there is nothing to relocate (the loader may still place
                // the image anywhere: IMAGE_FILE_RELOCS_STRIPPED is never set).
                uint64_t reloc_rva = reloc.empty() ? 0 : image_end;
                if (!reloc.empty()) {
                        image.resize(reloc_rva + align_up(reloc.size(), kPage), 0);
                        std::memcpy(image.data() + reloc_rva, reloc.data(), reloc.size());
                }

                write_headers(image, sections, headers, reloc_rva, reloc.size(), eh.e_entry);
                return image;
        }

        // Sections only the ELF dynamic loader reads; the relocations are translated instead.
        static bool dynamic_only(const Elf64_Shdr &sh) {
                switch (sh.sh_type) {
                case SHT_DYNAMIC:
                case SHT_DYNSYM:
                case SHT_STRTAB:
                case SHT_HASH:
                case SHT_GNU_HASH:
                case SHT_RELA:
                case SHT_REL:
                case SHT_NOTE: return true;
                default: return false;
                }
        }

        bool kept(const Elf64_Shdr &sh) const { return !dynamic_only(sh) && sh.sh_size > 0; }

        std::vector<PeSection> group_sections() const {
                std::vector<const Elf64_Shdr *> alloc;
                for (const Elf64_Shdr &sh : shdrs) {
                        if (!(sh.sh_flags & SHF_ALLOC))
                                continue;
                        std::string name = shstrtab_name(sh);
                        if (sh.sh_flags & SHF_TLS)
                                fail("section " + name + " is thread-local storage, which an EFI application cannot have");
                        if ((sh.sh_type == SHT_INIT_ARRAY || sh.sh_type == SHT_FINI_ARRAY ||
                             sh.sh_type == SHT_PREINIT_ARRAY || name.rfind(".ctors", 0) == 0) &&
                            sh.sh_size)
                                fail("section " + name + " holds constructors or destructors, which nothing would run");
                        if ((sh.sh_flags & SHF_WRITE) && (sh.sh_flags & SHF_EXECINSTR))
                                fail("section " + name + " is writable and executable");
                        if (kept(sh))
                                alloc.push_back(&sh);
                }
                std::sort(alloc.begin(), alloc.end(), [](auto *a, auto *b) { return a->sh_addr < b->sh_addr; });
                std::vector<PeSection> out;
                for (const Elf64_Shdr *sh : alloc) {
                        std::string name = shstrtab_name(*sh);
                        Kind kind = name == ".sbat" ? Kind::Sbat
                                    : sh->sh_flags & SHF_EXECINSTR ? Kind::Text
                                    : sh->sh_flags & SHF_WRITE     ? Kind::Data
                                                                   : Kind::Rdata;
                        if (out.empty() || out.back().kind != kind) {
                                if (sh->sh_addr % kPage)
                                        fail("section " + name + " starts a " + kind_name(kind) + " section at " +
                                             hex(sh->sh_addr) + ", not page-aligned (see the linker script)");
                                for (const PeSection &s : out)
                                        if (s.kind == kind)
                                                fail(std::string("two separate ") + kind_name(kind) +
                                                     " ranges (section " + name + "): fix the linker script");
                                out.push_back(PeSection{kind_name(kind), kind, sh->sh_addr, sh->sh_addr, {}});
                        }
                        PeSection &s = out.back();
                        if (sh->sh_addr < s.end) // also a group starting inside the page of the one before
                                fail("section " + name + " overlaps the one before it");
                        s.end = sh->sh_addr + sh->sh_size;
                        s.members.push_back(name);
                }
                if (out.empty())
                        fail("no allocated section");
                return out;
        }

        // R_RISCV_RELATIVE -> DIR64, per 4 KiB page as the PE base relocation table wants.
        std::map<uint64_t, std::vector<uint16_t>> base_relocations(const std::vector<PeSection> &sections,
                                                                   std::vector<uint8_t> &image) const {
                std::map<uint64_t, std::vector<uint16_t>> pages;
                for (const Elf64_Shdr &sh : shdrs) {
                        if (sh.sh_type == SHT_REL)
                                fail("section " + shstrtab_name(sh) + " holds REL relocations; RISC-V uses RELA");
                        if (sh.sh_type != SHT_RELA || !(sh.sh_flags & SHF_ALLOC))
                                continue; // non-allocated RELA sections are static (-q) relocations
                        if (sh.sh_entsize != sizeof(Elf64_Rela))
                                fail("section " + shstrtab_name(sh) + " has entries of " + std::to_string(sh.sh_entsize) +
                                     " bytes");
                        for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= sh.sh_size; off += sizeof(Elf64_Rela)) {
                                auto r = load<Elf64_Rela>(elf, sh.sh_offset + off);
                                uint32_t type = ELF64_R_TYPE(r.r_info);
                                if (type == R_RISCV_NONE)
                                        continue;
                                if (type != R_RISCV_RELATIVE)
                                        fail("dynamic relocation " + std::string(riscv_reloc_name(type)) + " (type " +
                                             std::to_string(type) + ") at " + hex(r.r_offset) + " in " +
                                             shstrtab_name(sh) +
                                             ": only R_RISCV_RELATIVE has a PE equivalent (link with -Bsymbolic, "
                                             "hidden visibility, no undefined symbols)");
                                bool inside = false;
                                for (const PeSection &s : sections)
                                        if (s.kind != Kind::Text && r.r_offset >= s.start && r.r_offset + 8 <= s.end)
                                                inside = true;
                                if (!inside)
                                        fail("R_RISCV_RELATIVE at " + hex(r.r_offset) +
                                             " patches no data section of the image");
                                store<uint64_t>(image, r.r_offset, image_base + uint64_t(r.r_addend));
                                pages[r.r_offset & ~(kPage - 1)].push_back(
                                        uint16_t(kRelBasedDir64 << 12 | (r.r_offset & (kPage - 1))));
                        }
                }
                return pages;
        }

        void write_headers(std::vector<uint8_t> &image, const std::vector<PeSection> &sections, uint64_t headers,
                           uint64_t reloc_rva, uint64_t reloc_size, uint64_t entry) const {
                bool entry_in_text = false;
                uint32_t size_code = 0, size_data = 0, base_of_code = 0;
                for (const PeSection &s : sections) {
                        uint32_t size = uint32_t(align_up(s.end - s.start, kPage));
                        if (s.kind == Kind::Text) {
                                size_code += size;
                                base_of_code = uint32_t(s.start);
                                entry_in_text |= entry >= s.start && entry < s.end;
                        } else {
                                size_data += size;
                        }
                }
                if (!entry_in_text)
                        fail("the entry point " + hex(entry) + " is not in an executable section");
                size_data += uint32_t(align_up(reloc_size, kPage));
                if (image.size() > UINT32_MAX)
                        fail("image larger than 4 GiB");

                store<uint16_t>(image, 0, 0x5a4d); // "MZ"
                store<uint32_t>(image, 0x3c, uint32_t(kDosHeaderSize));
                size_t pe = kDosHeaderSize;
                std::memcpy(image.data() + pe, "PE\0\0", 4);
                size_t coff = pe + 4;
                store<uint16_t>(image, coff + 0, kMachineRiscv64);
                store<uint16_t>(image, coff + 2, uint16_t(sections.size() + (reloc_size ? 1 : 0)));
                store<uint32_t>(image, coff + 4, 0); // TimeDateStamp: reproducible builds
                store<uint16_t>(image, coff + 16, uint16_t(kOptionalHeaderSize));
                store<uint16_t>(image, coff + 18, kFileExecutableImage | kFileLargeAddressAware);
                size_t opt = coff + kCoffHeaderSize;
                store<uint16_t>(image, opt + 0, kOptionalMagicPe32Plus);
                store<uint32_t>(image, opt + 4, size_code);
                store<uint32_t>(image, opt + 8, size_data);
                store<uint32_t>(image, opt + 12, 0); // SizeOfUninitializedData: .bss is in .data's file bytes
                store<uint32_t>(image, opt + 16, uint32_t(entry));
                store<uint32_t>(image, opt + 20, base_of_code);
                store<uint64_t>(image, opt + 24, image_base);
                store<uint32_t>(image, opt + 32, uint32_t(kPage)); // SectionAlignment
                store<uint32_t>(image, opt + 36, uint32_t(kPage)); // FileAlignment: file offsets equal RVAs
                store<uint16_t>(image, opt + 40, 6); // MajorOperatingSystemVersion, as lld-link writes
                store<uint16_t>(image, opt + 44, 1); // MajorImageVersion: see src/boot/meson.build (/version:1.0)
                store<uint16_t>(image, opt + 48, 6); // MajorSubsystemVersion, as lld-link writes
                store<uint32_t>(image, opt + 56, uint32_t(image.size()));
                store<uint32_t>(image, opt + 60, uint32_t(headers));
                store<uint16_t>(image, opt + 68, kSubsystemEfiApplication);
                store<uint16_t>(image, opt + 70, kDllHighEntropyVa | kDllDynamicBase | kDllNxCompat);
                store<uint64_t>(image, opt + 72, 1 << 20); // stack reserve/commit, heap: lld-link defaults
                store<uint64_t>(image, opt + 80, 4096);
                store<uint64_t>(image, opt + 88, 1 << 20);
                store<uint64_t>(image, opt + 96, 4096);
                store<uint32_t>(image, opt + 108, uint32_t(kDataDirectories));
                store<uint32_t>(image, opt + 112 + 8 * kBaseRelocDirectory, uint32_t(reloc_rva));
                store<uint32_t>(image, opt + 112 + 8 * kBaseRelocDirectory + 4, uint32_t(reloc_size));

                size_t h = opt + kOptionalHeaderSize;
                auto section_header = [&](const char *name, uint64_t start, uint64_t vsize, uint32_t flags) {
                        std::memcpy(image.data() + h, name, std::strlen(name));
                        store<uint32_t>(image, h + 8, uint32_t(vsize));
                        store<uint32_t>(image, h + 12, uint32_t(start));
                        store<uint32_t>(image, h + 16, uint32_t(align_up(vsize, kPage)));
                        store<uint32_t>(image, h + 20, uint32_t(start));
                        store<uint32_t>(image, h + 36, flags);
                        h += kSectionHeaderSize;
                };
                for (const PeSection &s : sections)
                        section_header(s.name, s.start, s.end - s.start, characteristics(s.kind));
                if (reloc_size)
                        section_header(".reloc", reloc_rva, reloc_size, kScnInitializedData | kScnRead | kScnDiscardable);
        }
};

std::vector<uint8_t> read_file(const std::string &path) {
        std::ifstream in(path, std::ios::binary);
        if (!in)
                fail("cannot open " + path + ": " + std::strerror(errno));
        return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_file_atomic(const std::string &path, const std::vector<uint8_t> &data) {
        std::string tmp = path + ".tmp";
        FILE *f = std::fopen(tmp.c_str(), "wb");
        if (!f)
                fail("cannot create " + tmp + ": " + std::strerror(errno));
        bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
                std::string why = std::strerror(errno);
                unlink(tmp.c_str());
                fail("cannot write " + path + ": " + why);
        }
}

} // namespace

int main(int argc, char **argv) {
        // lld-link's default for 64-bit images; any 64 KiB-aligned value works, the stub is relocated.
        uint64_t image_base = 0x140000000;
        std::vector<std::string> args(argv + 1, argv + argc);
        bool no_relocations = false;
        if (!args.empty() && args[0] == "--no-relocations") {
                no_relocations = true;
                args.erase(args.begin());
        }
        if (args.size() == 4 && args[0] == "--image-base") {
                image_base = std::strtoull(args[1].c_str(), nullptr, 0);
                args.erase(args.begin(), args.begin() + 2);
        }
        if (args.size() != 2 || image_base % 0x10000) {
                std::fprintf(stderr, "usage: elf2pe [--no-relocations] [--image-base ADDR(64 KiB aligned)] IN.elf OUT.efi\n");
                return 2;
        }
        try {
                std::vector<uint8_t> elf = read_file(args[0]);
                Converter c{elf, image_base, no_relocations, {}};
                write_file_atomic(args[1], c.convert());
        } catch (const Failure &f) {
                std::fprintf(stderr, "elf2pe: %s: %s\n", args[0].c_str(), f.message.c_str());
                return 1;
        }
        return 0;
}
