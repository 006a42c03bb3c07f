// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_HII_DATABASE_PROTOCOL (UEFI 2.10, 34.8.1): only GetKeyboardLayout is called; the members
// before it keep their places.

#pragma once

#include "types.hpp"

namespace efi {

struct HiiDatabaseProtocol {
        static constexpr Guid kGuid = {0xef9fc172, 0xa1b2, 0x4693, {0xb3, 0x27, 0x6d, 0x32, 0xfc, 0x41, 0x60, 0x42}};

        void *NewPackageList;
        void *RemovePackageList;
        void *UpdatePackageList;
        void *ListPackageLists;
        void *ExportPackageLists;
        void *RegisterPackageNotify;
        void *UnregisterPackageNotify;
        void *FindKeyboardLayouts;
        // A null key_guid asks for the current layout. `length` is in bytes; too small a buffer
        // gives kBufferTooSmall with the size needed.
        Status (*GetKeyboardLayout)(HiiDatabaseProtocol *self, const Guid *key_guid, uint16_t *length, void *layout);
        void *SetKeyboardLayout;
        void *GetPackageListHandle;
};

static_assert(__builtin_offsetof(HiiDatabaseProtocol, GetKeyboardLayout) == 8 * sizeof(void *));

} // namespace efi
