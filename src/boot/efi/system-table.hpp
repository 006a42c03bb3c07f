// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI_SYSTEM_TABLE and EFI_BOOT_SERVICES (UEFI 2.10, 4.3 and 4.4). Members the stub never calls
// are void* so their prototypes need not be transcribed; the order and count are what matter.

#pragma once

#include "device-path.hpp"
#include "types.hpp"

namespace efi {

struct SimpleTextOutputProtocol;

// EFI_TIME (UEFI 2.10, 8.3.1): 16 bytes, hashed as a whole into the random seed.
struct Time {
        uint16_t Year;
        uint8_t Month, Day, Hour, Minute, Second, Pad1;
        uint32_t Nanosecond;
        int16_t TimeZone;
        uint8_t Daylight, Pad2;
};
static_assert(sizeof(Time) == 16);

// EFI_RUNTIME_SERVICES (UEFI 2.10, 4.5); the variable services and GetTime are used.
struct RuntimeServices {
        TableHeader Hdr;
        Status (*GetTime)(Time *time, void *capabilities);
        void *SetTime;
        void *GetWakeupTime;
        void *SetWakeupTime;
        void *SetVirtualAddressMap;
        void *ConvertPointer;
        Status (*GetVariable)(const Char16 *name, const Guid *vendor, uint32_t *attributes, uintptr_t *data_size,
                              void *data);
        void *GetNextVariableName;
        Status (*SetVariable)(const Char16 *name, const Guid *vendor, uint32_t attributes, uintptr_t data_size,
                              const void *data);
        void *GetNextHighMonotonicCount;
        void *ResetSystem;
        void *UpdateCapsule;
        void *QueryCapsuleCapabilities;
        void *QueryVariableInfo;
};
static_assert(offsetof(RuntimeServices, GetVariable) == 72);
static_assert(offsetof(RuntimeServices, SetVariable) == 88);

inline constexpr uint32_t kVariableNonVolatile = 0x1;
inline constexpr uint32_t kVariableBootserviceAccess = 0x2;
inline constexpr uint32_t kVariableRuntimeAccess = 0x4;

inline constexpr Guid kGlobalVariableGuid = {0x8be4df61, 0x93ca, 0x11d2, {0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c}};

struct ConfigurationTable {
        Guid VendorGuid;
        void *VendorTable;
};

struct BootServices {
        TableHeader Hdr;
        void *RaiseTPL;
        void *RestoreTPL;

        Status (*AllocatePages)(AllocateType type, MemoryType memory_type, uintptr_t pages,
                                PhysicalAddress *memory);
        Status (*FreePages)(PhysicalAddress memory, uintptr_t pages);
        Status (*GetMemoryMap)(uintptr_t *map_size, MemoryDescriptor *map, uintptr_t *map_key,
                               uintptr_t *descriptor_size, uint32_t *descriptor_version);
        Status (*AllocatePool)(MemoryType pool_type, uintptr_t size, void **buffer);
        Status (*FreePool)(void *buffer);

        void *CreateEvent;
        void *SetTimer;
        void *WaitForEvent;
        void *SignalEvent;
        void *CloseEvent;
        void *CheckEvent;

        Status (*InstallProtocolInterface)(Handle *handle, const Guid *protocol, InterfaceType type, void *interface);
        Status (*ReinstallProtocolInterface)(Handle handle, const Guid *protocol, void *old_interface,
                                             void *new_interface);
        Status (*UninstallProtocolInterface)(Handle handle, const Guid *protocol, void *interface);
        Status (*HandleProtocol)(Handle handle, const Guid *protocol, void **interface);
        void *Reserved;
        void *RegisterProtocolNotify;
        void *LocateHandle;
        Status (*LocateDevicePath)(const Guid *protocol, DevicePath **device_path, Handle *device);
        Status (*InstallConfigurationTable)(const Guid *guid, void *table);

        Status (*LoadImage)(uint8_t boot_policy, Handle parent, DevicePath *path, void *source, uintptr_t size,
                            Handle *image);
        void *StartImage;
        void *Exit;
        Status (*UnloadImage)(Handle image);
        Status (*ExitBootServices)(Handle image, uintptr_t map_key);

        Status (*GetNextMonotonicCount)(uint64_t *count);
        Status (*Stall)(uintptr_t microseconds);
        Status (*SetWatchdogTimer)(uintptr_t timeout, uint64_t code, uintptr_t data_size,
                                   Char16 *data);

        void *ConnectController;
        void *DisconnectController;

        void *OpenProtocol;
        void *CloseProtocol;
        void *OpenProtocolInformation;

        void *ProtocolsPerHandle;
        // search_type 2 (ByProtocol); the buffer is the caller's to FreePool.
        Status (*LocateHandleBuffer)(uint32_t search_type, const Guid *protocol, void *search_key, uintptr_t *count,
                                     Handle **buffer);
        Status (*LocateProtocol)(const Guid *protocol, void *registration, void **interface);
        // Variadic: (Handle *handle, {const Guid *, void *}..., nullptr).
        Status (*InstallMultipleProtocolInterfaces)(Handle *handle, ...);
        Status (*UninstallMultipleProtocolInterfaces)(Handle handle, ...);

        void *CalculateCrc32;
        void *CopyMem;
        void *SetMem;
        void *CreateEventEx;
};
static_assert(offsetof(BootServices, AllocatePages) == 40);
static_assert(offsetof(BootServices, HandleProtocol) == 152);
static_assert(offsetof(BootServices, InstallConfigurationTable) == 192);
static_assert(offsetof(BootServices, Stall) == 248);
static_assert(offsetof(BootServices, LocateProtocol) == 320);
static_assert(sizeof(BootServices) == 376);

struct SystemTable {
        TableHeader Hdr;
        Char16 *FirmwareVendor;
        uint32_t FirmwareRevision;
        Handle ConsoleInHandle;
        void *ConIn;
        Handle ConsoleOutHandle;
        SimpleTextOutputProtocol *ConOut;
        Handle StandardErrorHandle;
        SimpleTextOutputProtocol *StdErr;
        RuntimeServices *RuntimeServices;
        BootServices *BootServices;
        uintptr_t NumberOfTableEntries;
        ConfigurationTable *ConfigurationTable;
};
static_assert(offsetof(SystemTable, BootServices) == 96);
static_assert(sizeof(SystemTable) == 120);

inline constexpr uint64_t kSystemTableSignature = 0x5453595320494249ull; // "IBI SYST"

} // namespace efi
