// SPDX-License-Identifier: LGPL-2.1-or-later

#include "smbios.hpp"

#include "../../shared/smbios.hpp"
#include "config-table.hpp"
#include "log.hpp"
#include "variables.hpp"

namespace zuki::boot {

namespace {

constexpr efi::Guid kSmbios3TableGuid = {0xf2fd1544, 0x9794, 0x4a2c, {0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94}};
constexpr efi::Guid kSmbiosTableGuid = {0xeb9d2d31, 0x2d88, 0x11d3, {0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d}};

constexpr char16_t kType1Text[] = u"smbios:type1";
constexpr char16_t kType2Text[] = u"smbios:type2";
constexpr char16_t kType11Text[] = u"smbios:type11";

} // namespace

Bytes smbios_table(const efi::SystemTable *st) {
        // SMBIOS 3.0 entry point: "_SM3_", its length at 6, the table's maximum size at 12 and
        // its address at 16. SMBIOS 2.1: "_SM_", length at 5, table length at 0x16, address at 0x18.
        if (auto *e = static_cast<const uint8_t *>(find_config_table(st, kSmbios3TableGuid));
            e && __builtin_memcmp(e, "_SM3_", 5) == 0 && e[6] <= 24)
                return Bytes(reinterpret_cast<const uint8_t *>(load_le64(e + 16)), load_le32(e + 12));
        if (auto *e = static_cast<const uint8_t *>(find_config_table(st, kSmbiosTableGuid));
            e && __builtin_memcmp(e, "_SM_", 4) == 0 && e[5] <= 31)
                return Bytes(reinterpret_cast<const uint8_t *>((uintptr_t) load_le32(e + 0x18)), load_le16(e + 0x16));
        return Bytes();
}

Status SmbiosMeasurements::add(Bytes table, measure::Plan *plan) {
        if (table.empty() || loader_variable_exists(u"LoaderPcrSMBIOS"))
                return ok_status();
        struct Walk {
                SmbiosMeasurements *self;
                measure::Plan *plan;
                Status status;
        } walk{this, plan, ok_status()};
        smbios::for_each(
                table,
                [](const smbios::Structure &s, void *user) {
                        auto *w = static_cast<Walk *>(user);
                        Bytes data = s.bytes;
                        uint32_t tag = 0;
                        Span<const char16_t> text;
                        switch (s.type) {
                        case smbios::kTypeSystem:
                                // The wake-up type says how the machine was powered on: measured as 0.
                                if (w->self->type1_copy_.data() || data.size() <= smbios::kType1WakeUpTypeOffset ||
                                    efi::is_error(w->self->type1_copy_.allocate(data.size())))
                                        return true;
                                __builtin_memcpy(w->self->type1_copy_.data(), data.data(), data.size());
                                w->self->type1_copy_.data()[smbios::kType1WakeUpTypeOffset] = 0;
                                data = Bytes(w->self->type1_copy_.data(), data.size());
                                tag = smbios::kType1EventTag;
                                text = kType1Text;
                                break;
                        case smbios::kTypeBaseboard:
                                tag = smbios::kType2EventTag;
                                text = kType2Text;
                                break;
                        case smbios::kTypeOemStrings:
                                tag = smbios::kType11EventTag;
                                text = kType11Text;
                                break;
                        default: return true;
                        }
                        w->status = measure::add_tagged(w->plan, tag, data, text, measure::kPcrPlatformConfig);
                        return (bool) w->status;
                },
                &walk);
        return walk.status;
}

void announce_smbios_measured() {
        efi::Status s = set_loader_string(u"LoaderPcrSMBIOS", u"1");
        if (efi::is_error(s))
                log_warning("Failed to set LoaderPcrSMBIOS: {}, ignoring", s);
}

} // namespace zuki::boot
