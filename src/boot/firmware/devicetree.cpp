// SPDX-License-Identifier: LGPL-2.1-or-later

#include "devicetree.hpp"

#include "log.hpp"

namespace zuki::boot {

namespace {

// Flattened devicetree header: big-endian magic and total size (Devicetree Specification 5.2).
constexpr uint32_t kFdtMagic = 0xd00dfeed;
constexpr uint32_t kFdtHeaderSize = 40;

uint32_t load_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

} // namespace

efi::Status DevicetreeInstall::install(efi::SystemTable *st, Bytes dtb) {
        if (dtb.size() < kFdtHeaderSize || load_be32(dtb.data()) != kFdtMagic)
                return log_error(efi::kLoadError, "The .dtb section is not a flattened devicetree");
        uint32_t total = load_be32(dtb.data() + 4);
        if (total < kFdtHeaderSize || total > dtb.size())
                return log_error(efi::kLoadError, "The .dtb section declares {} bytes but holds {}", (uint64_t) total,
                                 (uint64_t) dtb.size());

        efi::Status s = allocate_aligned(total, efi::kPageSize, efi::MemoryType::ACPIReclaimMemory, &pages_);
        if (efi::is_error(s))
                return s;
        __builtin_memcpy(pages_.data(), dtb.data(), total);

        for (uintptr_t i = 0; i < st->NumberOfTableEntries; i++)
                if (st->ConfigurationTable[i].VendorGuid == kDtbTableGuid)
                        previous_ = st->ConfigurationTable[i].VendorTable;
        s = st->BootServices->InstallConfigurationTable(&kDtbTableGuid, pages_.data());
        if (efi::is_error(s))
                return log_error(s, "Failed to install the devicetree");
        st_ = st;
        installed_ = true;
        return efi::kSuccess;
}

void DevicetreeInstall::restore() {
        if (!installed_)
                return;
        // A null table removes the entry; otherwise the firmware's own comes back.
        efi::Status s = st_->BootServices->InstallConfigurationTable(&kDtbTableGuid, previous_);
        if (efi::is_error(s) && previous_)
                log_warning("Failed to restore the firmware's devicetree: {}, ignoring", s);
        installed_ = false;
}

} // namespace zuki::boot
