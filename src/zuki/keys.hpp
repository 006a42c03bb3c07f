// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Keys for signed PCR policies, through OpenSSL 3: loading PEM/DER public keys with one-line
// errors, the key types a TPM can verify a policy signature with, the fingerprint systemd uses to
// match a signature to a key, and generating keys as `ukify genkey` does. Private keys are loaded
// by crypto.hpp's load_private_key(), the same loader Authenticode signing uses.

#pragma once

#include <memory>
#include <string>

#include "crypto.hpp"
#include "file-io.hpp"

namespace zuki {

using Pkey = EvpPkeyPtr;

// A public key: PEM "PUBLIC KEY"/"RSA PUBLIC KEY", DER SubjectPublicKeyInfo, or an X.509
// certificate (PEM or DER) whose key is taken. `what` names the data in error messages.
Pkey parse_public_key(Bytes data, const std::string &what);
Pkey load_public_key(const std::string &path);

// The public half of a private key.
Pkey public_half(EVP_PKEY *key);

// Refuses keys a TPM cannot verify a policy signature with, or that are too weak: RSA with a
// modulus of at least 2048 bits, or ECDSA on NIST P-256.
void check_policy_key(EVP_PKEY *key, const std::string &what);

// "RSA 2048" / "ECDSA P-256"
std::string describe_key(EVP_PKEY *key);

// DER SubjectPublicKeyInfo and its PEM form ("-----BEGIN PUBLIC KEY-----").
Buffer public_key_der(EVP_PKEY *key);
Buffer public_key_pem(EVP_PKEY *key);

// The "pkfp" of a .pcrsig entry, as systemd's pubkey_fingerprint computes it: SHA-256 of the
// key's i2d_PublicKey encoding — for RSA the DER PKCS#1 RSAPublicKey (not the
// SubjectPublicKeyInfo), for EC the uncompressed point.
Buffer key_fingerprint(EVP_PKEY *key);

bool same_public_key(EVP_PKEY *a, EVP_PKEY *b);

// A new RSA key pair as `ukify genkey` makes one (65537, `bits` bits).
Pkey generate_rsa_key(int bits = 2048);

// The private key as traditional PEM ("BEGIN RSA PRIVATE KEY", what ukify writes), in a buffer
// the caller must wipe (see SecretBuffer).
Buffer private_key_pem(EVP_PKEY *key);

// A self-signed X.509 v3 certificate for Secure Boot signing, as `ukify genkey` makes it:
// subject = issuer = CN, random positive 159-bit serial, valid from now for `days` days,
// basicConstraints critical CA:FALSE, SHA-256 signature. PEM.
Buffer self_signed_certificate_pem(EVP_PKEY *key, const std::string &common_name, int days);

// A PCR policy signing key and the public key that names it (pkfp). Without a public key file the
// public key is derived from the private key (file or pkcs11: URI); a given one must belong to it.
struct PolicyKeyPair {
        Pkey private_key, public_key;
};

PolicyKeyPair load_policy_key_pair(const std::string &private_path, const std::string &public_path);

} // namespace zuki
