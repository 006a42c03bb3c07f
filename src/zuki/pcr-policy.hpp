// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Signed PCR policies as systemd uses them (systemd-measure sign, systemd-cryptsetup's
// systemd-tpm2 tokens, the UKI's .pcrsig and .pcrpkey sections).
//
// A volume is sealed to TPM2_PolicyAuthorize(key). To unseal, the TPM must be shown a policy
// digest `pol` signed by that key, and the current PCRs must satisfy `pol`. `pol` is the digest a
// SHA-256 policy session has after one TPM2_PolicyPCR over PCR 11 (TPM 2.0 Library Part 3,
// 23.7 PolicyPCR):
//   pol = SHA256(0^32 ‖ TPM_CC_PolicyPCR ‖ TPML_PCR_SELECTION ‖ SHA256(PCR 11 value of the bank))
// The signature is checked with TPM2_VerifySignature over aHash = SHA256(pol ‖ policyRef) (TPM 2.0
// Part 3, 23.16 PolicyAuthorize). systemd's policyRef is empty, or (systemd 262, --policyref=REF)
// SHA256(REF) of the reference string without a NUL; a volume enrolled with a reference only
// accepts signatures made with the same one.
//
// .pcrsig is JSON: {"<bank>":[{"pcrs":[11],"pkfp":"<hex>","ref":"REF","pol":"<hex>","sig":"<base64>"},…],…}
// with one entry per bank and phase path; "ref" only when a reference was given; pkfp is SHA-256
// of the signing key's i2d_PublicKey encoding (see key_fingerprint).
//
// How the signature is made differs between systemd versions (seen with the real binaries):
// systemd-measure 252-261 sign pol with the bank's digest (RSA PKCS#1 v1.5 DigestInfo / ECDSA over
// SHA1/SHA384/SHA512(pol) for those banks, which TPM2_VerifySignature with SHA-256 rejects);
// systemd-measure 262 signs SHA256(pol ‖ policyRef) for every bank. zuki signs as 262 by default
// (SignDigest::Sha256) and as 252-261 on request (SignDigest::Bank).

#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "encoding.hpp"
#include "file-io.hpp"
#include "keys.hpp"
#include "measure.hpp"

namespace zuki::policy {

inline constexpr uint32_t kTpmCcPolicyPcr = 0x0000017f;
inline constexpr size_t kPcrSelectBytes = 3; // 24 PCRs, as systemd and PC Client TPMs use
inline constexpr uint32_t kMaxPcr = 23;

// TPM_ALG_ID of a PCR bank name ("sha256" → 0x000b); throws for unknown banks.
uint16_t tpm_alg_of_bank(const std::string &bank);

// Lower-cases and checks a bank name (sha1, sha256, sha384, sha512).
std::string normalize_bank(const std::string &bank);

// systemd-measure's normalisation of a phase path: empty words dropped, joined by ':'.
std::string normalize_phase(const std::string &path);

// TPML_PCR_SELECTION with one TPMS_PCR_SELECTION (big-endian, as the TPM marshals it).
Buffer pcr_selection(uint16_t alg, uint32_t pcr_mask);

// The PolicyPCR digest for the PCRs in `pcr_mask` of `bank` having `pcr_values` (the values of
// the selected PCRs concatenated in ascending PCR order).
Buffer policy_pcr_digest(const std::string &bank, uint32_t pcr_mask, Bytes pcr_values);

// The PCR mask as systemd writes it in JSON: ascending PCR numbers.
nlohmann::ordered_json pcr_mask_json(uint32_t mask);

// Which digest the signature is made over (see above).
enum class SignDigest {
        Sha256, // SHA256(pol ‖ policyRef) for every bank, as systemd-measure 262
        Bank,   // the bank's digest of pol, as systemd-measure 252-261 (no policyRef)
};

struct SignOptions {
        std::vector<std::string> banks;  // empty: sha256
        std::vector<std::string> phases; // empty: the four systemd-pcrphase paths
        std::string policyref;           // empty: none (no "ref" member, empty policyRef)
        SignDigest digest = SignDigest::Sha256;
};

// The policyRef systemd passes to TPM2_PolicyAuthorize for a reference string: empty for "",
// else SHA256(ref) (the string's bytes, no NUL).
Buffer policy_ref_nonce(const std::string &ref);

// The message whose SHA-256 TPM2_VerifySignature checks for PolicyAuthorize: pol ‖ policyRef.
Buffer policy_authorize_message(Bytes pol, const std::string &ref);

// Signs the PolicyPCR digests of PCR 11 after `plan` for every bank and phase path (sorted and
// de-duplicated as systemd-measure does) with `private_key`; `public_key` gives pkfp. Entries are
// appended to `*json` (an object, possibly holding earlier entries) under their bank.
void sign(const measure::Plan &plan, const SignOptions &options, EVP_PKEY *private_key, EVP_PKEY *public_key,
          nlohmann::ordered_json *json);

// Adds `from`'s entries to `*into` bank by bank, skipping entries `*into` already holds (ukify's
// combine_signatures: identical RSA signatures of equal policies appear once).
void merge_signatures(nlohmann::ordered_json *into, const nlohmann::ordered_json &from);

// The signature over `message` with the named digest (EVP_DigestSign: RSA PKCS#1 v1.5, ECDSA DER).
// systemd-measure 252-261: the bank's digest over pol; 262: "sha256" over policy_authorize_message.
Buffer sign_digest(EVP_PKEY *private_key, const std::string &digest, Bytes message);

// True when `sig` passes TPM2_VerifySignature for PolicyAuthorize with `public_key`:
// RSASSA/ECDSA with SHA-256 over pol ‖ policyRef (of `ref`, see policy_ref_nonce).
bool verify_for_policy_authorize(EVP_PKEY *public_key, Bytes pol, Bytes sig, const std::string &ref = "");

// True when `sig` is what sign_digest() makes for `bank` with the private half of `public_key`.
bool verify_digest(EVP_PKEY *public_key, const std::string &bank, Bytes pol, Bytes sig);

// One parsed .pcrsig entry.
struct SignatureEntry {
        std::string bank;
        uint32_t pcr_mask = 0;
        std::string ref; // "ref" (systemd 262 --policyref); empty when absent
        Buffer pkfp, pol, sig;
};

// A .pcrsig section's JSON without the trailing NULs some tools pad the section with.
Bytes pcrsig_json(Bytes section);

// Parses .pcrsig JSON strictly enough to use it: an object of bank arrays; entries lacking a
// field are skipped as systemd skips them; malformed values throw Failure naming `what`.
std::vector<SignatureEntry> parse_signature_json(Bytes json, const std::string &what);

// Reads an existing signature JSON for --append: must be a JSON object whose members are arrays.
nlohmann::ordered_json load_signature_json(const std::string &path);

// The .pcrsig fields' encodings (encoding.hpp), by the names the policy code has always used.
using zuki::from_base64;
using zuki::from_hex;
using zuki::to_base64;

// ukify's list syntax for --pcr-banks and --phases: items separated by commas or whitespace.
std::vector<std::string> split_list(const std::string &text);

// One --phases group: phase paths ("enter-initrd:leave-initrd,sysinit") whose words are the ones
// systemd-pcrphase measures (ukify's KNOWN_PHASES). Throws UsageError for an unknown word or an
// empty group.
std::vector<std::string> parse_phase_group(const std::string &text);

} // namespace zuki::policy
