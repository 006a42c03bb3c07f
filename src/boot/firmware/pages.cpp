// SPDX-License-Identifier: LGPL-2.1-or-later

#include "pages.hpp"

#include "log.hpp"

namespace zuki::boot {

namespace {
constinit efi::BootServices *g_boot_services = nullptr;
}

efi::BootServices *boot_services() { return g_boot_services; }
void set_boot_services(efi::BootServices *bs) { g_boot_services = bs; }

Pages &Pages::operator=(Pages &&other) {
        if (this != &other) {
                reset();
                address_ = other.address_;
                count_ = other.count_;
                other.count_ = 0;
        }
        return *this;
}

void Pages::reset() {
        if (count_ == 0)
                return;
        efi::Status s = g_boot_services->FreePages(address_, count_);
        if (efi::is_error(s))
                log_warning("Failed to free {} pages at {}: {}, ignoring", count_, Hex{address_}, s);
        count_ = 0;
}

efi::Status allocate_aligned(uint64_t size, uint64_t alignment, efi::MemoryType type, Pages *out) {
        if (!is_power_of_two(alignment) || alignment < efi::kPageSize)
                return log_error(efi::kInvalidParameter, "Invalid alignment {}", Hex{alignment});
        uint64_t pages = efi::pages_for(size);
        uint64_t slack = alignment / efi::kPageSize - 1;
        efi::PhysicalAddress base = 0;
        efi::Status s = g_boot_services->AllocatePages(efi::AllocateType::AnyPages, type,
                                                       pages + slack, &base);
        if (efi::is_error(s))
                return log_error(s, "Failed to allocate {} bytes", (pages + slack) * efi::kPageSize);

        // Give back the pages before the aligned start and after the end.
        efi::PhysicalAddress aligned = align_up(base, alignment);
        uint64_t head = (aligned - base) / efi::kPageSize;
        uint64_t tail = slack - head;
        if (head)
                g_boot_services->FreePages(base, head);
        if (tail)
                g_boot_services->FreePages(aligned + pages * efi::kPageSize, tail);
        *out = Pages(aligned, pages);
        return efi::kSuccess;
}

} // namespace zuki::boot
