// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Base types of the UEFI ABI (UEFI 2.10, section 2.3.1 "Data Types"). The stub is built for
// <arch>-unknown-windows, whose default calling convention is the EFI one on x86_64 (MS x64) and
// on arm64 (AAPCS64), so function pointer members need no EFIAPI annotation.

#pragma once

#include <stddef.h>
#include <stdint.h>

namespace efi {

using Handle = void *;
using Event = void *;
using Char16 = char16_t;
using PhysicalAddress = uint64_t;
using VirtualAddress = uint64_t;
using Tpl = uintptr_t;

// EFI_STATUS: errors have the top bit set (UEFI 2.10 Appendix D).
enum class Status : uintptr_t {};

inline constexpr uintptr_t kErrorBit = uintptr_t(1) << (sizeof(uintptr_t) * 8 - 1);
constexpr Status error_status(uintptr_t code) { return Status(kErrorBit | code); }

inline constexpr Status kSuccess = Status(0);
inline constexpr Status kLoadError = error_status(1);
inline constexpr Status kInvalidParameter = error_status(2);
inline constexpr Status kUnsupported = error_status(3);
inline constexpr Status kBadBufferSize = error_status(4);
inline constexpr Status kBufferTooSmall = error_status(5);
inline constexpr Status kNotReady = error_status(6);
inline constexpr Status kDeviceError = error_status(7);
inline constexpr Status kWriteProtected = error_status(8);
inline constexpr Status kOutOfResources = error_status(9);
inline constexpr Status kVolumeCorrupted = error_status(10);
inline constexpr Status kNotFound = error_status(14);
inline constexpr Status kAccessDenied = error_status(15);
inline constexpr Status kAborted = error_status(21);
inline constexpr Status kIncompatibleVersion = error_status(25);
inline constexpr Status kSecurityViolation = error_status(26);
inline constexpr Status kCrcError = error_status(27);
inline constexpr Status kCompromisedData = error_status(33);

constexpr bool is_error(Status s) { return (uintptr_t(s) & kErrorBit) != 0; }

struct Guid {
        uint32_t data1;
        uint16_t data2;
        uint16_t data3;
        uint8_t data4[8];

        constexpr bool operator==(const Guid &o) const {
                if (data1 != o.data1 || data2 != o.data2 || data3 != o.data3)
                        return false;
                for (int i = 0; i < 8; i++)
                        if (data4[i] != o.data4[i])
                                return false;
                return true;
        }
};
static_assert(sizeof(Guid) == 16);

// EFI_TABLE_HEADER
struct TableHeader {
        uint64_t Signature;
        uint32_t Revision;
        uint32_t HeaderSize;
        uint32_t CRC32;
        uint32_t Reserved;
};
static_assert(sizeof(TableHeader) == 24);

// EFI_MEMORY_TYPE (UEFI 2.10, 7.2)
enum class MemoryType : uint32_t {
        ReservedMemoryType,
        LoaderCode,
        LoaderData,
        BootServicesCode,
        BootServicesData,
        RuntimeServicesCode,
        RuntimeServicesData,
        ConventionalMemory,
        UnusableMemory,
        ACPIReclaimMemory,
        ACPIMemoryNVS,
        MemoryMappedIO,
        MemoryMappedIOPortSpace,
        PalCode,
        PersistentMemory,
        UnacceptedMemoryType,
};

// EFI_ALLOCATE_TYPE
enum class AllocateType : uint32_t {
        AnyPages,
        MaxAddress,
        Address,
};

// EFI_INTERFACE_TYPE
enum class InterfaceType : uint32_t { NativeInterface };

struct MemoryDescriptor {
        uint32_t Type;
        PhysicalAddress PhysicalStart;
        VirtualAddress VirtualStart;
        uint64_t NumberOfPages;
        uint64_t Attribute;
};
static_assert(offsetof(MemoryDescriptor, PhysicalStart) == 8);
static_assert(sizeof(MemoryDescriptor) == 40);

inline constexpr uint64_t kPageSize = 4096;
constexpr uint64_t pages_for(uint64_t bytes) { return (bytes + kPageSize - 1) / kPageSize; }

} // namespace efi
