// SPDX-License-Identifier: LGPL-2.1-or-later
// The x86 direct-boot description, relocation walk, virtual KASLR slots, E820 conversion and TPM
// event log sizing, on hand-built inputs whose expected results are worked out in the comments.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tcg-log.hpp"
#include "x86-fixture.hpp"
#include "x86-boot.hpp"

namespace zuki::x86 {
namespace {

struct Fixture {
        std::vector<uint8_t> header = setup_header();
        Info info;
        std::vector<uint8_t> bytes;

        Fixture() {
                info.load_address = 16 * M;
                info.image_size = 58 * M;
                info.file_size = 58 * M;
                info.relocs_size = 16;
                info.entry_offset = 0xc43;
                info.segments[0] = {0, 0x18e6498, kSegmentExecutable};
                info.segments[1] = {0x1a00000, 0x642000, kSegmentWritable};
                info.segment_count = 2;
                info.setup_header = Bytes(header.data(), header.size());
                serialize_now();
        }
        void serialize_now() {
                bytes.assign(serialized_size(info), 0xaa);
                EXPECT_TRUE(serialize(info, MutableBytes(bytes.data(), bytes.size())).ok());
        }
        Result<Info> parsed() const { return parse(Bytes(bytes.data(), bytes.size())); }
        uint8_t *hdr(uint32_t off) { return bytes.data() + kFixedSize + info.segment_count * kSegmentSize + off - kSetupHeaderStart; }
};

TEST(X86Boot, RoundTrip) {
        Fixture f;
        Result<Info> p = f.parsed();
        ASSERT_TRUE(p.ok()) << describe(p.error());
        EXPECT_EQ(p->load_address, 16 * M);
        EXPECT_EQ(p->entry_offset, 0xc43u);
        EXPECT_EQ(p->segment_count, 2u);
        EXPECT_EQ(p->segments[1].offset, 0x1a00000u);
        EXPECT_EQ(p->kernel_alignment, 2 * M);
        EXPECT_EQ(p->init_size, 0x3f97000u);
        EXPECT_EQ(p->cmdline_size, 2047u);
        EXPECT_EQ(p->version, 0x020f);
        // init_size (63.6 MiB) exceeds the payload (58 MiB + 16 bytes): the allocation is init_size.
        EXPECT_EQ(p->allocation_size(), 0x3f97000u);
}

TEST(X86Boot, RefusesEveryInconsistency) {
        struct Case {
                const char *what;
                void (*mutate)(Fixture &);
                Error error;
        };
        const Case cases[] = {
                {"magic", [](Fixture &f) { f.bytes[0] = 'Z'; }, Error::BadX86Boot},
                {"version", [](Fixture &f) { f.bytes[8] = 3; }, Error::BadX86Boot},
                {"no segments", [](Fixture &f) { store_le32(f.bytes.data() + 0x38, 0); }, Error::BadX86Boot},
                {"too many segments", [](Fixture &f) { store_le32(f.bytes.data() + 0x38, 17); }, Error::BadX86Boot},
                {"setup header too short", [](Fixture &f) { store_le32(f.bytes.data() + 0x3c, 0x40); }, Error::BadX86SetupHeader},
                {"image over the limit", [](Fixture &f) { store_le64(f.bytes.data() + 0x18, 2ull << 30); }, Error::SizeLimit},
                {"file larger than image", [](Fixture &f) { store_le64(f.bytes.data() + 0x20, 59 * M); }, Error::SizeLimit},
                {"relocs not whole entries", [](Fixture &f) { store_le64(f.bytes.data() + 0x28, 17); }, Error::SizeLimit},
                {"relocs without terminators", [](Fixture &f) { store_le64(f.bytes.data() + 0x28, 8); }, Error::SizeLimit},
                {"segment beyond image", [](Fixture &f) { store_le64(f.bytes.data() + 0x40 + 24 + 8, 58 * M); }, Error::BadX86Segments},
                {"segment not page-aligned", [](Fixture &f) { store_le64(f.bytes.data() + 0x40 + 24, 0x1a00010); }, Error::BadX86Segments},
                {"segments overlap", [](Fixture &f) { store_le64(f.bytes.data() + 0x40 + 24, 0x18e6000); }, Error::BadX86Segments},
                {"unknown segment flag", [](Fixture &f) { f.bytes[0x40 + 16] |= 8; }, Error::BadX86Segments},
                {"entry in data", [](Fixture &f) { store_le64(f.bytes.data() + 0x30, 0x1a00000); }, Error::X86EntryOutsideCode},
                {"entry beyond image", [](Fixture &f) { store_le64(f.bytes.data() + 0x30, 60 * M); }, Error::X86EntryOutsideCode},
                {"no HdrS", [](Fixture &f) { f.hdr(kHeaderMagicOffset)[0] = 0; }, Error::BadX86SetupHeader},
                {"header end beyond the copy", [](Fixture &f) { f.hdr(kJumpOffset)[1] = 0x7f; }, Error::BadX86SetupHeader},
                {"protocol 2.11", [](Fixture &f) { store_le16(f.hdr(kVersionOffset), 0x020b); }, Error::X86NotDirect},
                {"not relocatable", [](Fixture &f) { *f.hdr(kRelocatableOffset) = 0; }, Error::X86NotDirect},
                {"no 64-bit entry", [](Fixture &f) { store_le16(f.hdr(kXLoadFlagsOffset), 0x7e); }, Error::X86NotDirect},
                {"alignment not a power of two", [](Fixture &f) { store_le32(f.hdr(kKernelAlignmentOffset), 3 * M); }, Error::BadAlignment},
                {"alignment below 2 MiB", [](Fixture &f) { store_le32(f.hdr(kKernelAlignmentOffset), M); }, Error::BadAlignment},
                {"cmdline_size 0", [](Fixture &f) { store_le32(f.hdr(kCmdlineSizeOffset), 0); }, Error::BadX86CmdlineSize},
                {"cmdline_size 0xffffffff", [](Fixture &f) { store_le32(f.hdr(kCmdlineSizeOffset), 0xffffffff); }, Error::BadX86CmdlineSize},
                {"pref_address differs", [](Fixture &f) { store_le64(f.hdr(kPrefAddressOffset), 32 * M); }, Error::BadX86Boot},
                {"init_size below image", [](Fixture &f) { store_le32(f.hdr(kInitSizeOffset), 57 * M); }, Error::SizeLimit},
                {"init_size past the 1 GiB window", [](Fixture &f) { store_le32(f.hdr(kInitSizeOffset), 1u << 30); }, Error::SizeLimit},
        };
        for (const Case &c : cases) {
                Fixture f;
                c.mutate(f);
                Result<Info> p = f.parsed();
                EXPECT_FALSE(p.ok()) << c.what;
                EXPECT_EQ(p.error(), c.error) << c.what << ": " << describe(p.error());
        }
        // Every truncation is refused.
        Fixture f;
        for (size_t n = 0; n < f.bytes.size(); n++)
                EXPECT_FALSE(parse(Bytes(f.bytes.data(), n)).ok()) << n;
}

// A relocation table, written in the order read: 32-bit entries, inverse 32-bit, 64-bit; each list
// ends with a zero and the table is stored backwards.
std::vector<uint8_t> table(std::vector<uint32_t> r32, std::vector<uint32_t> inv, std::vector<uint32_t> r64) {
        std::vector<uint32_t> forward = {0};
        forward.insert(forward.end(), r64.rbegin(), r64.rend());
        forward.push_back(0);
        forward.insert(forward.end(), inv.rbegin(), inv.rend());
        forward.push_back(0);
        forward.insert(forward.end(), r32.rbegin(), r32.rend());
        std::vector<uint8_t> out(forward.size() * 4);
        for (size_t i = 0; i < forward.size(); i++)
                store_le32(out.data() + 4 * i, forward[i]);
        return out;
}

// The kernel is linked at 0xffffffff81000000 (kStartKernelMap + 16 MiB): a field at image offset
// X is named by the low 32 bits of 0xffffffff81000000 + X.
uint32_t at(uint32_t offset) { return 0x81000000u + offset; }

TEST(X86Boot, AppliesRelocations) {
        std::vector<uint8_t> image(0x100, 0);
        store_le32(image.data() + 0x10, 0x81001234);          // a 32-bit sign-extended address
        store_le32(image.data() + 0x20, 0x00000100);          // a per-CPU offset, subtracted
        store_le64(image.data() + 0x30, 0xffffffff81005678);  // a 64-bit address
        std::vector<uint8_t> t = table({at(0x10)}, {at(0x20)}, {at(0x30)});
        Result<RelocationCounts> c = check_relocations(Bytes(t.data(), t.size()), 16 * M, image.size());
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(c->r32, 1u);
        EXPECT_EQ(c->inverse32, 1u);
        EXPECT_EQ(c->r64, 1u);
        // A virtual offset of 0x2a00000 (21 slots of 2 MiB).
        const uint64_t delta = 0x2a00000;
        ASSERT_TRUE(apply_relocations(MutableBytes(image.data(), image.size()), image.size(), Bytes(t.data(), t.size()),
                                      16 * M, delta).ok());
        EXPECT_EQ(load_le32(image.data() + 0x10), 0x83a01234u);
        EXPECT_EQ(load_le32(image.data() + 0x20), (uint32_t) (0x100 - 0x2a00000));
        EXPECT_EQ(load_le64(image.data() + 0x30), 0xffffffff83a05678ull);
}

TEST(X86Boot, RefusesBrokenRelocationTables) {
        std::vector<uint8_t> image(0x100, 0);
        auto refused = [&](std::vector<uint8_t> t) {
                std::vector<uint8_t> before = image;
                Status s = apply_relocations(MutableBytes(image.data(), image.size()), image.size(),
                                             Bytes(t.data(), t.size()), 16 * M, 0x200000);
                EXPECT_EQ(image, before) << "a refused table changed the image";
                return !s.ok() && s.error() == Error::BadX86Relocations;
        };
        EXPECT_TRUE(refused(table({at(0x100)}, {}, {})));               // 32-bit field past the end
        EXPECT_TRUE(refused(table({}, {}, {at(0xfc)})));                // 64-bit field straddles the end
        EXPECT_TRUE(refused(table({0x80fff000}, {}, {})));              // below the image
        EXPECT_TRUE(refused(table({0x7fffff00}, {}, {})));              // positive: not a kernel address
        std::vector<uint8_t> t = table({at(0x10)}, {}, {});
        t.erase(t.begin(), t.begin() + 4);                              // the 64-bit terminator is gone
        EXPECT_TRUE(refused(t));
        t = table({at(0x10)}, {}, {});
        t.insert(t.begin(), {0x10, 0, 0, 0x81});                        // an entry before the first terminator
        EXPECT_TRUE(refused(t));
        // A good entry after a bad one: nothing at all is applied.
        EXPECT_TRUE(refused(table({at(0x10), at(0x200)}, {}, {})));
        EXPECT_TRUE(refused(std::vector<uint8_t>(8, 0)));               // too short for three terminators
        EXPECT_TRUE(refused(std::vector<uint8_t>(14, 0)));              // not whole entries
}

TEST(X86Boot, VirtualSlots) {
        Fixture f;
        Info info = *f.parsed();
        // (1 GiB - 16 MiB - 0x3f97000) / 2 MiB = (0x40000000 - 0x1000000 - 0x3f97000) / 0x200000
        // = 0x3b069000 / 0x200000 = 472 whole slots past the first: 473 in all.
        EXPECT_EQ(virtual_slots(info), 473u);
        EXPECT_EQ(virtual_offset(info, 0), 0u);
        // The last seed picks slot (473 * 0xffffffff) >> 32 = 472.
        EXPECT_EQ(virtual_offset(info, 0xffffffffu), 472 * 2 * M);
        // Every offset leaves init_size bytes inside the window.
        for (uint32_t seed = 0; seed < 0xfff00000u; seed += 0x00100000u)
                EXPECT_LE(info.load_address + virtual_offset(info, seed) + info.init_size, kKernelImageSize);
}

std::vector<uint8_t> descriptor(uint32_t type, uint64_t start, uint64_t pages, uint64_t attribute = 0) {
        std::vector<uint8_t> d(48, 0); // descriptors are often larger than the 40-byte structure
        store_le32(d.data(), type);
        store_le64(d.data() + 8, start);
        store_le64(d.data() + 24, pages);
        store_le64(d.data() + 32, attribute);
        return d;
}

// The decision table of Linux's efi_get_secureboot(), case by case.
TEST(X86Boot, SecureBootMode) {
        using Read = VariableByte::Read;
        const VariableByte missing{Read::NotFound, 0, 0}, failed{Read::Failed, 0, 0};
        auto byte = [](uint8_t value, uint32_t attributes = 0x7) { return VariableByte{Read::Found, value, attributes}; };
        const VariableByte nv_bs_rt = byte(1, 0x7), volatile_bs_rt = byte(1, 0x6);

        EXPECT_EQ(secure_boot_mode(missing, missing, missing), SecureBootMode::Disabled);
        EXPECT_EQ(secure_boot_mode(failed, byte(0), missing), SecureBootMode::Unknown);
        EXPECT_EQ(secure_boot_mode(byte(0), byte(0), missing), SecureBootMode::Disabled);
        EXPECT_EQ(secure_boot_mode(byte(1), byte(1), missing), SecureBootMode::Disabled);   // setup mode
        EXPECT_EQ(secure_boot_mode(byte(1), byte(0), missing), SecureBootMode::Enabled);
        EXPECT_EQ(secure_boot_mode(byte(1), failed, missing), SecureBootMode::Enabled);     // SetupMode unreadable: 0
        EXPECT_EQ(secure_boot_mode(byte(1), missing, missing), SecureBootMode::Enabled);
        EXPECT_EQ(secure_boot_mode(byte(2), byte(0), missing), SecureBootMode::Enabled);    // any non-zero value
        // shim's insecure mode counts only from a volatile MokSBStateRT that holds exactly 1.
        EXPECT_EQ(secure_boot_mode(byte(1), byte(0), volatile_bs_rt), SecureBootMode::Disabled);
        EXPECT_EQ(secure_boot_mode(byte(1), byte(0), nv_bs_rt), SecureBootMode::Enabled);
        EXPECT_EQ(secure_boot_mode(byte(1), byte(0), byte(0, 0x6)), SecureBootMode::Enabled);
        EXPECT_EQ(secure_boot_mode(byte(1), byte(0), byte(2, 0x6)), SecureBootMode::Enabled);
        EXPECT_EQ(secure_boot_mode(byte(1), byte(0), failed), SecureBootMode::Enabled);
        // The byte values the kernel's enum has.
        EXPECT_EQ((int) SecureBootMode::Unset, 0);
        EXPECT_EQ((int) SecureBootMode::Unknown, 1);
        EXPECT_EQ((int) SecureBootMode::Disabled, 2);
        EXPECT_EQ((int) SecureBootMode::Enabled, 3);
}

TEST(X86Boot, ConvertsTheMemoryMap) {
        std::vector<uint8_t> map;
        auto add = [&](std::vector<uint8_t> d) { map.insert(map.end(), d.begin(), d.end()); };
        add(descriptor(3, 0x0, 0xa0));                 // boot services code: RAM
        add(descriptor(7, 0xa0000, 0x60));             // conventional, adjacent: merged
        add(descriptor(0, 0x100000, 0x10));            // reserved
        add(descriptor(1, 0x110000, 0x10));            // loader code: RAM, not adjacent to RAM
        add(descriptor(7, 0x120000, 0x10, 0x40000));   // specific-purpose: soft reserved
        add(descriptor(9, 0x130000, 0x1));             // ACPI reclaim
        add(descriptor(10, 0x131000, 0x1));            // ACPI NVS
        add(descriptor(6, 0x132000, 0x2));             // runtime data: reserved
        add(descriptor(15, 0x134000, 0x1));            // unaccepted: left out
        add(descriptor(14, 0x200000, 0x100));          // persistent
        x86::E820Entry out[16];
        size_t needed = 0;
        Result<size_t> n = convert_memory_map(Bytes(map.data(), map.size()), 48, out, 16, &needed);
        ASSERT_TRUE(n.ok());
        ASSERT_EQ(*n, 8u);
        EXPECT_EQ(out[0].address, 0u);
        EXPECT_EQ(out[0].size, 0x100000u); // 0xa0 + 0x60 pages
        EXPECT_EQ(out[0].type, kE820Ram);
        EXPECT_EQ(out[1].type, kE820Reserved);
        EXPECT_EQ(out[2].type, kE820Ram);
        EXPECT_EQ(out[3].type, kE820SoftReserved);
        EXPECT_EQ(out[4].type, kE820Acpi);
        EXPECT_EQ(out[5].type, kE820Nvs);
        EXPECT_EQ(out[6].address, 0x132000u);
        EXPECT_EQ(out[6].type, kE820Reserved);
        EXPECT_EQ(out[7].type, kE820Pmem);
        // Too small a table: NoSpace, and how many entries it would take.
        Result<size_t> small = convert_memory_map(Bytes(map.data(), map.size()), 48, out, 3, &needed);
        EXPECT_EQ(small.error(), Error::NoSpace);
        EXPECT_EQ(needed, 8u);
        EXPECT_FALSE(convert_memory_map(Bytes(map.data(), map.size()), 36, out, 16, &needed).ok());
}

std::vector<uint8_t> words(std::initializer_list<uint32_t> v) {
        std::vector<uint8_t> out(v.size() * 4);
        size_t i = 0;
        for (uint32_t w : v)
                store_le32(out.data() + 4 * i++, w);
        return out;
}

TEST(X86Relocations, DeltaCodingKeepsTerminatorsAndRoundTrips) {
        // A 64-bit list of three, an inverse list of two, an empty 32-bit list.
        std::vector<uint8_t> table = words({0, 0x81000010, 0x81000018, 0x81200000, 0, 0x81000100, 0x81000200, 0});
        std::vector<uint8_t> original = table;
        ASSERT_TRUE(delta_encode_relocations(MutableBytes(table.data(), table.size())));
        EXPECT_EQ(table, words({0, 0x81000010, 8, 0x1fffe8, 0, 0x81000100, 0x100, 0}));
        // Checked as coded, the walk sees what decoding gives; read plainly, 8 is no address.
        Result<RelocationCounts> plain = check_relocations(Bytes(original.data(), original.size()), 16 * M, 3 * M);
        Result<RelocationCounts> coded = check_relocations(Bytes(table.data(), table.size()), 16 * M, 3 * M, true);
        ASSERT_TRUE(plain.ok());
        ASSERT_TRUE(coded.ok());
        EXPECT_EQ(coded->r32, 0u);
        EXPECT_EQ(coded->inverse32, plain->inverse32);
        EXPECT_EQ(coded->r64, plain->r64);
        EXPECT_EQ(coded->r64, 3u);
        EXPECT_EQ(coded->inverse32, 2u);
        EXPECT_FALSE(check_relocations(Bytes(table.data(), table.size()), 16 * M, 3 * M).ok());
        delta_decode_relocations(MutableBytes(table.data(), table.size()));
        EXPECT_EQ(table, original);
        // Not sorted: differences wrap, and decoding still gives the table back.
        table = words({0, 0x81000020, 0x81000010, 0});
        original = table;
        ASSERT_TRUE(delta_encode_relocations(MutableBytes(table.data(), table.size())));
        EXPECT_EQ(load_le32(table.data() + 8), 0xfffffff0u);
        delta_decode_relocations(MutableBytes(table.data(), table.size()));
        EXPECT_EQ(table, original);
}

TEST(X86Relocations, DeltaCodingRefusesRepeatedEntries) {
        // A repeated entry would become a 0 and end its list early: refused, table untouched.
        std::vector<uint8_t> table = words({0, 0x81000010, 0x81000010, 0});
        std::vector<uint8_t> original = table;
        EXPECT_FALSE(delta_encode_relocations(MutableBytes(table.data(), table.size())));
        EXPECT_EQ(table, original);
}

} // namespace
} // namespace zuki::x86

namespace zuki::tcg {
namespace {

// A crypto-agile log: the Spec ID event (SHA-1 format) listing SHA-1 and SHA-256, then events.
std::vector<uint8_t> spec_id_event() {
        std::vector<uint8_t> data = {'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ', 'E', 'v', 'e', 'n', 't', '0', '3', 0};
        data.resize(16 + 4 + 4 + 4, 0);
        store_le32(data.data() + 24, 2);
        for (uint16_t v : {0x0004, 20, 0x000b, 32}) {
                data.push_back((uint8_t) v);
                data.push_back((uint8_t) (v >> 8));
        }
        data.push_back(0); // vendorInfoSize
        std::vector<uint8_t> ev(32, 0);
        store_le32(ev.data() + 4, 3); // EV_NO_ACTION
        store_le32(ev.data() + 28, (uint32_t) data.size());
        ev.insert(ev.end(), data.begin(), data.end());
        return ev;
}

std::vector<uint8_t> event2(uint32_t pcr, size_t data_size) {
        std::vector<uint8_t> e(12, 0);
        store_le32(e.data(), pcr);
        store_le32(e.data() + 8, 2);
        e.insert(e.end(), {0x04, 0x00});
        e.resize(e.size() + 20, 0x11);
        e.insert(e.end(), {0x0b, 0x00});
        e.resize(e.size() + 32, 0x22);
        uint8_t size[4];
        store_le32(size, (uint32_t) data_size);
        e.insert(e.end(), size, size + 4);
        e.resize(e.size() + data_size, 0x33);
        return e;
}

TEST(TcgLog, SizesEvents) {
        std::vector<uint8_t> log = spec_id_event();
        // 32-byte header + 28 fixed + 2 x 4 algorithm entries + 1 vendor byte = 69.
        ASSERT_EQ(legacy_event_size(Bytes(log.data(), log.size())).value(), 69u);
        Result<DigestSizes> d = spec_id_digests(Bytes(log.data(), log.size()));
        ASSERT_TRUE(d.ok());
        EXPECT_EQ(d->count, 2u);
        std::vector<uint8_t> e = event2(9, 13);
        // 12 + (2 + 20) + (2 + 32) + 4 + 13 = 85.
        EXPECT_EQ(event2_size(Bytes(e.data(), e.size()), *d).value(), 85u);
        std::vector<uint8_t> two = e;
        std::vector<uint8_t> e2 = event2(11, 0);
        two.insert(two.end(), e2.begin(), e2.end());
        EXPECT_EQ(events2_size(Bytes(two.data(), two.size()), 2, *d).value(), 85u + 72u);
        // Truncations and an algorithm the Spec ID event did not list.
        for (size_t n = 0; n < e.size(); n++)
                EXPECT_FALSE(event2_size(Bytes(e.data(), n), *d).ok()) << n;
        e[12] = 0x0c;
        EXPECT_EQ(event2_size(Bytes(e.data(), e.size()), *d).error(), Error::BadTcgLog);
        log[32] = 'X';
        EXPECT_FALSE(spec_id_digests(Bytes(log.data(), log.size())).ok());
}

} // namespace
} // namespace zuki::tcg
