// SPDX-License-Identifier: LGPL-2.1-or-later

// The ENGINE API is deprecated in OpenSSL 3 but is the only way Debian 12 offers to PKCS#11 keys
// (libengine-pkcs11-openssl; there is no pkcs11 provider in bookworm).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto.hpp"

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ui.h>

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "failure.hpp"
#include "file-io.hpp"

namespace zuki {

namespace {

// Key and certificate files are small; refuse anything that is clearly something else.
constexpr uint64_t kMaxKeyFileSize = 1u << 20;

// PEM pass phrase callback: zuki never asks for one; encrypted keys are refused.
int no_pass_phrase(char *, int, int, void *) { return -1; }

// libp11 prints its own diagnostics on stderr, some with the whole URI (and so the PIN in it).
// They are silenced while it runs; what went wrong reaches the user from the OpenSSL error queue.
class QuietStderr {
public:
        QuietStderr() {
                std::fflush(stderr);
                saved_ = ::dup(STDERR_FILENO);
                int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (saved_ >= 0 && null >= 0)
                        ::dup2(null, STDERR_FILENO);
                if (null >= 0)
                        ::close(null);
        }
        ~QuietStderr() {
                std::fflush(stderr);
                if (saved_ >= 0) {
                        ::dup2(saved_, STDERR_FILENO);
                        ::close(saved_);
                }
        }
        QuietStderr(const QuietStderr &) = delete;
        QuietStderr &operator=(const QuietStderr &) = delete;

private:
        int saved_ = -1;
};

// The pkcs11 engine, initialised once and deliberately never finished: finishing it at exit
// runs p11-kit's and the module's finalisers in an order that crashes after a failed login.
ENGINE *pkcs11_engine() {
        static ENGINE *engine = nullptr;
        if (engine)
                return engine;
        // Loads engines-3/pkcs11.so by name. It talks to p11-kit-proxy by default (every module
        // registered with p11-kit), or to $PKCS11_MODULE_PATH.
        ENGINE *e = ENGINE_by_id("pkcs11");
        if (!e)
                fail_openssl("Cannot load the OpenSSL pkcs11 engine (package libengine-pkcs11-openssl)");
        if (!ENGINE_init(e)) {
                ENGINE_free(e);
                fail_openssl("Cannot initialise the OpenSSL pkcs11 engine");
        }
        engine = e;
        return e;
}

EvpPkeyPtr load_pkcs11_key(const std::string &uri) {
        EvpPkeyPtr key;
        {
                QuietStderr quiet;
                ENGINE *e = pkcs11_engine();
                // UI_null(): never prompt for a PIN; it must come with the URI.
                key.reset(ENGINE_load_private_key(e, uri.c_str(), const_cast<UI_METHOD *>(UI_null()), nullptr));
        }
        if (!key)
                fail_openssl("Cannot load the private key from the PKCS#11 token (check the URI and its PIN)");
        return key;
}

EvpPkeyPtr load_key_file(const std::string &path) {
        SecretBuffer data(read_file(path, kMaxKeyFileSize));
        ERR_clear_error();
        {
                BioPtr bio = memory_bio(bytes_of(data.get()));
                if (EVP_PKEY *k = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass_phrase, nullptr))
                        return EvpPkeyPtr(k);
        }
        unsigned long pem_error = ERR_peek_last_error();
        {
                BioPtr bio = memory_bio(bytes_of(data.get()));
                if (EVP_PKEY *k = d2i_PrivateKey_bio(bio.get(), nullptr)) {
                        ERR_clear_error();
                        return EvpPkeyPtr(k);
                }
        }
        ERR_clear_error();
        if (ERR_GET_REASON(pem_error) == PEM_R_BAD_PASSWORD_READ ||
            ERR_GET_REASON(pem_error) == PEM_R_PROBLEMS_GETTING_PASSWORD)
                fail(path + ": the private key is encrypted; zuki needs an unencrypted key or a PKCS#11 URI");
        fail(path + " is not a PEM or DER private key");
}

} // namespace

SecretBuffer::~SecretBuffer() {
        if (!data_.empty())
                OPENSSL_cleanse(data_.data(), data_.size());
}

BioPtr memory_bio(Bytes data) {
        BioPtr bio(BIO_new_mem_buf(data.data(), (int) data.size()));
        if (!bio)
                fail_openssl("Cannot allocate a memory BIO");
        return bio;
}

Buffer bio_contents(BIO *bio) {
        char *p = nullptr;
        long n = BIO_get_mem_data(bio, &p);
        if (n < 0 || (n > 0 && !p))
                fail("OpenSSL produced no output");
        return Buffer(p, p + n);
}

Buffer digest(const EVP_MD *md, std::initializer_list<Bytes> parts) {
        MdCtxPtr ctx(EVP_MD_CTX_new());
        Buffer out(EVP_MD_get_size(md));
        unsigned len = 0;
        if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
                fail_openssl("Cannot start a digest");
        for (Bytes p : parts)
                if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1)
                        fail_openssl("Digest failed");
        if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size())
                fail_openssl("Digest failed");
        return out;
}

std::string openssl_errors() {
        std::string text;
        while (unsigned long e = ERR_get_error()) {
                char buf[256];
                ERR_error_string_n(e, buf, sizeof buf);
                if (!text.empty())
                        text += "; ";
                text += buf;
        }
        return text;
}

void fail_openssl(const std::string &what) {
        std::string errors = openssl_errors();
        fail(errors.empty() ? what : what + ": " + errors);
}

bool is_pkcs11_uri(const std::string &spec) { return spec.rfind("pkcs11:", 0) == 0; }

EvpPkeyPtr load_private_key(const std::string &spec) {
        if (is_pkcs11_uri(spec))
                return load_pkcs11_key(spec);
        return load_key_file(spec);
}

std::string private_key_name(const std::string &spec) { return is_pkcs11_uri(spec) ? "the PKCS#11 key" : spec; }

std::vector<X509Ptr> load_certificates(const std::string &path) {
        Buffer data = read_file(path, kMaxKeyFileSize);
        std::vector<X509Ptr> certs;
        ERR_clear_error();
        BioPtr bio = memory_bio(bytes_of(data));
        while (X509 *c = PEM_read_bio_X509(bio.get(), nullptr, no_pass_phrase, nullptr))
                certs.emplace_back(c);
        ERR_clear_error(); // the loop ends on "no start line"
        if (certs.empty()) {
                BioPtr der = memory_bio(bytes_of(data));
                if (X509 *c = d2i_X509_bio(der.get(), nullptr))
                        certs.emplace_back(c);
                ERR_clear_error();
        }
        if (certs.empty())
                fail(path + " is not a PEM or DER certificate");
        return certs;
}

X509Ptr load_certificate(const std::string &path) {
        std::vector<X509Ptr> certs = load_certificates(path);
        if (certs.size() != 1)
                fail(path + " holds " + std::to_string(certs.size()) + " certificates, expected one");
        return std::move(certs[0]);
}

std::string x509_name_text(const X509_NAME *name) {
        BioPtr bio(BIO_new(BIO_s_mem()));
        if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
                fail_openssl("Cannot format a certificate name");
        char *p = nullptr;
        long n = BIO_get_mem_data(bio.get(), &p);
        return std::string(p, (size_t) n);
}

std::string key_type_name(const EVP_PKEY *key) {
        const char *name = EVP_PKEY_get0_type_name(key);
        if (name)
                return name;
        switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: return "RSA";
        case EVP_PKEY_EC: return "EC";
        default: return "unknown";
        }
}

} // namespace zuki
