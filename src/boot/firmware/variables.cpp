// SPDX-License-Identifier: LGPL-2.1-or-later

#include "variables.hpp"

#include "../../shared/base.hpp"

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

efi::Status get_loader_variable(const char16_t *name, void *data, size_t capacity, size_t *size, uint32_t *attributes) {
        uintptr_t n = capacity;
        uint32_t attrs = 0;
        efi::Status s = g_runtime->GetVariable(name, &kLoaderVendorGuid, &attrs, &n, data);
        *size = n;
        if (attributes)
                *attributes = attrs;
        return s;
}

efi::Status set_loader_variable(const char16_t *name, uint32_t attributes, const void *data, size_t size) {
        return g_runtime->SetVariable(name, &kLoaderVendorGuid, attributes, size, data);
}

bool get_loader_u64(const char16_t *name, uint64_t *value) {
        uint8_t bytes[8];
        size_t size = 0;
        if (efi::is_error(get_loader_variable(name, bytes, sizeof(bytes), &size, nullptr)) || size != sizeof(bytes))
                return false;
        *value = load_le64(bytes);
        return true;
}

} // namespace zuki::boot
