// SPDX-License-Identifier: LGPL-2.1-or-later
// load_image_through_shim() (src/boot/firmware/shim.cpp), compiled for the host and run against a
// fake boot-services table whose LoadImage() consults the security protocols the way EDK2's DXE
// core does: EFI_SECURITY2_ARCH_PROTOCOL when it exists, with the file's contents, else
// EFI_SECURITY_ARCH_PROTOCOL, with its path only. The firmware itself trusts images that start
// with "DB"; shim's Verify() trusts those and the ones that start with "MOK". The QEMU test
// (test/sign/test-shim.sh) boots the real shim 15.8 and 16; this one covers what a real firmware
// rarely shows: a firmware with only the older protocol, a reader that fails, hooks put back.

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "../../src/boot/efi/security.hpp"
#include "../../src/boot/firmware/pages.hpp"
#include "fake-pool.hpp"
#include "../../src/boot/firmware/shim.hpp"

namespace zuki::boot {
namespace {

struct Fake {
        efi::BootServices bs{};
        efi::SecurityArchProtocol security{};
        efi::Security2ArchProtocol security2{};
        efi::ShimLockProtocol shim{};
        bool have_security = true, have_security2 = true, have_shim = true, have_shim_loader = false;
        bool pass_buffer = true;  // LoadImage() hands Security2 the file's contents
        std::string image;        // the file LoadImage() is asked to load
        std::set<void *> pools;
        int verify_calls = 0, firmware_calls = 0, reads = 0;
        uint32_t last_verify_size = ~0u;
        bool fail_read = false;
};
Fake *g_fake = nullptr;

bool firmware_trusts(const void *buffer, size_t size) { return size >= 2 && std::memcmp(buffer, "DB", 2) == 0; }

efi::Status firmware_security(const efi::SecurityArchProtocol *, uint32_t, const efi::DevicePath *) {
        g_fake->firmware_calls++;
        return firmware_trusts(g_fake->image.data(), g_fake->image.size()) ? efi::kSuccess : efi::kSecurityViolation;
}
efi::Status firmware_security2(const efi::Security2ArchProtocol *, const efi::DevicePath *, void *buffer, uintptr_t size,
                               uint8_t) {
        g_fake->firmware_calls++;
        if (!buffer) {
                buffer = g_fake->image.data();
                size = g_fake->image.size();
        }
        return firmware_trusts(buffer, size) ? efi::kSuccess : efi::kSecurityViolation;
}
ZUKI_SHIM_ABI efi::Status shim_verify(const void *buffer, uint32_t size) {
        g_fake->verify_calls++;
        g_fake->last_verify_size = size;
        bool ok = firmware_trusts(buffer, size) || (size >= 3 && std::memcmp(buffer, "MOK", 3) == 0);
        return ok ? efi::kSuccess : efi::kSecurityViolation;
}

efi::Status locate_protocol(const efi::Guid *guid, void *, void **out) {
        Fake &f = *g_fake;
        void *found = nullptr;
        if (*guid == efi::SecurityArchProtocol::kGuid && f.have_security)
                found = &f.security;
        else if (*guid == efi::Security2ArchProtocol::kGuid && f.have_security2)
                found = &f.security2;
        else if (*guid == efi::ShimLockProtocol::kGuid && f.have_shim)
                found = &f.shim;
        else if (*guid == efi::kShimImageLoaderGuid && f.have_shim_loader)
                found = &f.shim; // any non-null interface
        if (!found)
                return efi::kNotFound;
        *out = found;
        return efi::kSuccess;
}
efi::Handle const kLoaded = reinterpret_cast<efi::Handle>(0x1234);
efi::Status load_image(uint8_t, efi::Handle, efi::DevicePath *path, void *, uintptr_t, efi::Handle *out) {
        Fake &f = *g_fake;
        efi::Status s = efi::kSuccess;
        if (f.have_security2)
                s = f.security2.FileAuthentication(&f.security2, path, f.pass_buffer ? f.image.data() : nullptr,
                                                   f.pass_buffer ? f.image.size() : 0, 0);
        else if (f.have_security)
                s = f.security.FileAuthenticationState(&f.security, 0, path);
        if (efi::is_error(s))
                return efi::kAccessDenied; // as EDK2 reports a security violation without a deferral
        *out = kLoaded;
        return efi::kSuccess;
}

efi::Status read_image(void *, PoolArray<uint8_t> *out) {
        g_fake->reads++;
        if (g_fake->fail_read)
                return efi::kDeviceError;
        efi::Status s = out->allocate(g_fake->image.size());
        if (!efi::is_error(s))
                std::memcpy(out->data(), g_fake->image.data(), g_fake->image.size());
        return s;
}

class ShimLoad : public ::testing::Test {
protected:
        Fake fake;
        ImageReader reader{read_image, nullptr};
        void SetUp() override {
                g_fake = &fake;
                fake.bs.AllocatePool = test::fake_allocate_pool;
                fake.bs.FreePool = test::fake_free_pool;
                test::g_fake_pools = &fake.pools;
                fake.bs.LocateProtocol = locate_protocol;
                fake.bs.LoadImage = load_image;
                fake.security.FileAuthenticationState = firmware_security;
                fake.security2.FileAuthentication = firmware_security2;
                fake.shim.Verify = shim_verify;
                set_boot_services(&fake.bs);
        }
        void TearDown() override {
                // Whatever happened, the firmware's own hooks are back and nothing leaked.
                EXPECT_EQ(fake.security.FileAuthenticationState, firmware_security);
                EXPECT_EQ(fake.security2.FileAuthentication, firmware_security2);
                EXPECT_TRUE(fake.pools.empty());
                set_boot_services(nullptr);
                test::g_fake_pools = nullptr;
                g_fake = nullptr;
        }
        efi::Status load(const char *image, bool secure_boot = true) {
                fake.image = image;
                efi::Handle h = reinterpret_cast<efi::Handle>(0x1);
                efi::Status s = load_image_through_shim(nullptr, nullptr, secure_boot, reader, &h);
                EXPECT_EQ(h, efi::is_error(s) ? nullptr : kLoaded);
                return s;
        }
};

TEST_F(ShimLoad, Shim15UnderSecureBootAcceptsWhatShimAccepts) {
        EXPECT_EQ(load("MOK-signed addon"), efi::kSuccess);
        EXPECT_EQ(fake.verify_calls, 1);
        EXPECT_EQ(fake.firmware_calls, 0); // shim said yes: the firmware is not asked
        EXPECT_EQ(fake.reads, 0);          // the firmware handed over the contents
}

TEST_F(ShimLoad, Shim15FallsBackToTheFirmwaresVerdict) {
        EXPECT_EQ(load("stranger's addon"), efi::kAccessDenied);
        EXPECT_EQ(fake.verify_calls, 1);
        EXPECT_EQ(fake.firmware_calls, 1);
}

TEST_F(ShimLoad, Shim16VerifiesLoadImageItself) {
        fake.have_shim_loader = true;
        EXPECT_EQ(load("MOK-signed addon"), efi::kAccessDenied); // the fake firmware alone: no MOK
        EXPECT_EQ(fake.verify_calls, 0);
        EXPECT_EQ(load("DB-signed addon"), efi::kSuccess);
}

TEST_F(ShimLoad, NothingChangesWithoutSecureBoot) {
        EXPECT_EQ(load("MOK-signed addon", false), efi::kAccessDenied);
        EXPECT_EQ(fake.verify_calls, 0);
}

TEST_F(ShimLoad, NothingChangesWithoutShim) {
        fake.have_shim = false;
        EXPECT_EQ(load("MOK-signed addon"), efi::kAccessDenied);
        EXPECT_EQ(load("DB-signed addon"), efi::kSuccess);
        EXPECT_EQ(fake.verify_calls, 0);
}

TEST_F(ShimLoad, OlderProtocolOnlyReadsTheFile) {
        fake.have_security2 = false;
        EXPECT_EQ(load("MOK-signed addon"), efi::kSuccess);
        EXPECT_EQ(fake.reads, 1);
        EXPECT_EQ(fake.verify_calls, 1);
        EXPECT_EQ(load("stranger's addon"), efi::kAccessDenied);
        EXPECT_EQ(fake.firmware_calls, 1);
}

TEST_F(ShimLoad, Security2WithoutContentsReadsTheFile) {
        fake.pass_buffer = false;
        EXPECT_EQ(load("MOK-signed addon"), efi::kSuccess);
        EXPECT_EQ(fake.reads, 1);
}

TEST_F(ShimLoad, UnreadableFileIsLeftToTheFirmware) {
        fake.have_security2 = false;
        fake.fail_read = true;
        EXPECT_EQ(load("MOK-signed addon"), efi::kAccessDenied);
        EXPECT_EQ(fake.verify_calls, 0);
        EXPECT_EQ(fake.firmware_calls, 1);
        EXPECT_EQ(load("DB-signed addon"), efi::kSuccess);
}

TEST_F(ShimLoad, Shim15IsToldWeTakePart) {
        EXPECT_TRUE(tell_old_shim_we_take_part(true));
        EXPECT_EQ(fake.verify_calls, 1);
        EXPECT_EQ(fake.last_verify_size, 0u); // nothing for shim to check or measure
        EXPECT_FALSE(tell_old_shim_we_take_part(false));
        fake.have_shim_loader = true;
        EXPECT_FALSE(tell_old_shim_we_take_part(true));
        fake.have_shim_loader = false;
        fake.have_shim = false;
        EXPECT_FALSE(tell_old_shim_we_take_part(true));
        EXPECT_EQ(fake.verify_calls, 1);
}

TEST_F(ShimLoad, FirmwareWithoutSecurityProtocolsStillLoads) {
        fake.have_security = fake.have_security2 = false; // U-Boot
        EXPECT_EQ(load("anything"), efi::kSuccess);
}

} // namespace
} // namespace zuki::boot
