// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Helpers shared by the libFuzzer harnesses in this directory (host only: these use the C++
// standard library, the code under test does not). A harness checks our own invariants with
// FUZZ_CHECK, which aborts so that libFuzzer records the input as a crash.

#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base.hpp"
#include "limits.hpp"
#include "pe.hpp"

#define FUZZ_CHECK(cond, ...)                                                              \
        do {                                                                               \
                if (!(cond)) {                                                             \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n  ", __FILE__,     \
                                __LINE__, #cond);                                          \
                        fprintf(stderr, "" __VA_ARGS__);                                   \
                        fprintf(stderr, "\n");                                             \
                        abort();                                                           \
                }                                                                          \
        } while (0)

namespace zuki::fuzz {

// Loaded images larger than this are not materialised: zeroing hundreds of MiB per input would
// make the fuzzer crawl, and the code paths are the same for small images.
inline constexpr uint64_t kMaxMaterialize = 1024 * 1024;

// True when `inner` lies inside `outer` (an empty inner view anywhere inside or at the end).
inline bool inside(Bytes outer, Bytes inner) {
        if (inner.empty())
                return inner.data() == nullptr ||
                       (inner.data() >= outer.data() && inner.data() <= outer.data() + outer.size());
        return inner.data() >= outer.data() && inner.size() <= outer.size() &&
               (size_t) (inner.data() - outer.data()) <= outer.size() - inner.size();
}

// memcmp that accepts null pointers for empty ranges.
inline bool same(const void *a, const void *b, size_t n) { return n == 0 || memcmp(a, b, n) == 0; }

inline uint64_t le(const uint8_t *data, size_t size, size_t offset, size_t width) {
        uint64_t v = 0;
        for (size_t i = 0; i < width; i++)
                if (offset + i < size)
                        v |= (uint64_t) data[offset + i] << (8 * i);
        return v;
}

// Checks the invariants every successfully parsed view must satisfy, whatever its layout.
inline void check_view(const pe::View &v, Bytes input) {
        FUZZ_CHECK(v.image().data() == input.data() && v.image().size() == input.size());
        FUZZ_CHECK(v.machine() == pe::kMachineX64 || v.machine() == pe::kMachineArm64 ||
                   v.machine() == pe::kMachineRiscv64);
        FUZZ_CHECK(v.section_count() <= zuki::limits::kMaxSections);
        FUZZ_CHECK(is_power_of_two(v.section_alignment()) && is_power_of_two(v.file_alignment()));
        FUZZ_CHECK(v.size_of_image() > 0 && v.size_of_headers() <= v.size_of_image());
        FUZZ_CHECK(v.size_of_headers() <= input.size());
        FUZZ_CHECK(v.section_table_end() <= v.size_of_headers(), "table end %u headers %u",
                   v.section_table_end(), v.size_of_headers());
        FUZZ_CHECK(v.section_table_offset() >= v.optional_header_offset() + pe::kOptionalFixedSize);
        // A loaded view holds every section's memory (checked per section below), not
        // necessarily SizeOfImage bytes: U-Boot's ImageSize ends with the last section.
        FUZZ_CHECK(strcmp(pe::machine_name(v.machine()), "unknown") != 0);
        for (uint32_t d = 0; d < pe::kMaxDirectories + 2; d++) {
                pe::DataDirectory dir = v.directory(d);
                if (d >= v.directory_count())
                        FUZZ_CHECK(dir.address == 0 && dir.size == 0);
        }
        uint64_t previous_end = v.size_of_headers();
        uint64_t raw_end = 0;
        for (size_t i = 0; i < v.section_count(); i++) {
                pe::Section s = v.section(i);
                FUZZ_CHECK(s.name[8] == 0);
                FUZZ_CHECK(s.header_offset == v.section_table_offset() + i * pe::kSectionHeaderSize);
                FUZZ_CHECK(s.data_size() <= s.memory_size() && s.data_size() <= s.raw_size);
                FUZZ_CHECK((uint64_t) s.virtual_address + s.memory_size() <= v.size_of_image());
                if (v.layout() == pe::Layout::Loaded)
                        FUZZ_CHECK((uint64_t) s.virtual_address + s.memory_size() <= input.size(),
                                   "section %zu beyond the loaded bytes", i);
                if (s.memory_size()) {
                        FUZZ_CHECK(s.virtual_address >= previous_end, "section %zu overlaps", i);
                        previous_end = (uint64_t) s.virtual_address + s.memory_size();
                }
                if (s.raw_size && (uint64_t) s.raw_offset + s.raw_size > raw_end)
                        raw_end = (uint64_t) s.raw_offset + s.raw_size;
                Bytes data = v.data(s);
                FUZZ_CHECK(inside(input, data), "section %zu data outside the input", i);
                if (v.layout() == pe::Layout::File) {
                        FUZZ_CHECK(data.size() == s.data_size());
                        if (!data.empty())
                                FUZZ_CHECK(data.data() == input.data() + s.raw_offset);
                } else {
                        FUZZ_CHECK(data.size() == s.memory_size());
                        FUZZ_CHECK(data.data() == input.data() + s.virtual_address);
                }
                pe::Section found;
                FUZZ_CHECK(v.find(s.name, &found));
                FUZZ_CHECK(found.header_offset <= s.header_offset);
                FUZZ_CHECK(s.has_name(s.name));
        }
        FUZZ_CHECK(v.raw_data_end() == raw_end);
        pe::Section none;
        FUZZ_CHECK(!v.find("no-such-section-name", &none));
}

// Checks a file_range_to_rva answer for [offset, offset + length).
inline void check_rva(const pe::View &v, uint64_t offset, uint64_t length) {
        Result<uint32_t> rva = v.file_range_to_rva(offset, length);
        if (!rva) {
                FUZZ_CHECK(rva.error() == Error::PayloadOutOfBounds);
                return;
        }
        FUZZ_CHECK((uint64_t) *rva + length <= v.size_of_image(), "rva %u + %llu past SizeOfImage %u", *rva,
                   (unsigned long long) length, v.size_of_image());
        // Some section's initialised data covers the range, at the offset that gives this RVA.
        bool covered = false;
        for (size_t i = 0; i < v.section_count() && !covered; i++) {
                pe::Section s = v.section(i);
                covered = offset >= s.raw_offset && offset + length <= (uint64_t) s.raw_offset + s.data_size() &&
                          *rva == s.virtual_address + (offset - s.raw_offset);
        }
        FUZZ_CHECK(covered);
        if (v.layout() == pe::Layout::File && length != 0)
                FUZZ_CHECK(offset + length <= v.image().size());
}

// An owned, zero-initialised byte buffer of exactly `size` bytes (malloc'ed so that AddressSanitizer
// sees any access past it).
struct Buffer {
        uint8_t *data = nullptr;
        size_t size = 0;
        explicit Buffer(size_t n) : data((uint8_t *) calloc(n ? n : 1, 1)), size(n) {}
        Buffer(const Buffer &) = delete;
        Buffer &operator=(const Buffer &) = delete;
        ~Buffer() { free(data); }
        MutableBytes bytes() const { return MutableBytes(data, size); }
};

} // namespace zuki::fuzz
