// SPDX-License-Identifier: LGPL-2.1-or-later

#include "encoding.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "failure.hpp"

namespace zuki {

namespace {

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// OpenSSL's encoders count in int.
void check_int_size(size_t size, const std::string &what) {
        if (size > INT_MAX / 2)
                fail(what + " is too large to encode");
}

} // namespace

std::string to_hex(Bytes data) {
        if (data.size() == 0)
                return "";
        check_int_size(data.size(), "Data");
        // Without a separator OpenSSL writes two upper-case digits a byte and a NUL.
        std::string out(data.size() * 2 + 1, '\0');
        if (OPENSSL_buf2hexstr_ex(out.data(), out.size(), nullptr, data.data(), data.size(), '\0') != 1)
                fail("Cannot format data as hexadecimal");
        out.pop_back();
        std::transform(out.begin(), out.end(), out.begin(), [](char c) { return (char) std::tolower((unsigned char) c); });
        return out;
}

Buffer from_hex(const std::string &hex, const std::string &what) {
        // OpenSSL stops at a NUL and, with a separator of '\0', takes none; an odd count or a
        // non-digit fails.
        if (hex.size() % 2 || hex.find('\0') != std::string::npos)
                fail(what + " is not hexadecimal");
        Buffer out(hex.size() / 2);
        size_t n = 0;
        if (OPENSSL_hexstr2buf_ex(out.data(), out.size(), &n, hex.c_str(), '\0') != 1 || n != out.size())
                fail(what + " is not hexadecimal");
        return out;
}

std::string to_base64(Bytes data) {
        check_int_size(data.size(), "Data");
        std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
        int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()), data.data(), (int) data.size());
        out.resize((size_t) n);
        return out;
}

Buffer from_base64(const std::string &text, const std::string &what) {
        std::string s;
        for (char c : text)
                if (!std::isspace((unsigned char) c))
                        s += c;
        // EVP_DecodeBlock takes '=' as a zero digit anywhere and decodes the padding into zero
        // bytes, so the shape is checked here and the padding's bytes are dropped afterwards.
        size_t pad = 0;
        while (pad < s.size() && s[s.size() - 1 - pad] == '=')
                pad++;
        if (s.size() % 4 || pad > 2 || std::min(s.find_first_not_of(kBase64Alphabet), s.size()) != s.size() - pad)
                fail(what + " is not base64");
        if (s.empty())
                return {};
        check_int_size(s.size(), what);
        Buffer out(s.size() / 4 * 3);
        int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char *>(s.data()), (int) s.size());
        if (n < 0 || (size_t) n != out.size())
                fail(what + " is not base64");
        out.resize(out.size() - pad);
        return out;
}

} // namespace zuki
