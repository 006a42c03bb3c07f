// SPDX-License-Identifier: LGPL-2.1-or-later

#include "linux-efi-stub.hpp"

#include "../shared/measure.hpp"
#include "efi/graphics-output.hpp" // kLinuxRandomSeedTableGuid
#include "efi/rng.hpp"
#include "firmware/log.hpp"
#include "firmware/tpm.hpp"

namespace zuki::boot {

namespace {

// Linux's tagged PCR 9 events (drivers/firmware/efi/libstub/efi-stub-helper.c).
constexpr uint32_t kPcrInitrd = 9;
constexpr uint32_t kInitrdEventTag = 0x8f3b22ec;
constexpr uint32_t kLoadOptionsEventTag = 0x8f3b22ed;
constexpr char kInitrdDescription[] = "Linux initrd";
constexpr char kLoadOptionsDescription[] = "LOADED_IMAGE::LoadOptions";
// LINUX_EFI_RANDOM_SEED_TABLE (include/linux/efi.h): le32 size, then the seed bytes.
constexpr uint32_t kRandomSeedHeader = 4;
constexpr uint32_t kRandomSeedSize = 32;
constexpr uint32_t kMaxInheritedSeed = 512;
// shim's vendor GUID (SHIM_LOCK_GUID), under which it mirrors MokSBState as MokSBStateRT.
constexpr efi::Guid kShimLockGuid = {0x605dab50, 0xe046, 0x4300, {0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23}};

x86::VariableByte read_variable_byte(efi::RuntimeServices *rs, const char16_t *name, const efi::Guid &vendor) {
        x86::VariableByte v;
        uintptr_t size = sizeof(v.value);
        efi::Status s = rs->GetVariable(name, &vendor, &v.attributes, &size, &v.value);
        if (s == efi::kNotFound)
                v.read = x86::VariableByte::Read::NotFound;
        else if (efi::is_error(s) || size != sizeof(v.value))
                v.read = x86::VariableByte::Read::Failed;
        else
                v.read = x86::VariableByte::Read::Found;
        return v;
}

} // namespace

x86::SecureBootMode read_secure_boot_mode(efi::RuntimeServices *rs) {
        x86::SecureBootMode mode = x86::secure_boot_mode(read_variable_byte(rs, u"SecureBoot", efi::kGlobalVariableGuid),
                                                         read_variable_byte(rs, u"SetupMode", efi::kGlobalVariableGuid),
                                                         read_variable_byte(rs, u"MokSBStateRT", kShimLockGuid));
        if (mode == x86::SecureBootMode::Unknown)
                log_warning("Cannot read the SecureBoot variable; the kernel is told the Secure Boot state is unknown");
        return mode;
}

void install_random_seed(efi::SystemTable *st, ConfigTable *table) {
        efi::BootServices *bs = st->BootServices;
        efi::RngProtocol *rng = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::RngProtocol::kGuid, nullptr, reinterpret_cast<void **>(&rng))) || !rng) {
                log_debug("No EFI_RNG_PROTOCOL, no random seed for the kernel");
                return;
        }
        const uint8_t *previous = static_cast<const uint8_t *>(find_config_table(st, efi::kLinuxRandomSeedTableGuid));
        uint32_t previous_size = previous ? load_le32(previous) : 0;
        if (previous_size > kMaxInheritedSeed)
                previous_size = kMaxInheritedSeed;
        uint32_t size = kRandomSeedSize + previous_size;
        if (efi::is_error(table->allocate(kRandomSeedHeader + size)))
                return;
        uint8_t *t = table->data();
        if (efi::is_error(rng->GetRNG(rng, nullptr, kRandomSeedSize, t + kRandomSeedHeader))) {
                table->reset();
                log_warning("EFI_RNG_PROTOCOL failed, no random seed for the kernel");
                return;
        }
        if (previous_size)
                __builtin_memcpy(t + kRandomSeedHeader + kRandomSeedSize, previous + kRandomSeedHeader, previous_size);
        store_le32(t, size);
        if (efi::is_error(table->install(st, efi::kLinuxRandomSeedTableGuid))) {
                table->reset();
                log_warning("Cannot install the random seed table, the kernel gets no seed from us");
        }
}

void measure_like_efi_stub(efi::BootServices *bs, Bytes load_options, Bytes initrd) {
        measure::Plan plan;
        measure::Event e;
        e.pcr = kPcrInitrd;
        e.type = measure::kEvEventTag;
        if (!load_options.empty()) {
                e.tag = kLoadOptionsEventTag;
                e.data = load_options;
                e.raw_description = Bytes(reinterpret_cast<const uint8_t *>(kLoadOptionsDescription),
                                          sizeof(kLoadOptionsDescription));
                (void) plan.add(e);
        }
        if (!initrd.empty()) {
                e.tag = kInitrdEventTag;
                e.data = initrd;
                e.raw_description = Bytes(reinterpret_cast<const uint8_t *>(kInitrdDescription), sizeof(kInitrdDescription));
                (void) plan.add(e);
        }
        MeasureResult result;
        (void) measure_plan(bs, plan, &result); // a failure is logged there; the boot goes on
}

} // namespace zuki::boot
