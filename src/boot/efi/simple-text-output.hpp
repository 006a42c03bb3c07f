// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL (UEFI 2.10, 12.4).

#pragma once

#include "types.hpp"

namespace efi {

struct SimpleTextOutputProtocol {
        static constexpr Guid kGuid = {0x387477c2, 0x69c7, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

        void *Reset;
        Status (*OutputString)(SimpleTextOutputProtocol *self, const Char16 *string);
        void *TestString;
        void *QueryMode;
        void *SetMode;
        void *SetAttribute;
        void *ClearScreen;
        void *SetCursorPosition;
        void *EnableCursor;
        void *Mode;
};
static_assert(sizeof(SimpleTextOutputProtocol) == 80);

} // namespace efi
