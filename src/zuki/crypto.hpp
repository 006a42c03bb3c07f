// SPDX-License-Identifier: LGPL-2.1-or-later
//
// OpenSSL 3 objects with owners, and loading private keys and certificates — the one loader for
// every signing key zuki takes (Authenticode and PCR policies alike). A private key comes from a
// PEM/DER file or, for "pkcs11:" URIs (RFC 7512), from a token through OpenSSL's pkcs11 engine
// (libp11); its bytes are read into memory only, wiped after parsing, and never logged.

#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "file-io.hpp"

namespace zuki {

struct OsslDeleter {
        void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
        void operator()(X509 *p) const { X509_free(p); }
        void operator()(PKCS7 *p) const { PKCS7_free(p); }
        void operator()(BIO *p) const { BIO_free_all(p); }
        void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
        void operator()(X509_STORE *p) const { X509_STORE_free(p); }
        void operator()(X509_STORE_CTX *p) const { X509_STORE_CTX_free(p); }
        void operator()(STACK_OF(X509) *p) const { sk_X509_pop_free(p, X509_free); }
        void operator()(ASN1_OBJECT *p) const { ASN1_OBJECT_free(p); }
        void operator()(ASN1_TYPE *p) const { ASN1_TYPE_free(p); }
        void operator()(ASN1_STRING *p) const { ASN1_STRING_free(p); }
        void operator()(X509_SIG *p) const { X509_SIG_free(p); }
        void operator()(X509_ATTRIBUTE *p) const { X509_ATTRIBUTE_free(p); }
        void operator()(X509_EXTENSION *p) const { X509_EXTENSION_free(p); }
        void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); }
        void operator()(BIGNUM *p) const { BN_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OsslDeleter>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OsslDeleter>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter>;
using Asn1TypePtr = std::unique_ptr<ASN1_TYPE, OsslDeleter>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OsslDeleter>;
using X509SigPtr = std::unique_ptr<X509_SIG, OsslDeleter>;
using X509AttributePtr = std::unique_ptr<X509_ATTRIBUTE, OsslDeleter>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter>;

// A buffer that wipes its contents when it goes away (for private key bytes).
class SecretBuffer {
public:
        explicit SecretBuffer(Buffer data) : data_(std::move(data)) {}
        ~SecretBuffer();
        SecretBuffer(const SecretBuffer &) = delete;
        SecretBuffer &operator=(const SecretBuffer &) = delete;
        const Buffer &get() const { return data_; }

private:
        Buffer data_;
};

// A read-only memory BIO over `data`, which must outlive it.
BioPtr memory_bio(Bytes data);
// What a memory BIO holds.
Buffer bio_contents(BIO *bio);

// The digest of the concatenated parts; fails (throws) only if OpenSSL does.
Buffer digest(const EVP_MD *md, std::initializer_list<Bytes> parts);
inline Buffer sha256(std::initializer_list<Bytes> parts) { return digest(EVP_sha256(), parts); }

// The OpenSSL error queue as one line ("" when empty); clears the queue.
std::string openssl_errors();

// Throws Failure("<what>[: <OpenSSL errors>]").
[[noreturn]] void fail_openssl(const std::string &what);

// True for RFC 7512 PKCS#11 URIs, which load_private_key() hands to the pkcs11 engine.
bool is_pkcs11_uri(const std::string &spec);

// A private key from a file (PEM or DER, unencrypted) or a "pkcs11:" URI. PINs come from the
// URI (pin-value=, pin-source=file:...) as libp11 reads them; zuki never prompts. `spec` is not
// echoed in errors for URIs, since a URI may carry a PIN.
EvpPkeyPtr load_private_key(const std::string &spec);

// How to name a private key spec in a message: the path, or "the PKCS#11 key" for a URI.
std::string private_key_name(const std::string &spec);

// All certificates in a PEM file (one or more), or the one in a DER file; at least one.
std::vector<X509Ptr> load_certificates(const std::string &path);
// Exactly one certificate.
X509Ptr load_certificate(const std::string &path);

// A distinguished name in RFC 2253 form ("CN=...,O=...").
std::string x509_name_text(const X509_NAME *name);

// The key's algorithm as a short word ("RSA", "EC", "ED25519", ...).
std::string key_type_name(const EVP_PKEY *key);

} // namespace zuki
