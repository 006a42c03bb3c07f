// SPDX-License-Identifier: LGPL-2.1-or-later

#include "memory-protection.hpp"

#include "log.hpp"

namespace zuki::boot {

namespace {
constexpr uint32_t kUefi210 = (2u << 16) | 100u;
}

efi::Status WxProtection::apply(efi::SystemTable *st, uint8_t *base, const wx::Plan &plan) {
        efi::Status s = st->BootServices->LocateProtocol(&efi::MemoryAttributeProtocol::kGuid, nullptr,
                                                         reinterpret_cast<void **>(&protocol_));
        if (efi::is_error(s) || !protocol_) {
                protocol_ = nullptr;
                // A fact about the firmware, not a fault: U-Boot (UEFI 2.10) has no such protocol,
                // EDK2 since 2023 uninstalls it by default. StubZukiPlacement says "wx=no-protocol".
                if (st->Hdr.Revision >= kUefi210)
                        log_info("No EFI_MEMORY_ATTRIBUTE_PROTOCOL, W^X not applied: the kernel keeps the firmware's permissions");
                else
                        log_debug("No EFI_MEMORY_ATTRIBUTE_PROTOCOL, the kernel keeps the firmware's permissions");
                return efi::kSuccess;
        }
        base_ = (efi::PhysicalAddress) (uintptr_t) base;
        plan_ = plan;
        applied_ = true; // from here on, restore() undoes whatever was changed

#ifndef ZUKI_TEST_SKIP_WX
        for (size_t i = 0; i < plan.count; i++) {
                const wx::Range &r = plan.ranges[i];
                efi::PhysicalAddress a = base_ + r.offset;
                if (r.executable) {
                        // Read-only first, then executable: the range is never writable and
                        // executable at once.
                        s = protocol_->SetMemoryAttributes(protocol_, a, r.size, efi::kMemoryRo);
                        if (!efi::is_error(s))
                                s = protocol_->ClearMemoryAttributes(protocol_, a, r.size, efi::kMemoryXp);
                } else {
                        s = protocol_->SetMemoryAttributes(protocol_, a, r.size, efi::kMemoryXp);
                        if (!efi::is_error(s))
                                s = protocol_->ClearMemoryAttributes(protocol_, a, r.size, efi::kMemoryRo);
                }
                if (efi::is_error(s))
                        return log_error(s, "Failed to set W^X permissions on {} (+{})", Hex{a}, r.size);
        }
#endif

        WxReport report;
        s = readback(&report);
        if (efi::is_error(s))
                return log_error(s, "Failed to read back the kernel's page permissions");
        log_info("W^X: {} pages read-only+executable, {} writable+non-executable, {} writable+executable, {} other",
                 report.read_only_executable, report.writable_non_executable, report.writable_executable,
                 report.other);
        return efi::kSuccess;
}

efi::Status WxProtection::readback(WxReport *report) {
        for (size_t i = 0; i < plan_.count; i++) {
                const wx::Range &r = plan_.ranges[i];
                for (uint64_t off = 0; off < r.size; off += wx::kPageSize) {
                        uint64_t attributes = 0;
                        efi::Status s = protocol_->GetMemoryAttributes(protocol_, base_ + r.offset + off, wx::kPageSize,
                                                                       &attributes);
                        if (efi::is_error(s))
                                return s;
                        bool ro = attributes & efi::kMemoryRo, xp = attributes & efi::kMemoryXp;
                        if (ro && !xp)
                                report->read_only_executable++;
                        else if (!ro && xp)
                                report->writable_non_executable++;
                        else if (!ro && !xp)
                                report->writable_executable++;
                        else
                                report->other++;
                }
        }
        return efi::kSuccess;
}

void WxProtection::restore() {
        if (!applied_)
                return;
        applied_ = false;
        for (size_t i = 0; i < plan_.count; i++) {
                const wx::Range &r = plan_.ranges[i];
                efi::PhysicalAddress a = base_ + r.offset;
                efi::Status s = protocol_->SetMemoryAttributes(protocol_, a, r.size, efi::kMemoryXp);
                if (!efi::is_error(s))
                        s = protocol_->ClearMemoryAttributes(protocol_, a, r.size, efi::kMemoryRo);
                if (efi::is_error(s))
                        log_warning("Failed to make {} (+{}) writable again: {}, ignoring", Hex{a}, r.size, s);
        }
}

} // namespace zuki::boot
