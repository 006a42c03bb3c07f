// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Authenticode signatures of PE images, as UEFI Secure Boot checks them: the image digest
// (Microsoft "Windows Authenticode Portable Executable Signature Format"), a PKCS#7 SignedData
// whose content is an SpcIndirectDataContent carrying that digest, stored as a WIN_CERTIFICATE
// in the certificate table the security data directory points at (PE Format, "The Attribute
// Certificate Table (Image Only)").

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "file-io.hpp"

namespace zuki::authenticode {

// WIN_CERTIFICATE (PE Format, "The Attribute Certificate Table").
inline constexpr uint32_t kWinCertificateHeaderSize = 8; // dwLength, wRevision, wCertificateType
inline constexpr uint16_t kWinCertRevision2 = 0x0200;
inline constexpr uint16_t kWinCertTypePkcsSignedData = 0x0002;
inline constexpr uint32_t kCertificateAlignment = 8;

// Object identifiers (Authenticode specification, "Authenticode-Specific Structures").
inline constexpr char kOidSpcIndirectData[] = "1.3.6.1.4.1.311.2.1.4";
inline constexpr char kOidSpcPeImageData[] = "1.3.6.1.4.1.311.2.1.15";
inline constexpr char kOidSpcSpOpusInfo[] = "1.3.6.1.4.1.311.2.1.12";

struct Region {
        uint64_t offset = 0;
        uint64_t length = 0;
};

// Where an image's certificate table is (size 0 when unsigned). Validated: it lies after every
// section's raw data and ends the file, as firmware requires.
struct CertificateTable {
        uint32_t offset = 0;
        uint32_t size = 0;
};
CertificateTable certificate_table(Bytes image);

// One WIN_CERTIFICATE of the certificate table.
struct CertificateEntry {
        uint32_t offset = 0;   // file offset of its header
        uint32_t length = 0;   // dwLength: header and certificate, without the padding
        uint16_t revision = 0; // wRevision
        uint16_t type = 0;     // wCertificateType
};

// The certificate table's entries as firmware walks them (EDK2 DxeImageVerificationLib): each
// dwLength covers more than the header and, padded to 8 bytes, lies within the table; the next
// entry follows the padding. Firmware refuses an image whose table is not used up exactly by such
// entries, so anything left over is a `problem`, with the bytes from where the walk stopped.
struct CertificateEntries {
        CertificateTable table;
        std::vector<CertificateEntry> entries;
        uint32_t unparsed = 0; // bytes after the last whole entry
        std::string problem;   // why the walk stopped before the end of the table
};
CertificateEntries certificate_entries(Bytes image);

// "PKCS_SIGNED_DATA", "X509", ... (WIN_CERT_TYPE_*), or the number in hexadecimal.
std::string certificate_type_name(uint16_t type);

// The file ranges the Authenticode digest covers, in hashing order: the headers without the
// CheckSum field and the certificate-table directory entry, every section's raw data in file
// order, then whatever follows the last section up to the certificate table.
std::vector<Region> digest_regions(Bytes image);

// The Authenticode digest of `image` with `md` (SHA-256 unless given).
Buffer image_digest(Bytes image, const EVP_MD *md = nullptr);

// The image without its certificate table: the table is cut off and the directory entry and
// CheckSum are updated. An unsigned image is returned as it is.
Buffer strip_signature(Bytes image);

struct Signer {
        EvpPkeyPtr key;
        X509Ptr certificate;
        std::vector<X509Ptr> chain; // extra certificates to embed (intermediates)
};

// Loads and cross-checks a signing key (file or pkcs11: URI) and certificate: the key must be RSA
// or EC and belong to the certificate.
Signer load_signer(const std::string &key_spec, const std::string &certificate_path,
                   const std::vector<std::string> &chain_paths);

// What to do with an image that is signed already.
enum class ExistingSignatures {
        Refuse,  // fail
        Replace, // remove the whole certificate table, then sign
        Append,  // keep every entry and add the new signature as one more WIN_CERTIFICATE
};

struct SignOptions {
        ExistingSignatures existing = ExistingSignatures::Refuse;
        std::optional<int64_t> signing_time; // seconds since the epoch; default: now
};

struct SignResult {
        Buffer image;
        Buffer digest;             // SHA-256 Authenticode digest
        std::string signer;        // subject of the signing certificate
        int64_t signing_time = 0;
        bool replaced = false;     // an old certificate table was removed
        size_t kept_entries = 0;   // entries of the old table kept before the new one (--append)
        CertificateTable table;
        size_t signature_size = 0; // DER bytes of the PKCS#7
};

// Signs `image`. A signed image is refused, replaced or appended to, as options.existing says;
// appending needs a well-formed table (certificate_entries() without a problem).
SignResult sign_image(Bytes image, const Signer &signer, const SignOptions &options);

// SOURCE_DATE_EPOCH when set (validated), else nothing.
std::optional<int64_t> source_date_epoch();

struct SignatureCheck {
        bool valid = false;
        std::string problem;        // why it is not valid
        std::string signer;         // subject of the signing certificate, when found
        std::string issuer;
        std::string digest_algorithm;
        std::string data_type;      // SpcIndirectDataContent's data type OID (kOidSpcPeImageData; pesign: ...2.1.21)
        Buffer signed_digest;       // the digest the signature covers
        std::optional<int64_t> signing_time;
};

struct VerifyResult {
        bool is_signed = false;
        bool valid = false;         // at least one signature is valid for the certificate, and the table is well-formed
        std::string problem;        // for unsigned or malformed images
        Buffer digest;              // this image's SHA-256 Authenticode digest
        CertificateEntries table;   // every WIN_CERTIFICATE entry
        // One per entry of table.entries: the check of a PKCS#7 entry (WIN_CERT_REVISION_2_0,
        // PKCS_SIGNED_DATA), nothing for other kinds, which firmware skips.
        std::vector<std::optional<SignatureCheck>> checks;
        std::vector<SignatureCheck> signatures; // the checks that were made, in table order
};

// Checks every PKCS#7 signature of `image` against `trusted`, which must be the signing
// certificate or an issuer of it (like sbverify --cert; validity dates are ignored as UEFI does).
// As in firmware, one valid signature is enough, and a table with bytes that are not a whole
// entry makes the image invalid whatever its signatures say.
VerifyResult verify_image(Bytes image, X509 *trusted);

// "2024-01-02T03:04:05Z"
std::string format_time(int64_t seconds);

} // namespace zuki::authenticode
