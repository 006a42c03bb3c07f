// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The firmware's current keyboard layout, as the HII database returns it (UEFI 2.10, 34.8.10
// GetKeyboardLayout; 34.3.9 EFI_HII_KEYBOARD_LAYOUT), reduced to what systemd-stub 262 exports as
// LoaderKeyboardLayout: the RFC 4646 language tag of the layout's first description string (e.g.
// "en-US"), so that the OS can choose a console keymap.
//
// Layout (packed, little-endian): UINT16 LayoutLength, EFI_GUID Guid, UINT32
// LayoutDescriptorStringOffset, UINT8 DescriptorCount, descriptors...; at the offset an
// EFI_DESCRIPTION_STRING_BUNDLE: UINT16 DescriptionCount, then per description CHAR16 Language[],
// a CHAR16 space (U+0020), CHAR16 DescriptionString[] (NUL-terminated).

#pragma once

#include "base.hpp"

namespace zuki::hii {

// LayoutLength + Guid + LayoutDescriptorStringOffset + DescriptorCount.
inline constexpr size_t kKeyboardLayoutHeaderSize = 2 + 16 + 4 + 1;
// Longer tags are not languages (RFC 4646 tags in practice are 2-11 characters); a bound for the
// stub's buffer.
inline constexpr size_t kMaxLanguageChars = 63;

struct KeyboardLanguage {
        char16_t tag[kMaxLanguageChars + 1]; // NUL-terminated
        size_t chars;
};

// The language tag of `layout` (the bytes GetKeyboardLayout returned). Refused, with a reason
// for a debug line, as systemd-stub 262 refuses them: a buffer shorter than the header,
// LayoutLength other than the buffer's size, a string offset with no room for the bundle's count,
// no descriptions, no space after the tag within the buffer, an empty tag; and (zuki's bound) a
// tag longer than kMaxLanguageChars.
bool keyboard_layout_language(Bytes layout, KeyboardLanguage *out, const char **why);

} // namespace zuki::hii
