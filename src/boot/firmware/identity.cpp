// SPDX-License-Identifier: LGPL-2.1-or-later

#include "identity.hpp"

#include "../../shared/base.hpp"
#include "../../shared/device-path.hpp"
#include "../../shared/text.hpp"
#include "../efi/device-path-to-text.hpp"
#include "../efi/hii-database.hpp"
#include "log.hpp"
#include "pages.hpp"

namespace zuki::boot {

namespace {

void put_hex(char16_t *out, uint64_t value, int digits) {
        static constexpr char kDigits[] = "0123456789ABCDEF";
        for (int i = 0; i < digits; i++)
                out[i] = (char16_t) kDigits[(value >> (4 * (digits - 1 - i))) & 0xf];
}

} // namespace

// The device path of `device` as bytes (through its end node), or an empty view.
Bytes device_path(efi::BootServices *bs, efi::Handle device) {
        efi::DevicePath *dp = nullptr;
        if (!device || efi::is_error(bs->HandleProtocol(device, &efi::DevicePath::kGuid, reinterpret_cast<void **>(&dp))) ||
            !dp)
                return {};
        return devpath::in_memory(dp);
}

bool partition_uuid(efi::BootServices *bs, efi::Handle device, char16_t (&out)[37]) {
        Bytes g;
        if (!devpath::find_gpt_partition(device_path(bs, device), &g))
                return false;
        // The signature is a GUID in EFI byte order: three little-endian fields, then eight bytes
        // as they are.
        put_hex(out, load_le32(g.data()), 8);
        out[8] = u'-';
        put_hex(out + 9, load_le16(g.data() + 4), 4);
        out[13] = u'-';
        put_hex(out + 14, load_le16(g.data() + 6), 4);
        out[18] = u'-';
        put_hex(out + 19, (uint64_t) g[8] << 8 | g[9], 4);
        out[23] = u'-';
        for (int i = 0; i < 6; i++)
                put_hex(out + 24 + 2 * i, g[10 + i], 2);
        out[36] = 0;
        return true;
}

bool device_url(efi::BootServices *bs, efi::Handle device, PoolArray<char16_t> *out) {
        Bytes uri;
        if (!devpath::find_uri(device_path(bs, device), &uri) || uri.empty())
                return false;
        // UTF-8 as the firmware wrote it; a byte that is not becomes U+FFFD.
        size_t units = text::utf8_to_utf16(uri, Span<char16_t>());
        if (efi::is_error(out->allocate(units + 1)))
                return false;
        text::utf8_to_utf16(uri, Span<char16_t>(out->data(), units));
        out->data()[units] = 0;
        return true;
}

char16_t *image_identifier(efi::BootServices *bs, const efi::LoadedImageProtocol *loaded) {
        efi::DevicePathToTextProtocol *to_text = nullptr;
        if (!loaded->FilePath ||
            efi::is_error(bs->LocateProtocol(&efi::DevicePathToTextProtocol::kGuid, nullptr,
                                             reinterpret_cast<void **>(&to_text))) ||
            !to_text)
                return nullptr;
        return to_text->ConvertDevicePathToText(loaded->FilePath, false, false);
}

bool keyboard_layout_language(efi::BootServices *bs, hii::KeyboardLanguage *out) {
        efi::HiiDatabaseProtocol *hii = nullptr;
        if (efi::is_error(bs->LocateProtocol(&efi::HiiDatabaseProtocol::kGuid, nullptr, reinterpret_cast<void **>(&hii))) ||
            !hii) {
                log_debug("No HII database protocol: no keyboard layout to report");
                return false;
        }
        // Sized by a first call, as the specification has it.
        uint16_t length = 0;
        efi::Status s = hii->GetKeyboardLayout(hii, nullptr, &length, nullptr);
        if (s != efi::kBufferTooSmall) {
                log_debug("No current keyboard layout: {}", s);
                return false;
        }
        PoolArray<uint8_t> buffer;
        if (efi::is_error(s = buffer.allocate(length)))
                return false;
        uint16_t got = length;
        if (efi::is_error(s = hii->GetKeyboardLayout(hii, nullptr, &got, buffer.data())) || got > length) {
                log_debug("Cannot read the current keyboard layout: {}", s);
                return false;
        }
        const char *why = "";
        if (!hii::keyboard_layout_language(Bytes(buffer.data(), got), out, &why)) {
                log_debug("Ignoring the firmware's keyboard layout: {}", why);
                return false;
        }
        return true;
}

} // namespace zuki::boot
