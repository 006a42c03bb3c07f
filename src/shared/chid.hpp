// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Computer Hardware IDs (CHIDs, Microsoft's ComputerHardwareIds; fwupd calls them HWIDs), as
// systemd-stub 262 computes them to pick a .dtbauto section (src/fundamental/chid-fundamental.c,
// src/boot/chid.c). A CHID is a name-based (version 5) UUID: SHA-1 over the namespace
// 70ffd812-4c7f-4c7d-0000-000000000000 in big-endian byte order, followed by a fixed selection of
// SMBIOS strings as UTF-16LE without NULs, joined by u"&"; the first 16 bytes of the digest, with
// the version (5) and the RFC 4122 variant set. Type N selects the fields in kTypeFields[N];
// types 15..17 are systemd's additions with the EDID panel id (258).
//
// Chid::bytes holds the UUID in its text order (big-endian, as printed); efi_bytes() gives the
// EFI_GUID memory order that .hwids sections store (first three fields little-endian).

#pragma once

#include "base.hpp"

namespace zuki::chid {

enum class Field : uint8_t {
        Manufacturer,          // type 1 manufacturer
        Family,                // type 1 family
        ProductName,           // type 1 product name
        ProductSku,            // type 1 SKU number
        BaseboardManufacturer, // type 2 manufacturer
        BaseboardProduct,      // type 2 product
        BiosVendor,            // type 0 vendor
        BiosVersion,           // type 0 BIOS version
        BiosMajor,             // type 0 system BIOS major release, "%02x"
        BiosMinor,             // type 0 system BIOS minor release, "%02x"
        EnclosureType,         // type 3 type, "%x"
        EdidPanel,             // EDID panel id (258): manufacturer letters + product code, set_edid()
        Count,
};
inline constexpr size_t kFieldCount = (size_t) Field::Count;
inline constexpr size_t kTypeCount = 18;
inline constexpr size_t kExtraTypeBase = 15;

constexpr uint32_t bit(Field f) { return UINT32_C(1) << (unsigned) f; }

// The fields of each CHID type (Microsoft's 0..14; systemd's 15..17 add the EDID panel).
inline constexpr uint32_t kTypeFields[kTypeCount] = {
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::ProductName) | bit(Field::ProductSku) |
                bit(Field::BiosVendor) | bit(Field::BiosVersion) | bit(Field::BiosMajor) | bit(Field::BiosMinor),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::ProductName) | bit(Field::BiosVendor) |
                bit(Field::BiosVersion) | bit(Field::BiosMajor) | bit(Field::BiosMinor),
        bit(Field::Manufacturer) | bit(Field::ProductName) | bit(Field::BiosVendor) | bit(Field::BiosVersion) |
                bit(Field::BiosMajor) | bit(Field::BiosMinor),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::ProductName) | bit(Field::ProductSku) |
                bit(Field::BaseboardManufacturer) | bit(Field::BaseboardProduct),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::ProductName) | bit(Field::ProductSku),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::ProductName),
        bit(Field::Manufacturer) | bit(Field::ProductSku) | bit(Field::BaseboardManufacturer) |
                bit(Field::BaseboardProduct),
        bit(Field::Manufacturer) | bit(Field::ProductSku),
        bit(Field::Manufacturer) | bit(Field::ProductName) | bit(Field::BaseboardManufacturer) |
                bit(Field::BaseboardProduct),
        bit(Field::Manufacturer) | bit(Field::ProductName),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::BaseboardManufacturer) |
                bit(Field::BaseboardProduct),
        bit(Field::Manufacturer) | bit(Field::Family),
        bit(Field::Manufacturer) | bit(Field::EnclosureType),
        bit(Field::Manufacturer) | bit(Field::BaseboardManufacturer) | bit(Field::BaseboardProduct),
        bit(Field::Manufacturer),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::ProductName) | bit(Field::EdidPanel),
        bit(Field::Manufacturer) | bit(Field::Family) | bit(Field::EdidPanel),
        bit(Field::Manufacturer) | bit(Field::ProductSku) | bit(Field::EdidPanel),
};

// The order in which systemd-stub 262 tries CHID types against a .hwids section, most specific
// first (src/boot/chid.c): the EDID ones, then Microsoft's without BIOS fields.
inline constexpr uint8_t kMatchPriority[] = {17, 16, 15, 3, 6, 8, 10, 4, 5, 7, 9, 11};

struct Chid {
        uint8_t bytes[16] = {}; // text order
        bool operator==(const Chid &o) const { return bytes_equal(bytes, o.bytes, 16); }
        bool is_null() const;
        void efi_bytes(uint8_t (&out)[16]) const;
        static Chid from_efi_bytes(const uint8_t *p);
        // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL.
        void format(char (&out)[37]) const;
};

// The field values, as UTF-8 bytes (SMBIOS strings are ASCII in practice). A field that is not
// present makes every CHID type that uses it absent (all zero, as systemd leaves it).
struct Fields {
        Bytes value[kFieldCount] = {};
        bool present[kFieldCount] = {};
        // Storage for the formatted numeric fields (BIOS release, enclosure type) and the EDID
        // panel id.
        char numeric[3][3] = {};
        char edid_panel[7] = {};

        void set(Field f, Bytes v) {
                value[(size_t) f] = v;
                present[(size_t) f] = true;
        }
};

// How the fields are read from an SMBIOS table:
//   - Stub: as systemd-stub 262 (src/boot/chid.c, smbios.c): type 1 (at least 27 bytes) and type 2
//     (at least 8) strings only; a missing string counts as the empty string, so CHIDs are never
//     absent for lack of a field; each string loses its leading spaces, then its leading zeros,
//     then its trailing spaces. BIOS and enclosure fields are not read (no CHID type the stub
//     matches uses them).
//   - Full: every field as fwupd and `systemd-analyze chid` list them; a missing or empty string
//     leaves the field absent. Strings are stripped the same way.
enum class Source : uint8_t { Stub, Full };
void fields_from_smbios(Bytes table, Source source, Fields *out);

// The panel id of an EDID blob (VESA E-EDID 1.4, section 3.4), as systemd 258+ derives it
// (src/fundamental/edid-fundamental.c): the three letters of the manufacturer's PNP id (bytes
// 8-9, big-endian, five bits each from the top, 1 = 'A'; 0 gives '@' as systemd lets it) and the
// product code (bytes 10-11, little-endian) as four lowercase hex digits, e.g. "RHT1234" for
// QEMU's generated EDID. False for a blob shorter than 128 bytes, without the fixed header
// 00 ff ff ff ff ff ff 00, or with a letter above 'Z'. Neither the checksum nor the version is
// checked (systemd does not check them either).
bool edid_panel_id(Bytes edid, char (&out)[7]);

// Sets Field::EdidPanel from an EDID blob (the CHID types 15..17 then exist); false, and the
// field left absent, when edid_panel_id() refuses the blob.
bool set_edid(Bytes edid, Fields *fields);

// Computes every CHID type; absent[t] is set for a type whose fields are not all present.
void compute(const Fields &fields, Chid (&out)[kTypeCount], bool (&absent)[kTypeCount]);

} // namespace zuki::chid
