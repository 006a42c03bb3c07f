// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What lies on the ESP beside the UKI: credentials, system and configuration extensions (packed
// into the archives sidecar.hpp describes) and addons (loaded through the firmware's LoadImage, so
// that Secure Boot verifies them, and never started). Read as systemd-stub 262 reads them; every
// problem is one line and leaves that file out, the boot goes on.

#pragma once

#include "../../shared/boot-model.hpp"
#include "../efi/loaded-image.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

class EspExtras {
public:
        EspExtras() = default;
        EspExtras(const EspExtras &) = delete;
        EspExtras &operator=(const EspExtras &) = delete;

        // Gathers the addons (global, then the UKI's own) and the six archives.
        // An addon's .dtbauto is chosen for `machine` (null: none is).
        void gather(efi::Handle image, efi::SystemTable *st, const efi::LoadedImageProtocol *loaded,
                    const model::Boot &boot, const hwids::Machine *machine);

        // What the boot model needs; valid while this object lives.
        model::EspInputs inputs() const;

        size_t addon_count() const { return addon_count_; }

private:
        PoolArray<uint8_t> archives_[sidecar::kKindCount];
        sidecar::Addon addons_[model::kMaxAddons];
        PoolArray<uint8_t> addon_storage_[model::kMaxAddons];
        size_t addon_count_ = 0;
};

} // namespace zuki::boot
