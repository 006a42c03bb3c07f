// SPDX-License-Identifier: LGPL-2.1-or-later

#include "keys.hpp"

#include <cstring>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "failure.hpp"

namespace zuki {

namespace {

constexpr int kMinRsaBits = 2048;

// PEM passphrase callback: never prompt (a terminal prompt would hang scripts).
int no_passphrase(char *, int, int, void *) { return -1; }

bool contains(Bytes data, const char *needle) {
        std::string_view hay(reinterpret_cast<const char *>(data.data()), data.size());
        return hay.find(needle) != std::string_view::npos;
}

} // namespace

Pkey parse_public_key(Bytes data, const std::string &what) {
        if (contains(data, "PRIVATE KEY"))
                fail(what + " holds a private key where a public key is expected");
        Pkey key;
        if (contains(data, "-----BEGIN ")) {
                BioPtr bio = memory_bio(data);
                key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
                if (!key) {
                        BioPtr again = memory_bio(data);
                        X509Ptr cert(PEM_read_bio_X509(again.get(), nullptr, no_passphrase, nullptr));
                        if (cert)
                                key.reset(X509_get_pubkey(cert.get()));
                }
        } else {
                const unsigned char *p = data.data();
                key.reset(d2i_PUBKEY(nullptr, &p, (long) data.size()));
                if (key && p != data.data() + data.size())
                        key.reset();
                if (!key) {
                        p = data.data();
                        X509Ptr cert(d2i_X509(nullptr, &p, (long) data.size()));
                        if (cert && p == data.data() + data.size())
                                key.reset(X509_get_pubkey(cert.get()));
                }
        }
        ERR_clear_error();
        if (!key)
                fail(what + " is not a public key (PEM or DER SubjectPublicKeyInfo, or an X.509 certificate)");
        return key;
}

Pkey load_public_key(const std::string &path) {
        Buffer data = read_file(path, 1 << 20);
        return parse_public_key(bytes_of(data), path);
}

Pkey public_half(EVP_PKEY *key) {
        Buffer der = public_key_der(key);
        const unsigned char *p = der.data();
        Pkey pub(d2i_PUBKEY(nullptr, &p, (long) der.size()));
        if (!pub)
                fail_openssl("Cannot derive the public key");
        return pub;
}

std::string describe_key(EVP_PKEY *key) {
        int id = EVP_PKEY_get_base_id(key);
        if (id == EVP_PKEY_RSA)
                return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
        if (id == EVP_PKEY_EC) {
                char group[64] = "";
                size_t len = 0;
                if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
                        return "EC (unknown curve)";
                if (std::strcmp(group, "prime256v1") == 0)
                        return "ECDSA P-256";
                return std::string("EC ") + group;
        }
        const char *name = EVP_PKEY_get0_type_name(key);
        return name ? name : "unknown key type";
}

void check_policy_key(EVP_PKEY *key, const std::string &what) {
        int id = EVP_PKEY_get_base_id(key);
        if (id == EVP_PKEY_RSA) {
                if (EVP_PKEY_get_bits(key) < kMinRsaBits)
                        fail(what + ": RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) +
                             " bits is too weak (at least " + std::to_string(kMinRsaBits) + ")");
                return;
        }
        if (describe_key(key) == "ECDSA P-256")
                return;
        fail(what + ": wrong key type (" + describe_key(key) + "); use RSA (2048 bits or more) or ECDSA P-256");
}

// A public key through one of OpenSSL's i2d encoders.
template <typename Encoder>
Buffer encode_public_key(EVP_PKEY *key, Encoder encode) {
        unsigned char *der = nullptr;
        int n = encode(key, &der);
        if (n <= 0)
                fail_openssl("Cannot encode the public key");
        Buffer out(der, der + n);
        OPENSSL_free(der);
        return out;
}

Buffer public_key_der(EVP_PKEY *key) { return encode_public_key(key, i2d_PUBKEY); }

Buffer public_key_pem(EVP_PKEY *key) {
        BioPtr bio(BIO_new(BIO_s_mem()));
        if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
                fail_openssl("Cannot encode the public key");
        return bio_contents(bio.get());
}

Buffer key_fingerprint(EVP_PKEY *key) {
        // i2d_PublicKey, not i2d_PUBKEY: for RSA the PKCS#1 RSAPublicKey, for EC the point.
        return sha256({bytes_of(encode_public_key(key, i2d_PublicKey))});
}

bool same_public_key(EVP_PKEY *a, EVP_PKEY *b) { return EVP_PKEY_eq(a, b) == 1; }

Pkey generate_rsa_key(int bits) {
        PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
        EVP_PKEY *raw = nullptr;
        if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
            EVP_PKEY_generate(ctx.get(), &raw) != 1)
                fail_openssl("RSA key generation failed");
        return Pkey(raw);
}

Buffer private_key_pem(EVP_PKEY *key) {
        BioPtr bio(BIO_new(BIO_s_mem()));
        if (!bio || PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
                fail_openssl("Cannot encode the private key");
        // The memory BIO's buffer is wiped when it is freed (BUF_MEM_free clears it).
        return bio_contents(bio.get());
}

Buffer self_signed_certificate_pem(EVP_PKEY *key, const std::string &common_name, int days) {
        X509Ptr cert(X509_new());
        BignumPtr serial(BN_new());
        if (!cert || !serial)
                fail("Out of memory");
        auto check = [](int ok, const char *what) {
                if (ok != 1)
                        fail_openssl(std::string("Cannot create the certificate (") + what + ")");
        };
        check(X509_set_version(cert.get(), X509_VERSION_3), "version");
        // A positive serial of up to 159 bits (RFC 5280: at most 20 octets), never zero.
        do
                check(BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "serial");
        while (BN_is_zero(serial.get()));
        check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ? 1 : 0, "serial");
        check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ? 1 : 0, "validity");
        check(X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) ? 1 : 0, "validity");
        X509_NAME *name = X509_get_subject_name(cert.get());
        check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1, 0),
              "common name");
        check(X509_set_issuer_name(cert.get(), name), "issuer");
        check(X509_set_pubkey(cert.get(), key), "public key");
        X509ExtensionPtr bc(
                X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:FALSE"));
        check(bc ? 1 : 0, "basicConstraints");
        check(X509_add_ext(cert.get(), bc.get(), -1), "basicConstraints");
        if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
                fail_openssl("Cannot sign the certificate");
        BioPtr bio(BIO_new(BIO_s_mem()));
        if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1)
                fail_openssl("Cannot encode the certificate");
        return bio_contents(bio.get());
}

PolicyKeyPair load_policy_key_pair(const std::string &private_path, const std::string &public_path) {
        PolicyKeyPair k;
        k.private_key = load_private_key(private_path);
        check_policy_key(k.private_key.get(), private_key_name(private_path));
        if (public_path.empty()) {
                k.public_key = public_half(k.private_key.get());
                return k;
        }
        k.public_key = load_public_key(public_path);
        check_policy_key(k.public_key.get(), public_path);
        if (!same_public_key(k.private_key.get(), k.public_key.get()))
                fail(public_path + " is not the public key of " + private_key_name(private_path));
        return k;
}

} // namespace zuki
