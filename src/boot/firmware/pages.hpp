// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Owned EFI allocations: Pages (page allocations) and PoolArray (pool allocations) free on
// destruction unless released; release() hands the memory on (to the kernel) and is the only way
// to keep it. After ExitBootServices nothing may be freed: owners still alive then are released.

#pragma once

#include "../../shared/base.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

template <typename T>
constexpr T &&move(T &value) { return static_cast<T &&>(value); }

class Pages {
public:
        Pages() = default;
        Pages(efi::PhysicalAddress address, uint64_t count) : address_(address), count_(count) {}
        Pages(const Pages &) = delete;
        Pages &operator=(const Pages &) = delete;
        Pages(Pages &&other) : address_(other.address_), count_(other.count_) { other.count_ = 0; }
        Pages &operator=(Pages &&other);
        ~Pages() { reset(); }

        bool empty() const { return count_ == 0; }
        efi::PhysicalAddress address() const { return address_; }
        uint64_t count() const { return count_; }
        uint64_t size() const { return count_ * efi::kPageSize; }
        uint8_t *data() const { return reinterpret_cast<uint8_t *>(address_); }
        MutableBytes bytes() const { return MutableBytes(data(), size()); }

        void reset();
        // Gives up ownership without freeing: the kernel owns the pages now.
        void release() { count_ = 0; }

private:
        efi::PhysicalAddress address_ = 0;
        uint64_t count_ = 0;
};

// Allocates `size` bytes (rounded to pages) of `type` at an address aligned to `alignment`
// (a power of two >= 4 KiB), by over-allocating and returning the slack to the firmware.
efi::Status allocate_aligned(uint64_t size, uint64_t alignment, efi::MemoryType type, Pages *out);

// The boot services table (set at entry).
efi::BootServices *boot_services();
void set_boot_services(efi::BootServices *bs);

} // namespace zuki::boot

namespace zuki::boot {

// An owned pool allocation of `count` Ts (zero-initialised).
template <typename T>
class PoolArray {
public:
        PoolArray() = default;
        PoolArray(const PoolArray &) = delete;
        PoolArray &operator=(const PoolArray &) = delete;
        PoolArray &operator=(PoolArray &&other) {
                if (this != &other) {
                        reset();
                        data_ = other.data_;
                        count_ = other.count_;
                        other.data_ = nullptr;
                        other.count_ = 0;
                }
                return *this;
        }
        ~PoolArray() { reset(); }

        efi::Status allocate(size_t count, efi::MemoryType type = efi::MemoryType::LoaderData) {
                reset();
                void *p = nullptr;
                efi::Status s = boot_services()->AllocatePool(type, count * sizeof(T) + 1, &p);
                if (efi::is_error(s))
                        return s;
                __builtin_memset(p, 0, count * sizeof(T) + 1);
                data_ = static_cast<T *>(p);
                count_ = count;
                return efi::kSuccess;
        }
        void reset() {
                if (data_)
                        boot_services()->FreePool(data_);
                data_ = nullptr;
                count_ = 0;
        }
        // Gives up ownership without freeing: the kernel owns the buffer now.
        void release() {
                data_ = nullptr;
                count_ = 0;
        }
        T *data() const { return data_; }
        size_t size() const { return count_; }
        Span<T> span() const { return Span<T>(data_, count_); }

private:
        T *data_ = nullptr;
        size_t count_ = 0;
};

} // namespace zuki::boot
