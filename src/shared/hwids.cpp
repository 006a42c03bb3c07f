// SPDX-License-Identifier: LGPL-2.1-or-later

#include "hwids.hpp"

namespace zuki::hwids {

namespace {

// The string at `offset` without its NUL; false when it has none inside `section`.
bool string_at(Bytes section, uint32_t offset, Bytes *out) {
        if (offset >= section.size())
                return false;
        for (size_t e = offset; e < section.size(); e++)
                if (section[e] == 0) {
                        *out = Bytes(section.data() + offset, e - offset);
                        return true;
                }
        return false;
}

} // namespace

Result<size_t> count_entries(Bytes section) {
        size_t n = 0;
        // systemd reads an entry only while another whole entry would still fit before the end
        // ((n + 1) * 28 < length): the last 28 bytes never start one.
        for (; (n + 1) * kEntrySize < section.size(); n++) {
                const uint8_t *e = section.data() + n * kEntrySize;
                uint32_t descriptor = load_le32(e);
                if (descriptor == 0)
                        break;
                uint32_t type = descriptor >> 28;
                if (type != kTypeDevicetree && type != kTypeUefiFirmware)
                        return Error::UnsupportedHwids;
                Bytes s;
                const uint32_t offsets[2] = {load_le32(e + 20), load_le32(e + 24)};
                for (uint32_t off : offsets) {
                        if (off >= section.size())
                                return Error::BadHwids;
                        if (off != 0 && !string_at(section, off, &s))
                                return Error::BadHwids;
                }
        }
        if (n == 0)
                return Error::NoHwidsEntries;
        return n;
}

Entry entry(Bytes section, size_t i) {
        Entry r;
        const uint8_t *e = section.data() + i * kEntrySize;
        r.type = load_le32(e) >> 28;
        r.chid = chid::Chid::from_efi_bytes(e + 4);
        uint32_t name = load_le32(e + 20), compatible = load_le32(e + 24);
        if (name)
                string_at(section, name, &r.name);
        if (compatible)
                string_at(section, compatible, &r.compatible);
        return r;
}

Result<size_t> match(Bytes section, const chid::Chid (&chids)[chid::kTypeCount]) {
        size_t n = ZUKI_TRY(count_entries(section));
        for (uint8_t t : chid::kMatchPriority)
                for (size_t i = 0; i < n; i++) {
                        Entry e = entry(section, i);
                        if (e.type == kTypeDevicetree && e.chid == chids[t])
                                return i;
                }
        return Error::NoHwidsMatch;
}

Bytes root_compatible(Bytes dtb) {
        // Flattened devicetree header (Devicetree Specification 5.2), big-endian.
        if (dtb.size() < 40 || load_be32(dtb.data()) != 0xd00dfeed)
                return {};
        uint32_t total = load_be32(dtb.data() + 4), struct_off = load_be32(dtb.data() + 8),
                 strings_off = load_be32(dtb.data() + 12), strings_size = load_be32(dtb.data() + 32),
                 struct_size = load_be32(dtb.data() + 36);
        if (total > dtb.size() || (uint64_t) strings_off + strings_size > total || struct_off % 4 ||
            struct_size % 4 || (uint64_t) struct_off + struct_size > strings_off)
                return {};
        const uint8_t *words = dtb.data() + struct_off;
        size_t count = struct_size / 4;
        static constexpr char kName[] = "compatible";
        for (size_t i = 0; i < count; i++) {
                switch (load_be32(words + 4 * i)) {
                case 1: // FDT_BEGIN_NODE: only the root's empty name (one zero word) is walked past
                        if (i + 1 >= count || load_be32(words + 4 * (i + 1)) != 0)
                                return {};
                        i++;
                        break;
                case 4: // FDT_NOP
                        break;
                case 3: { // FDT_PROP: length, name offset, value
                        if (i + 3 >= count)
                                return {};
                        uint32_t len = load_be32(words + 4 * (i + 1)), name_off = load_be32(words + 4 * (i + 2));
                        i += 2;
                        size_t len_words = ((size_t) len + 3) / 4;
                        if ((uint64_t) name_off + sizeof(kName) - 1 < strings_size &&
                            bytes_equal(dtb.data() + strings_off + name_off, kName, sizeof(kName))) {
                                const uint8_t *value = words + 4 * (i + 1);
                                if (len == 0 || i + 1 + len_words > count || value[len - 1] != 0)
                                        return {};
                                return Bytes(value, string_length(reinterpret_cast<const char *>(value)));
                        }
                        i += len_words;
                        break;
                }
                default:
                        return {};
                }
        }
        return {};
}

} // namespace zuki::hwids
