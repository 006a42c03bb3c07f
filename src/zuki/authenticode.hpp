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

struct SignOptions {
        bool replace = false;                 // sign an image that is signed already (old signature removed)
        std::optional<int64_t> signing_time;  // seconds since the epoch; default: now
};

struct SignResult {
        Buffer image;
        Buffer digest;             // SHA-256 Authenticode digest
        std::string signer;        // subject of the signing certificate
        int64_t signing_time = 0;
        bool replaced = false;     // an old signature was removed
        CertificateTable table;
        size_t signature_size = 0; // DER bytes of the PKCS#7
};

// Signs `image`. Refuses a signed image unless options.replace.
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
        bool valid = false;         // at least one signature is valid for the certificate
        std::string problem;        // for unsigned or malformed images
        Buffer digest;              // this image's SHA-256 Authenticode digest
        std::vector<SignatureCheck> signatures;
};

// Checks every PKCS#7 signature of `image` against `trusted`, which must be the signing
// certificate or an issuer of it (like sbverify --cert; validity dates are ignored as UEFI does).
VerifyResult verify_image(Bytes image, X509 *trusted);

// "2024-01-02T03:04:05Z"
std::string format_time(int64_t seconds);

} // namespace zuki::authenticode
