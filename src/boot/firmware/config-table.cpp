// SPDX-License-Identifier: LGPL-2.1-or-later

#include "config-table.hpp"

#include "log.hpp"

namespace zuki::boot {

void *find_config_table(const efi::SystemTable *st, const efi::Guid &guid) {
        void *table = nullptr;
        for (uintptr_t i = 0; i < st->NumberOfTableEntries; i++)
                if (st->ConfigurationTable[i].VendorGuid == guid)
                        table = st->ConfigurationTable[i].VendorTable;
        return table;
}

efi::Status ConfigTable::install(efi::SystemTable *st, const efi::Guid &guid) {
        void *previous = find_config_table(st, guid);
        efi::Status s = st->BootServices->InstallConfigurationTable(&guid, buffer_.data());
        if (efi::is_error(s))
                return s;
        st_ = st;
        guid_ = guid;
        previous_ = previous;
        installed_ = true;
        return efi::kSuccess;
}

void ConfigTable::reset() {
        if (installed_) {
                installed_ = false;
                // A null table removes the entry; otherwise the one we replaced comes back.
                efi::Status s = st_->BootServices->InstallConfigurationTable(&guid_, previous_);
                if (efi::is_error(s)) {
                        // Still installed: freeing it would leave the firmware a dangling table.
                        log_warning("Cannot remove a configuration table we installed: {}, leaving it", s);
                        buffer_.release();
                        return;
                }
        }
        buffer_.reset();
}

void ConfigTable::release() {
        installed_ = false;
        buffer_.release();
}

} // namespace zuki::boot
