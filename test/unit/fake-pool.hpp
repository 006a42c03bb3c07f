// SPDX-License-Identifier: LGPL-2.1-or-later
// AllocatePool/FreePool for the host tests' fake boot-services tables: malloc'd blocks, each
// tracked in the set the test points g_fake_pools at, so a test can tell what is still allocated
// and a FreePool of anything else is refused as firmware would.

#pragma once

#include <cstdlib>
#include <set>

#include "../../src/boot/efi/system-table.hpp"

namespace zuki::test {

inline std::set<void *> *g_fake_pools = nullptr;

inline efi::Status fake_allocate_pool(efi::MemoryType, uintptr_t size, void **out) {
        *out = std::malloc(size);
        g_fake_pools->insert(*out);
        return efi::kSuccess;
}

inline efi::Status fake_free_pool(void *p) {
        if (!g_fake_pools->erase(p))
                return efi::kInvalidParameter;
        std::free(p);
        return efi::kSuccess;
}

} // namespace zuki::test
