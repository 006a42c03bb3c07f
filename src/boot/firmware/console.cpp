// SPDX-License-Identifier: LGPL-2.1-or-later

#include "console.hpp"

#include "../efi/device-path.hpp"
#include "../efi/graphics-output.hpp"
#include "log.hpp"

namespace zuki::boot {

namespace {

constexpr uint32_t kByProtocol = 2;
constexpr efi::Guid kPciIoGuid = {0x4cf5b200, 0x68b8, 0x4ca5, {0x9e, 0xec, 0xb2, 0x3e, 0x3f, 0x50, 0x02, 0x9a}};
constexpr uint16_t kVirtioVendor = 0x1af4;
constexpr uint16_t kVirtioConsoleDevice = 0x1003;

// EFI_PCI_IO_PROTOCOL: only Pci.Read is used (the 7th function pointer; UEFI 2.10, 14.4).
struct PciIoProtocol {
        void *PollMem;
        void *PollIo;
        void *MemRead;
        void *MemWrite;
        void *IoRead;
        void *IoWrite;
        efi::Status (*PciRead)(PciIoProtocol *self, uint32_t width, uint32_t offset, uintptr_t count, void *buffer);
};
constexpr uint32_t kPciWidthUint16 = 1;

// Owns a LocateHandleBuffer result.
struct HandleBuffer {
        efi::BootServices *bs;
        efi::Handle *handles = nullptr;
        uintptr_t count = 0;
        ~HandleBuffer() {
                if (handles)
                        bs->FreePool(handles);
        }
};

bool one_virtio_console(efi::BootServices *bs) {
        HandleBuffer pci{bs};
        if (efi::is_error(bs->LocateHandleBuffer(kByProtocol, &kPciIoGuid, nullptr, &pci.count, &pci.handles)))
                return false;
        size_t found = 0;
        for (uintptr_t i = 0; i < pci.count; i++) {
                PciIoProtocol *io = nullptr;
                if (efi::is_error(bs->HandleProtocol(pci.handles[i], &kPciIoGuid, reinterpret_cast<void **>(&io))))
                        continue;
                uint16_t id[2] = {};
                if (efi::is_error(io->PciRead(io, kPciWidthUint16, 0, 2, id)))
                        continue;
                if (id[0] == kVirtioVendor && id[1] == kVirtioConsoleDevice && ++found > 1)
                        return false;
        }
        return found == 1;
}

#if defined(__x86_64__)
constexpr efi::Guid kSimpleTextOutputGuid = {0x387477c2, 0x69c7, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

// The UID of the ACPI PNP0501 (16550 UART) node of `dp`, if it has one.
bool uart_index(const efi::DevicePath *dp, uint32_t *index) {
        constexpr uint8_t kAcpiDevicePath = 0x02, kAcpiDp = 0x01;
        constexpr uint32_t kPnp0501 = 0x050141d0; // EISA_PNP_ID(0x0501)
        const uint8_t *node = reinterpret_cast<const uint8_t *>(dp);
        for (size_t k = 0; k < 64 && node[0] != efi::kEndDevicePathType; k++) {
                uint16_t length = load_le16(node + 2);
                if (length < 4)
                        return false;
                if (node[0] == kAcpiDevicePath && node[1] == kAcpiDp && length >= 12 && load_le32(node + 4) == kPnp0501) {
                        *index = load_le32(node + 8);
                        return true;
                }
                node += length;
        }
        return false;
}

bool serial_console_index(efi::SystemTable *st, uint32_t *index) {
        efi::BootServices *bs = st->BootServices;
        efi::DevicePath *dp = nullptr;
        if (!efi::is_error(bs->HandleProtocol(st->ConsoleOutHandle, &efi::DevicePath::kGuid, reinterpret_cast<void **>(&dp))))
                return uart_index(dp, index);
        // A console splitter's handle has no device path: every text output that is a UART must
        // be the same one.
        HandleBuffer out{bs};
        if (efi::is_error(bs->LocateHandleBuffer(kByProtocol, &kSimpleTextOutputGuid, nullptr, &out.count, &out.handles)))
                return false;
        bool found = false;
        for (uintptr_t i = 0; i < out.count; i++) {
                uint32_t this_index = 0;
                if (efi::is_error(bs->HandleProtocol(out.handles[i], &efi::DevicePath::kGuid, reinterpret_cast<void **>(&dp))) ||
                    !uart_index(dp, &this_index))
                        continue;
                if (found && this_index != *index)
                        return false;
                *index = this_index;
                found = true;
        }
        return found;
}
#endif

} // namespace

const char16_t *console_argument(efi::SystemTable *st) {
        efi::BootServices *bs = st->BootServices;
        if (one_virtio_console(bs))
                return u"console=hvc0";
        void *gop = nullptr;
        if (!efi::is_error(bs->LocateProtocol(&efi::GraphicsOutputProtocol::kGuid, nullptr, &gop)))
                return nullptr;
#if defined(__x86_64__)
        static constexpr const char16_t *kUarts[] = {u"console=uart,io,0x3f8", u"console=uart,io,0x2f8",
                                                     u"console=uart,io,0x3e8", u"console=uart,io,0x2e8"};
        uint32_t index = 0;
        if (serial_console_index(st, &index) && index < 4)
                return kUarts[index];
#endif
        return nullptr;
}

} // namespace zuki::boot
