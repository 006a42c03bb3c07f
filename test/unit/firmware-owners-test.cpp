// SPDX-License-Identifier: LGPL-2.1-or-later
// The stub's owners of firmware allocations (src/boot/firmware: Pages, PoolArray, ConfigTable,
// WxProtection), compiled for the host and run against a fake boot-services table that behaves
// like EDK2 where it matters: FreePages refuses pages that are still read-only. What the x86
// direct path relies on for its error paths: everything given back, W^X undone first, tables put
// back as they were; and after release() nothing given back at all.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../../src/boot/efi/memory-attribute.hpp"
#include "../../src/boot/efi/simple-text-output.hpp"
#include "../../src/boot/firmware/config-table.hpp"
#include "../../src/boot/firmware/log.hpp"
#include "../../src/boot/firmware/memory-protection.hpp"
#include "../../src/boot/firmware/pages.hpp"
#include "fake-pool.hpp"

namespace zuki::boot {
namespace {

constexpr efi::Guid kTableGuid = {0x1ce1e5bc, 0x7ceb, 0x42f2, {0x81, 0xe5, 0x8a, 0xad, 0xf1, 0x80, 0xf5, 0x7b}};

struct Fake {
        efi::SystemTable st{};
        efi::BootServices bs{};
        efi::MemoryAttributeProtocol memattr{};
        std::map<efi::PhysicalAddress, uint64_t> pages;  // address -> count
        std::set<void *> pools;
        std::vector<efi::ConfigurationTable> tables;
        std::set<efi::PhysicalAddress> read_only;         // pages
        std::vector<efi::PhysicalAddress> refused_frees;
        bool fail_install = false;
};
Fake *g_fake = nullptr;

efi::Status allocate_pages(efi::AllocateType, efi::MemoryType, uintptr_t count, efi::PhysicalAddress *out) {
        void *p = std::aligned_alloc(efi::kPageSize, count * efi::kPageSize);
        *out = (efi::PhysicalAddress) (uintptr_t) p;
        g_fake->pages[*out] = count;
        return efi::kSuccess;
}
efi::Status free_pages(efi::PhysicalAddress address, uintptr_t count) {
        auto it = g_fake->pages.find(address);
        if (it == g_fake->pages.end() || it->second != count)
                return efi::kNotFound;
        for (uintptr_t i = 0; i < count; i++)
                if (g_fake->read_only.count(address + i * efi::kPageSize)) {
                        g_fake->refused_frees.push_back(address); // EDK2 faults or refuses here
                        return efi::kAccessDenied;
                }
        g_fake->pages.erase(it);
        std::free((void *) (uintptr_t) address);
        return efi::kSuccess;
}
// As UEFI 2.10 7.3: a new GUID adds an entry, a known one is replaced, a null table removes it.
efi::Status install_configuration_table(const efi::Guid *guid, void *table) {
        if (g_fake->fail_install)
                return efi::kOutOfResources;
        auto &t = g_fake->tables;
        for (size_t i = 0; i < t.size(); i++)
                if (t[i].VendorGuid == *guid) {
                        if (table)
                                t[i].VendorTable = table;
                        else
                                t.erase(t.begin() + i);
                        g_fake->st.ConfigurationTable = t.data();
                        g_fake->st.NumberOfTableEntries = t.size();
                        return efi::kSuccess;
                }
        if (!table)
                return efi::kNotFound;
        t.push_back({*guid, table});
        g_fake->st.ConfigurationTable = t.data();
        g_fake->st.NumberOfTableEntries = t.size();
        return efi::kSuccess;
}
efi::Status locate_protocol(const efi::Guid *guid, void *, void **out) {
        if (!(*guid == efi::MemoryAttributeProtocol::kGuid))
                return efi::kNotFound;
        *out = &g_fake->memattr;
        return efi::kSuccess;
}
void each_page(efi::PhysicalAddress base, uint64_t length, auto &&f) {
        for (uint64_t off = 0; off < length; off += efi::kPageSize)
                f(base + off);
}
efi::Status get_attributes(efi::MemoryAttributeProtocol *, efi::PhysicalAddress base, uint64_t, uint64_t *out) {
        *out = g_fake->read_only.count(base) ? efi::kMemoryRo : efi::kMemoryXp;
        return efi::kSuccess;
}
efi::Status set_attributes(efi::MemoryAttributeProtocol *, efi::PhysicalAddress base, uint64_t length, uint64_t a) {
        if (a & efi::kMemoryRo)
                each_page(base, length, [](efi::PhysicalAddress p) { g_fake->read_only.insert(p); });
        return efi::kSuccess;
}
efi::Status clear_attributes(efi::MemoryAttributeProtocol *, efi::PhysicalAddress base, uint64_t length, uint64_t a) {
        if (a & efi::kMemoryRo)
                each_page(base, length, [](efi::PhysicalAddress p) { g_fake->read_only.erase(p); });
        return efi::kSuccess;
}

class FirmwareOwners : public ::testing::Test {
protected:
        Fake fake;
        void SetUp() override {
                g_fake = &fake;
                fake.bs.AllocatePages = allocate_pages;
                fake.bs.FreePages = free_pages;
                fake.bs.AllocatePool = test::fake_allocate_pool;
                fake.bs.FreePool = test::fake_free_pool;
                test::g_fake_pools = &fake.pools;
                fake.bs.InstallConfigurationTable = install_configuration_table;
                fake.bs.LocateProtocol = locate_protocol;
                fake.memattr.GetMemoryAttributes = get_attributes;
                fake.memattr.SetMemoryAttributes = set_attributes;
                fake.memattr.ClearMemoryAttributes = clear_attributes;
                fake.st.BootServices = &fake.bs;
                set_boot_services(&fake.bs);
        }
        void TearDown() override {
                set_boot_services(nullptr);
                test::g_fake_pools = nullptr;
                g_fake = nullptr;
        }
        static wx::Plan code_then_data() {
                wx::Plan plan;
                plan.ranges[0] = wx::Range{0, 2 * efi::kPageSize, true};
                plan.ranges[1] = wx::Range{2 * efi::kPageSize, 2 * efi::kPageSize, false};
                plan.count = 2;
                return plan;
        }
};

// The layout KernelImage and the x86 path's Allocations use: the protection declared after the
// pages, so it is destroyed first.
struct ProtectedPages {
        Pages pages;
        WxProtection protection;
};

TEST_F(FirmwareOwners, ProtectionIsUndoneBeforeThePagesAreFreed) {
        {
                ProtectedPages k;
                ASSERT_FALSE(efi::is_error(allocate_aligned(4 * efi::kPageSize, efi::kPageSize, efi::MemoryType::LoaderCode,
                                                            &k.pages)));
                ASSERT_FALSE(efi::is_error(k.protection.apply(&fake.st, k.pages.data(), code_then_data())));
                EXPECT_EQ(fake.read_only.size(), 2u);
        }
        EXPECT_TRUE(fake.refused_frees.empty());
        EXPECT_TRUE(fake.read_only.empty());
        EXPECT_TRUE(fake.pages.empty());
}

TEST_F(FirmwareOwners, TheOtherOrderIsWhatEdk2Refuses) {
        // The check above has teeth: pages freed while still read-only are refused.
        Pages pages;
        ASSERT_FALSE(efi::is_error(allocate_aligned(4 * efi::kPageSize, efi::kPageSize, efi::MemoryType::LoaderCode, &pages)));
        WxProtection protection;
        ASSERT_FALSE(efi::is_error(protection.apply(&fake.st, pages.data(), code_then_data())));
        efi::PhysicalAddress address = pages.address();
        pages.reset();
        EXPECT_EQ(fake.refused_frees, std::vector<efi::PhysicalAddress>{address});
        protection.restore();
        EXPECT_FALSE(efi::is_error(free_pages(address, 4)));
}

TEST_F(FirmwareOwners, ReleasedOwnersGiveNothingBack) {
        efi::PhysicalAddress address = 0;
        void *pool = nullptr;
        {
                ProtectedPages k;
                ASSERT_FALSE(efi::is_error(allocate_aligned(4 * efi::kPageSize, efi::kPageSize, efi::MemoryType::LoaderCode,
                                                            &k.pages)));
                ASSERT_FALSE(efi::is_error(k.protection.apply(&fake.st, k.pages.data(), code_then_data())));
                PoolArray<uint8_t> buffer;
                ASSERT_FALSE(efi::is_error(buffer.allocate(100)));
                address = k.pages.address();
                pool = buffer.data();
                // What exit_boot_services() does once ExitBootServices has been called.
                k.protection.release();
                k.pages.release();
                buffer.release();
        }
        EXPECT_EQ(fake.pages.count(address), 1u);
        EXPECT_EQ(fake.read_only.size(), 2u); // the kernel keeps its W^X
        EXPECT_EQ(fake.pools.count(pool), 1u);
        fake.read_only.clear();
        EXPECT_FALSE(efi::is_error(free_pages(address, 4)));
        EXPECT_FALSE(efi::is_error(test::fake_free_pool(pool)));
}

TEST_F(FirmwareOwners, ConfigTablePutsBackWhatItReplaced) {
        uint8_t loaders_seed[8] = {};
        ASSERT_FALSE(efi::is_error(install_configuration_table(&kTableGuid, loaders_seed)));
        {
                ConfigTable ours;
                ASSERT_FALSE(efi::is_error(ours.allocate(36)));
                ASSERT_FALSE(efi::is_error(ours.install(&fake.st, kTableGuid)));
                EXPECT_EQ(find_config_table(&fake.st, kTableGuid), ours.data());
        }
        EXPECT_EQ(find_config_table(&fake.st, kTableGuid), loaders_seed);
        EXPECT_TRUE(fake.pools.empty());
}

TEST_F(FirmwareOwners, ConfigTableRemovesANewEntry) {
        {
                ConfigTable ours;
                ASSERT_FALSE(efi::is_error(ours.allocate(9)));
                ASSERT_FALSE(efi::is_error(ours.install(&fake.st, kTableGuid)));
                EXPECT_EQ(fake.tables.size(), 1u);
        }
        EXPECT_TRUE(fake.tables.empty());
        EXPECT_TRUE(fake.pools.empty());
}

TEST_F(FirmwareOwners, ConfigTableFreesItsBufferWhenInstallFails) {
        {
                ConfigTable ours;
                ASSERT_FALSE(efi::is_error(ours.allocate(9)));
                fake.fail_install = true;
                EXPECT_TRUE(efi::is_error(ours.install(&fake.st, kTableGuid)));
                fake.fail_install = false;
        }
        EXPECT_TRUE(fake.tables.empty());
        EXPECT_TRUE(fake.pools.empty());
}

TEST_F(FirmwareOwners, ReleasedConfigTableStaysInstalled) {
        void *table = nullptr;
        {
                ConfigTable ours;
                ASSERT_FALSE(efi::is_error(ours.allocate(9)));
                ASSERT_FALSE(efi::is_error(ours.install(&fake.st, kTableGuid)));
                table = ours.data();
                ours.release();
        }
        EXPECT_EQ(find_config_table(&fake.st, kTableGuid), table);
        EXPECT_EQ(fake.pools.count(table), 1u);
        EXPECT_FALSE(efi::is_error(test::fake_free_pool(table)));
}


// A message longer than a log line is cut, but its line still ends: the next message must not be
// glued to it (seen with a 255-character ESP file name in the serial log).
std::u16string g_console;
efi::Status capture(efi::SimpleTextOutputProtocol *, const efi::Char16 *text) {
        g_console += reinterpret_cast<const char16_t *>(text);
        return efi::kSuccess;
}

TEST(Log, ALongMessageStillEndsItsLine) {
        efi::SimpleTextOutputProtocol con{};
        con.OutputString = capture;
        efi::SystemTable st{};
        st.ConOut = &con;
        log_init(&st);
        g_console.clear();
        std::string name(300, 'n');
        log_warning("Ignoring {}", name.c_str());
        log_warning("next");
        log_init(nullptr);
        std::u16string second = u"zuki: warning: next\r\n";
        ASSERT_GE(g_console.size(), second.size());
        EXPECT_EQ(g_console.substr(g_console.size() - second.size()), second);
        std::u16string first = g_console.substr(0, g_console.size() - second.size());
        EXPECT_EQ(first.substr(first.size() - 2), u"\r\n");
        EXPECT_EQ(first.find(u'\r'), first.size() - 2);
}

} // namespace
} // namespace zuki::boot
