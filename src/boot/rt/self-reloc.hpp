// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stub's own relocation when `zuki zboot` detached its base relocation table
// (src/shared/self-reloc.hpp says why and how).

#pragma once

#include "../../shared/base.hpp"

namespace zuki::boot {

// Applies the detached table for the address the image runs at. Must run before anything reads
// a pointer stored in the image's data (tables of strings or functions). Does nothing in an image
// a loader relocated (the stub as built, UKIs). Fails, writing nothing, on a malformed table.
Status apply_self_relocation();

} // namespace zuki::boot
