// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What zuki takes from the host when an option is not given: the stub file, the os-release,
// the common name of a new Secure Boot certificate.

#pragma once

#include <cstdint>
#include <string>

#include "file-io.hpp"

namespace zuki {

// The stub for a kernel of PE `machine`: `explicit_stub` when given, then $ZUKI_STUB_DIR, then the
// stub beside a build-tree binary (../boot/), then the installed one (ZUKI_STUB_DIR at build time).
// `name` is "zuki" (zuki<arch>.efi.stub) or "zukiaddon" (the addon stub).
std::string find_stub(const std::string &explicit_stub, uint16_t machine, const char *name = "zuki");

// /etc/os-release, else /usr/lib/os-release (os-release(5)); Failure when there is neither.
Buffer default_os_release();

// The common name ukify gives a generated Secure Boot certificate, "SecureBoot signing key on
// host HOST", cut to 64 bytes (RFC 5280 ub-common-name).
std::string default_common_name();

} // namespace zuki
