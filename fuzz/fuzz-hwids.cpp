// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The .dtbauto choice's parsers: .hwids sections (count_entries, entry, match), the devicetree
// root compatible reader, CHIDs from SMBIOS tables, and select_sections with a machine.
//
// Input: one byte (mode), then the data: mode % 4 == 0 a .hwids section, 1 a devicetree, 2 an
// SMBIOS table, 3 a UKI (PE file) chosen for with a machine whose CHIDs come from the first
// .hwids entry and whose firmware tree is absent (bit 2 of the mode: present, with the compatible
// of the first .dtbauto).

#include <cstring>

#include "chid.hpp"
#include "fuzz-common.hpp"
#include "hwids.hpp"
#include "pe.hpp"
#include "uki.hpp"

using namespace zuki;

namespace {

bool inside(Bytes outer, Bytes inner) {
        return inner.empty() || (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

void check_hwids(Bytes data) {
        Result<size_t> n = hwids::count_entries(data);
        if (!n) {
                FUZZ_CHECK(n.error() == Error::UnsupportedHwids || n.error() == Error::BadHwids ||
                           n.error() == Error::NoHwidsEntries);
                return;
        }
        FUZZ_CHECK(*n > 0 && (*n + 1) * hwids::kEntrySize <= data.size() + hwids::kEntrySize);
        for (size_t i = 0; i < *n; i++) {
                hwids::Entry e = hwids::entry(data, i);
                FUZZ_CHECK(e.type == hwids::kTypeDevicetree || e.type == hwids::kTypeUefiFirmware);
                FUZZ_CHECK(inside(data, e.name) && inside(data, e.compatible));
                // Each string ends at a NUL inside the section.
                if (!e.compatible.empty())
                        FUZZ_CHECK(e.compatible.data() + e.compatible.size() < data.data() + data.size() &&
                                   e.compatible.data()[e.compatible.size()] == 0);
        }
        // A machine whose type 3 CHID is entry 0's (all others absent, i.e. zero) matches when
        // entry 0 is a devicetree entry, and only a devicetree entry with one of those CHIDs.
        chid::Chid chids[chid::kTypeCount];
        hwids::Entry first = hwids::entry(data, 0);
        chids[3] = first.chid;
        Result<size_t> m = hwids::match(data, chids);
        if (first.type == hwids::kTypeDevicetree)
                FUZZ_CHECK(m.ok());
        if (m) {
                hwids::Entry e = hwids::entry(data, *m);
                FUZZ_CHECK(*m < *n && e.type == hwids::kTypeDevicetree);
                FUZZ_CHECK(e.chid == first.chid || e.chid.is_null());
        }
}

void check_devicetree(Bytes data) {
        Bytes c = hwids::root_compatible(data);
        if (c.empty())
                return;
        FUZZ_CHECK(inside(data, c));
        FUZZ_CHECK(c.data() + c.size() < data.data() + data.size() && c.data()[c.size()] == 0);
        FUZZ_CHECK(std::memchr(c.data(), 0, c.size()) == nullptr);
}

void check_smbios(Bytes data) {
        for (chid::Source source : {chid::Source::Stub, chid::Source::Full}) {
                chid::Fields f;
                chid::fields_from_smbios(data, source, &f);
                for (size_t i = 0; i < chid::kFieldCount; i++)
                        FUZZ_CHECK(inside(data, f.value[i]) ||
                                   (f.value[i].data() >= reinterpret_cast<const uint8_t *>(f.numeric) &&
                                    f.value[i].data() < reinterpret_cast<const uint8_t *>(f.numeric) + sizeof f.numeric));
                chid::Chid c[chid::kTypeCount];
                bool absent[chid::kTypeCount];
                chid::compute(f, c, absent);
                for (size_t t = 0; t < chid::kTypeCount; t++) {
                        if (absent[t]) {
                                FUZZ_CHECK(c[t].is_null());
                                continue;
                        }
                        FUZZ_CHECK((c[t].bytes[6] >> 4) == 5 && (c[t].bytes[8] & 0xc0) == 0x80);
                }
                // The stub never lacks a type 1/2 string: the types it matches are all computed.
                if (source == chid::Source::Stub)
                        for (uint8_t t : chid::kMatchPriority)
                                if (t < chid::kExtraTypeBase)
                                        FUZZ_CHECK(!absent[t]);
        }
}

void check_uki(Bytes data, bool firmware_tree) {
        for (pe::Layout layout : {pe::Layout::File, pe::Layout::Loaded}) {
                Result<pe::View> v = pe::View::parse(data, layout);
                if (!v)
                        continue;
                hwids::Machine m;
                pe::Section s;
                if (v->find(".hwids", &s) && v->data(s).size() >= 20)
                        m.chids[3] = chid::Chid::from_efi_bytes(v->data(s).data() + 4);
                if (firmware_tree && v->find(".dtbauto", &s)) {
                        m.firmware_devicetree = true;
                        m.firmware_compatible = hwids::root_compatible(v->data(s));
                }
                for (uint32_t profile = 0; profile < 3; profile++) {
                        Result<uki::SectionSet> set = uki::select_sections(*v, profile, &m);
                        Result<uki::SectionSet> plain = uki::select_sections(*v, profile);
                        FUZZ_CHECK(set.ok() == plain.ok());
                        if (!set)
                                continue;
                        FUZZ_CHECK(!plain->has(uki::SectionId::Dtbauto));
                        if (!set->has(uki::SectionId::Dtbauto))
                                continue;
                        const pe::Section &d = set->get(uki::SectionId::Dtbauto);
                        FUZZ_CHECK(d.has_name(".dtbauto") && d.virtual_size != 0);
                        Bytes c = hwids::root_compatible(v->data(d));
                        FUZZ_CHECK(!c.empty());
                        if (m.firmware_devicetree)
                                FUZZ_CHECK(c.size() == m.firmware_compatible.size() &&
                                           std::memcmp(c.data(), m.firmware_compatible.data(), c.size()) == 0);
                }
        }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        Bytes rest(data + 1, size - 1);
        switch (data[0] % 4) {
        case 0: check_hwids(rest); break;
        case 1: check_devicetree(rest); break;
        case 2: check_smbios(rest); break;
        case 3: check_uki(rest, data[0] & 4); break;
        }
        return 0;
}
