// SPDX-License-Identifier: LGPL-2.1-or-later
//
// W^X for the loaded kernel image through EFI_MEMORY_ATTRIBUTE_PROTOCOL: code read-only and
// executable, everything else writable and non-executable, read back page by page and reported
// in one line. Undone (everything RW+XP again) before the image's pages go back to the firmware:
// EDK2 cannot free pages that are still read-only. Without the protocol the image keeps the
// firmware's default permissions (a warning on UEFI >= 2.10, where the protocol is expected).

#pragma once

#include "../../shared/wx.hpp"
#include "../efi/memory-attribute.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

struct WxReport {
        uint64_t read_only_executable = 0;
        uint64_t writable_non_executable = 0;
        uint64_t writable_executable = 0;
        uint64_t other = 0;
};

class WxProtection {
public:
        WxProtection() = default;
        WxProtection(const WxProtection &) = delete;
        WxProtection &operator=(const WxProtection &) = delete;
        ~WxProtection() { restore(); }

        // Applies `plan` to the image at `base`; EFI_SUCCESS also when the firmware has no
        // protocol (then nothing changes and the line says so).
        efi::Status apply(efi::SystemTable *st, uint8_t *base, const wx::Plan &plan);
        void restore();
        // Keeps the permissions for good (the kernel runs with them); restore() then does nothing.
        void release() { applied_ = false; }
        // True once the firmware's protocol took the plan (until restore()).
        bool active() const { return applied_; }

private:
        efi::Status readback(WxReport *report);

        efi::MemoryAttributeProtocol *protocol_ = nullptr;
        efi::PhysicalAddress base_ = 0;
        wx::Plan plan_;
        bool applied_ = false;
};

} // namespace zuki::boot
