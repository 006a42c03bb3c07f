// SPDX-License-Identifier: LGPL-2.1-or-later

#include "x86-kernel.hpp"

#include <algorithm>
#include <cstring>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "failure.hpp"
#include "limits.hpp"

namespace zuki {

namespace {

bool starts_with(Bytes b, std::initializer_list<uint8_t> magic) {
        if (b.size() < magic.size())
                return false;
        return std::equal(magic.begin(), magic.end(), b.data());
}

void inflate_gzip(Bytes in, Buffer *out) {
        z_stream z{};
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                fail("gzip: cannot initialise zlib");
        z.next_in = const_cast<uint8_t *>(in.data());
        z.avail_in = (uInt) in.size();
        z.next_out = out->data();
        z.avail_out = (uInt) out->size();
        int r = inflate(&z, Z_FINISH);
        uint64_t produced = z.total_out;
        inflateEnd(&z);
        if (r != Z_STREAM_END || produced != out->size())
                fail("Kernel payload (gzip) is corrupt or does not decompress to its declared size");
}

void decode_lzma(Bytes in, Buffer *out, bool xz) {
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_ret r = xz ? lzma_stream_decoder(&s, UINT64_MAX, 0) : lzma_alone_decoder(&s, UINT64_MAX);
        if (r != LZMA_OK)
                fail("xz: cannot initialise liblzma");
        s.next_in = in.data();
        s.avail_in = in.size();
        s.next_out = out->data();
        s.avail_out = out->size();
        r = lzma_code(&s, LZMA_FINISH);
        uint64_t produced = s.total_out;
        lzma_end(&s);
        // The lzma-alone format may end without an end marker once the declared size is reached.
        if ((r != LZMA_STREAM_END && !(r == LZMA_OK && !xz)) || produced != out->size())
                fail(std::string("Kernel payload (") + (xz ? "xz" : "lzma") +
                     ") is corrupt or does not decompress to its declared size");
}

void decode_zstd(Bytes in, Buffer *out) {
        // The kernel's frames may lack a content size; stream into the declared size.
        ZSTD_DCtx *d = ZSTD_createDCtx();
        if (!d)
                fail("zstd: out of memory");
        ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 31);
        ZSTD_inBuffer ib{in.data(), in.size(), 0};
        ZSTD_outBuffer ob{out->data(), out->size(), 0};
        size_t r = 1;
        while (r != 0 && ib.pos < ib.size) {
                r = ZSTD_decompressStream(d, &ob, &ib);
                if (ZSTD_isError(r) || (r != 0 && ob.pos == ob.size && ib.pos == ib.size))
                        break;
        }
        ZSTD_freeDCtx(d);
        if (ZSTD_isError(r) || r != 0 || ob.pos != out->size())
                fail("Kernel payload (zstd) is corrupt or does not decompress to its declared size");
}

// lz4's legacy frame, as the kernel's build writes it: a magic, then blocks of at most 8 MiB,
// each preceded by its le32 compressed size.
void decode_lz4_legacy(Bytes in, Buffer *out) {
        constexpr uint32_t kMagic = 0x184c2102;
        constexpr size_t kMaxBlock = 8u << 20;
        size_t pos = 0, produced = 0;
        while (pos < in.size()) {
                if (in.size() - pos < 4)
                        break;
                uint32_t word = load_le32(in.data() + pos);
                pos += 4;
                if (word == kMagic)
                        continue; // a (new) legacy frame starts
                if (word > in.size() - pos)
                        fail("Kernel payload (lz4) is truncated");
                size_t room = std::min(kMaxBlock, out->size() - produced);
                int n = LZ4_decompress_safe(reinterpret_cast<const char *>(in.data() + pos),
                                            reinterpret_cast<char *>(out->data() + produced), (int) word, (int) room);
                if (n < 0)
                        fail("Kernel payload (lz4) is corrupt");
                produced += (size_t) n;
                pos += word;
                if (produced == out->size())
                        break;
        }
        if (produced != out->size())
                fail("Kernel payload (lz4) does not decompress to its declared size");
}

// A checked view of the stripped vmlinux ELF.
struct Elf {
        uint64_t entry = 0;
        uint64_t end = 0; // the ELF's last byte + 1: the relocation table follows
        struct Load {
                uint64_t offset, paddr, filesz, memsz;
                uint32_t flags;
        };
        std::vector<Load> loads;
};

constexpr uint32_t kPtLoad = 1;
constexpr uint16_t kEmX86_64 = 62;

// Returns nothing when `data` is no ELF64 x86-64 executable at all; throws for a broken one.
std::optional<Elf> parse_elf(Bytes data) {
        if (data.size() < 64 || !starts_with(data, {0x7f, 'E', 'L', 'F', 2, 1}))
                return std::nullopt;
        const uint8_t *h = data.data();
        if (load_le16(h + 18) != kEmX86_64)
                return std::nullopt;
        Elf elf;
        elf.entry = load_le64(h + 24);
        uint64_t phoff = load_le64(h + 32), shoff = load_le64(h + 40);
        uint16_t phentsize = load_le16(h + 54), phnum = load_le16(h + 56);
        uint16_t shentsize = load_le16(h + 58), shnum = load_le16(h + 60);
        if (phentsize < 56 || phnum == 0 || !data.contains(phoff, (uint64_t) phentsize * phnum) ||
            (shnum && !data.contains(shoff, (uint64_t) shentsize * shnum)))
                fail("Kernel's vmlinux has malformed ELF headers");
        elf.end = std::max<uint64_t>(phoff + (uint64_t) phentsize * phnum, shnum ? shoff + (uint64_t) shentsize * shnum : 0);
        for (uint16_t i = 0; i < phnum; i++) {
                const uint8_t *p = h + phoff + (uint64_t) i * phentsize;
                if (load_le32(p) != kPtLoad)
                        continue;
                Elf::Load l{load_le64(p + 8), load_le64(p + 24), load_le64(p + 32), load_le64(p + 40), load_le32(p + 4)};
                if (l.filesz > l.memsz || !data.contains(l.offset, l.filesz))
                        fail("Kernel's vmlinux has a PT_LOAD segment outside the file");
                elf.end = std::max(elf.end, l.offset + l.filesz);
                elf.loads.push_back(l);
        }
        if (elf.loads.empty())
                fail("Kernel's vmlinux has no PT_LOAD segment");
        std::sort(elf.loads.begin(), elf.loads.end(), [](const Elf::Load &a, const Elf::Load &b) { return a.paddr < b.paddr; });
        return elf;
}

} // namespace

std::string x86_payload_codec(Bytes p) {
        if (starts_with(p, {0x1f, 0x8b}))
                return "gzip";
        if (starts_with(p, {0xfd, '7', 'z', 'X', 'Z', 0x00}))
                return "xz";
        if (starts_with(p, {0x5d, 0x00, 0x00}))
                return "lzma";
        if (starts_with(p, {0x02, 0x21, 0x4c, 0x18}))
                return "lz4";
        if (starts_with(p, {0x28, 0xb5, 0x2f, 0xfd}))
                return "zstd";
        if (starts_with(p, {'B', 'Z', 'h'}))
                return "bzip2";
        if (starts_with(p, {0x89, 'L', 'Z', 'O'}))
                return "lzo";
        return "unknown";
}

Buffer x86_decompress_payload(Bytes payload) {
        // The kernel's build appends the decompressed size as le32 (scripts/Makefile.lib size_append).
        if (payload.size() < 8)
                fail("Kernel payload is truncated");
        uint32_t size = load_le32(payload.data() + payload.size() - 4);
        if (size == 0 || size > limits::kMaxDecompressedSize)
                fail("Kernel payload declares " + std::to_string(size) + " decompressed bytes, the limit is " +
                     std::to_string(limits::kMaxDecompressedSize));
        Bytes data(payload.data(), payload.size() - 4);
        Buffer out(size);
        std::string codec = x86_payload_codec(payload);
        if (codec == "gzip")
                inflate_gzip(data, &out);
        else if (codec == "xz" || codec == "lzma")
                decode_lzma(data, &out, codec == "xz");
        else if (codec == "zstd")
                decode_zstd(data, &out);
        else if (codec == "lz4")
                decode_lz4_legacy(data, &out);
        else
                fail("Kernel payload is compressed with " + codec + ", which zuki cannot read");
        return out;
}

std::optional<X86DirectKernel> prepare_x86_direct(Bytes bz, std::string *why_not) {
        auto no = [&](const std::string &reason) -> std::optional<X86DirectKernel> {
                *why_not = reason;
                return std::nullopt;
        };
        if (bz.size() < x86::kMaxSetupHeaderEnd || load_le32(bz.data() + x86::kHeaderMagicOffset) != x86::kHeaderMagic)
                return no("no x86 setup header");
        uint16_t version = load_le16(bz.data() + x86::kVersionOffset);
        if (version < x86::kMinVersion)
                return no("boot protocol " + std::to_string(version >> 8) + "." + std::to_string(version & 0xff) +
                          " is older than 2.12");
        if (!(load_le16(bz.data() + x86::kXLoadFlagsOffset) & x86::kXlfKernel64))
                return no("the kernel has no 64-bit entry point (XLF_KERNEL_64)");
        if (bz[x86::kRelocatableOffset] == 0)
                return no("the kernel is not relocatable");
        uint32_t header_end = x86::kJumpOffset + 2 + bz[x86::kJumpOffset + 1];
        if (header_end < x86::kMinSetupHeaderEnd || header_end > x86::kMaxSetupHeaderEnd)
                return no("the setup header has an unexpected size");

        uint32_t setup_sects = bz[x86::kSetupHeaderStart] ? bz[x86::kSetupHeaderStart] : 4;
        uint64_t pm_start = (uint64_t) (setup_sects + 1) * 512;
        uint64_t payload_offset = load_le32(bz.data() + x86::kPayloadOffsetOffset);
        uint64_t payload_length = load_le32(bz.data() + x86::kPayloadLengthOffset);
        Bytes payload;
        if (!bz.sub(pm_start + payload_offset, payload_length, &payload))
                fail("Kernel's setup header places its payload outside the file");
        std::string codec = x86_payload_codec(payload);
        if (codec == "bzip2" || codec == "lzo" || codec == "unknown")
                return no("its payload is compressed with " + codec + ", which zuki cannot read");

        Buffer vmlinux = x86_decompress_payload(payload);
        std::optional<Elf> elf = parse_elf(bytes_of(vmlinux));
        if (!elf)
                return no("its payload is not an x86_64 ELF image");
        if (elf->end > vmlinux.size() || vmlinux.size() - elf->end < 12)
                return no("its payload carries no relocation table (a kernel without CONFIG_RANDOMIZE_BASE)");

        X86DirectKernel k;
        k.codec = codec;
        k.vmlinux_size = vmlinux.size();
        k.setup_header.assign(bz.data() + x86::kSetupHeaderStart, bz.data() + header_end);
        x86::Info &info = k.info;
        info.load_address = elf->loads.front().paddr;
        uint64_t pref = load_le64(bz.data() + x86::kPrefAddressOffset);
        if (info.load_address != pref)
                fail("Kernel's first segment is linked at " + std::to_string(info.load_address) +
                     ", its setup header prefers " + std::to_string(pref));
        if (elf->loads.size() > x86::kMaxSegments)
                fail("Kernel has " + std::to_string(elf->loads.size()) + " PT_LOAD segments, the limit is " +
                     std::to_string(x86::kMaxSegments));
        if (elf->entry < info.load_address)
                fail("Kernel's entry point lies below its image");
        info.entry_offset = elf->entry - info.load_address;

        for (const Elf::Load &l : elf->loads) {
                uint64_t offset = l.paddr - info.load_address;
                if (offset + l.memsz > limits::kMaxImageSize)
                        fail("Kernel image is larger than " + std::to_string(limits::kMaxImageSize) + " bytes");
                info.image_size = std::max(info.image_size, offset + l.memsz);
                info.file_size = std::max(info.file_size, offset + l.filesz);
                x86::Segment &s = info.segments[info.segment_count++];
                s.offset = offset;
                s.size = l.memsz;
                s.flags = ((l.flags & 1) ? x86::kSegmentExecutable : 0) | ((l.flags & 2) ? x86::kSegmentWritable : 0);
        }
        Bytes relocs(vmlinux.data() + elf->end, vmlinux.size() - elf->end);
        info.relocs_size = relocs.size();

        // The payload the stub decompresses: the segments at their offsets, zeros between them,
        // then the relocation table.
        k.payload.assign(info.file_size + info.relocs_size, 0);
        for (const Elf::Load &l : elf->loads)
                std::memcpy(k.payload.data() + (l.paddr - info.load_address), vmlinux.data() + l.offset, l.filesz);
        std::memcpy(k.payload.data() + info.file_size, relocs.data(), relocs.size());
        // Calls and jumps as targets, not displacements: zstd then finds the repeats (about 7%
        // off the payload of Debian 12's kernel; docs/formats.md, bench/README.md).
        k.branch_fields = x86::filter_branches(&info, MutableBytes(k.payload.data(), info.file_size));
        // The relocation lists as differences: 890 KB of Debian 12's table compress to 119 KB
        // instead of 279 KB.
        info.delta_relocations =
                x86::delta_encode_relocations(MutableBytes(k.payload.data() + info.file_size, info.relocs_size));

        info.setup_header = bytes_of(k.setup_header);
        k.section.resize(x86::serialized_size(info));
        Status s = x86::serialize(info, MutableBytes(k.section.data(), k.section.size()));
        if (!s)
                fail("Cannot describe the kernel for direct boot", s.error());
        // Read back what the stub will read, and walk the relocation table as it will.
        Result<x86::Info> back = x86::parse(bytes_of(k.section));
        if (!back) {
                if (back.error() == Error::X86NotDirect)
                        return no(describe(back.error()));
                fail("Kernel cannot be booted directly", back.error());
        }
        info = *back;
        info.setup_header = bytes_of(k.setup_header);
        Result<x86::RelocationCounts> counts = x86::check_relocations(relocs, info.load_address, info.image_size);
        if (!counts)
                return no("its relocation table does not parse (" + std::string(describe(counts.error())) + ")");
        k.relocations = *counts;
        return k;
}

} // namespace zuki
