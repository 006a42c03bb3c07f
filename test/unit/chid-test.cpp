// SPDX-License-Identifier: LGPL-2.1-or-later
//
// CHIDs, .hwids and the .dtbauto choice (src/shared/chid.*, hwids.*).
//
// The expected CHIDs come from a real tool, never from zuki: fwupd 2.0.20 (bookworm's fwupd
// package, extracted with dpkg -x) given the same field values as a key file:
//   fwupdtool hwids hw.ini     # [HwIds] BiosVendor=Acme BIOS, BiosVersion=1.42,
//                              # BiosMajorRelease=05, BiosMinorRelease=1a, Manufacturer=Acme Corp,
//                              # Family=Widget Family, ProductName=Widget 3000, ProductSku=SKU-77,
//                              # EnclosureKind=a, BaseboardManufacturer=Acme Boards, BaseboardProduct=WB-1
// (test/host/chid-fwupd.sh repeats this against fwupdtool when it is available.)

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chid.hpp"
#include "hwids.hpp"
#include "sha1.hpp"
#include "sidecar.hpp"
#include "smbios.hpp"
#include "uki-fixture.hpp"
#include "uki.hpp"

namespace zuki {
namespace {

using Table = std::vector<uint8_t>;

void add_structure(Table *t, uint8_t type, std::vector<uint8_t> formatted, std::vector<std::string> strings) {
        t->push_back(type);
        t->push_back((uint8_t) (4 + formatted.size()));
        t->push_back(0);
        t->push_back(0);
        t->insert(t->end(), formatted.begin(), formatted.end());
        for (const std::string &s : strings) {
                t->insert(t->end(), s.begin(), s.end());
                t->push_back(0);
        }
        if (strings.empty())
                t->push_back(0);
        t->push_back(0);
}

// The machine of the file comment, as an SMBIOS table (DSP0134 offsets).
Table acme_table(const std::string &manufacturer = "Acme Corp") {
        Table t;
        std::vector<uint8_t> t0 = {1, 2, 0, 0xe8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x1a, 0xff, 0xff};
        add_structure(&t, 0, t0, {"Acme BIOS", "1.42"});
        std::vector<uint8_t> t1 = {1, 2, 3, 4};
        t1.resize(20 + 4 - 4 + 4, 0); // UUID
        t1.resize(0x18 - 4, 0);
        t1.push_back(6); // wake-up type
        t1.push_back(5); // SKU: string 5
        t1.push_back(6); // family: string 6
        add_structure(&t, 1, t1, {manufacturer, "Widget 3000", "1.0", "SN1", "SKU-77", "Widget Family"});
        add_structure(&t, 2, {1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0}, {"Acme Boards", "WB-1", "r1", "BSN"});
        add_structure(&t, 3, {1, 0x0a, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0}, {"Acme Corp"});
        add_structure(&t, 127, {}, {});
        return t;
}

// fwupdtool's list for that machine, types 0..14.
const char *const kFwupd[15] = {
        "f2ec3953-61bf-54b0-99cb-c8cb3d728963", "f7a5dc07-3ccd-54f2-a513-ee55ded1475c",
        "a76f116e-73f6-53ba-92fe-04200be4ee42", "6188ffdd-1553-517f-aa13-6dbbe955913e",
        "e4a396ca-6122-5a6d-a16e-1b753fb961d6", "cf8b11f9-c0a8-5ac7-9dde-538be5cf4ff1",
        "3db9cad9-0be8-59f1-af32-907be1ca5109", "c02fcb0a-66a0-58ca-8f5b-bfcfa60efb53",
        "ad2b7576-74aa-5652-a6cb-2d4467109177", "a0db54b8-f9f5-5c99-b621-ea60c94c9ef5",
        "4fa2603e-a806-5545-8b1c-5b44249bae6f", "8897e1bc-6920-5776-a73e-e8da4da2ef88",
        "858da561-a80e-53a7-89fd-b3e0bfa5bb42", "2a8a91a9-2765-5d4f-92df-33c85b5d83a7",
        "2a118d81-3612-50bd-99a1-ecccf2c43742",
};

std::string text(const chid::Chid &c) {
        char s[37];
        c.format(s);
        return s;
}

TEST(Sha1, Fips180Vectors) {
        auto hex = [](const std::string &in) {
                Sha1 h;
                h.update(in.data(), in.size());
                uint8_t d[20];
                h.finish(d);
                std::string out;
                for (uint8_t b : d) {
                        char x[3];
                        std::snprintf(x, sizeof x, "%02x", b);
                        out += x;
                }
                return out;
        };
        EXPECT_EQ(hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        EXPECT_EQ(hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                  "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Chid, FullListMatchesFwupd) {
        Table t = acme_table();
        chid::Fields f;
        chid::fields_from_smbios(Bytes(t.data(), t.size()), chid::Source::Full, &f);
        chid::Chid c[chid::kTypeCount];
        bool absent[chid::kTypeCount];
        chid::compute(f, c, absent);
        for (size_t i = 0; i < 15; i++) {
                EXPECT_FALSE(absent[i]) << i;
                EXPECT_EQ(text(c[i]), kFwupd[i]) << "CHID type " << i;
        }
        // No EDID: systemd's extra types are absent (all zero).
        for (size_t i = 15; i < chid::kTypeCount; i++) {
                EXPECT_TRUE(absent[i]);
                EXPECT_TRUE(c[i].is_null());
        }
}

TEST(Chid, StubReadsOnlyType1And2) {
        Table t = acme_table();
        chid::Fields f;
        chid::fields_from_smbios(Bytes(t.data(), t.size()), chid::Source::Stub, &f);
        chid::Chid c[chid::kTypeCount];
        bool absent[chid::kTypeCount];
        chid::compute(f, c, absent);
        for (uint8_t i : chid::kMatchPriority)
                if (i < 15)
                        EXPECT_EQ(text(c[i]), kFwupd[i]) << "CHID type " << (int) i;
        EXPECT_TRUE(absent[0]);  // BIOS fields are not read
        EXPECT_TRUE(absent[12]); // nor the enclosure type
}

// systemd-stub strips leading spaces, then leading zeros, then trailing spaces; the stripped
// value gives fwupd's CHID for the clean string.
TEST(Chid, StringsAreStrippedAsSystemdDoes) {
        Table t = acme_table("  00Acme Corp  ");
        chid::Fields f;
        chid::fields_from_smbios(Bytes(t.data(), t.size()), chid::Source::Stub, &f);
        chid::Chid c[chid::kTypeCount];
        bool absent[chid::kTypeCount];
        chid::compute(f, c, absent);
        EXPECT_EQ(text(c[3]), kFwupd[3]);
}

// The stub counts missing strings as empty: the CHIDs exist (unlike fwupd's list).
TEST(Chid, StubTreatsMissingTablesAsEmptyStrings) {
        Table t;
        add_structure(&t, 127, {}, {});
        chid::Fields f;
        chid::fields_from_smbios(Bytes(t.data(), t.size()), chid::Source::Stub, &f);
        chid::Chid c[chid::kTypeCount];
        bool absent[chid::kTypeCount];
        chid::compute(f, c, absent);
        EXPECT_FALSE(absent[3]);
        EXPECT_FALSE(c[3].is_null());
        chid::fields_from_smbios(Bytes(t.data(), t.size()), chid::Source::Full, &f);
        chid::compute(f, c, absent);
        EXPECT_TRUE(absent[3]);
}

// --- EDID panel ids (systemd 258's CHID types 15..17) ---

// A 128-byte base EDID block with the given manufacturer and product code bytes (8..11).
std::vector<uint8_t> edid_block(uint8_t m0, uint8_t m1, uint8_t p0, uint8_t p1) {
        std::vector<uint8_t> e = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, m0, m1, p0, p1};
        e.resize(128, 0);
        e[18] = 1, e[19] = 4; // EDID 1.4
        return e;
}
std::string panel(const std::vector<uint8_t> &e) {
        char id[7];
        if (!chid::edid_panel_id(Bytes(e.data(), e.size()), id))
                return "(refused)";
        return std::string(id, 7);
}

// QEMU's generated EDID (hw/display/edid-generate.c) says "RHT" and product 0x1234; Linux's
// drm_edid_get_panel_id() packs the same bytes the same way.
TEST(Chid, EdidPanelIdOfQemusEdid) {
        EXPECT_EQ(panel(edid_block(0x49, 0x14, 0x34, 0x12)), "RHT1234");
        // Lowercase hex, little-endian product code, zero-padded.
        EXPECT_EQ(panel(edid_block(0x4c, 0x83, 0xab, 0x0c)), "SDC0cab");
}

TEST(Chid, EdidPanelIdRefusesWhatSystemdRefuses) {
        std::vector<uint8_t> e = edid_block(0x49, 0x14, 0x34, 0x12);
        EXPECT_EQ(panel(std::vector<uint8_t>(e.begin(), e.begin() + 127)), "(refused)"); // short
        std::vector<uint8_t> bad = e;
        bad[7] = 0xff; // not the fixed header
        EXPECT_EQ(panel(bad), "(refused)");
        EXPECT_EQ(panel(edid_block(0x6f, 0x14, 0, 0)), "(refused)"); // first letter 27
        // A zero letter is not refused: systemd makes it '@'.
        EXPECT_EQ(panel(edid_block(0x00, 0x14, 0x01, 0x00)), "@@T0001");
        // A wrong checksum is not looked at.
        e[127] ^= 0x5a;
        EXPECT_EQ(panel(e), "RHT1234");
}

// An external vector: `systemd-analyze chid` on a Surface Pro 11 (systemd 258, as published for
// that machine's devicetree work) lists ext1 (type 16: manufacturer, family, EDID panel) for
// "Microsoft Corporation", "Surface" and the panel SDC4195 as
// ca2ff828-b404-5253-9e0e-579c93bfb059. The EDID block here carries that panel.
TEST(Chid, EdidTypesMatchSystemdAnalyze) {
        chid::Fields f;
        auto set = [&](chid::Field field, const char *v) {
                f.set(field, Bytes(reinterpret_cast<const uint8_t *>(v), std::char_traits<char>::length(v)));
        };
        set(chid::Field::Manufacturer, "Microsoft Corporation");
        set(chid::Field::Family, "Surface");
        set(chid::Field::ProductName, "Surface Pro, 11th Edition");
        set(chid::Field::ProductSku, "Surface_Pro_11th_Edition_2076");
        chid::Chid c[chid::kTypeCount];
        bool absent[chid::kTypeCount];
        chid::compute(f, c, absent);
        for (size_t t = 15; t < chid::kTypeCount; t++)
                EXPECT_TRUE(absent[t] && c[t].is_null()) << "type " << t << " without an EDID";

        std::vector<uint8_t> e = edid_block(0x4c, 0x83, 0x95, 0x41);
        ASSERT_TRUE(chid::set_edid(Bytes(e.data(), e.size()), &f));
        chid::compute(f, c, absent);
        EXPECT_FALSE(absent[15] || absent[16] || absent[17]);
        EXPECT_EQ(text(c[16]), "ca2ff828-b404-5253-9e0e-579c93bfb059");

        chid::Fields refused;
        std::vector<uint8_t> bad = edid_block(0x6f, 0x14, 0, 0);
        EXPECT_FALSE(chid::set_edid(Bytes(bad.data(), bad.size()), &refused));
        EXPECT_FALSE(refused.present[(size_t) chid::Field::EdidPanel]);
}

TEST(Chid, EfiByteOrderRoundTrips) {
        chid::Chid c;
        for (int i = 0; i < 16; i++)
                c.bytes[i] = (uint8_t) i;
        uint8_t e[16];
        c.efi_bytes(e);
        EXPECT_EQ(e[0], 3);
        EXPECT_EQ(e[4], 5);
        EXPECT_EQ(e[6], 7);
        EXPECT_EQ(e[8], 8);
        EXPECT_EQ(chid::Chid::from_efi_bytes(e), c);
}

TEST(Smbios, StringAtAndFindFirst) {
        Table t = acme_table();
        smbios::Structure s;
        ASSERT_TRUE(smbios::find_first(Bytes(t.data(), t.size()), 1, 0x1b, &s));
        Bytes v;
        ASSERT_TRUE(smbios::string_at(s, 5, &v));
        EXPECT_EQ(std::string(v.begin(), v.end()), "SKU-77");
        EXPECT_FALSE(smbios::string_at(s, 0, &v));
        EXPECT_FALSE(smbios::string_at(s, 7, &v));
        // A first type 1 shorter than required hides the table's type 1 entirely.
        EXPECT_FALSE(smbios::find_first(Bytes(t.data(), t.size()), 1, 0x1c, &s));
}

// --- .hwids ---

void put32(std::vector<uint8_t> *v, size_t at, uint32_t x) {
        store_le32(v->data() + at, x);
}

// One devicetree entry per (chid, compatible), strings after the end marker, as ukify lays it out.
std::vector<uint8_t> hwids_section(const std::vector<std::pair<chid::Chid, std::string>> &devices) {
        std::vector<uint8_t> v((devices.size() + 1) * hwids::kEntrySize, 0);
        for (size_t i = 0; i < devices.size(); i++) {
                size_t e = i * hwids::kEntrySize;
                put32(&v, e, 1u << 28 | 28);
                uint8_t b[16];
                devices[i].first.efi_bytes(b);
                std::copy(b, b + 16, v.begin() + e + 4);
                put32(&v, e + 20, (uint32_t) v.size());
                std::string name = "Device " + std::to_string(i);
                v.insert(v.end(), name.begin(), name.end());
                v.push_back(0);
                put32(&v, e + 24, (uint32_t) v.size());
                v.insert(v.end(), devices[i].second.begin(), devices[i].second.end());
                v.push_back(0);
        }
        return v;
}

chid::Chid parse_chid(const char *s) {
        chid::Chid c;
        for (int i = 0, o = 0; i < 16; o++) {
                if (s[o] == '-')
                        continue;
                c.bytes[i++] = (uint8_t) std::stoi(std::string(s + o, 2), nullptr, 16);
                o++;
        }
        return c;
}

TEST(Hwids, MatchFollowsSystemdPriority) {
        chid::Chid mine[chid::kTypeCount];
        for (size_t i = 0; i < 15; i++)
                mine[i] = parse_chid(kFwupd[i]);
        // Entry 0 matches type 11 (less specific), entry 1 type 6: type 6 wins.
        auto sec = hwids_section({{mine[11], "acme,generic"}, {mine[6], "acme,widget"}});
        Result<size_t> m = hwids::match(Bytes(sec.data(), sec.size()), mine);
        ASSERT_TRUE(m);
        EXPECT_EQ(*m, 1u);
        hwids::Entry e = hwids::entry(Bytes(sec.data(), sec.size()), *m);
        EXPECT_EQ(std::string(e.compatible.begin(), e.compatible.end()), "acme,widget");
        // Types 0..2 (BIOS) and 12..14 are never used for matching.
        auto only_bios = hwids_section({{mine[0], "x"}, {mine[14], "y"}});
        EXPECT_EQ(hwids::match(Bytes(only_bios.data(), only_bios.size()), mine).error(), Error::NoHwidsMatch);
}

TEST(Hwids, MalformedSectionsGiveOneError) {
        chid::Chid c = parse_chid(kFwupd[3]);
        auto good = hwids_section({{c, "acme,widget"}});
        Bytes g(good.data(), good.size());
        ASSERT_TRUE(hwids::count_entries(g));
        auto bad_type = good;
        put32(&bad_type, 0, 3u << 28 | 28);
        EXPECT_EQ(hwids::count_entries(Bytes(bad_type.data(), bad_type.size())).error(), Error::UnsupportedHwids);
        auto bad_offset = good;
        put32(&bad_offset, 24, (uint32_t) good.size());
        EXPECT_EQ(hwids::count_entries(Bytes(bad_offset.data(), bad_offset.size())).error(), Error::BadHwids);
        auto no_nul = good;
        no_nul.pop_back();
        EXPECT_EQ(hwids::count_entries(Bytes(no_nul.data(), no_nul.size())).error(), Error::BadHwids);
        EXPECT_EQ(hwids::count_entries(Bytes(good.data(), 28)).error(), Error::NoHwidsEntries);
        EXPECT_EQ(hwids::count_entries(Bytes()).error(), Error::NoHwidsEntries);
        // Every prefix and every single-byte corruption: an answer, never a crash.
        for (size_t n = 0; n <= good.size(); n++)
                (void) hwids::count_entries(Bytes(good.data(), n));
        for (size_t i = 0; i < good.size(); i++) {
                auto m = good;
                m[i] ^= 0xff;
                chid::Chid all[chid::kTypeCount];
                (void) hwids::match(Bytes(m.data(), m.size()), all);
        }
}

// A minimal flattened devicetree: root with `compatible` (and a property before it), one child.
std::vector<uint8_t> fdt(const std::vector<std::string> &compatible, bool compatible_in_child = false) {
        auto be = [](std::vector<uint8_t> *v, uint32_t x) {
                for (int i = 3; i >= 0; i--)
                        v->push_back((uint8_t) (x >> (8 * i)));
        };
        std::string strings = std::string("model") + '\0' + "compatible" + '\0';
        std::vector<uint8_t> st;
        auto prop = [&](uint32_t nameoff, const std::string &value) {
                be(&st, 3);
                be(&st, (uint32_t) value.size());
                be(&st, nameoff);
                st.insert(st.end(), value.begin(), value.end());
                while (st.size() % 4)
                        st.push_back(0);
        };
        std::string list;
        for (const std::string &c : compatible)
                list += c + '\0';
        be(&st, 1);
        be(&st, 0);
        prop(0, std::string("test") + '\0');
        if (!compatible_in_child)
                prop(6, list);
        be(&st, 1);
        st.insert(st.end(), {'c', 'p', 'u', 0});
        if (compatible_in_child)
                prop(6, list);
        be(&st, 2);
        be(&st, 2);
        be(&st, 9);
        std::vector<uint8_t> h;
        uint32_t off_struct = 40 + 16, off_strings = off_struct + (uint32_t) st.size();
        uint32_t total = off_strings + (uint32_t) strings.size();
        for (uint32_t x : {0xd00dfeedu, total, off_struct, off_strings, 40u, 17u, 16u, 0u, (uint32_t) strings.size(),
                           (uint32_t) st.size()})
                be(&h, x);
        h.resize(off_struct, 0);
        h.insert(h.end(), st.begin(), st.end());
        h.insert(h.end(), strings.begin(), strings.end());
        return h;
}

TEST(Hwids, RootCompatibleIsTheFirstString) {
        auto t = fdt({"acme,widget", "acme,soc"});
        Bytes c = hwids::root_compatible(Bytes(t.data(), t.size()));
        EXPECT_EQ(std::string(c.begin(), c.end()), "acme,widget");
        // systemd reads only the root's compatible.
        auto child = fdt({"acme,widget"}, true);
        EXPECT_TRUE(hwids::root_compatible(Bytes(child.data(), child.size())).empty());
        for (size_t n = 0; n < t.size(); n++)
                (void) hwids::root_compatible(Bytes(t.data(), n));
        for (size_t i = 0; i < t.size(); i++) {
                auto m = t;
                m[i] ^= 0x5a;
                (void) hwids::root_compatible(Bytes(m.data(), m.size()));
        }
}

// --- the .dtbauto choice (uki::select_sections with a machine) ---

std::string str(const std::vector<uint8_t> &v) { return std::string(v.begin(), v.end()); }

std::string chosen(const test::Uki &u, uint32_t profile, const hwids::Machine &m, hwids::Note *note = nullptr) {
        Result<uki::SectionSet> set = uki::select_sections(u.view, profile, &m);
        EXPECT_TRUE(set.ok());
        if (!set)
                return "<error>";
        if (note)
                *note = set->dtbauto_note;
        if (!set->has(uki::SectionId::Dtbauto))
                return "<none>";
        Bytes c = hwids::root_compatible(u.view.data(set->get(uki::SectionId::Dtbauto)));
        return std::string(c.begin(), c.end());
}

hwids::Machine acme_machine() {
        Table t = acme_table();
        chid::Fields f;
        chid::fields_from_smbios(Bytes(t.data(), t.size()), chid::Source::Stub, &f);
        hwids::Machine m;
        bool absent[chid::kTypeCount];
        chid::compute(f, m.chids, absent);
        return m;
}

TEST(Dtbauto, HwidsSelectTheTreeWhoseCompatibleMatches) {
        hwids::Machine m = acme_machine();
        test::Uki u = test::make_uki({
                {".linux", "kernel"},
                {".dtbauto", str(fdt({"other,board"}))},
                {".dtbauto", str(fdt({"acme,widget", "acme,soc"}))},
                {".dtbauto", str(fdt({"acme,widget"}))},
                {".hwids", str(hwids_section({{parse_chid(kFwupd[9]), "acme,widget"}}))},
        });
        EXPECT_EQ(chosen(u, 0, m), "acme,widget");
        // The first matching one in table order: the second section, not the third.
        Result<uki::SectionSet> set = uki::select_sections(u.view, 0, &m);
        ASSERT_TRUE(set);
        EXPECT_EQ(set->get(uki::SectionId::Dtbauto).virtual_address, u.view.section(2).virtual_address);
        // Without a machine, or with one whose CHIDs the .hwids does not list: none.
        EXPECT_FALSE(uki::select_sections(u.view, 0)->has(uki::SectionId::Dtbauto));
        hwids::Machine stranger;
        hwids::Note note;
        EXPECT_EQ(chosen(u, 0, stranger, &note), "<none>");
        EXPECT_EQ(note, hwids::Note::HwidsFailed);
}

TEST(Dtbauto, AFirmwareTreeDecidesAndHwidsAreIgnored) {
        hwids::Machine m = acme_machine();
        auto fw = fdt({"other,board"});
        m.firmware_devicetree = true;
        m.firmware_compatible = hwids::root_compatible(Bytes(fw.data(), fw.size()));
        test::Uki u = test::make_uki({
                {".linux", "kernel"},
                {".dtbauto", str(fdt({"acme,widget"}))},
                {".dtbauto", str(fdt({"other,board", "x"}))},
                {".hwids", str(hwids_section({{parse_chid(kFwupd[9]), "acme,widget"}}))},
        });
        EXPECT_EQ(chosen(u, 0, m), "other,board");
        // A firmware tree without a readable compatible matches nothing.
        m.firmware_compatible = Bytes();
        EXPECT_EQ(chosen(u, 0, m), "<none>");
}

TEST(Dtbauto, EachProfileChoosesWithItsOwnHwidsAndFallsBackToTheBase) {
        hwids::Machine m = acme_machine();
        test::Uki u = test::make_uki({
                {".linux", "kernel"},
                {".dtbauto", str(fdt({"acme,widget"}))},
                {".hwids", str(hwids_section({{parse_chid(kFwupd[9]), "acme,widget"}}))},
                {".profile", "ID=a"},
                {".dtbauto", str(fdt({"acme,widget-a"}))},
                {".hwids", str(hwids_section({{parse_chid(kFwupd[3]), "acme,widget-a"}}))},
                {".profile", "ID=b"},
                {".dtbauto", str(fdt({"acme,widget-b"}))},
        });
        EXPECT_EQ(chosen(u, 0, m), "acme,widget-a");
        // Profile 1 has no .hwids of its own: its .dtbauto is not chosen, the base's is.
        EXPECT_EQ(chosen(u, 1, m), "acme,widget");
}

TEST(Dtbauto, MalformedTreesAreSkippedWithANote) {
        hwids::Machine m = acme_machine();
        test::Uki u = test::make_uki({
                {".linux", "kernel"},
                {".dtbauto", "not a devicetree"},
                {".dtbauto", str(fdt({"acme,widget"}))},
                {".hwids", str(hwids_section({{parse_chid(kFwupd[9]), "acme,widget"}}))},
        });
        hwids::Note note;
        EXPECT_EQ(chosen(u, 0, m, &note), "acme,widget");
        EXPECT_EQ(note, hwids::Note::BadBlob);
}

// Addons choose with their own .hwids, the same way (systemd-stub 262 load_addons()).
TEST(Dtbauto, AddonsChooseWithTheirOwnHwids) {
        hwids::Machine m = acme_machine();
        test::Uki addon = test::make_uki({
                {".dtb", str(fdt({"plain"}))},
                {".dtbauto", str(fdt({"other,board"}))},
                {".dtbauto", str(fdt({"acme,widget"}))},
                {".hwids", str(hwids_section({{parse_chid(kFwupd[9]), "acme,widget"}}))},
        });
        const char16_t name[] = u"a.addon.efi";
        sidecar::Addon a = sidecar::addon_of(addon.view, Span<const char16_t>(name, 12), &m);
        Bytes c = hwids::root_compatible(a.dtbauto);
        EXPECT_EQ(std::string(c.begin(), c.end()), "acme,widget");
        // No machine, or no match: no .dtbauto, so the .dtb is the addon's tree.
        EXPECT_TRUE(sidecar::addon_of(addon.view, Span<const char16_t>(name, 12)).dtbauto.empty());
        hwids::Machine stranger;
        EXPECT_TRUE(sidecar::addon_of(addon.view, Span<const char16_t>(name, 12), &stranger).dtbauto.empty());
}

} // namespace
} // namespace zuki
