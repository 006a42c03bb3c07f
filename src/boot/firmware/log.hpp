// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Console logging for the stub. One line per event, prefixed "zuki: ", written to ConOut (which
// OVMF mirrors to the serial port). log_error() returns the status it is given so that the place
// that decides to fail logs and returns in one statement:
//     return log_error(status, "Failed to allocate {} pages", n);
// Formatting: "{}" takes the next argument; arguments may be ASCII strings, UCS-2 strings,
// unsigned/signed integers (decimal), Hex{v}, efi::Status and zuki::Error.

#pragma once

#include "../../shared/error.hpp"
#include "../efi/system-table.hpp"

namespace zuki::boot {

struct Hex {
        uint64_t value;
};

enum class LogLevel : uint8_t { Debug, Info, Warning, Error };

// Called once at entry; until then (and when ConOut is absent) logging is a no-op.
void log_init(efi::SystemTable *st);
// Messages below this level are dropped (Debug is dropped unless the build enables it).
void log_set_level(LogLevel level);

class LineBuffer {
public:
        void put(const char *s);
        void put(const char16_t *s);
        void put(uint64_t v);
        void put(int64_t v);
        void put(uint32_t v) { put((uint64_t) v); }
        void put(int32_t v) { put((int64_t) v); }
        void put(Hex h);
        void put(efi::Status s);
        void put(Error e);
        void put_char(char16_t c);
        // Ends the line with CR LF even when the text filled the buffer, so that a truncated
        // message does not swallow the next one.
        void end_line();
        const char16_t *c_str();

        template <typename T, typename... Rest>
        void format(const char *fmt, const T &first, const Rest &...rest) {
                for (; *fmt; fmt++) {
                        if (fmt[0] == '{' && fmt[1] == '}') {
                                put(first);
                                format(fmt + 2, rest...);
                                return;
                        }
                        put_char((char16_t) (uint8_t) *fmt);
                }
        }
        void format(const char *fmt) { put(fmt); }

private:
        static constexpr size_t kCapacity = 256;
        char16_t buffer_[kCapacity + 3] = {}; // + CR LF (end_line) + NUL (c_str)
        size_t length_ = 0;
};

void log_line(LogLevel level, LineBuffer &line);

template <typename... Args>
void log(LogLevel level, const char *fmt, const Args &...args) {
        LineBuffer line;
        line.format(fmt, args...);
        log_line(level, line);
}

template <typename... Args>
void log_info(const char *fmt, const Args &...args) { log(LogLevel::Info, fmt, args...); }
template <typename... Args>
void log_debug(const char *fmt, const Args &...args) { log(LogLevel::Debug, fmt, args...); }
template <typename... Args>
void log_warning(const char *fmt, const Args &...args) { log(LogLevel::Warning, fmt, args...); }

// Logs "<message>: <status>" as an error and returns the status.
template <typename... Args>
efi::Status log_error(efi::Status status, const char *fmt, const Args &...args) {
        LineBuffer line;
        line.format(fmt, args...);
        line.put(": ");
        line.put(status);
        log_line(LogLevel::Error, line);
        return status;
}

const char *status_name(efi::Status s);

} // namespace zuki::boot
