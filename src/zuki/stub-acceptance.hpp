// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The host side of "what the stub refuses, the host refuses first" (docs/limits.md): the stub's
// own kernel checks (src/shared/kernel-payload.hpp) run over an image before it is written or
// reported healthy. The checks the stub makes before decompressing run as they are; the one it
// makes on the decompressed payload (the x86 relocation table) runs after decompressing with
// libzstd. Each function throws one Failure line naming `what` and the stub's reason.

#pragma once

#include <string>

#include "base.hpp"
#include "kernel-payload.hpp"

namespace zuki {

// The section headers of `image`, plus `adding` more, fit the header room the stub has
// (pe::section_header_room). Throws one line naming both numbers: "the stub has room for N
// section headers; this UKI needs M" (`kind` names the image).
void check_section_header_room(Bytes image, uint32_t adding, const std::string &kind);

// A kernel as the stub would find it in a UKI's .linux (LinuxSection) or as a zboot image the
// stub boots on its own (SelfImage, file layout), with a stub for `machine`.
kernel::Payload check_stub_accepts_kernel(Bytes image, kernel::Origin origin, uint16_t machine, const std::string &what);

// Every profile of a UKI: its .linux as above, and its .cmdline against the kernel's cmdline_size.
void check_stub_accepts_uki(Bytes uki, const std::string &what);

} // namespace zuki
