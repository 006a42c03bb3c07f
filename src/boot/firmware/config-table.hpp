// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A configuration table we install for a kernel we enter ourselves (LINUX_EFI_TPM_EVENT_LOG,
// LINUX_EFI_RANDOM_SEED), in a pool buffer of its own. Until release() hands it to the kernel,
// destroying it puts back the table it replaced (or removes the entry) and frees the buffer, so a
// failed boot leaves the firmware's tables as it found them.

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"
#include "pages.hpp"

namespace zuki::boot {

class ConfigTable {
public:
        ConfigTable() = default;
        ConfigTable(const ConfigTable &) = delete;
        ConfigTable &operator=(const ConfigTable &) = delete;
        ~ConfigTable() { reset(); }

        // `size` bytes of ACPI reclaim memory, zeroed: the kernel reads these tables early, before
        // it reuses any RAM.
        efi::Status allocate(size_t size) { return buffer_.allocate(size, efi::MemoryType::ACPIReclaimMemory); }
        uint8_t *data() const { return buffer_.data(); }
        // Installs the buffer under `guid`; on failure the buffer stays ours (freed by reset()).
        efi::Status install(efi::SystemTable *st, const efi::Guid &guid);
        // Puts back what install() replaced, then frees the buffer.
        void reset();
        // The kernel owns the table now: nothing is undone or freed.
        void release();

private:
        PoolArray<uint8_t> buffer_;
        efi::SystemTable *st_ = nullptr;
        efi::Guid guid_ = {};
        void *previous_ = nullptr;
        bool installed_ = false;
};

// The table installed under `guid`, or null.
void *find_config_table(const efi::SystemTable *st, const efi::Guid &guid);

} // namespace zuki::boot
