// SPDX-License-Identifier: LGPL-2.1-or-later
// Sha256 against OpenSSL, and the random seed / boot secret recipes of shared/boot-secret.hpp
// against the same recipes spelled out here byte by byte (systemd's src/boot/random-seed.c and
// boot-secret.c: labels, little-endian size words, order) and hashed by OpenSSL.

#include <gtest/gtest.h>

#include <openssl/sha.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "boot-secret.hpp"
#include "sha256.hpp"

namespace zuki {
namespace {

using Digest = std::vector<uint8_t>;

Digest openssl_sha256(const std::string &s) {
        Digest d(SHA256_DIGEST_LENGTH);
        SHA256(reinterpret_cast<const uint8_t *>(s.data()), s.size(), d.data());
        return d;
}

Digest ours(const std::string &s) {
        uint8_t d[Sha256::kDigestSize];
        Sha256::digest(Bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size()), d);
        return Digest(d, d + sizeof(d));
}

std::string le(uint64_t v, size_t n) {
        std::string s;
        for (size_t i = 0; i < n; i++)
                s.push_back(char(v >> (8 * i)));
        return s;
}

std::string str(const Digest &d) { return std::string(d.begin(), d.end()); }

TEST(Sha256, MatchesOpenSslAtEveryLengthAroundBlocks) {
        std::mt19937 rng(42);
        for (size_t n = 0; n < 300; n++) {
                std::string s;
                for (size_t i = 0; i < n; i++)
                        s.push_back(char(rng()));
                EXPECT_EQ(ours(s), openssl_sha256(s)) << "length " << n;
        }
}

TEST(Sha256, FipsVectors) {
        // FIPS 180-4 examples (also in systemd's random-seed.c self-test).
        EXPECT_EQ(ours("abc"), openssl_sha256("abc"));
        Digest abc = ours("abc");
        EXPECT_EQ(abc[0], 0xba);
        EXPECT_EQ(abc[31], 0xad);
        Digest empty = ours("");
        EXPECT_EQ(empty[0], 0xe3);
        EXPECT_EQ(empty[31], 0x55);
}

TEST(Sha256, IncrementalEqualsOneShot) {
        std::string s(1000, 'x');
        for (size_t i = 0; i < s.size(); i++)
                s[i] = char(i * 7);
        for (size_t split : {0, 1, 55, 56, 63, 64, 65, 127, 500, 1000}) {
                Sha256 h;
                h.update(s.data(), split);
                h.update(s.data() + split, s.size() - split);
                uint8_t d[32];
                h.finish(d);
                EXPECT_EQ(Digest(d, d + 32), openssl_sha256(s)) << "split " << split;
        }
}

std::string id_of(const std::string &osrel) {
        Bytes id = secret::os_id(Bytes(reinterpret_cast<const uint8_t *>(osrel.data()), osrel.size()));
        return std::string(reinterpret_cast<const char *>(id.data()), id.size());
}

TEST(BootSecret, OsIdPrefersImageIdThenLastIdThenLinux) {
        EXPECT_EQ(id_of("ID=debian\nIMAGE_ID=appliance\nIMAGE_ID=second\n"), "appliance");
        EXPECT_EQ(id_of("ID=first\nNAME=x\nID=second\n"), "second");
        EXPECT_EQ(id_of("NAME=Debian\n"), "linux");
        EXPECT_EQ(id_of(""), "linux");
        EXPECT_EQ(id_of("ID=\"quoted\"\n"), "quoted");
        EXPECT_EQ(id_of("  ID=spaced \t\r\n"), "spaced");
        EXPECT_EQ(id_of("# ID=comment\nID==x\n"), "x"); // all '=' after the key are skipped
        EXPECT_EQ(id_of("ID =nope\n"), "linux");         // the key keeps its trailing space
        EXPECT_EQ(id_of("ID=\"\n"), "");                   // a lone quote is an empty value
        EXPECT_EQ(id_of(std::string("ID=a\0ID=b\n", 10)), "a"); // text ends at a NUL
        EXPECT_EQ(id_of("ID=debian"), "debian");         // no final newline
}

TEST(BootSecret, DeriveIsTheDocumentedHash) {
        uint8_t variable[32], mixin[32];
        for (int i = 0; i < 32; i++) {
                variable[i] = uint8_t(i);
                mixin[i] = uint8_t(0xa0 + i);
        }
        std::string id = "debian";
        uint8_t out[32];
        secret::derive(variable, mixin, Bytes(reinterpret_cast<const uint8_t *>(id.data()), id.size()), out);
        std::string input = "systemd-stub derive secret label v1" + std::string((char *) variable, 32) +
                            std::string((char *) mixin, 32) + le(id.size(), 8) + id;
        EXPECT_EQ(Digest(out, out + 32), openssl_sha256(input));
}

TEST(BootSecret, MakeSecretEvolvesTheTable) {
        std::vector<uint8_t> table(4 + 40);
        table[0] = 40;
        for (int i = 0; i < 40; i++)
                table[4 + i] = uint8_t(3 * i + 1);
        std::string before(table.begin(), table.end());
        uint8_t out[32];
        secret::make_secret_from_seed(MutableBytes(table.data(), table.size()), out);
        EXPECT_EQ(Digest(out, out + 32), openssl_sha256("systemd-stub random seed make secret label v1" + before));
        Digest evolved = openssl_sha256("systemd-stub random seed evolve label v1" + before);
        EXPECT_EQ(Digest(table.begin() + 4, table.begin() + 36), evolved);
        EXPECT_EQ(std::string(table.begin() + 36, table.end()), before.substr(36)); // the rest stays
        EXPECT_EQ(table[0], 40);
        // Twice from the same table gives two different secrets.
        uint8_t again[32];
        secret::make_secret_from_seed(MutableBytes(table.data(), table.size()), again);
        EXPECT_NE(Digest(out, out + 32), Digest(again, again + 32));
}

TEST(BootSecret, SeedRecipe) {
        Sha256 h;
        secret::begin_seed_key(&h);
        std::string prev = "previous-table-bytes", rng(32, '\x11'), token = "token", file(32, '\x22');
        std::string counter = le(7, 8), time(16, '\x33');
        for (const std::string *s : {&prev, &rng, &token, &file, &counter, &time})
                secret::add_seed_input(&h, Bytes(reinterpret_cast<const uint8_t *>(s->data()), s->size()));
        uint8_t file_seed[32], table_seed[32];
        secret::finish_seed(&h, file_seed, table_seed);
        std::string k = "systemd-boot random seed label v1";
        for (const std::string *s : {&prev, &rng, &token, &file, &counter, &time})
                k += le(s->size(), 8) + *s;
        Digest key = openssl_sha256(k);
        EXPECT_EQ(Digest(file_seed, file_seed + 32), openssl_sha256(str(key) + std::string(1, '\0')));
        EXPECT_EQ(Digest(table_seed, table_seed + 32), openssl_sha256(str(key) + std::string(1, '\1')));
}

} // namespace
} // namespace zuki
