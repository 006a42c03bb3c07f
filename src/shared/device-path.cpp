// SPDX-License-Identifier: LGPL-2.1-or-later

#include "device-path.hpp"

namespace zuki::devpath {

size_t path_size(const uint8_t *path, size_t limit) {
        size_t offset = 0;
        for (size_t n = 0; n < kMaxNodes; n++) {
                if (limit - offset < kHeaderSize)
                        return 0;
                const uint8_t *node = path + offset;
                uint16_t length = load_le16(node + 2);
                if (length < kHeaderSize || length > limit - offset)
                        return 0;
                offset += length;
                if (node[0] == kEndType)
                        return offset;
        }
        return 0;
}

bool find_uri(Bytes path, Bytes *uri) {
        size_t offset = 0;
        for (size_t n = 0; n < kMaxNodes && path.contains(offset, kHeaderSize); n++) {
                const uint8_t *node = path.data() + offset;
                uint16_t length = load_le16(node + 2);
                if (node[0] == kEndType || length < kHeaderSize || !path.contains(offset, length))
                        return false;
                if (node[0] == kMessagingDevicePath && node[1] == kMsgUriDp) {
                        size_t text = 0;
                        while (kHeaderSize + text < length && node[kHeaderSize + text] != 0)
                                text++;
                        *uri = Bytes(node + kHeaderSize, text);
                        return true;
                }
                offset += length;
        }
        return false;
}

} // namespace zuki::devpath
