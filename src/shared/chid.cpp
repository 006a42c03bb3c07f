// SPDX-License-Identifier: LGPL-2.1-or-later

#include "chid.hpp"

#include "sha1.hpp"
#include "smbios.hpp"

namespace zuki::chid {

namespace {

// The namespace UUID 70ffd812-4c7f-4c7d-0000-000000000000 in its text (big-endian) byte order.
constexpr uint8_t kNamespace[16] = {0x70, 0xff, 0xd8, 0x12, 0x4c, 0x7f, 0x4c, 0x7d, 0, 0, 0, 0, 0, 0, 0, 0};

// Hashes UTF-8 `text` as UTF-16LE. A byte that does not start a valid sequence becomes U+FFFD.
void hash_utf16le(Sha1 *h, Bytes text) {
        size_t i = 0;
        while (i < text.size()) {
                uint32_t c = text[i];
                size_t n = 1;
                if (c >= 0x80) {
                        size_t need = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : 0;
                        uint32_t cp = need == 3 ? c & 0x07 : need == 2 ? c & 0x0f : c & 0x1f;
                        bool valid = need > 0;
                        for (size_t k = 1; valid && k <= need; k++) {
                                if (i + k >= text.size() || (text[i + k] & 0xc0) != 0x80)
                                        valid = false;
                                else
                                        cp = cp << 6 | (text[i + k] & 0x3f);
                        }
                        if (valid && ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
                                      (cp >= 0xd800 && cp <= 0xdfff)))
                                valid = false;
                        c = valid ? cp : 0xfffd;
                        n = valid ? need + 1 : 1;
                }
                if (c >= 0x10000) {
                        uint32_t v = c - 0x10000;
                        uint8_t pair[4];
                        store_le16(pair, (uint16_t) (0xd800 | v >> 10));
                        store_le16(pair + 2, (uint16_t) (0xdc00 | (v & 0x3ff)));
                        h->update(pair, 4);
                } else {
                        uint8_t unit[2];
                        store_le16(unit, (uint16_t) c);
                        h->update(unit, 2);
                }
                i += n;
        }
}

// systemd (after fwupd): leading spaces, then leading zeros, then trailing spaces go.
Bytes strip(Bytes s) {
        size_t b = 0, e = s.size();
        while (b < e && s[b] == ' ')
                b++;
        while (b < e && s[b] == '0')
                b++;
        while (e > b && s[e - 1] == ' ')
                e--;
        return Bytes(s.data() + b, e - b);
}

constexpr char kHex[] = "0123456789abcdef";
// An EFI_GUID's first three fields are little-endian: the byte permutation between the text
// order and the EFI order (its own inverse).
constexpr uint8_t kEfiOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
constexpr Field kType1Fields[] = {Field::Manufacturer, Field::ProductName, Field::ProductSku, Field::Family};
constexpr Field kType2Fields[] = {Field::BaseboardManufacturer, Field::BaseboardProduct};

} // namespace

bool Chid::is_null() const {
        for (uint8_t b : bytes)
                if (b)
                        return false;
        return true;
}

void Chid::efi_bytes(uint8_t (&out)[16]) const {
        for (size_t i = 0; i < 16; i++)
                out[i] = bytes[kEfiOrder[i]];
}

Chid Chid::from_efi_bytes(const uint8_t *p) {
        Chid c;
        for (size_t i = 0; i < 16; i++)
                c.bytes[kEfiOrder[i]] = p[i];
        return c;
}

void Chid::format(char (&out)[37]) const {
        size_t o = 0;
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = kHex[bytes[i] >> 4];
                out[o++] = kHex[bytes[i] & 15];
        }
        out[o] = 0;
}

void fields_from_smbios(Bytes table, Source source, Fields *out) {
        *out = Fields();
        auto take = [&](const smbios::Structure &s, size_t offset, Field f) {
                Bytes v;
                bool have = offset < s.bytes[1] && smbios::string_at(s, s.bytes[offset], &v);
                if (have)
                        v = strip(v);
                if (source == Source::Stub)
                        out->set(f, have ? v : Bytes());
                else if (have && !v.empty())
                        out->set(f, v);
        };
        smbios::Structure s;
        // Type 1: manufacturer 0x04, product 0x05, SKU 0x19, family 0x1a (SMBIOS 2.4 length 0x1b).
        if (smbios::find_first(table, smbios::kTypeSystem, 0x1b, &s)) {
                take(s, 0x04, Field::Manufacturer);
                take(s, 0x05, Field::ProductName);
                take(s, 0x19, Field::ProductSku);
                take(s, 0x1a, Field::Family);
        } else if (source == Source::Stub) {
                for (Field f : kType1Fields)
                        out->set(f, Bytes());
        }
        // Type 2: manufacturer 0x04, product 0x05.
        if (smbios::find_first(table, smbios::kTypeBaseboard, 8, &s)) {
                take(s, 0x04, Field::BaseboardManufacturer);
                take(s, 0x05, Field::BaseboardProduct);
        } else if (source == Source::Stub) {
                for (Field f : kType2Fields)
                        out->set(f, Bytes());
        }
        if (source == Source::Stub)
                return;
        // Type 0: vendor 0x04, version 0x05, system BIOS major/minor release 0x14/0x15 (SMBIOS
        // 2.4; 0xff in both means "not supported").
        if (smbios::find_first(table, smbios::kTypeBios, 0x12, &s)) {
                take(s, 0x04, Field::BiosVendor);
                take(s, 0x05, Field::BiosVersion);
                if (s.bytes[1] >= 0x16 && !(s.bytes[0x14] == 0xff && s.bytes[0x15] == 0xff)) {
                        for (int i = 0; i < 2; i++) {
                                uint8_t v = s.bytes[0x14 + i];
                                out->numeric[i][0] = kHex[v >> 4];
                                out->numeric[i][1] = kHex[v & 15];
                                out->set(i == 0 ? Field::BiosMajor : Field::BiosMinor,
                                         Bytes(reinterpret_cast<const uint8_t *>(out->numeric[i]), 2));
                        }
                }
        }
        // Type 3: enclosure type 0x05, without the lock bit, in hex without leading zeros.
        if (smbios::find_first(table, smbios::kTypeEnclosure, 6, &s)) {
                uint8_t v = s.bytes[5] & 0x7f;
                size_t n = 0;
                if (v >= 16)
                        out->numeric[2][n++] = kHex[v >> 4];
                out->numeric[2][n++] = kHex[v & 15];
                out->set(Field::EnclosureType, Bytes(reinterpret_cast<const uint8_t *>(out->numeric[2]), n));
        }
}

bool edid_panel_id(Bytes edid, char (&out)[7]) {
        static constexpr uint8_t kHeader[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
        if (edid.size() < 128 || !bytes_equal(edid.data(), kHeader, sizeof(kHeader)))
                return false;
        uint16_t manufacturer = load_be16(edid.data() + 8);
        for (int i = 0; i < 3; i++) {
                unsigned letter = (manufacturer >> (10 - 5 * i)) & 0x1f;
                if (letter > 26)
                        return false;
                out[i] = (char) ('@' + letter);
        }
        uint16_t product = load_le16(edid.data() + 10);
        for (int i = 0; i < 4; i++)
                out[3 + i] = kHex[(product >> (12 - 4 * i)) & 0xf];
        return true;
}

bool set_edid(Bytes edid, Fields *fields) {
        if (!edid_panel_id(edid, fields->edid_panel))
                return false;
        fields->set(Field::EdidPanel, Bytes(reinterpret_cast<const uint8_t *>(fields->edid_panel), 7));
        return true;
}

void compute(const Fields &fields, Chid (&out)[kTypeCount], bool (&absent)[kTypeCount]) {
        for (size_t t = 0; t < kTypeCount; t++) {
                out[t] = Chid();
                absent[t] = false;
                for (size_t f = 0; f < kFieldCount; f++)
                        if ((kTypeFields[t] & (UINT32_C(1) << f)) && !fields.present[f])
                                absent[t] = true;
                if (absent[t])
                        continue;
                Sha1 h;
                h.update(kNamespace, sizeof(kNamespace));
                // systemd joins with u"&" before every field but the first field *kind*
                // (manufacturer), which every type has.
                for (size_t f = 0; f < kFieldCount; f++) {
                        if (!(kTypeFields[t] & (UINT32_C(1) << f)))
                                continue;
                        if (f > 0) {
                                static constexpr uint8_t kAmp[2] = {'&', 0};
                                h.update(kAmp, 2);
                        }
                        hash_utf16le(&h, fields.value[f]);
                }
                uint8_t digest[Sha1::kDigestSize];
                h.finish(digest);
                for (size_t i = 0; i < 16; i++)
                        out[t].bytes[i] = digest[i];
                out[t].bytes[6] = (uint8_t) ((out[t].bytes[6] & 0x0f) | 0x50);
                out[t].bytes[8] = (uint8_t) ((out[t].bytes[8] & 0x3f) | 0x80);
        }
}

} // namespace zuki::chid
