// SPDX-License-Identifier: LGPL-2.1-or-later

#include "device-path.hpp"

namespace zuki::devpath {

bool Nodes::next(Node *node) {
        if (ended_ || count_ >= kMaxNodes || !path_.contains(offset_, kHeaderSize))
                return false;
        const uint8_t *p = path_.data() + offset_;
        uint16_t length = load_le16(p + 2);
        if (length < kHeaderSize || !path_.contains(offset_, length))
                return false;
        count_++; // the end node counts among the kMaxNodes
        if (p[0] == kEndType) {
                ended_ = true;
                return false;
        }
        node->type = p[0];
        node->subtype = p[1];
        node->data = Bytes(p + kHeaderSize, length - kHeaderSize);
        offset_ += length;
        return true;
}

size_t path_size(const uint8_t *path, size_t limit) {
        Nodes nodes(Bytes(path, limit));
        Node node;
        while (nodes.next(&node))
                ;
        // The end node was checked to lie inside `limit`.
        return nodes.ended() ? nodes.offset() + load_le16(path + nodes.offset() + 2) : 0;
}

bool find_uri(Bytes path, Bytes *uri) {
        Nodes nodes(path);
        Node node;
        while (nodes.next(&node)) {
                if (node.type != kMessagingDevicePath || node.subtype != kMsgUriDp)
                        continue;
                size_t text = 0;
                while (text < node.data.size() && node.data[text] != 0)
                        text++;
                *uri = Bytes(node.data.data(), text);
                return true;
        }
        return false;
}

bool find_gpt_partition(Bytes path, Bytes *guid) {
        constexpr size_t kSignature = 24 - kHeaderSize, kSignatureType = 41 - kHeaderSize;
        constexpr uint8_t kSignatureTypeGuid = 0x02;
        Nodes nodes(path);
        Node node;
        while (nodes.next(&node)) {
                if (node.type == kMediaDevicePath && node.subtype == kMediaHardDriveDp &&
                    node.data.size() > kSignatureType && node.data[kSignatureType] == kSignatureTypeGuid) {
                        *guid = Bytes(node.data.data() + kSignature, 16);
                        return true;
                }
        }
        return false;
}

size_t file_path_text(Bytes path, Span<char16_t> out) {
        Nodes nodes(path);
        Node node;
        size_t n = 0;
        for (bool first = true; nodes.next(&node); first = false) {
                if (node.type != kMediaDevicePath || node.subtype != kMediaFilePathDp)
                        return 0;
                if (!first) {
                        if (n + 1 >= out.size())
                                return 0;
                        out[n++] = u'/';
                }
                for (size_t i = 0; i + 1 < node.data.size(); i += 2) {
                        char16_t c = load_le16(node.data.data() + i);
                        if (!c)
                                break;
                        if (n + 1 >= out.size())
                                return 0;
                        out[n++] = c;
                }
        }
        return nodes.ended() ? n : 0;
}

} // namespace zuki::devpath
