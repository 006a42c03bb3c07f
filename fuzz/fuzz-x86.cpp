// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The x86 direct-boot parsers: the .x86boot description, the relocation table walk, the EFI memory
// map to E820 conversion and the TPM event log sizing, on firmware- or image-controlled bytes.
//
// Input: one selector byte, then the target's bytes.
//   0: a .x86boot section. Accepted ones re-serialise to the same bytes, keep every segment and
//      the entry inside the image, and keep every virtual offset inside the kernel window.
//   1: le16 image size (<= 64 KiB), le32 delta, then a relocation table. Checked against a model
//      walk written from the format comment in x86-boot.hpp: accepted exactly when the model
//      accepts, and the image changes exactly as the model changes its copy.
//   2: descriptor size (byte * 8), then a memory map: entries never exceed the capacity, sizes
//      add up to the pages of the descriptors kept, and neighbours of one type are merged.
//   3: a TPM event log: sizes never exceed the bytes given; each parsed event's digests and data
//      lie inside the event, the data at its end.

#include <vector>

#include "fuzz-common.hpp"
#include "tcg-log.hpp"
#include "x86-boot.hpp"

using namespace zuki;

namespace {

void fuzz_section(Bytes in) {
        Result<x86::Info> info = x86::parse(in);
        if (!info)
                return;
        const x86::Info &i = *info;
        FUZZ_CHECK(i.file_size <= i.image_size && i.allocation_size() >= i.payload_size());
        FUZZ_CHECK(i.allocation_size() >= i.image_size && i.allocation_size() % 4096 == 0);
        bool entry_ok = false;
        for (uint32_t k = 0; k < i.segment_count; k++) {
                const x86::Segment &s = i.segments[k];
                FUZZ_CHECK(s.offset + s.size <= i.image_size && s.offset % 4096 == 0);
                if (k)
                        FUZZ_CHECK(s.offset >= i.segments[k - 1].offset + i.segments[k - 1].size);
                if ((s.flags & x86::kSegmentExecutable) && i.entry_offset >= s.offset && i.entry_offset < s.offset + s.size)
                        entry_ok = true;
        }
        FUZZ_CHECK(entry_ok, "entry %llx outside code", (unsigned long long) i.entry_offset);
        for (uint32_t seed : {0u, 1u, 0x80000000u, 0xffffffffu}) {
                uint64_t off = x86::virtual_offset(i, seed);
                FUZZ_CHECK(off % i.kernel_alignment == 0 && i.load_address + off + i.init_size <= x86::kKernelImageSize);
        }
        std::vector<uint8_t> again(x86::serialized_size(i));
        FUZZ_CHECK(x86::serialize(i, MutableBytes(again.data(), again.size())).ok());
        FUZZ_CHECK(again.size() <= in.size() && memcmp(again.data(), in.data(), again.size()) == 0,
                   "re-serialised section differs");
}

// The model: walk the le32 entries backwards; three zero-terminated lists, nothing left over.
bool model_relocate(std::vector<uint8_t> &image, Bytes table, uint64_t delta) {
        const uint64_t link = x86::kStartKernelMap + 16 * 1024 * 1024;
        if (table.size() % 4 || table.size() < 12)
                return false;
        std::vector<uint32_t> e(table.size() / 4);
        for (size_t k = 0; k < e.size(); k++)
                e[k] = load_le32(table.data() + 4 * k);
        std::vector<std::pair<int, uint64_t>> fields;
        long pos = (long) e.size() - 1;
        for (int list = 0; list < 3; list++) {
                for (;; pos--) {
                        if (pos < 0)
                                return false;
                        if (e[pos] == 0) {
                                pos--;
                                break;
                        }
                        uint64_t va = (uint64_t) (int64_t) (int32_t) e[pos];
                        uint64_t width = list == 2 ? 8 : 4;
                        if (va < link || va - link + width > image.size())
                                return false;
                        fields.push_back({list, va - link});
                }
        }
        if (pos != -1)
                return false;
        for (auto [list, off] : fields) {
                uint8_t *p = image.data() + off;
                if (list == 0)
                        store_le32(p, load_le32(p) + (uint32_t) delta);
                else if (list == 1)
                        store_le32(p, load_le32(p) - (uint32_t) delta);
                else
                        store_le64(p, load_le64(p) + delta);
        }
        return true;
}

void fuzz_relocations(Bytes in) {
        if (in.size() < 6)
                return;
        size_t image_size = load_le16(in.data());
        uint64_t delta = (uint64_t) load_le32(in.data() + 2) << 12;
        Bytes table(in.data() + 6, in.size() - 6);
        std::vector<uint8_t> image(image_size);
        for (size_t k = 0; k < image.size(); k++)
                image[k] = (uint8_t) (k * 131 + 7);
        std::vector<uint8_t> model = image;
        bool model_ok = model_relocate(model, table, delta);
        Status s = x86::apply_relocations(MutableBytes(image.data(), image.size()), image.size(), table,
                                          16 * 1024 * 1024, delta);
        FUZZ_CHECK(s.ok() == model_ok, "zuki %d, model %d", (int) s.ok(), (int) model_ok);
        if (!s.ok() || delta == 0) {
                std::vector<uint8_t> untouched(image_size);
                for (size_t k = 0; k < untouched.size(); k++)
                        untouched[k] = (uint8_t) (k * 131 + 7);
                FUZZ_CHECK(image == untouched, "a refused or zero-delta table changed the image");
                return;
        }
        FUZZ_CHECK(image == model, "relocated image differs from the model");
}

void fuzz_e820(Bytes in) {
        if (in.empty())
                return;
        size_t dsize = (size_t) in[0] * 8;
        Bytes map(in.data() + 1, in.size() - 1);
        x86::E820Entry out[8];
        size_t needed = 0;
        Result<size_t> n = x86::convert_memory_map(map, dsize, out, 8, &needed);
        if (!n) {
                FUZZ_CHECK(n.error() != Error::NoSpace || needed > 8);
                return;
        }
        FUZZ_CHECK(*n <= 8 && *n == needed);
        uint64_t want = 0, got = 0;
        for (size_t off = 0; dsize >= 40 && off + dsize <= map.size(); off += dsize) {
                const uint8_t *d = map.data() + off;
                uint64_t pages = load_le64(d + 24);
                if (x86::e820_type(load_le32(d), load_le64(d + 32)) && pages && pages <= (~0ull >> 12))
                        want += pages << 12;
        }
        for (size_t k = 0; k < *n; k++) {
                got += out[k].size;
                if (k)
                        FUZZ_CHECK(!(out[k - 1].type == out[k].type && out[k - 1].address + out[k - 1].size == out[k].address),
                                   "unmerged neighbours");
        }
        FUZZ_CHECK(got == want, "sizes %llu vs %llu", (unsigned long long) got, (unsigned long long) want);
}

void fuzz_tcg(Bytes in) {
        Result<size_t> first = tcg::legacy_event_size(in);
        if (first)
                FUZZ_CHECK(*first <= in.size());
        Result<tcg::DigestSizes> d = tcg::spec_id_digests(in);
        if (!d || !first)
                return;
        Bytes rest(in.data() + *first, in.size() - *first);
        Result<size_t> all = tcg::events2_size(rest, 1000, *d);
        size_t pos = 0;
        while (pos < rest.size()) {
                Bytes at(rest.data() + pos, rest.size() - pos);
                Result<size_t> one = tcg::event2_size(at, *d);
                if (!one)
                        break;
                FUZZ_CHECK(*one > 0 && *one <= rest.size() - pos);
                // The parsed event's views lie inside it, the data last.
                Result<tcg::Event2> e = tcg::parse_event2(at, *d);
                FUZZ_CHECK(e.ok() && e->size == *one && e->digest_count > 0 && e->digest_count <= tcg::kMaxAlgorithms);
                for (size_t k = 0; k < e->digest_count; k++)
                        FUZZ_CHECK(e->digest[k].data() >= at.data() && e->digest[k].end() <= e->data.data());
                FUZZ_CHECK(e->data.data() >= at.data() && e->data.end() == at.data() + *one);
                pos += *one;
        }
        if (all)
                FUZZ_CHECK(*all <= rest.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size == 0)
                return 0;
        Bytes in(data + 1, size - 1);
        switch (data[0] % 4) {
        case 0: fuzz_section(in); break;
        case 1: fuzz_relocations(in); break;
        case 2: fuzz_e820(in); break;
        default: fuzz_tcg(in); break;
        }
        return 0;
}
