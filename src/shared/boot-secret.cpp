// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-secret.hpp"

namespace zuki::secret {

namespace {

constexpr char kMakeSecretLabel[] = "systemd-stub random seed make secret label v1";
constexpr char kEvolveLabel[] = "systemd-stub random seed evolve label v1";
constexpr char kDeriveLabel[] = "systemd-stub derive secret label v1";
constexpr char kFallbackId[] = "linux";

void add_label(Sha256 *h, const char *label, size_t size_with_nul) { h->update(label, size_with_nul - 1); }

void add_le64(Sha256 *h, uint64_t v) {
        uint8_t b[8];
        store_le64(b, v);
        h->update(b, sizeof(b));
}

// SHA-256(label || table header || seed), the header being the le32 size as the table holds it.
void hash_table(const char *label, size_t label_size, Bytes table, uint8_t (&out)[kSize]) {
        Sha256 h;
        add_label(&h, label, label_size);
        h.update(table.data(), kSeedTableHeader);
        h.update(table.data() + kSeedTableHeader, load_le32(table.data()));
        h.finish(out);
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool equals(Bytes s, const char *word) {
        size_t n = 0;
        while (word[n])
                n++;
        return s.size() == n && (n == 0 || __builtin_memcmp(s.data(), word, n) == 0);
}

} // namespace

void begin_seed_key(Sha256 *h) {
        h->reset();
        add_label(h, kSeedLabel, sizeof(kSeedLabel));
}

void add_seed_input(Sha256 *h, Bytes data) {
        add_le64(h, data.size());
        h->update(data);
}

void finish_seed(Sha256 *h, uint8_t (&file)[kSeedSize], uint8_t (&table_seed)[kSeedSize]) {
        uint8_t key[Sha256::kDigestSize];
        h->finish(key);
        auto expand = [&key](uint8_t suffix, uint8_t (&out)[kSeedSize]) {
                Sha256 k;
                k.update(key, sizeof(key));
                k.update(&suffix, 1);
                k.finish(out);
        };
        expand(0, file);
        expand(1, table_seed);
        wipe_secret(key, sizeof(key));
}

void make_secret_from_seed(MutableBytes table, uint8_t (&out)[kSize]) {
        hash_table(kMakeSecretLabel, sizeof(kMakeSecretLabel), table, out);
        uint8_t evolved[kSize];
        hash_table(kEvolveLabel, sizeof(kEvolveLabel), table, evolved);
        __builtin_memcpy(table.data() + kSeedTableHeader, evolved, kSize);
        wipe_secret(evolved, sizeof(evolved));
}

Bytes os_id(Bytes osrel) {
        const uint8_t *p = osrel.data();
        size_t end = 0;
        while (end < osrel.size() && p[end])
                end++;
        Bytes id;
        bool have_id = false;
        for (size_t pos = 0; pos < end;) {
                size_t start = pos;
                while (pos < end && p[pos] != '\n' && p[pos] != '\r')
                        pos++;
                size_t stop = pos;
                if (pos < end)
                        pos++; // one line break; an empty line follows a "\r\n"
                while (start < stop && is_blank((char) p[start]))
                        start++;
                while (stop > start && is_blank((char) p[stop - 1]))
                        stop--;
                if (start == stop || p[start] == '#')
                        continue;
                size_t sep = start;
                while (sep < stop && p[sep] != '=')
                        sep++;
                if (sep == stop)
                        continue;
                Bytes key(p + start, sep - start);
                size_t value = sep;
                while (value < stop && p[value] == '=')
                        value++;
                size_t value_end = stop;
                // A value in double quotes loses them (the closing one is the line's last byte;
                // a lone '"' is both and leaves an empty value).
                if (value < stop && p[value] == '"' && p[stop - 1] == '"') {
                        value++;
                        value_end = stop - 1 < value ? value : stop - 1;
                }
                Bytes v(p + value, value_end - value);
                if (equals(key, "IMAGE_ID"))
                        return v;
                if (equals(key, "ID")) {
                        id = v;
                        have_id = true;
                }
        }
        if (have_id)
                return id;
        return Bytes(reinterpret_cast<const uint8_t *>(kFallbackId), sizeof(kFallbackId) - 1);
}

void derive(const uint8_t (&variable)[kSize], const uint8_t (&mixin)[kSize], Bytes id, uint8_t (&out)[kSize]) {
        Sha256 h;
        add_label(&h, kDeriveLabel, sizeof(kDeriveLabel));
        h.update(variable, kSize);
        h.update(mixin, kSize);
        add_le64(&h, id.size());
        h.update(id);
        h.finish(out);
}

} // namespace zuki::secret
