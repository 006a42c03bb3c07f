// SPDX-License-Identifier: LGPL-2.1-or-later
// cpio::Writer: newc archives as the Linux initramfs unpacker reads them, checked with a newc
// reader written here from the format description and, when installed, with GNU cpio.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cpio.hpp"

namespace zuki::cpio {
namespace {

// One newc entry as read back.
struct Entry {
        uint32_t fields[13] = {};  // ino mode uid gid nlink mtime filesize devmajor devminor
                                   // rdevmajor rdevminor namesize check
        std::string name;
        std::string data;

        uint32_t ino() const { return fields[0]; }
        uint32_t mode() const { return fields[1]; }
        uint32_t nlink() const { return fields[4]; }
};

constexpr size_t kHeaderSize = 6 + 13 * 8;

size_t round4(size_t n) { return (n + 3) & ~size_t(3); }

// Parses a whole newc archive (Documentation/driver-api/early-userspace/buffer-format.rst):
// "070701", 13 eight-digit hex fields, the name with its NUL padded so that header plus name is
// a multiple of 4, then the data padded to 4. Fails the test on anything else.
std::vector<Entry> parse_newc(const std::vector<uint8_t> &a) {
        std::vector<Entry> entries;
        size_t pos = 0;
        while (pos < a.size()) {
                EXPECT_EQ(pos % 4, 0u);
                if (pos + kHeaderSize > a.size()) {
                        ADD_FAILURE() << "header truncated at " << pos;
                        break;
                }
                std::string header(a.begin() + pos, a.begin() + pos + kHeaderSize);
                EXPECT_EQ(header.substr(0, 6), "070701") << "at " << pos;
                Entry e;
                for (int f = 0; f < 13; f++) {
                        std::string digits = header.substr(6 + 8 * f, 8);
                        EXPECT_EQ(digits.find_first_not_of("0123456789abcdefABCDEF"), std::string::npos) << digits;
                        e.fields[f] = (uint32_t) std::stoul(digits, nullptr, 16);
                }
                size_t name_size = e.fields[11], file_size = e.fields[6];
                size_t name_at = pos + kHeaderSize;
                size_t data_at = round4(name_at + name_size);
                size_t end = round4(data_at + file_size);
                if (name_size == 0 || end > a.size()) {
                        ADD_FAILURE() << "entry at " << pos << " runs past the archive";
                        break;
                }
                EXPECT_EQ(a[name_at + name_size - 1], 0) << "name without NUL at " << pos;
                e.name.assign(a.begin() + name_at, a.begin() + name_at + name_size - 1);
                e.data.assign(a.begin() + data_at, a.begin() + data_at + file_size);
                for (size_t k = name_at + name_size; k < data_at; k++)
                        EXPECT_EQ(a[k], 0) << "name padding at " << k;
                for (size_t k = data_at + file_size; k < end; k++)
                        EXPECT_EQ(a[k], 0) << "data padding at " << k;
                entries.push_back(e);
                pos = end;
        }
        return entries;
}

Bytes bytes_of(const std::string &s) { return Bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size()); }

// The archive systemd-stub hands to userspace, with data lengths that hit every padding case.
Status write_extra(Writer *w) {
        ZUKI_TRY(w->add_directory(".extra", 0555));
        ZUKI_TRY(w->add_file(".extra/os-release", bytes_of("ID=zuki\n"), 0444));
        ZUKI_TRY(w->add_file(".extra/profile", bytes_of("ID=a"), 0444));
        ZUKI_TRY(w->add_file(".extra/tpm2-pcr-public-key.pem", bytes_of("-----BEGIN"), 0444));
        ZUKI_TRY(w->add_file(".extra/empty", Bytes(), 0444));
        return w->finish();
}

size_t needed_size() {
        Writer counter{MutableBytes()};
        EXPECT_TRUE(counter.counting());
        EXPECT_TRUE(write_extra(&counter).ok());
        return counter.size();
}

std::vector<uint8_t> write_archive() {
        std::vector<uint8_t> out(needed_size());
        Writer w(MutableBytes(out.data(), out.size()));
        EXPECT_FALSE(w.counting());
        EXPECT_TRUE(write_extra(&w).ok());
        EXPECT_EQ(w.size(), out.size());
        return out;
}

TEST(CpioWriter, CountingModeSizeEqualsTheWrittenSize) {
        size_t needed = needed_size();
        EXPECT_EQ(needed % 4, 0u);
        std::vector<uint8_t> out(needed + 64, 0xee);
        Writer w(MutableBytes(out.data(), out.size()));
        ASSERT_TRUE(write_extra(&w).ok());
        EXPECT_EQ(w.size(), needed);
        for (size_t k = needed; k < out.size(); k++)
                ASSERT_EQ(out[k], 0xee) << "wrote beyond size() at " << k;
}

TEST(CpioWriter, WritesNewcEntriesAnIndependentReaderUnderstands) {
        std::vector<Entry> e = parse_newc(write_archive());
        ASSERT_EQ(e.size(), 6u);
        EXPECT_EQ(e[0].name, ".extra");
        EXPECT_EQ(e[0].mode(), 040555u);
        EXPECT_EQ(e[0].nlink(), 1u);
        EXPECT_EQ(e[0].data, "");
        EXPECT_EQ(e[1].name, ".extra/os-release");
        EXPECT_EQ(e[1].mode(), 0100444u);
        EXPECT_EQ(e[1].nlink(), 1u);
        EXPECT_EQ(e[1].data, "ID=zuki\n");
        EXPECT_EQ(e[2].name, ".extra/profile");
        EXPECT_EQ(e[2].data, "ID=a");
        EXPECT_EQ(e[3].name, ".extra/tpm2-pcr-public-key.pem");
        EXPECT_EQ(e[3].data, "-----BEGIN");
        EXPECT_EQ(e[4].name, ".extra/empty");
        EXPECT_EQ(e[4].mode(), 0100444u);
        EXPECT_EQ(e[4].data, "");
        EXPECT_EQ(e.back().name, "TRAILER!!!");
        EXPECT_EQ(e.back().fields[6], 0u);
}

TEST(CpioWriter, EntriesGetDistinctInodesAndNoOwnerTimeOrDevice) {
        std::vector<Entry> e = parse_newc(write_archive());
        ASSERT_EQ(e.size(), 6u);
        for (size_t i = 0; i + 1 < e.size(); i++) {
                EXPECT_EQ(e[i].ino(), 1 + i) << e[i].name;
                for (int f : {2, 3, 5, 7, 8, 9, 10, 12})  // uid gid mtime dev* rdev* check
                        EXPECT_EQ(e[i].fields[f], 0u) << e[i].name << " field " << f;
        }
}

TEST(CpioWriter, FirstInodeIsConfigurableForAppendingToAnotherArchive) {
        std::vector<uint8_t> out(512);
        Writer w(MutableBytes(out.data(), out.size()), 100);
        ASSERT_TRUE(w.add_directory("d", 0755).ok());
        ASSERT_TRUE(w.add_file("d/f", bytes_of("x"), 0600).ok());
        ASSERT_TRUE(w.finish().ok());
        out.resize(w.size());
        std::vector<Entry> e = parse_newc(out);
        ASSERT_EQ(e.size(), 3u);
        EXPECT_EQ(e[0].ino(), 100u);
        EXPECT_EQ(e[0].mode(), 040755u);
        EXPECT_EQ(e[1].ino(), 101u);
        EXPECT_EQ(e[1].mode(), 0100600u);
}

TEST(CpioWriter, OneByteShortIsNoSpaceAndNothingIsWrittenPastTheBuffer) {
        const size_t needed = needed_size();
        // The writer gets needed - 1 bytes; the byte after them is a guard.
        std::vector<uint8_t> out(needed, 0xee);
        Writer w(MutableBytes(out.data(), needed - 1));
        EXPECT_EQ(write_extra(&w).error(), Error::NoSpace);
        EXPECT_LE(w.size(), needed - 1);
        EXPECT_EQ(out[needed - 1], 0xee);
}

TEST(CpioWriter, EveryTooSmallBufferFailsWithoutOverrunning) {
        const size_t needed = needed_size();
        for (size_t size = 0; size < needed; size += 7) {
                std::vector<uint8_t> out(needed, 0xee);
                Writer w(MutableBytes(out.data(), size));
                EXPECT_EQ(write_extra(&w).error(), Error::NoSpace) << size;
                for (size_t k = size; k < needed; k++)
                        ASSERT_EQ(out[k], 0xee) << "buffer of " << size << " overrun at " << k;
        }
}

// GNU cpio as a second, independent reader.
TEST(CpioWriter, GnuCpioListsTheEntries) {
        if (access("/usr/bin/cpio", X_OK) != 0)
                GTEST_SKIP() << "/usr/bin/cpio is not installed";
        std::vector<uint8_t> archive = write_archive();
        char path[] = "/tmp/zuki-cpio-test-XXXXXX";
        int fd = mkstemp(path);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, archive.data(), archive.size()), (ssize_t) archive.size());
        close(fd);

        std::string command = std::string("/usr/bin/cpio -it --quiet < ") + path + " 2>&1";
        FILE *p = popen(command.c_str(), "r");
        ASSERT_NE(p, nullptr);
        std::string listing;
        char buf[256];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0)
                listing.append(buf, n);
        int status = pclose(p);
        unlink(path);

        EXPECT_EQ(status, 0) << listing;
        EXPECT_EQ(listing,
                  ".extra\n"
                  ".extra/os-release\n"
                  ".extra/profile\n"
                  ".extra/tpm2-pcr-public-key.pem\n"
                  ".extra/empty\n");
}

} // namespace
} // namespace zuki::cpio
