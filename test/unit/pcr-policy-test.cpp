// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Signed PCR policy pieces of the host library. The PolicyPCR digests expected here come from a
// TPM, not from zuki: swtpm with tpm2-tools 5.4, a trial session and
//   tpm2_policypcr -S trial.ctx -l BANK:PCRS -f VALUES -L digest
// where VALUES is the byte sequence 0, 1, 2, … of the bank's digest size (PCR 11), or 32 × 0x07
// then 32 × 0x0b (sha256 PCRs 7 and 11).

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "failure.hpp"
#include "keys.hpp"
#include "pcr-policy.hpp"
#include "pcr-predict.hpp"
#include "tpm2-token.hpp"

namespace zuki {
namespace {

Buffer counting(size_t n) {
        Buffer b(n);
        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t) i;
        return b;
}

Bytes text_bytes(const std::string &s) { return Bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size()); }

TEST(PolicyPcr, DigestEqualsTpm2Policypcr) {
        struct Case {
                const char *bank;
                size_t size;
                const char *expected;
        } cases[] = {
                {"sha1", 20, "97533a4241f17fb3aa3122b71fbad7b1032556e064b2c313e3fae6553b0d1d69"},
                {"sha256", 32, "da84d8d403a56fdda35bc4589b01abc563f1b1edf9c76e3a500dd1b04c1e4ad8"},
                {"sha384", 48, "d1abc4497037427d360fca92d922b067333aa06f0db5a3233a975cb726800d86"},
                {"sha512", 64, "cfe0247b67f56f663b5c5ed1097574076d4d502f01fce3c0b06588eeb3416d9d"},
        };
        for (const Case &c : cases) {
                Buffer values = counting(c.size);
                EXPECT_EQ(to_hex(bytes_of(policy::policy_pcr_digest(c.bank, 1u << 11, bytes_of(values)))), c.expected)
                        << c.bank;
        }
}

TEST(PolicyPcr, TwoPcrsEqualTpm2Policypcr) {
        Buffer values(32, 0x07);
        values.insert(values.end(), 32, 0x0b);
        EXPECT_EQ(to_hex(bytes_of(policy::policy_pcr_digest("sha256", (1u << 7) | (1u << 11), bytes_of(values)))),
                  "d80dae69f84eb4ead1b8b370d699adef976533d40c2c2ed571eb84b80c3d31c4");
}

TEST(PolicyPcr, SelectionMarshalling) {
        // TPML_PCR_SELECTION: count 1, TPM_ALG_SHA256, sizeofSelect 3, PCR 11 = byte 1 bit 3.
        Buffer s = policy::pcr_selection(0x000b, 1u << 11);
        EXPECT_EQ(to_hex(bytes_of(s)), "00000001000b03000800");
        EXPECT_THROW(policy::tpm_alg_of_bank("md5"), Failure);
        EXPECT_EQ(policy::normalize_bank("SHA384"), "sha384");
}

TEST(PolicyPcr, PhaseNormalisation) {
        EXPECT_EQ(policy::normalize_phase(":"), "");
        EXPECT_EQ(policy::normalize_phase("::enter-initrd::leave-initrd:"), "enter-initrd:leave-initrd");
        EXPECT_EQ(policy::pcr_mask_json((1u << 11) | (1u << 7)).dump(), "[7,11]");
}

TEST(SignatureJson, ParsesAndSkipsIncompleteEntries) {
        std::string text = R"({"sha256":[{"pcrs":[11],"pkfp":"aa","pol":"bb","sig":"Zm9v"},{"pcrs":[11],"pol":"bb"}],"sha1":[]})";
        std::vector<policy::SignatureEntry> e = policy::parse_signature_json(text_bytes(text), "t");
        ASSERT_EQ(e.size(), 1u);
        EXPECT_EQ(e[0].bank, "sha256");
        EXPECT_EQ(e[0].pcr_mask, 1u << 11);
        EXPECT_EQ(to_hex(bytes_of(e[0].pkfp)), "aa");
        EXPECT_EQ(std::string(e[0].sig.begin(), e[0].sig.end()), "foo");
        for (const char *bad : {"", "[]", "{\"sha256\":{}}", "{\"sha256\":[1]}",
                                R"({"sha256":[{"pcrs":[24],"pkfp":"aa","pol":"bb","sig":"Zm9v"}]})",
                                R"({"sha256":[{"pcrs":11,"pkfp":"aa","pol":"bb","sig":"Zm9v"}]})",
                                R"({"sha256":[{"pcrs":[11],"pkfp":"xx","pol":"bb","sig":"Zm9v"}]})",
                                R"({"sha256":[{"pcrs":[11],"pkfp":"aa","pol":"bb","sig":5}]})"})
                EXPECT_THROW(policy::parse_signature_json(text_bytes(bad), "t"), Failure) << bad;
}

TEST(Tpm2Token, FieldsAndRules) {
        std::string text = R"({"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AAAA","tpm2-pcrs":[7],
                "tpm2-pcr-bank":"sha256","tpm2-policy-hash":"00ff","tpm2-pin":true,"tpm2_pubkey_pcrs":[11],
                "tpm2_pubkey":"Zm9v"})";
        Tpm2Token t = parse_tpm2_token(text_bytes(text), "t");
        EXPECT_EQ(t.hash_pcr_mask, 1u << 7);
        EXPECT_EQ(t.pubkey_pcr_mask, 1u << 11);
        EXPECT_EQ(*t.bank, "sha256");
        EXPECT_TRUE(t.pin);
        EXPECT_EQ(t.pubkey->size(), 3u);
        // systemd requires tpm2-pcrs, tpm2-blob, tpm2-policy-hash; a pubkey mask needs a pubkey.
        for (const char *bad : {R"({"tpm2-blob":"AAAA","tpm2-policy-hash":"00"})",
                                R"({"tpm2-pcrs":[],"tpm2-policy-hash":"00"})",
                                R"({"tpm2-pcrs":[],"tpm2-blob":"AAAA"})",
                                R"({"tpm2-pcrs":[],"tpm2-blob":"AAAA","tpm2-policy-hash":"00","tpm2_pubkey_pcrs":[11]})",
                                R"({"tpm2-pcrs":[],"tpm2-blob":"AAAA","tpm2-policy-hash":"00","tpm2-pin":1})",
                                R"({"tpm2-pcrs":[],"tpm2-blob":"AAAA","tpm2-policy-hash":"00","tpm2-pcr-bank":"md5"})"})
                EXPECT_THROW(parse_tpm2_token(text_bytes(bad), "t"), Failure) << bad;
}

TEST(Signing, VerifiesAsTheTpmDoesForSha256Only) {
        Pkey key = generate_rsa_key(2048);
        Pkey pub = public_half(key.get());
        Buffer pol = counting(32);
        Buffer sig256 = policy::sign_digest(key.get(), "sha256", bytes_of(pol));
        EXPECT_TRUE(policy::verify_for_policy_authorize(pub.get(), bytes_of(pol), bytes_of(sig256)));
        pol[0] ^= 1;
        EXPECT_FALSE(policy::verify_for_policy_authorize(pub.get(), bytes_of(pol), bytes_of(sig256)));
        pol[0] ^= 1;
        // systemd-measure 252 signs a sha1-bank policy with SHA-1, which TPM2_VerifySignature with
        // the SHA-256 scheme systemd-cryptsetup uses does not accept.
        Buffer sig1 = policy::sign_digest(key.get(), "sha1", bytes_of(pol));
        EXPECT_FALSE(policy::verify_for_policy_authorize(pub.get(), bytes_of(pol), bytes_of(sig1)));
}

TEST(Keys, PemRoundTripAndFingerprintEncoding) {
        Pkey key = generate_rsa_key(2048);
        Buffer pem = public_key_pem(key.get());
        Pkey again = parse_public_key(bytes_of(pem), "pem");
        EXPECT_TRUE(same_public_key(key.get(), again.get()));
        Pkey from_der = parse_public_key(bytes_of(public_key_der(key.get())), "der");
        EXPECT_TRUE(same_public_key(key.get(), from_der.get()));
        Buffer der = public_key_der(key.get());
        der.push_back(0);
        EXPECT_THROW(parse_public_key(bytes_of(der), "trailing"), Failure);
        // pkfp hashes the PKCS#1 RSAPublicKey, which is the SubjectPublicKeyInfo's BIT STRING
        // content: the last (len - 24) bytes of a 2048-bit key's 294-byte SPKI.
        Buffer spki = public_key_der(key.get());
        ASSERT_EQ(spki.size(), 294u);
        Buffer inner(spki.begin() + 24, spki.end());
        unsigned char md[32];
        unsigned len = 0;
        ASSERT_EQ(EVP_Digest(inner.data(), inner.size(), md, &len, EVP_sha256(), nullptr), 1);
        EXPECT_EQ(to_hex(bytes_of(key_fingerprint(key.get()))), to_hex(Bytes(md, len)));
        check_policy_key(key.get(), "rsa");
}

} // namespace
} // namespace zuki
