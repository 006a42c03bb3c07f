// SPDX-License-Identifier: LGPL-2.1-or-later
//
// edid-chain.efi — a test-only EFI application (never installed) that gives the firmware a display
// EDID and then starts \EFI\zuki\uki.efi from its own device. No firmware QEMU runs (OVMF, AAVMF,
// U-Boot) installs EFI_EDID_DISCOVERED_PROTOCOL, which systemd-stub 258+ and zuki read for the
// EDID CHID types 15..17 (.dtbauto selection); this installs one on a new handle, as a graphics
// driver would on its output's handle, holding a 128-byte EDID 1.4 base block of a made-up panel:
// manufacturer "ZKI" (PNP id bytes 0x69 0x69), product code 0x2026, so the panel id is "ZKI2026".
//
// The extras case's hwids/zuki-acme-widget-panel.json lists one CHID for this panel: type 16
// (manufacturer, family, EDID panel) of the case's SMBIOS strings, computed outside zuki with
// Python's hashlib: SHA-1 over the CHID namespace 70ffd812-4c7f-4c7d-0000-000000000000 and
// "Acme Corp&Widget Family&ZKI2026" in UTF-16LE, version 5 and the RFC 4122 variant set, giving
// c2b56315-6f7b-5ec9-8d51-86c46cf96c62 (the same lines give ca2ff828-b404-5253-9e0e-579c93bfb059,
// the ext1 CHID `systemd-analyze chid` published for a Surface Pro 11 with panel SDC4195).
// systemd-stub 262 choosing that entry's .dtbauto in the parity test confirms it.
//
//   edid-chain: EDID panel ZKI2026 installed, starting \EFI\zuki\uki.efi
//   edid-chain: StartImage returned 0x…      (only if the UKI returns)

#include "../../../src/boot/efi/edid.hpp"
#include "../../lib/efi-test-app.hpp"

using namespace test_app;

namespace {

constexpr uint8_t kEdid[128] = {
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, // header
        0x69, 0x69,                                     // manufacturer "ZKI"
        0x26, 0x20,                                     // product code 0x2026
        0x01, 0x00, 0x00, 0x00,                         // serial number
        0x01, 0x24,                                     // week 1 of 2026
        0x01, 0x04,                                     // EDID 1.4
        0xa5, 0x1e, 0x13, 0x78, 0x00,                   // digital, 30 x 19 cm
        // chromaticity, established and standard timings, descriptors: left empty
};

constexpr uint8_t checksum(const uint8_t (&b)[128]) {
        unsigned sum = 0;
        for (int i = 0; i < 127; i++)
                sum += b[i];
        return (uint8_t) (0x100 - (sum & 0xff));
}

} // namespace

extern "C" efi::Status efi_main(efi::Handle image, efi::SystemTable *st) {
        g_st = st;
        efi::BootServices *bs = st->BootServices;
        efi::DevicePath *path = uki_path_of(image, "edid-chain");
        if (!path)
                return efi::kLoadError;

        // Boot-services pool memory: the protocol outlives nothing it needs here, as the UKI is
        // started from this application.
        void *mem = nullptr;
        efi::Status s = bs->AllocatePool(efi::MemoryType::BootServicesData, sizeof(efi::EdidDiscoveredProtocol) + 128, &mem);
        if (efi::is_error(s)) {
                print("edid-chain: cannot allocate the EDID\n");
                return s;
        }
        auto *edid = static_cast<efi::EdidDiscoveredProtocol *>(mem);
        uint8_t *blob = static_cast<uint8_t *>(mem) + sizeof(efi::EdidDiscoveredProtocol);
        __builtin_memcpy(blob, kEdid, 128);
        blob[127] = checksum(kEdid);
        edid->SizeOfEdid = 128;
        edid->Edid = blob;
        efi::Handle handle = nullptr;
        s = bs->InstallProtocolInterface(&handle, &efi::EdidDiscoveredProtocol::kGuid, efi::InterfaceType::NativeInterface,
                                         edid);
        if (efi::is_error(s)) {
                print("edid-chain: cannot install EFI_EDID_DISCOVERED_PROTOCOL ");
                print_hex((uint64_t) s);
                print("\n");
                return s;
        }
        print("edid-chain: EDID panel ZKI2026 installed, starting \\EFI\\zuki\\uki.efi\n");

        efi::Handle child = nullptr;
        s = reinterpret_cast<LoadImageFn>(bs->LoadImage)(0, image, path, nullptr, 0, &child);
        if (!efi::is_error(s))
                s = reinterpret_cast<StartImageFn>(bs->StartImage)(child, nullptr, nullptr);
        print("edid-chain: StartImage returned ");
        print_hex((uint64_t) s);
        print("\n");
        return efi::is_error(s) ? s : efi::kAborted;
}
