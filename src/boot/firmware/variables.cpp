// SPDX-License-Identifier: LGPL-2.1-or-later

#include "variables.hpp"

namespace zuki::boot {

namespace {
constinit efi::RuntimeServices *g_runtime = nullptr;
constexpr uint32_t kVolatileAttributes = efi::kVariableBootserviceAccess | efi::kVariableRuntimeAccess;
} // namespace

void set_runtime_services(efi::RuntimeServices *rs) { g_runtime = rs; }

bool secure_boot_enabled() {
        uint8_t value = 0;
        uintptr_t size = sizeof(value);
        efi::Status s = g_runtime->GetVariable(u"SecureBoot", &efi::kGlobalVariableGuid, nullptr, &size, &value);
        return !efi::is_error(s) && size == 1 && value == 1;
}

bool loader_variable_exists(const char16_t *name) {
        uintptr_t size = 0;
        efi::Status s = g_runtime->GetVariable(name, &kLoaderVendorGuid, nullptr, &size, nullptr);
        return s == efi::kBufferTooSmall || s == efi::kSuccess;
}

efi::Status set_loader_string(const char16_t *name, const char16_t *value) {
        size_t n = 0;
        while (value[n])
                n++;
        return g_runtime->SetVariable(name, &kLoaderVendorGuid, kVolatileAttributes, (n + 1) * sizeof(char16_t), value);
}

efi::Status set_loader_u64(const char16_t *name, uint64_t value) {
        uint8_t bytes[8];
        for (int i = 0; i < 8; i++)
                bytes[i] = (uint8_t) (value >> (8 * i));
        return g_runtime->SetVariable(name, &kLoaderVendorGuid, kVolatileAttributes, sizeof(bytes), bytes);
}

} // namespace zuki::boot
