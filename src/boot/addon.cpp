// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zukiaddon<arch>.efi.stub: the PE a UKI addon is built on (`zuki build --addon`), as systemd's
// addon<arch>.efi.stub is for `ukify build`. An addon is data: a UKI's stub (zuki or
// systemd-stub) loads it with LoadImage(), so that Secure Boot or shim verifies its signature, and
// reads its .cmdline, .dtb, .dtbauto, .hwids, .initrd, .ucode and .uname sections; it never
// starts it. Started by itself (from a boot menu or the firmware shell), it says so in one line
// and returns EFI_UNSUPPORTED, as systemd's addon stub does.

#include "efi/simple-text-output.hpp"
#include "efi/system-table.hpp"

extern "C" efi::Status efi_main(efi::Handle, efi::SystemTable *st) {
        if (st && st->ConOut)
                st->ConOut->OutputString(st->ConOut, u"zuki: this is a UKI addon: a UKI's stub reads its sections, "
                                                     u"it is not started\r\n");
        return efi::kUnsupported;
}
