// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EFI device paths (StubDeviceURL, LoaderDevicePartUUID, the UKI's .extra.d): path_size,
// find_uri, find_gpt_partition and file_path_text read only inside the input and agree with a
// walker written here from UEFI 2.10 section 10.2 (4-byte node headers, the length counts the
// header, the path ends at the first node of type 0x7f): path_size is the end node's end, or 0 for
// a malformed path; find_uri returns the first messaging/URI node's bytes before its first NUL,
// and find_gpt_partition the signature of the first hard-drive node with signature type 2, if
// that node comes before the end and every node before it is well-formed; file_path_text joins
// the names of a well-formed path made of file-path nodes only.
//
// Input: the device path's bytes.

#include "device-path.hpp"
#include "fuzz-common.hpp"

#include <string>

using namespace zuki;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        // The input in a heap block of its exact size, so AddressSanitizer sees any read past it.
        uint8_t *copy = (uint8_t *) malloc(size ? size : 1);
        if (size)
                memcpy(copy, data, size);
        Bytes path(copy, size);

        // The reference walk.
        size_t expect_size = 0, uri_at = 0, uri_node = 0, gpt_at = 0;
        bool have_uri = false, have_gpt = false, only_files = true;
        std::u16string names;
        size_t offset = 0;
        for (size_t n = 0; n < devpath::kMaxNodes && size - offset >= 4; n++) {
                size_t length = copy[offset + 2] | copy[offset + 3] << 8;
                if (length < 4 || length > size - offset)
                        break;
                if (copy[offset] == 0x7f) {
                        expect_size = offset + length;
                        break;
                }
                if (!have_gpt && copy[offset] == 4 && copy[offset + 1] == 1 && length >= 42 &&
                    copy[offset + 41] == 2) {
                        have_gpt = true;
                        gpt_at = offset + 24;
                }
                if (copy[offset] == 4 && copy[offset + 1] == 4) {
                        if (offset > 0)
                                names += u'/';
                        for (size_t i = 4; i + 1 < length; i += 2) {
                                char16_t c = (char16_t) (copy[offset + i] | copy[offset + i + 1] << 8);
                                if (!c)
                                        break;
                                names += c;
                        }
                } else {
                        only_files = false;
                }
                if (!have_uri && copy[offset] == 3 && copy[offset + 1] == 24) {
                        have_uri = true;
                        uri_at = offset;
                        uri_node = length;
                }
                offset += length;
        }

        FUZZ_CHECK(devpath::path_size(copy, size) == expect_size, "path_size %zu, want %zu",
                   devpath::path_size(copy, size), expect_size);

        Bytes uri;
        bool found = devpath::find_uri(path, &uri);
        FUZZ_CHECK(found == have_uri, "find_uri says %d", found);
        if (found) {
                FUZZ_CHECK(uri.data() == copy + uri_at + 4, "the URI does not start after its node header");
                size_t text = 0;
                while (4 + text < uri_node && copy[uri_at + 4 + text] != 0)
                        text++;
                FUZZ_CHECK(uri.size() == text, "URI of %zu bytes, want %zu", uri.size(), text);
        }

        Bytes guid;
        bool gpt = devpath::find_gpt_partition(path, &guid);
        FUZZ_CHECK(gpt == have_gpt, "find_gpt_partition says %d", gpt);
        FUZZ_CHECK(!gpt || (guid.data() == copy + gpt_at && guid.size() == 16), "the GUID is not the node's signature");

        // Room for 32 units and the caller's NUL: longer joined names do not fit.
        char16_t text[33];
        size_t units = devpath::file_path_text(path, text);
        size_t expect_units = expect_size && only_files && names.size() < 33 ? names.size() : 0;
        FUZZ_CHECK(units == expect_units, "file_path_text wrote %zu units, want %zu", units, expect_units);
        FUZZ_CHECK(std::u16string(text, units) == names.substr(0, units), "file_path_text joined other names");
        free(copy);
        return 0;
}
