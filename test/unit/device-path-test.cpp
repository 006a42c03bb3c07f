// SPDX-License-Identifier: LGPL-2.1-or-later
// devpath: the URI of a network-booted image (StubDeviceURL), found in device paths as EDK2's HTTP
// boot and iPXE build them; the ESP's GPT partition (LoaderDevicePartUUID) and the UKI's file path
// as OVMF builds them; nothing read past a malformed or unterminated path.

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

// A hard-drive node (UEFI 2.10, 10.3.5.1): partition number, start, size, signature, MBR type 2
// (GPT), signature type.
std::vector<uint8_t> hard_drive(uint8_t signature_type, const std::vector<uint8_t> &signature) {
        std::vector<uint8_t> d(38, 0);
        d[0] = 1;                // partition 1
        d[4] = 0x00, d[5] = 0x08; // starting LBA 2048
        for (size_t i = 0; i < 16; i++)
                d[20 + i] = signature[i];
        d[36] = 0x02;
        d[37] = signature_type;
        return d;
}
std::vector<uint8_t> file_node(const std::u16string &name) {
        std::vector<uint8_t> d;
        for (char16_t c : name)
                d.insert(d.end(), {(uint8_t) (c & 0xff), (uint8_t) (c >> 8)});
        d.insert(d.end(), {0, 0});
        return d;
}
std::string partition(const Path &p) {
        Bytes guid;
        if (!find_gpt_partition(Bytes(p.data(), p.size()), &guid))
                return "(none)";
        std::string hex;
        for (uint8_t b : guid)
                hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 0xf];
        return hex;
}
std::u16string joined(const Path &p, size_t room = 64) {
        std::vector<char16_t> out(room);
        size_t n = file_path_text(Bytes(p.data(), p.size()), Span<char16_t>(out.data(), out.size()));
        return std::u16string(out.data(), n);
}

const std::vector<uint8_t> kGuid = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

TEST(DevicePath, EspPartitionOfAnOvmfDiskPath) {
        // PciRoot(0x0)/Pci(0x1,0x1)/Ata(0x0)/HD(1,GPT,...) as OVMF opens an IDE disk; an MBR
        // partition node (signature type 1) before it is not a GPT partition.
        Path p;
        node(&p, 0x02, 0x01, {0x41, 0xd0, 0x0a, 0x03, 0, 0, 0, 0});
        node(&p, 0x01, 0x01, {0x01, 0x01});
        node(&p, 0x03, 0x01, {0, 0, 0, 0});
        node(&p, kMediaDevicePath, kMediaHardDriveDp, hard_drive(0x01, std::vector<uint8_t>(16, 0xaa)));
        node(&p, kMediaDevicePath, kMediaHardDriveDp, hard_drive(0x02, kGuid));
        end(&p);
        EXPECT_EQ(partition(p), "1032547698badcfe0123456789abcdef");
        EXPECT_EQ(found(p), "(none)");
}

TEST(DevicePath, NoPartitionInShortOrUnterminatedNodes) {
        Path shortnode; // a hard-drive node cut before its signature type
        std::vector<uint8_t> d = hard_drive(0x02, kGuid);
        d.resize(37);
        node(&shortnode, kMediaDevicePath, kMediaHardDriveDp, d);
        end(&shortnode);
        EXPECT_EQ(partition(shortnode), "(none)");

        Path network = network_prefix();
        end(&network);
        EXPECT_EQ(partition(network), "(none)");

        Path cut; // the node claims 42 bytes, the path ends after 30
        node(&cut, kMediaDevicePath, kMediaHardDriveDp, hard_drive(0x02, kGuid));
        cut.resize(30);
        EXPECT_EQ(partition(cut), "(none)");
}

TEST(DevicePath, FilePathNodesJoinWithSlash) {
        // \EFI\Linux\uki.efi in one node, as OVMF and systemd-boot load an image.
        Path one;
        node(&one, kMediaDevicePath, kMediaFilePathDp, file_node(u"\\EFI\\Linux\\uki.efi"));
        end(&one);
        EXPECT_EQ(joined(one), u"\\EFI\\Linux\\uki.efi");

        // One node per directory, as some firmware builds them.
        Path split;
        node(&split, kMediaDevicePath, kMediaFilePathDp, file_node(u"\\EFI\\Linux"));
        node(&split, kMediaDevicePath, kMediaFilePathDp, file_node(u"uki.efi"));
        end(&split);
        EXPECT_EQ(joined(split), u"\\EFI\\Linux/uki.efi");
}

TEST(DevicePath, FilePathTextRefusesOtherNodesAndOverflow) {
        Path mixed = network_prefix(); // a device part before the file: not a file path alone
        node(&mixed, kMediaDevicePath, kMediaFilePathDp, file_node(u"uki.efi"));
        end(&mixed);
        EXPECT_EQ(joined(mixed), u"");

        Path longname;
        node(&longname, kMediaDevicePath, kMediaFilePathDp, file_node(std::u16string(64, u'a')));
        end(&longname);
        EXPECT_EQ(joined(longname, 64), u"");
        EXPECT_EQ(joined(longname, 65), std::u16string(64, u'a'));

        Path unterminated;
        node(&unterminated, kMediaDevicePath, kMediaFilePathDp, file_node(u"uki.efi"));
        EXPECT_EQ(joined(unterminated), u"");
}

} // namespace
} // namespace zuki::devpath
