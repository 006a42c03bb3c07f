// SPDX-License-Identifier: LGPL-2.1-or-later

#include "smbios.hpp"

namespace zuki::smbios {

namespace {

// The size of the structure at `offset` (formatted area, strings, terminating NULs), or 0 when it
// does not fit in `table`.
size_t structure_size(Bytes table, size_t offset) {
        if (!table.contains(offset, 4))
                return 0;
        uint8_t length = table[offset + 1];
        if (length < 4 || !table.contains(offset, length))
                return 0;
        size_t p = offset + length;
        // No string: two NULs.
        if (table.contains(p, 2) && table[p] == 0 && table[p + 1] == 0)
                return length + 2;
        // Strings until an empty one.
        bool first = true;
        for (;;) {
                size_t e = p;
                while (e < table.size() && table[e] != 0)
                        e++;
                if (e == table.size())
                        return 0;
                if (!first && e == p)
                        return p + 1 - offset;
                p = e + 1;
                first = false;
        }
}

} // namespace

size_t for_each(Bytes table, bool (*f)(const Structure &, void *), void *user) {
        size_t offset = 0, visited = 0;
        while (table.contains(offset, 4) && table[offset] != kTypeEnd) {
                size_t size = structure_size(table, offset);
                if (size == 0)
                        break;
                visited++;
                if (!f({table[offset], Bytes(table.data() + offset, size)}, user))
                        break;
                offset += size;
        }
        return visited;
}

Bytes find_oem_string(Bytes table, const char *prefix, bool *found) {
        struct Search {
                const char *prefix;
                Bytes value;
                bool found = false;
        } search{prefix, Bytes()};
        for_each(table,
                 [](const Structure &s, void *user) {
                         if (s.type != kTypeOemStrings)
                                 return true;
                         auto *q = static_cast<Search *>(user);
                         size_t p = s.bytes[1]; // after the formatted area
                         size_t plen = string_length(q->prefix);
                         while (p < s.bytes.size() && s.bytes[p] != 0) {
                                 size_t e = p;
                                 while (e < s.bytes.size() && s.bytes[e] != 0)
                                         e++;
                                 if (e - p >= plen && __builtin_memcmp(s.bytes.data() + p, q->prefix, plen) == 0) {
                                         q->value = Bytes(s.bytes.data() + p + plen, e - p - plen);
                                         q->found = true;
                                         break;
                                 }
                                 p = e + 1;
                         }
                         return false; // only the first type 11 structure counts
                 },
                 &search);
        *found = search.found;
        return search.value;
}

bool find_first(Bytes table, uint8_t type, size_t min_length, Structure *out) {
        struct Search {
                uint8_t type;
                size_t min_length;
                Structure *out;
                bool found = false;
        } search{type, min_length, out};
        for_each(table,
                 [](const Structure &s, void *user) {
                         auto *q = static_cast<Search *>(user);
                         if (s.type != q->type)
                                 return true;
                         if (s.bytes[1] >= q->min_length) {
                                 *q->out = s;
                                 q->found = true;
                         }
                         return false;
                 },
                 &search);
        return search.found;
}

bool string_at(const Structure &s, uint8_t n, Bytes *out) {
        if (n == 0)
                return false;
        size_t p = s.bytes[1];
        for (uint8_t index = 1; p < s.bytes.size() && s.bytes[p] != 0; index++) {
                size_t e = p;
                while (e < s.bytes.size() && s.bytes[e] != 0)
                        e++;
                if (index == n) {
                        *out = Bytes(s.bytes.data() + p, e - p);
                        return true;
                }
                if (index == 255)
                        break;
                p = e + 1;
        }
        return false;
}

} // namespace zuki::smbios
