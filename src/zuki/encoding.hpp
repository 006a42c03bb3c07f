// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The text encodings of the host tool's inputs and outputs, through OpenSSL: hexadecimal (PCR
// values, .pcrsig pkfp and pol, digests) and base64 (.pcrsig sig, LUKS2 token blobs).

#pragma once

#include <string>

#include "file-io.hpp"

namespace zuki {

// Lower-case hexadecimal, two digits a byte, no separators.
std::string to_hex(Bytes data);

// Strict: an even number of [0-9a-fA-F] and nothing else (no separators, no whitespace).
// Anything else throws Failure "<what> is not hexadecimal".
Buffer from_hex(const std::string &hex, const std::string &what);

// RFC 4648 base64 with padding, on one line.
std::string to_base64(Bytes data);

// Whitespace anywhere is dropped first (PEM-style line breaks); then the text must be whole
// groups of four from the RFC 4648 alphabet, with one or two '=' only at the very end. Anything
// else throws Failure "<what> is not base64".
Buffer from_base64(const std::string &text, const std::string &what);

} // namespace zuki
