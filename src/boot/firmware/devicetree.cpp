// SPDX-License-Identifier: LGPL-2.1-or-later

#include "devicetree.hpp"

#include "../../shared/boot-model.hpp"
#include "../../shared/chid.hpp"
#include "../efi/dt-fixup.hpp"
#include "../efi/edid.hpp"
#include "config-table.hpp"
#include "log.hpp"

namespace zuki::boot {

namespace {

// The most a fix-up may ask for: U-Boot asks for the tree plus 12 KiB; a firmware asking for more
// than this is not believed.
constexpr uint64_t kMaxFixedUpSize = 64ull << 20;

// Runs the firmware's devicetree fix-ups (EFI_DT_FIXUP_PROTOCOL) over the copy in *pages, whose
// first `total` bytes are the tree: the firmware adds what it adds to its own tree (memory,
// reserved memory, MAC addresses, seeds). When the tree needs more room, the copy moves to pages
// of the size the firmware asks for and the fix-up runs again, once. Without the protocol the
// tree stays as it is.
efi::Status apply_fixups(efi::BootServices *bs, uint32_t total, Pages *pages, const char16_t *source) {
        efi::DtFixupProtocol *fixup = nullptr;
        efi::Status s = bs->LocateProtocol(&efi::DtFixupProtocol::kGuid, nullptr, reinterpret_cast<void **>(&fixup));
        if (efi::is_error(s) || !fixup) {
                log_debug("No EFI_DT_FIXUP_PROTOCOL, {} is installed as it is", source);
                return efi::kSuccess;
        }
        uintptr_t size = pages->size();
        s = fixup->Fixup(fixup, pages->data(), &size, efi::kDtApplyFixups | efi::kDtReserveMemory);
        if (s == efi::kBufferTooSmall) {
                if (size <= pages->size() || size > kMaxFixedUpSize)
                        return log_error(efi::kLoadError,
                                         "The firmware's devicetree fix-up asks for {} bytes for a {}-byte tree, ignoring {}",
                                         (uint64_t) size, (uint64_t) total, source);
                Pages larger;
                s = allocate_aligned(size, efi::kPageSize, efi::MemoryType::ACPIReclaimMemory, &larger);
                if (efi::is_error(s))
                        return log_error(s, "Failed to allocate {} bytes for the fixed-up devicetree, ignoring {}",
                                         (uint64_t) size, source);
                __builtin_memcpy(larger.data(), pages->data(), total);
                *pages = move(larger);
                size = pages->size();
                s = fixup->Fixup(fixup, pages->data(), &size, efi::kDtApplyFixups | efi::kDtReserveMemory);
        }
        if (efi::is_error(s))
                return log_error(s, "The firmware's devicetree fix-up failed, ignoring {}", source);
        log_debug("Devicetree {} fixed up by the firmware ({} bytes of room)", source, (uint64_t) pages->size());
        return efi::kSuccess;
}

} // namespace

void describe_machine(const efi::SystemTable *st, Bytes smbios_table, hwids::Machine *out) {
        *out = hwids::Machine();
        if (auto *fdt = static_cast<const uint8_t *>(find_config_table(st, kDtbTableGuid))) {
                out->firmware_devicetree = true;
                // The header's magic and total size first, then the tree as long as it says.
                uint32_t total = load_be32(fdt) == 0xd00dfeed ? load_be32(fdt + 4) : 0;
                if (total >= 40 && total <= (32u << 20))
                        out->firmware_compatible = hwids::root_compatible(Bytes(fdt, total));
        }
        chid::Fields fields;
        chid::fields_from_smbios(smbios_table, chid::Source::Stub, &fields);
        // The display's EDID, for the CHID types 15..17 (systemd 258): as systemd-stub, the first
        // EFI_EDID_DISCOVERED_PROTOCOL the firmware gives; none (most firmware installs none) or
        // one that is not an EDID leaves those types out.
        efi::EdidDiscoveredProtocol *edid = nullptr;
        if (efi::is_error(st->BootServices->LocateProtocol(&efi::EdidDiscoveredProtocol::kGuid, nullptr,
                                                           reinterpret_cast<void **>(&edid))) ||
            !edid || !edid->Edid || edid->SizeOfEdid == 0)
                log_debug("No EDID from the firmware: no EDID CHIDs");
        else if (chid::set_edid(Bytes(edid->Edid, edid->SizeOfEdid), &fields)) {
                char panel[8] = {};
                __builtin_memcpy(panel, fields.edid_panel, 7);
                log_debug("EDID panel {} for the CHIDs", static_cast<const char *>(panel));
        } else
                log_debug("The firmware's EDID ({} bytes) has no panel id: no EDID CHIDs", (uint64_t) edid->SizeOfEdid);
        bool absent[chid::kTypeCount];
        chid::compute(fields, out->chids, absent);
}

efi::Status DevicetreeInstall::install(efi::SystemTable *st, Bytes dtb, const char16_t *source, bool *installed) {
        *installed = false;
        if (!model::is_flattened_devicetree(dtb))
                return log_error(efi::kLoadError, "{}: not a flattened devicetree (or one larger than its section)", source);
        uint32_t total = load_be32(dtb.data() + 4);

        Pages pages;
        efi::Status s = allocate_aligned(total, efi::kPageSize, efi::MemoryType::ACPIReclaimMemory, &pages);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate {} bytes for {}", (uint64_t) total, source);
        __builtin_memcpy(pages.data(), dtb.data(), total);
        // As systemd-stub: a tree the firmware cannot fix up is not installed, and the boot goes
        // on with the table as it was (the error was logged there).
        if (efi::is_error(apply_fixups(st->BootServices, total, &pages, source)))
                return efi::kSuccess;

        if (!installed_)
                for (uintptr_t i = 0; i < st->NumberOfTableEntries; i++)
                        if (st->ConfigurationTable[i].VendorGuid == kDtbTableGuid)
                                previous_ = st->ConfigurationTable[i].VendorTable;
        s = st->BootServices->InstallConfigurationTable(&kDtbTableGuid, pages.data());
        if (efi::is_error(s))
                return log_error(s, "Failed to install {} as the devicetree", source);
        // The tree it replaces (one installed before through us) is no longer referenced.
        pages_ = move(pages);
        st_ = st;
        installed_ = true;
        *installed = true;
        return efi::kSuccess;
}

void DevicetreeInstall::restore() {
        if (!installed_)
                return;
        // A null table removes the entry; otherwise the firmware's own comes back.
        efi::Status s = st_->BootServices->InstallConfigurationTable(&kDtbTableGuid, previous_);
        if (efi::is_error(s) && previous_) {
                log_warning("Failed to restore the firmware's devicetree: {}, ignoring", s);
                pages_.release(); // still installed: never freed
        }
        installed_ = false;
}

} // namespace zuki::boot
