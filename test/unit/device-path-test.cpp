// SPDX-License-Identifier: LGPL-2.1-or-later
// devpath: the URI of a network-booted image (StubDeviceURL), found in device paths as EDK2's HTTP
// boot and iPXE build them, and nothing read past a malformed or unterminated path.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "device-path.hpp"

namespace zuki::devpath {
namespace {

using Path = std::vector<uint8_t>;

void node(Path *p, uint8_t type, uint8_t subtype, const std::vector<uint8_t> &data) {
        size_t length = kHeaderSize + data.size();
        p->insert(p->end(), {type, subtype, (uint8_t) (length & 0xff), (uint8_t) (length >> 8)});
        p->insert(p->end(), data.begin(), data.end());
}
void end(Path *p) { node(p, kEndType, 0xff, {}); }
std::vector<uint8_t> text(const std::string &s, bool nul) {
        std::vector<uint8_t> v(s.begin(), s.end());
        if (nul)
                v.push_back(0);
        return v;
}
// PciRoot(0x0)/Pci(0x1,0x0)/MAC(...)/IPv4(...), as OVMF's HTTP boot device path begins.
Path network_prefix() {
        Path p;
        node(&p, 0x02, 0x01, {0x41, 0xd0, 0x0a, 0x03, 0, 0, 0, 0}); // ACPI PNP0A03
        node(&p, 0x01, 0x01, {0x00, 0x01});                         // PCI function 0 device 1
        node(&p, 0x03, 0x0b, std::vector<uint8_t>(33, 0x52));       // MAC address
        node(&p, 0x03, 0x0c, std::vector<uint8_t>(23, 0));          // IPv4
        return p;
}
std::string found(const Path &p) {
        Bytes uri;
        if (!find_uri(Bytes(p.data(), p.size()), &uri))
                return "(none)";
        return std::string(uri.begin(), uri.end());
}

TEST(DevicePath, UriOfAnHttpBootPathEndsAtItsNul) {
        Path p = network_prefix();
        node(&p, kMessagingDevicePath, kMsgUriDp, text("http://10.0.2.2:8931/uki.efi", true));
        end(&p);
        EXPECT_EQ(found(p), "http://10.0.2.2:8931/uki.efi");
        EXPECT_EQ(path_size(p.data(), p.size()), p.size());
}

TEST(DevicePath, UriWithoutNulEndsWithItsNodeNotInTheNextOne) {
        Path p = network_prefix();
        node(&p, kMessagingDevicePath, kMsgUriDp, text("https://boot.example/a.efi", false));
        end(&p);
        EXPECT_EQ(found(p), "https://boot.example/a.efi");
}

TEST(DevicePath, EmptyUriNodeIsFoundEmpty) {
        // A boot option's template, "Uri()": the caller reports nothing for it.
        Path p = network_prefix();
        node(&p, kMessagingDevicePath, kMsgUriDp, {});
        end(&p);
        EXPECT_EQ(found(p), "");
}

TEST(DevicePath, DiskPathsHaveNoUri) {
        Path p;
        node(&p, 0x02, 0x01, {0x41, 0xd0, 0x0a, 0x03, 0, 0, 0, 0});
        node(&p, 0x04, 0x01, std::vector<uint8_t>(38, 0)); // hard drive
        end(&p);
        EXPECT_EQ(found(p), "(none)");
        // Nodes after the end node are not part of the path.
        node(&p, kMessagingDevicePath, kMsgUriDp, text("http://after.end/", true));
        EXPECT_EQ(found(p), "(none)");
        EXPECT_EQ(path_size(p.data(), p.size()), p.size() - (kHeaderSize + 18));
}

TEST(DevicePath, MalformedPathsStopTheWalk) {
        Path shorter = network_prefix();
        shorter[2] = 3; // a node shorter than its header
        node(&shorter, kMessagingDevicePath, kMsgUriDp, text("http://x/", true));
        end(&shorter);
        EXPECT_EQ(found(shorter), "(none)");
        EXPECT_EQ(path_size(shorter.data(), shorter.size()), 0u);

        Path overlong = network_prefix();
        node(&overlong, kMessagingDevicePath, kMsgUriDp, text("http://x/", true));
        overlong[overlong.size() - 12] = 0xff; // the URI node claims more bytes than the path has
        EXPECT_EQ(found(overlong), "(none)");
        EXPECT_EQ(path_size(overlong.data(), overlong.size()), 0u);

        Path unterminated = network_prefix();
        EXPECT_EQ(path_size(unterminated.data(), unterminated.size()), 0u);
        EXPECT_EQ(path_size(unterminated.data(), 3), 0u);

        Path loop; // kMaxNodes + 1 nodes before the URI
        for (size_t i = 0; i <= kMaxNodes; i++)
                node(&loop, 0x01, 0x01, {0, 0});
        node(&loop, kMessagingDevicePath, kMsgUriDp, text("http://x/", true));
        end(&loop);
        EXPECT_EQ(found(loop), "(none)");
        EXPECT_EQ(path_size(loop.data(), loop.size()), 0u);
}

} // namespace
} // namespace zuki::devpath
