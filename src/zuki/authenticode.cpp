// SPDX-License-Identifier: LGPL-2.1-or-later

#include "authenticode.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "failure.hpp"
#include "pe-builder.hpp"
#include "pe.hpp"

namespace zuki::authenticode {

namespace {

// DER tags used in SpcIndirectDataContent.
constexpr uint8_t kDerBitString = 0x03;
constexpr uint8_t kDerSequence = 0x30;
constexpr uint8_t kDerContext0 = 0xa0;          // [0] constructed
constexpr uint8_t kDerContext2 = 0xa2;          // [2] constructed
constexpr uint8_t kDerContext0Primitive = 0x80; // [0] primitive (IMPLICIT)

// The file name in SpcPeImageData's SpcLink: signing tools have always written this fixed text.
constexpr char kObsoleteLink[] = "<<<Obsolete>>>";

pe::View parse_pe(Bytes image) {
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                fail("Not a usable PE image", view.error());
        if (view->directory_count() <= pe::kDirSecurity)
                fail("The PE image has no certificate table directory entry");
        return *view;
}

uint32_t security_entry_offset(const pe::View &v) {
        return v.optional_header_offset() + pe::kOptDataDirectories + 8 * pe::kDirSecurity;
}
uint32_t checksum_offset(const pe::View &v) { return v.optional_header_offset() + pe::kOptCheckSum; }

// The end of the headers and every section's raw data (SizeOfRawData, as the digest covers).
uint64_t end_of_sections(const pe::View &v) {
        return std::max<uint64_t>(v.size_of_headers(), v.raw_data_end());
}

Buffer der(uint8_t tag, const Buffer &content) {
        Buffer out{tag};
        size_t n = content.size();
        if (n < 0x80) {
                out.push_back((uint8_t) n);
        } else {
                uint8_t len[sizeof(size_t)];
                int k = 0;
                for (size_t v = n; v; v >>= 8)
                        len[k++] = (uint8_t) v;
                out.push_back((uint8_t) (0x80 | k));
                while (k)
                        out.push_back(len[--k]);
        }
        out.insert(out.end(), content.begin(), content.end());
        return out;
}

Buffer concat(std::initializer_list<Buffer> parts) {
        Buffer out;
        for (const Buffer &p : parts)
                out.insert(out.end(), p.begin(), p.end());
        return out;
}

Asn1ObjectPtr object(const char *oid) {
        Asn1ObjectPtr o(OBJ_txt2obj(oid, 1));
        if (!o)
                fail_openssl(std::string("Cannot make the object identifier ") + oid);
        return o;
}

Buffer object_der(const char *oid) {
        Asn1ObjectPtr o = object(oid);
        int n = i2d_ASN1_OBJECT(o.get(), nullptr);
        Buffer out(n > 0 ? (size_t) n : 0);
        unsigned char *p = out.data();
        if (n <= 0 || i2d_ASN1_OBJECT(o.get(), &p) != n)
                fail_openssl("Cannot encode an object identifier");
        return out;
}

// DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
Buffer digest_info_der(const EVP_MD *md, const Buffer &digest) {
        X509SigPtr sig(X509_SIG_new());
        X509_ALGOR *alg = nullptr;
        ASN1_OCTET_STRING *value = nullptr;
        if (!sig)
                fail_openssl("Cannot allocate a DigestInfo");
        X509_SIG_getm(sig.get(), &alg, &value);
        if (!X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, nullptr) ||
            !ASN1_OCTET_STRING_set(value, digest.data(), (int) digest.size()))
                fail_openssl("Cannot fill in a DigestInfo");
        int n = i2d_X509_SIG(sig.get(), nullptr);
        Buffer out(n > 0 ? (size_t) n : 0);
        unsigned char *p = out.data();
        if (n <= 0 || i2d_X509_SIG(sig.get(), &p) != n)
                fail_openssl("Cannot encode a DigestInfo");
        return out;
}

// SpcIndirectDataContent ::= SEQUENCE {
//     data          SpcAttributeTypeAndOptionalValue,  -- { SPC_PE_IMAGE_DATA, SpcPeImageData }
//     messageDigest DigestInfo }
// SpcPeImageData ::= SEQUENCE { flags SpcPeImageFlags (BIT STRING, empty), file [0] SpcLink }
// SpcLink: file [2] SpcString, SpcString: unicode [0] IMPLICIT BMPString.
Buffer indirect_data_der(const EVP_MD *md, const Buffer &digest) {
        Buffer bmp;
        for (const char *c = kObsoleteLink; *c; c++) {
                bmp.push_back(0);
                bmp.push_back((uint8_t) *c);
        }
        Buffer link = der(kDerContext0, der(kDerContext2, der(kDerContext0Primitive, bmp)));
        Buffer flags = der(kDerBitString, Buffer{0x00}); // no unused bits, no flags
        Buffer pe_image_data = der(kDerSequence, concat({flags, link}));
        Buffer data = der(kDerSequence, concat({object_der(kOidSpcPeImageData), pe_image_data}));
        return der(kDerSequence, concat({data, digest_info_der(md, digest)}));
}

// The bytes inside a DER TLV at `p` (tag and length skipped), checked against `size`.
bool der_contents(const uint8_t *p, size_t size, int expected_tag, const uint8_t **contents, long *length,
                  size_t *total) {
        const unsigned char *q = p;
        int tag = 0, cls = 0;
        long len = 0;
        int r = ASN1_get_object(&q, &len, &tag, &cls, (long) size);
        if (r & 0x80 || !(r & V_ASN1_CONSTRUCTED) || tag != expected_tag || cls != V_ASN1_UNIVERSAL)
                return false;
        *contents = q;
        *length = len;
        *total = (size_t) (q - p) + (size_t) len;
        return *total <= size;
}

std::string oid_text(const ASN1_OBJECT *o) {
        char buf[128];
        int n = OBJ_obj2txt(buf, sizeof buf, o, 1);
        return n > 0 && (size_t) n < sizeof buf ? std::string(buf) : std::string();
}

int64_t asn1_time_seconds(const ASN1_TIME *t) {
        struct tm tm {};
        if (!ASN1_TIME_to_tm(t, &tm))
                return -1;
        return (int64_t) timegm(&tm);
}

Buffer digest_regions_of(Bytes image, const std::vector<Region> &regions, const EVP_MD *md) {
        MdCtxPtr ctx(EVP_MD_CTX_new());
        if (!ctx || !EVP_DigestInit_ex(ctx.get(), md, nullptr))
                fail_openssl("Cannot start a digest");
        for (const Region &r : regions)
                if (!EVP_DigestUpdate(ctx.get(), image.data() + r.offset, r.length))
                        fail_openssl("Cannot compute a digest");
        Buffer out((size_t) EVP_MD_get_size(md));
        unsigned len = 0;
        if (!EVP_DigestFinal_ex(ctx.get(), out.data(), &len))
                fail_openssl("Cannot compute a digest");
        out.resize(len);
        return out;
}

void set_security_directory(Buffer *image, const pe::View &v, uint32_t offset, uint32_t size) {
        uint8_t *entry = image->data() + security_entry_offset(v);
        store_le32(entry, offset);
        store_le32(entry + 4, size);
}

// One PKCS#7 SignedData (DER) checked against the image and the trusted certificate.
SignatureCheck check_signature(Bytes image, Bytes signature, X509 *trusted) {
        SignatureCheck c;
        const unsigned char *p = signature.data();
        Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, (long) signature.size()));
        ERR_clear_error();
        if (!p7 || !PKCS7_type_is_signed(p7.get()) || !p7->d.sign || !p7->d.sign->contents) {
                c.problem = "the certificate is not a PKCS#7 SignedData";
                return c;
        }
        PKCS7 *content = p7->d.sign->contents;
        if (!content->type || oid_text(content->type) != kOidSpcIndirectData || !content->d.other ||
            content->d.other->type != V_ASN1_SEQUENCE) {
                c.problem = "the signed content is not an SpcIndirectDataContent";
                return c;
        }
        const ASN1_STRING *idc = content->d.other->value.sequence;
        const uint8_t *idc_data = ASN1_STRING_get0_data(idc);
        size_t idc_size = (size_t) ASN1_STRING_length(idc);

        // The signature's messageDigest covers the contents of the SEQUENCE, without its header.
        const uint8_t *body = nullptr, *data = nullptr;
        long body_len = 0, data_len = 0;
        size_t total = 0, data_total = 0;
        if (!der_contents(idc_data, idc_size, V_ASN1_SEQUENCE, &body, &body_len, &total) ||
            !der_contents(body, (size_t) body_len, V_ASN1_SEQUENCE, &data, &data_len, &data_total)) {
                c.problem = "the SpcIndirectDataContent is malformed";
                return c;
        }
        const unsigned char *q = data;
        Asn1ObjectPtr data_type(d2i_ASN1_OBJECT(nullptr, &q, data_len));
        const unsigned char *dq = body + data_total;
        X509SigPtr digest_info(d2i_X509_SIG(nullptr, &dq, body_len - (long) data_total));
        ERR_clear_error();
        if (!data_type || !digest_info) {
                c.problem = "the SpcIndirectDataContent has no data type or no DigestInfo";
                return c;
        }
        // The Authenticode specification names SPC_PE_IMAGE_DATA here, but pesign writes
        // SPC_INDIVIDUAL_SP_KEY_PURPOSE (1.3.6.1.4.1.311.2.1.21) with an empty SpcLink. UEFI firmware
        // (EDK2's AuthenticodeVerify checks only the SPC_INDIRECT_DATA content type), sbverify and
        // osslsigncode do not look at it: what binds the signature to the image is the digest,
        // checked below. It is reported.
        c.data_type = oid_text(data_type.get());
        const X509_ALGOR *alg = nullptr;
        const ASN1_OCTET_STRING *signed_digest = nullptr;
        X509_SIG_get0(digest_info.get(), &alg, &signed_digest);
        const EVP_MD *md = EVP_get_digestbyobj(alg->algorithm);
        c.digest_algorithm = oid_text(alg->algorithm);
        if (md) {
                c.digest_algorithm = OBJ_nid2sn(EVP_MD_get_type(md));
                std::transform(c.digest_algorithm.begin(), c.digest_algorithm.end(), c.digest_algorithm.begin(),
                               [](unsigned char ch) { return (char) std::tolower(ch); });
        }
        c.signed_digest.assign(ASN1_STRING_get0_data(signed_digest),
                               ASN1_STRING_get0_data(signed_digest) + ASN1_STRING_length(signed_digest));

        STACK_OF(PKCS7_SIGNER_INFO) *infos = PKCS7_get_signer_info(p7.get());
        if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) != 1) {
                c.problem = "the signature does not have exactly one signer";
                return c;
        }
        PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
        X509StackPtr extra(sk_X509_new_null());
        if (!extra || !sk_X509_push(extra.get(), trusted))
                fail_openssl("Cannot allocate a certificate list");
        X509_up_ref(trusted);

        // The signer's certificate: embedded in the signature, or the trusted one itself.
        STACK_OF(X509) *signers = PKCS7_get0_signers(p7.get(), extra.get(), 0);
        X509 *signer = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : nullptr;
        sk_X509_free(signers);
        ERR_clear_error();
        if (signer) {
                c.signer = x509_name_text(X509_get_subject_name(signer));
                c.issuer = x509_name_text(X509_get_issuer_name(signer));
        }
        if (ASN1_TYPE *t = PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime);
            t && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME)) {
                int64_t s = asn1_time_seconds(t->value.utctime);
                if (s >= 0)
                        c.signing_time = s;
        }
        if (!signer) {
                c.problem = "the signing certificate is neither in the signature nor the given one";
                return c;
        }
        ASN1_TYPE *ctype = PKCS7_get_signed_attribute(si, NID_pkcs9_contentType);
        if (!ctype || ctype->type != V_ASN1_OBJECT || oid_text(ctype->value.object) != kOidSpcIndirectData) {
                c.problem = "the signed attributes do not name SpcIndirectDataContent as content type";
                return c;
        }

        // The image digest first: it is the usual reason for a mismatch (a modified image).
        if (!md) {
                c.problem = "unsupported digest algorithm " + c.digest_algorithm;
                return c;
        }
        Buffer actual = image_digest(image, md);
        if (actual != c.signed_digest) {
                c.problem = "the image digest does not match the signed digest (the image was modified)";
                return c;
        }

        // Signature over the signed attributes, and their messageDigest over the content.
        X509StorePtr empty_store(X509_STORE_new());
        BioPtr in(BIO_new_mem_buf(body, (int) body_len));
        if (!empty_store || !in)
                fail_openssl("Cannot allocate verification state");
        if (PKCS7_verify(p7.get(), extra.get(), empty_store.get(), in.get(), nullptr,
                         PKCS7_BINARY | PKCS7_NOVERIFY) != 1) {
                std::string why = openssl_errors();
                c.problem = "the PKCS#7 signature does not verify" + (why.empty() ? "" : ": " + why);
                return c;
        }

        // The signer must be the trusted certificate or chain up to it. As in UEFI, validity
        // dates, key usages and extended key usages are not checked.
        X509StorePtr store(X509_STORE_new());
        X509StoreCtxPtr ctx(X509_STORE_CTX_new());
        if (!store || !ctx || !X509_STORE_add_cert(store.get(), trusted) ||
            !X509_STORE_CTX_init(ctx.get(), store.get(), signer, p7->d.sign->cert))
                fail_openssl("Cannot set up certificate verification");
        X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
        X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
        if (X509_verify_cert(ctx.get()) != 1) {
                c.problem = "the signer (" + c.signer + ") is not the given certificate and does not chain to it (" +
                            X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) + ")";
                ERR_clear_error();
                return c;
        }
        c.valid = true;
        return c;
}

// The PKCS#7 SignedData (DER) over an SpcIndirectDataContent carrying `digest`.
Buffer pkcs7_signature(const Buffer &digest, const EVP_MD *md, const Signer &signer, int64_t signing_time) {
        Buffer idc = indirect_data_der(md, digest);
        Pkcs7Ptr p7(PKCS7_new());
        if (!p7 || !PKCS7_set_type(p7.get(), NID_pkcs7_signed))
                fail_openssl("Cannot create a PKCS#7 SignedData");
        PKCS7_SIGNER_INFO *si = PKCS7_add_signature(p7.get(), signer.certificate.get(), signer.key.get(), md);
        if (!si)
                fail_openssl("Cannot add a signer to the PKCS#7 SignedData");

        // Signed attributes: contentType, SpcSpOpusInfo (empty), signingTime, messageDigest.
        Asn1ObjectPtr idc_type = object(kOidSpcIndirectData);
        if (!PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_dup(idc_type.get())))
                fail_openssl("Cannot add the contentType attribute");
        Asn1ObjectPtr opus_type = object(kOidSpcSpOpusInfo);
        static const uint8_t kEmptySequence[] = {kDerSequence, 0x00};
        X509AttributePtr opus(X509_ATTRIBUTE_create_by_OBJ(nullptr, opus_type.get(), V_ASN1_SEQUENCE, kEmptySequence,
                                                           (int) sizeof kEmptySequence));
        if (!opus || !si->auth_attr || !sk_X509_ATTRIBUTE_push(si->auth_attr, opus.get()))
                fail_openssl("Cannot add the SpcSpOpusInfo attribute");
        opus.release();
                ASN1_TIME *when = ASN1_TIME_set(nullptr, (time_t) signing_time);
        if (!when || !PKCS7_add_signed_attribute(si, NID_pkcs9_signingTime, when->type, when)) {
                ASN1_TIME_free(when);
                fail_openssl("Cannot add the signingTime attribute");
        }
        // The digest of the SpcIndirectDataContent's contents (its SEQUENCE header excluded).
        const uint8_t *body = nullptr;
        long body_len = 0;
        size_t total = 0;
        if (!der_contents(idc.data(), idc.size(), V_ASN1_SEQUENCE, &body, &body_len, &total))
                fail("Internal error: SpcIndirectDataContent does not parse");
        unsigned char content_digest[EVP_MAX_MD_SIZE];
        unsigned content_digest_len = 0;
        if (!EVP_Digest(body, (size_t) body_len, content_digest, &content_digest_len, md, nullptr) ||
            !PKCS7_add1_attrib_digest(si, content_digest, (int) content_digest_len))
                fail_openssl("Cannot add the messageDigest attribute");
        if (PKCS7_SIGNER_INFO_sign(si) != 1)
                fail_openssl("Signing failed");

        // The content: SPC_INDIRECT_DATA carrying the SpcIndirectDataContent.
        PKCS7 *inner = PKCS7_new();
        Asn1StringPtr seq(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
        if (!inner || !seq || !ASN1_STRING_set(seq.get(), idc.data(), (int) idc.size())) {
                PKCS7_free(inner);
                fail_openssl("Cannot build the signed content");
        }
        inner->type = idc_type.release();
        inner->d.other = ASN1_TYPE_new();
        if (!inner->d.other) {
                PKCS7_free(inner);
                fail_openssl("Cannot build the signed content");
        }
        ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq.release());
        if (!PKCS7_set_content(p7.get(), inner)) {
                PKCS7_free(inner);
                fail_openssl("Cannot attach the signed content");
        }
        if (!PKCS7_add_certificate(p7.get(), signer.certificate.get()))
                fail_openssl("Cannot embed the certificate");
        for (const X509Ptr &c : signer.chain)
                if (!PKCS7_add_certificate(p7.get(), c.get()))
                        fail_openssl("Cannot embed a chain certificate");

        int n = i2d_PKCS7(p7.get(), nullptr);
        if (n <= 0)
                fail_openssl("Cannot encode the PKCS#7 SignedData");
        Buffer signature((size_t) n);
        unsigned char *p = signature.data();
        if (i2d_PKCS7(p7.get(), &p) != n)
                fail_openssl("Cannot encode the PKCS#7 SignedData");
        return signature;
}

} // namespace

CertificateTable certificate_table(Bytes image) {
        pe::View v = parse_pe(image);
        pe::DataDirectory d = v.directory(pe::kDirSecurity);
        if (d.size == 0)
                return {};
        uint64_t end = (uint64_t) d.address + d.size;
        if (end > image.size() || d.size < kWinCertificateHeaderSize)
                fail("The certificate table lies outside the file");
        if (end != image.size())
                fail("The certificate table does not end the file");
        if (d.address % kCertificateAlignment)
                fail("The certificate table is not 8-byte aligned");
        if (d.address < end_of_sections(v))
                fail("The certificate table overlaps the headers or sections");
        return {d.address, d.size};
}

CertificateEntries certificate_entries(Bytes image) {
        CertificateEntries r;
        r.table = certificate_table(image);
        uint64_t pos = r.table.offset, end = (uint64_t) r.table.offset + r.table.size;
        auto stop = [&](std::string why) {
                r.problem = std::move(why);
                r.unparsed = (uint32_t) (end - pos);
        };
        while (pos < end) {
                if (end - pos <= kWinCertificateHeaderSize) {
                        stop(std::to_string(end - pos) + " bytes after the last entry are not a WIN_CERTIFICATE");
                        break;
                }
                const uint8_t *h = image.data() + pos;
                CertificateEntry e{(uint32_t) pos, load_le32(h), load_le16(h + 4), load_le16(h + 6)};
                if (e.length <= kWinCertificateHeaderSize || align_up(e.length, kCertificateAlignment) > end - pos) {
                        stop("the entry at offset " + std::to_string(pos) + " has an invalid length (" +
                             std::to_string(e.length) + " bytes, " + std::to_string(end - pos) + " left in the table)");
                        break;
                }
                r.entries.push_back(e);
                pos += align_up(e.length, kCertificateAlignment);
        }
        return r;
}

std::string certificate_type_name(uint16_t type) {
        switch (type) {
        case 0x0001: return "X509";
        case kWinCertTypePkcsSignedData: return "PKCS_SIGNED_DATA";
        case 0x0003: return "RESERVED_1";
        case 0x0004: return "TS_STACK_SIGNED";
        case 0x0ef0: return "EFI_GUID";
        case 0x0ef1: return "EFI_PKCS115";
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%04x", type);
        return buf;
}

std::vector<Region> digest_regions(Bytes image) {
        pe::View v = parse_pe(image);
        CertificateTable table = certificate_table(image);
        uint64_t data_end = table.size ? table.offset : image.size();
        uint32_t checksum = checksum_offset(v), security = security_entry_offset(v);

        // Headers, without CheckSum and the certificate-table entry (both change when signing).
        std::vector<Region> regions = {
                {0, checksum},
                {checksum + 4, security - (checksum + 4)},
                {security + 8, v.size_of_headers() - (security + 8)},
        };
        // Sections with raw data, by file offset.
        std::vector<Region> sections;
        for (size_t i = 0; i < v.section_count(); i++) {
                pe::Section s = v.section(i);
                if (s.raw_size == 0)
                        continue;
                if ((uint64_t) s.raw_offset + s.raw_size > data_end)
                        fail(std::string("Section ") + s.name + "'s raw data extends beyond the signed part of the file");
                sections.push_back({s.raw_offset, s.raw_size});
        }
        std::sort(sections.begin(), sections.end(),
                  [](const Region &a, const Region &b) { return a.offset < b.offset; });
        regions.insert(regions.end(), sections.begin(), sections.end());
        // Anything after the last section (e.g. alignment padding before the table).
        uint64_t end = end_of_sections(v);
        if (end < data_end)
                regions.push_back({end, data_end - end});
        return regions;
}

Buffer image_digest(Bytes image, const EVP_MD *md) {
        return digest_regions_of(image, digest_regions(image), md ? md : EVP_sha256());
}

Buffer strip_signature(Bytes image) {
        CertificateTable table = certificate_table(image);
        Buffer out(image.begin(), image.begin() + (table.size ? table.offset : image.size()));
        if (table.size) {
                pe::View v = parse_pe(Bytes(out.data(), out.size()));
                set_security_directory(&out, v, 0, 0);
                update_pe_checksum(&out);
        }
        return out;
}

Signer load_signer(const std::string &key_spec, const std::string &certificate_path,
                   const std::vector<std::string> &chain_paths) {
        Signer s;
        s.certificate = load_certificate(certificate_path);
        for (const std::string &path : chain_paths)
                for (X509Ptr &c : load_certificates(path))
                        s.chain.push_back(std::move(c));
        s.key = load_private_key(key_spec);
        int base = EVP_PKEY_get_base_id(s.key.get());
        if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC && !EVP_PKEY_is_a(s.key.get(), "RSA") &&
            !EVP_PKEY_is_a(s.key.get(), "EC"))
                fail("The private key is " + key_type_name(s.key.get()) +
                     "; Authenticode signing needs an RSA or EC key");
        if (X509_check_private_key(s.certificate.get(), s.key.get()) != 1) {
                ERR_clear_error();
                fail("The private key does not belong to the certificate " + certificate_path);
        }
        return s;
}

std::optional<int64_t> source_date_epoch() {
        const char *v = std::getenv("SOURCE_DATE_EPOCH");
        if (!v || !*v)
                return std::nullopt;
        char *end = nullptr;
        errno = 0;
        long long t = std::strtoll(v, &end, 10);
        // Up to 9999-12-31, the last date an X.509 GeneralizedTime can carry.
        if (errno || *end || t < 0 || t > 253402300799LL)
                fail(std::string("SOURCE_DATE_EPOCH is not a valid number of seconds: ") + v);
        return (int64_t) t;
}

SignResult sign_image(Bytes input, const Signer &signer, const SignOptions &options) {
        SignResult r;
        Buffer image;
        CertificateEntries old = certificate_entries(input);
        if (old.table.size && options.existing == ExistingSignatures::Refuse)
                fail("The image is signed already; use --replace to replace its signature or --append to add one");
        if (old.table.size && options.existing == ExistingSignatures::Replace) {
                image = strip_signature(input);
                r.replaced = true;
        } else {
                // Unsigned, or appending: the new entry goes after the table's last byte.
                if (!old.problem.empty())
                        fail("The certificate table is malformed (" + old.problem + "); use --replace instead of --append");
                image.assign(input.begin(), input.end());
                r.kept_entries = old.entries.size();
        }
        pe::View v = parse_pe(Bytes(image.data(), image.size()));
        if (image.size() < end_of_sections(v))
                fail("The image is shorter than its headers and sections");

        // Firmware (EDK2) hashes whatever follows the headers plus the sum of all raw section
        // sizes; that is the same range only when the sections are contiguous in the file.
        uint64_t hashed = v.size_of_headers();
        for (size_t i = 0; i < v.section_count(); i++)
                hashed += v.section(i).raw_size;
        if (hashed != end_of_sections(v))
                fail("The image's sections are not contiguous in the file; firmware would compute another digest");

        // A new certificate table starts 8-byte aligned; the padding is part of the signed data.
        // A kept one is aligned already (certificate_table() checks), and the digest leaves it
        // out, so the signatures in it stay valid.
        CertificateTable table = certificate_table(Bytes(image.data(), image.size()));
        if (!table.size) {
                image.resize(align_up(image.size(), kCertificateAlignment), 0);
                table.offset = (uint32_t) image.size();
        }
        if (image.size() > UINT32_MAX - (1u << 20))
                fail("The image is too large to sign");

        const EVP_MD *md = EVP_sha256();
        r.digest = image_digest(Bytes(image.data(), image.size()), md);
        r.signing_time = options.signing_time ? *options.signing_time : (int64_t) std::time(nullptr);
        Buffer signature = pkcs7_signature(r.digest, md, signer, r.signing_time);
        r.signature_size = signature.size();

        // WIN_CERTIFICATE { dwLength (header + signature, unpadded), wRevision, wCertificateType },
        // zero-padded to 8 bytes; the directory size covers the padding.
        uint32_t length = kWinCertificateHeaderSize + (uint32_t) signature.size();
        size_t at = image.size();
        image.resize(at + align_up(length, kCertificateAlignment), 0);
        store_le32(image.data() + at, length);
        store_le16(image.data() + at + 4, kWinCertRevision2);
        store_le16(image.data() + at + 6, kWinCertTypePkcsSignedData);
        std::memcpy(image.data() + at + kWinCertificateHeaderSize, signature.data(), signature.size());
        r.table = {table.offset, (uint32_t) (image.size() - table.offset)};
        set_security_directory(&image, v, r.table.offset, r.table.size);
        update_pe_checksum(&image);

        r.signer = x509_name_text(X509_get_subject_name(signer.certificate.get()));
        r.image = std::move(image);
        return r;
}

VerifyResult verify_image(Bytes image, X509 *trusted) {
        VerifyResult r;
        try {
                r.table = certificate_entries(image);
                r.digest = image_digest(image);
        } catch (const Failure &e) {
                r.problem = e.what();
                return r;
        }
        if (!r.table.table.size) {
                r.problem = "the image is not signed";
                return r;
        }
        r.is_signed = true;
        for (const CertificateEntry &e : r.table.entries) {
                std::optional<SignatureCheck> c;
                if (e.revision == kWinCertRevision2 && e.type == kWinCertTypePkcsSignedData) {
                        c = check_signature(image,
                                            Bytes(image.data() + e.offset + kWinCertificateHeaderSize,
                                                  e.length - kWinCertificateHeaderSize),
                                            trusted);
                        r.valid = r.valid || c->valid;
                        r.signatures.push_back(*c);
                }
                r.checks.push_back(std::move(c));
        }
        if (!r.table.problem.empty()) {
                r.valid = false;
                r.problem = "the certificate table is malformed (" + r.table.problem + "); firmware refuses such an image";
        } else if (r.signatures.empty()) {
                r.problem = "the certificate table holds no PKCS#7 signature";
        }
        return r;
}

std::string format_time(int64_t seconds) {
        time_t t = (time_t) seconds;
        struct tm tm {};
        char buf[32];
        if (!gmtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
                return std::to_string(seconds);
        return buf;
}

} // namespace zuki::authenticode
