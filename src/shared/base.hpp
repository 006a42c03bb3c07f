// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Vocabulary shared by the stub and the host: byte views, checked little-endian loads, a Result
// type and TRY(). This header is compiled freestanding for the EFI targets, so it includes only
// the compiler's own <stdint.h>/<stddef.h> and never the C++ standard library.

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.hpp"

namespace zuki {

// A non-owning view of `size` contiguous Ts. Every accessor that takes an offset checks it; the
// unchecked operator[] is for loops whose bound is size() itself.
template <typename T>
class Span {
public:
        constexpr Span() = default;
        constexpr Span(T *data, size_t size) : data_(data), size_(size) {}
        template <size_t N>
        constexpr Span(T (&array)[N]) : data_(array), size_(N) {}
        // A Span<T> converts to a Span<const T>.
        template <typename U>
        constexpr Span(const Span<U> &other) : data_(other.data()), size_(other.size()) {}

        constexpr T *data() const { return data_; }
        constexpr size_t size() const { return size_; }
        constexpr bool empty() const { return size_ == 0; }
        constexpr T &operator[](size_t i) const { return data_[i]; }
        constexpr T *begin() const { return data_; }
        constexpr T *end() const { return data_ + size_; }

        // True when [offset, offset + length) lies inside the view, without overflowing.
        constexpr bool contains(uint64_t offset, uint64_t length) const {
                return offset <= size_ && length <= size_ - offset;
        }

        // The sub-view [offset, offset + length), or an empty view with ok == false.
        constexpr bool sub(uint64_t offset, uint64_t length, Span *out) const {
                if (!contains(offset, length))
                        return false;
                *out = Span(data_ + offset, (size_t) length);
                return true;
        }

private:
        T *data_ = nullptr;
        size_t size_ = 0;
};

using Bytes = Span<const uint8_t>;
using MutableBytes = Span<uint8_t>;

// Little-endian loads from untrusted bytes; the caller has checked the bound (use the Bytes
// overloads below when it has not).
constexpr uint16_t load_le16(const uint8_t *p) { return (uint16_t) (p[0] | p[1] << 8); }
constexpr uint32_t load_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}
constexpr uint64_t load_le64(const uint8_t *p) {
        return (uint64_t) load_le32(p) | (uint64_t) load_le32(p + 4) << 32;
}
// Big-endian, for devicetrees, EDID and the SHA message schedule.
constexpr uint16_t load_be16(const uint8_t *p) { return (uint16_t) (p[0] << 8 | p[1]); }
constexpr uint32_t load_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}
constexpr void store_be32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (24 - 8 * i));
}
constexpr void store_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
constexpr void store_le32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}
constexpr void store_le64(uint8_t *p, uint64_t v) {
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

// Checked arithmetic for sizes read from untrusted headers.
constexpr bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum) {
        return __builtin_add_overflow(a, b, sum);
}
constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
        // alignment is a power of two checked by the caller; callers check for overflow first.
        return (value + alignment - 1) & ~(alignment - 1);
}
constexpr bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

constexpr size_t string_length(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

constexpr bool bytes_equal(const uint8_t *a, const void *b, size_t n) {
        const uint8_t *bb = static_cast<const uint8_t *>(b);
        for (size_t i = 0; i < n; i++)
                if (a[i] != bb[i])
                        return false;
        return true;
}

// Equal contents (an empty view has no data pointer to compare).
constexpr bool same_bytes(Bytes a, Bytes b) {
        return a.size() == b.size() && (a.empty() || bytes_equal(a.data(), b.data(), a.size()));
}

// Result<T>: a T or an Error. T must be default-constructible and copyable (our results are
// plain value types), which keeps this free of placement new and the standard library.
template <typename T>
class [[nodiscard]] Result {
public:
        constexpr Result(const T &value) : value_(value), error_(Error::None) {}
        constexpr Result(Error error) : error_(error) {}

        constexpr explicit operator bool() const { return error_ == Error::None; }
        constexpr bool ok() const { return error_ == Error::None; }
        constexpr Error error() const { return error_; }
        constexpr const T &value() const { return value_; }
        constexpr T &value() { return value_; }
        constexpr const T *operator->() const { return &value_; }
        constexpr const T &operator*() const { return value_; }

private:
        T value_{};
        Error error_;
};

// A Result that carries no value.
class [[nodiscard]] Status {
public:
        constexpr Status() : error_(Error::None) {}
        constexpr Status(Error error) : error_(error) {}
        constexpr explicit operator bool() const { return error_ == Error::None; }
        constexpr bool ok() const { return error_ == Error::None; }
        constexpr Error error() const { return error_; }

private:
        Error error_;
};

constexpr Status ok_status() { return Status(); }

} // namespace zuki

// Evaluates a Result/Status expression; on error returns the error from the calling function,
// otherwise yields the value (for Result). Uses a GNU statement expression (clang and g++).
#define ZUKI_TRY(expr)                                                 \
        ({                                                             \
                auto _zuki_try_result = (expr);                        \
                if (!_zuki_try_result.ok())                            \
                        return _zuki_try_result.error();               \
                ::zuki::detail::try_value(_zuki_try_result);           \
        })

namespace zuki::detail {
template <typename T>
constexpr T try_value(const Result<T> &r) { return r.value(); }
constexpr void try_value(const Status &) {}
} // namespace zuki::detail
