// SPDX-License-Identifier: LGPL-2.1-or-later

#include "log.hpp"

#include "../efi/simple-text-output.hpp"

namespace zuki::boot {

namespace {

constinit efi::SystemTable *g_system_table = nullptr;
constinit LogLevel g_min_level = LogLevel::Info;

} // namespace

void log_init(efi::SystemTable *st) { g_system_table = st; }
void log_set_level(LogLevel level) { g_min_level = level; }

void LineBuffer::put_char(char16_t c) {
        if (length_ < kCapacity)
                buffer_[length_++] = c;
}

void LineBuffer::put(const char *s) {
        if (!s)
                s = "(null)";
        for (; *s; s++)
                put_char((char16_t) (uint8_t) *s);
}

void LineBuffer::put(const char16_t *s) {
        if (!s) {
                put("(null)");
                return;
        }
        for (; *s; s++)
                put_char(*s);
}

void LineBuffer::put(uint64_t v) {
        char digits[21];
        int n = 0;
        do {
                digits[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        while (n)
                put_char((char16_t) digits[--n]);
}

void LineBuffer::put(int64_t v) {
        if (v < 0) {
                put_char(u'-');
                put((uint64_t) 0 - (uint64_t) v);
        } else
                put((uint64_t) v);
}

void LineBuffer::put(Hex h) {
        static constexpr char kDigits[] = "0123456789abcdef";
        put("0x");
        int shift = 60;
        while (shift > 0 && ((h.value >> shift) & 0xf) == 0)
                shift -= 4;
        for (; shift >= 0; shift -= 4)
                put_char((char16_t) kDigits[(h.value >> shift) & 0xf]);
}

void LineBuffer::put(efi::Status s) { put(status_name(s)); }

void LineBuffer::put(Error e) { put(describe(e)); }

void LineBuffer::end_line() {
        if (length_ > kCapacity) // already ended
                return;
        buffer_[length_++] = u'\r';
        buffer_[length_++] = u'\n';
}

const char16_t *LineBuffer::c_str() {
        buffer_[length_] = 0;
        return buffer_;
}

void log_line(LogLevel level, LineBuffer &line) {
        if (level < g_min_level || !g_system_table || !g_system_table->ConOut)
                return;
        static constexpr const char *kPrefix[] = {"zuki: debug: ", "zuki: ", "zuki: warning: ",
                                                  "zuki: error: "};
        LineBuffer out;
        out.put(kPrefix[(int) level]);
        out.put(line.c_str());
        out.end_line();
        efi::SimpleTextOutputProtocol *con = g_system_table->ConOut;
        con->OutputString(con, out.c_str());
}

const char *status_name(efi::Status s) {
        switch ((uintptr_t) s & ~efi::kErrorBit) {
        case 0: return "EFI_SUCCESS";
        case 1: return "EFI_LOAD_ERROR";
        case 2: return "EFI_INVALID_PARAMETER";
        case 3: return "EFI_UNSUPPORTED";
        case 4: return "EFI_BAD_BUFFER_SIZE";
        case 5: return "EFI_BUFFER_TOO_SMALL";
        case 6: return "EFI_NOT_READY";
        case 7: return "EFI_DEVICE_ERROR";
        case 9: return "EFI_OUT_OF_RESOURCES";
        case 10: return "EFI_VOLUME_CORRUPTED";
        case 14: return "EFI_NOT_FOUND";
        case 15: return "EFI_ACCESS_DENIED";
        case 21: return "EFI_ABORTED";
        case 25: return "EFI_INCOMPATIBLE_VERSION";
        case 26: return "EFI_SECURITY_VIOLATION";
        case 27: return "EFI_CRC_ERROR";
        case 33: return "EFI_COMPROMISED_DATA";
        default: return "EFI error";
        }
}

} // namespace zuki::boot
