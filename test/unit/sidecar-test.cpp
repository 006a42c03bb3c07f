// SPDX-License-Identifier: LGPL-2.1-or-later
// What a UKI picks up from the ESP (sidecar.hpp) and how the boot model adds it: the rules for
// names, drop-in directories and order, the archive bytes (built here independently from the newc
// format and systemd's documented conventions), and the order of measurements and initrd parts.
// That zuki's archives and measurements equal systemd-stub 262's is shown by booting both
// (test/qemu/parity-test.sh); these tests pin the rules.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "boot-model.hpp"
#include "sidecar.hpp"
#include "uki-fixture.hpp"

namespace zuki::sidecar {
namespace {

std::u16string u16(const std::string &s) { return std::u16string(s.begin(), s.end()); }

bool matches(const std::string &name, const char16_t *suffix, const char16_t *exclude = nullptr, bool dir = false) {
        std::u16string n = u16(name);
        return name_matches(Span<const char16_t>(n.data(), n.size()), dir, suffix, exclude);
}

TEST(Sidecar, NamesFollowSystemdRules) {
        EXPECT_TRUE(matches("a.cred", u".cred"));
        EXPECT_TRUE(matches("A.CRED", u".cred")); // suffix ignores case
        EXPECT_FALSE(matches(".hidden.cred", u".cred"));
        EXPECT_FALSE(matches("dir.cred", u".cred", nullptr, true));
        EXPECT_FALSE(matches("a.cred.bak", u".cred"));
        EXPECT_TRUE(matches("x.sysext.raw", u".raw", u".confext.raw"));
        EXPECT_TRUE(matches("plain.raw", u".raw", u".confext.raw")); // systemd's compatibility rule
        EXPECT_FALSE(matches("x.confext.raw", u".raw", u".confext.raw"));
        EXPECT_TRUE(matches(std::string(250, 'a') + ".cred", u".cred")); // 255 characters
        EXPECT_FALSE(matches(std::string(251, 'a') + ".cred", u".cred"));
        std::u16string non_ascii = u"caf\u00e9.cred";
        EXPECT_FALSE(name_matches(Span<const char16_t>(non_ascii.data(), non_ascii.size()), false, u".cred", nullptr));
}

std::string extra_dir(const std::string &path) {
        std::u16string in = u16(path);
        char16_t out[256];
        size_t n = extra_dir_of(Span<const char16_t>(in.data(), in.size()), out);
        return std::string(out, out + n);
}

TEST(Sidecar, DropInDirectoryOfTheImage) {
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki.efi"), "\\EFI\\Linux\\uki.efi.extra.d");
        EXPECT_EQ(extra_dir("/EFI//Linux/uki.efi"), "\\EFI\\Linux\\uki.efi.extra.d");
        // Boot counting (systemd-boot's "+LEFT[-DONE]") is not part of the name.
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki+3-1.efi"), "\\EFI\\Linux\\uki.efi.extra.d");
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki+3.efi"), "\\EFI\\Linux\\uki.efi.extra.d");
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki+3"), "\\EFI\\Linux\\uki.extra.d");
        // Anything else after '+' is kept.
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki+3-.efi"), "\\EFI\\Linux\\uki+3-.efi.extra.d");
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki+x.efi"), "\\EFI\\Linux\\uki+x.efi.extra.d");
        EXPECT_EQ(extra_dir("\\EFI\\Linux\\uki+3a.efi"), "\\EFI\\Linux\\uki+3a.efi.extra.d");
        // Too small a buffer: nothing.
        std::u16string in = u"\\EFI\\BOOT\\BOOTX64.EFI";
        char16_t small[8];
        EXPECT_EQ(extra_dir_of(Span<const char16_t>(in.data(), in.size()), small), 0u);
}

TEST(Sidecar, SortsByCodeUnit) {
        std::u16string a = u"b.cred", b = u"B.cred", c = u"a.cred", d = u"a.cred2";
        File files[] = {{Span<const char16_t>(a.data(), a.size()), Bytes()},
                        {Span<const char16_t>(b.data(), b.size()), Bytes()},
                        {Span<const char16_t>(d.data(), d.size()), Bytes()},
                        {Span<const char16_t>(c.data(), c.size()), Bytes()}};
        sort_files(files);
        std::vector<std::u16string> got;
        for (const File &f : files)
                got.emplace_back(f.name.data(), f.name.size());
        EXPECT_EQ(got, (std::vector<std::u16string>{u"B.cred", u"a.cred", u"a.cred2", u"b.cred"}));
}

// A newc entry written from the format description: "070701", 13 fields of 8 lower-case hex
// digits, the name with its NUL, padding to 4, the data, padding to 4.
std::string newc(uint32_t ino, uint32_t mode, const std::string &name, const std::string &data) {
        char header[6 + 13 * 8 + 1];
        std::snprintf(header, sizeof header, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", ino, mode, 0,
                      0, 1, 0, (unsigned) data.size(), 0, 0, 0, 0, (unsigned) name.size() + 1, 0);
        std::string e = header + name + '\0';
        e.resize((e.size() + 3) & ~size_t(3), '\0');
        e += data;
        e.resize((e.size() + 3) & ~size_t(3), '\0');
        return e;
}

TEST(Sidecar, ArchiveBytesAreSystemds) {
        std::u16string n1 = u"a.cred", n2 = u"b.cred";
        std::string d1 = "secret", d2 = "other!!";
        File files[] = {{Span<const char16_t>(n1.data(), n1.size()), Bytes((const uint8_t *) d1.data(), d1.size())},
                        {Span<const char16_t>(n2.data(), n2.size()), Bytes((const uint8_t *) d2.data(), d2.size())}};
        const Target &t = kTargets[(size_t) Kind::Credentials];
        Result<size_t> size = archive_size(t, files);
        ASSERT_TRUE(size);
        std::vector<uint8_t> out(*size);
        cpio::Writer w(MutableBytes(out.data(), out.size()));
        ASSERT_TRUE(write_archive(t, files, &w));
        ASSERT_EQ(w.size(), out.size());

        // Leading directories 0555, the last one with the kind's mode, files with the kind's mode,
        // inodes from 1, and systemd's trailer (its name size in upper case).
        std::string expected = newc(1, 040555, ".extra", "") + newc(2, 040500, ".extra/credentials", "") +
                               newc(3, 0100400, ".extra/credentials/a.cred", d1) +
                               newc(4, 0100400, ".extra/credentials/b.cred", d2) +
                               "07070100000000000000000000000000000000000000010000000000000000000000000000000000000000"
                               "000000000000000B00000000TRAILER!!!" +
                               std::string(3, '\0');
        expected.resize((expected.size() + 3) & ~size_t(3), '\0');
        EXPECT_EQ(std::string(out.begin(), out.end()), expected);

        // No file, no archive.
        EXPECT_EQ(*archive_size(t, Span<const File>()), 0u);

        // Files were listed but none could be read: systemd-stub still writes the directories.
        std::vector<uint8_t> dirs(*archive_size(t, Span<const File>(), EmptyArchive::Directories));
        cpio::Writer dw(MutableBytes(dirs.data(), dirs.size()));
        ASSERT_TRUE(write_archive(t, Span<const File>(), &dw, EmptyArchive::Directories));
        std::string expected_dirs = newc(1, 040555, ".extra", "") + newc(2, 040500, ".extra/credentials", "") +
                                    expected.substr(expected.find("07070100000000000000000000000000000000000000010000000000000000000000000000000000000000"));
        EXPECT_EQ(std::string(dirs.begin(), dirs.end()), expected_dirs);
}

TEST(Sidecar, AddonVerdicts) {
        const uint8_t cmd[] = {'x', '=', '1'};
        const uint8_t linux_[] = {'M', 'Z'};
        Addon a;
        EXPECT_EQ(judge_addon(a, Bytes()), AddonVerdict::NoKnownSection);
        a.cmdline = Bytes(cmd, sizeof cmd);
        EXPECT_EQ(judge_addon(a, Bytes()), AddonVerdict::Used);
        Addon uki = a;
        uki.has_linux = true;
        EXPECT_EQ(judge_addon(uki, Bytes()), AddonVerdict::IsUki);

        // .uname: compared up to the addon section's size or a NUL in both (strneq8).
        const uint8_t release[] = "6.1.0-50-amd64";
        const uint8_t other[] = "6.1.0-51-amd64";
        const uint8_t prefix[] = {'6', '.', '1'};
        Addon u = a;
        u.uname = Bytes(other, sizeof other - 1);
        EXPECT_EQ(judge_addon(u, Bytes(release, sizeof release - 1)), AddonVerdict::UnameMismatch);
        EXPECT_EQ(judge_addon(u, Bytes()), AddonVerdict::Used); // the UKI has no .uname
        u.uname = Bytes(release, sizeof release); // with its NUL
        EXPECT_EQ(judge_addon(u, Bytes(release, sizeof release - 1)), AddonVerdict::Used);
        u.uname = Bytes(prefix, sizeof prefix);
        EXPECT_EQ(judge_addon(u, Bytes(release, sizeof release - 1)), AddonVerdict::Used);
}

// The stub (from the loaded image) and zuki measure (from the file) take the same sections.
TEST(Sidecar, AddonSectionsFromTheImage) {
        test::Uki addon = test::make_uki({{".sbat", "sbat,1"}, {".cmdline", "x=1"}, {".initrd", "cpio"},
                                          {".uname", "6.1.0"}, {".ucode", "mc"}, {".dtb", "dt"}});
        const char16_t name[] = u"a.addon.efi";
        Addon a = addon_of(addon.view, Span<const char16_t>(name, sizeof name / sizeof name[0]));
        EXPECT_EQ(a.name.size(), 12u); // with its NUL
        EXPECT_EQ(test::as_string(a.cmdline), "x=1");
        EXPECT_EQ(test::as_string(a.initrd), "cpio");
        EXPECT_EQ(test::as_string(a.uname), "6.1.0");
        EXPECT_EQ(test::as_string(a.ucode), "mc");
        EXPECT_EQ(test::as_string(a.dtb), "dt");
        EXPECT_TRUE(a.dtbauto.empty());
        EXPECT_FALSE(a.has_linux);
        EXPECT_EQ(judge_addon(a, Bytes()), AddonVerdict::Used);

        test::Uki uki = test::make_uki({{".cmdline", "x=1"}, {".linux", "MZ"}});
        Addon u = addon_of(uki.view, Span<const char16_t>(name, 12));
        EXPECT_TRUE(u.has_linux);
        EXPECT_EQ(judge_addon(u, Bytes()), AddonVerdict::IsUki);
        test::Uki none = test::make_uki({{".sbat", "sbat,1"}});
        EXPECT_EQ(judge_addon(addon_of(none.view, Span<const char16_t>(name, 12)), Bytes()), AddonVerdict::NoKnownSection);
}

} // namespace
} // namespace zuki::sidecar

namespace zuki::model {
namespace {

using sidecar::Addon;

Bytes b(const char *s) { return Bytes(reinterpret_cast<const uint8_t *>(s), __builtin_strlen(s)); }

std::string narrow(Span<const char16_t> s) {
        std::string r;
        for (char16_t c : s)
                if (c)
                        r += (char) c;
        return r;
}

TEST(SidecarModel, AddonCommandLinesAreFoldedAndJoined) {
        Addon a[3];
        a[0].cmdline = b("  one\ttwo ");
        a[1].cmdline = b("   "); // folds to nothing
        a[2].cmdline = b("three\n");
        Result<size_t> units = addon_command_line_units(a);
        ASSERT_TRUE(units);
        std::vector<char16_t> storage(*units);
        Span<const char16_t> text = addon_command_line(a, Span<char16_t>(storage.data(), storage.size()));
        // Folding makes each whitespace character one space and trims the ends, it does not
        // merge runs (systemd's mangle_stub_cmdline): the empty addon leaves two spaces.
        EXPECT_EQ(narrow(text), "one two  three");
        EXPECT_EQ(text[text.size() - 1], 0);

        // Appended to the UKI's command line after a space.
        Boot boot;
        boot.cmdline_source = CommandLineSource::Embedded;
        boot.embedded_cmdline = b("console=ttyS0");
        boot.cmdline_units = 14;
        std::vector<char16_t> line(boot.cmdline_units + text.size());
        EXPECT_EQ(narrow(command_line(boot, text, Span<char16_t>(line.data(), line.size()))), "console=ttyS0 one two  three");
        // No command line of its own: the addons' alone.
        Boot bare;
        EXPECT_EQ(narrow(command_line(bare, text, Span<char16_t>(line.data(), line.size()))), "one two  three");

        // Not UTF-8: refused.
        const uint8_t bad[] = {0xff, 0xfe};
        Addon c;
        c.cmdline = Bytes(bad, sizeof bad);
        EXPECT_FALSE(addon_command_line_units(Span<const Addon>(&c, 1)));
}

TEST(SidecarModel, MeasurementAndInitrdOrder) {
        const char16_t n1[] = u"g.addon.efi", n2[] = u"l.addon.efi";
        Addon a[2];
        a[0].name = Span<const char16_t>(n1, 12);
        a[0].ucode = b("U1");
        a[0].initrd = b("I1");
        a[1].name = Span<const char16_t>(n2, 12);
        a[1].ucode = b("U2");
        a[1].initrd = b("I2");
        a[1].cmdline = b("x=1");
        EspInputs esp;
        esp.addons = a;
        esp.archives[(size_t) sidecar::Kind::Credentials] = b("CRED");
        esp.archives[(size_t) sidecar::Kind::GlobalSysexts] = b("GSYS");

        measure::Plan plan;
        const char16_t text[] = u"x=1";
        ASSERT_TRUE(add_esp_measurements(esp, Span<const char16_t>(text, 4), Span<const char16_t>(), &plan));
        std::vector<std::string> got;
        for (size_t i = 0; i < plan.count; i++) {
                const measure::Event &e = plan.events[i];
                got.push_back(std::to_string(e.pcr) + ":" + std::to_string(e.type) + ":" + narrow(e.description) + ":" +
                              std::string(e.data.data(), e.data.data() + e.data.size()).substr(0, 4));
        }
        EXPECT_EQ(got, (std::vector<std::string>{
                               std::string("12:13:x=1:x\0=\0", 14),         // the addons' command line (UTF-16)
                               "12:13:Credentials initrd:CRED",
                               "13:13:Global system extension initrd:GSYS",
                               "12:6:l.addon.efi:U2", "12:6:g.addon.efi:U1", // .ucode addons in reverse
                               "12:6:g.addon.efi:I1", "12:6:l.addon.efi:I2", // .initrd addons in order
                       }));
        EXPECT_EQ(plan.events[3].tag, measure::kUcodeAddonEventTag);
        EXPECT_EQ(plan.events[5].tag, measure::kInitrdAddonEventTag);

        Boot boot;
        InitrdPiece pieces[kMaxInitrdPieces];
        size_t n = initrd_pieces(boot, esp, b("LOADER"), 100, pieces);
        std::vector<std::string> parts;
        for (size_t i = 0; i < n; i++)
                parts.push_back(pieces[i].data.data() ? std::string(pieces[i].data.data(),
                                                                     pieces[i].data.data() + pieces[i].data.size())
                                                      : "<extra>");
        EXPECT_EQ(parts, (std::vector<std::string>{"U2", "U1", "LOADER", "CRED", "GSYS", "<extra>", "I1", "I2"}));
}

// Addon devicetrees (systemd-stub 262): the .dtb of each addon whose tree was installed is
// measured into PCR 12 as an EV_EVENT_TAG (tag 0x6c46f751, src/fundamental/tpm2-pcr.h) named by
// the addon's file name, in addon order, after the command lines and before the archives; one
// that was not installed is not measured. An addon's .dtbauto (present only when sidecar::addon_of
// chose it for the machine) is taken before its .dtb.
TEST(SidecarModel, DevicetreeAddonsAreMeasuredWhenInstalled) {
        const char16_t n1[] = u"g.addon.efi", n2[] = u"l.addon.efi", n3[] = u"m.addon.efi";
        Addon a[3];
        a[0].name = Span<const char16_t>(n1, 12);
        a[0].dtb = b("DT1");
        a[0].initrd = b("I1");
        a[1].name = Span<const char16_t>(n2, 12);
        a[1].dtb = b("DT2");
        a[1].dtbauto = b("AUTO");
        a[2].name = Span<const char16_t>(n3, 12);
        a[2].dtb = b("DT3");
        EspInputs esp;
        esp.addons = a;
        esp.archives[(size_t) sidecar::Kind::Credentials] = b("CRED");
        bool applied[3] = {true, true, false};
        esp.devicetree_applied = applied;

        EXPECT_EQ(test::as_string(addon_devicetree(a[1])), "AUTO");
        measure::Plan plan;
        const char16_t smbios[] = u"s=1";
        ASSERT_TRUE(add_esp_measurements(esp, Span<const char16_t>(), Span<const char16_t>(smbios, 4), &plan));
        std::vector<std::string> got;
        for (size_t i = 0; i < plan.count; i++) {
                const measure::Event &e = plan.events[i];
                got.push_back(std::to_string(e.pcr) + ":" + std::to_string(e.type) + ":" + narrow(e.description) + ":" +
                              std::string(e.data.data(), e.data.data() + e.data.size()).substr(0, 4));
        }
        EXPECT_EQ(got, (std::vector<std::string>{
                               std::string("12:13:s=1:s\0=\0", 14),
                               "12:6:g.addon.efi:DT1", "12:6:l.addon.efi:AUTO", // installed ones, in order
                               "12:13:Credentials initrd:CRED",
                               "12:6:g.addon.efi:I1",
                       }));
        EXPECT_EQ(plan.events[1].tag, 0x6c46f751u);
        EXPECT_EQ(plan.events[2].tag, 0x6c46f751u);

        // Nothing reported as installed: nothing measured.
        esp.devicetree_applied = nullptr;
        measure::Plan none;
        ASSERT_TRUE(add_esp_measurements(esp, Span<const char16_t>(), Span<const char16_t>(), &none));
        EXPECT_EQ(none.count, 2u);
}

// What the stub installs at all: a flattened devicetree header whose total size fits.
TEST(SidecarModel, FlattenedDevicetreeHeader) {
        uint8_t fdt[48] = {0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 48};
        EXPECT_TRUE(is_flattened_devicetree(Bytes(fdt, 48)));
        fdt[7] = 40; // padding after the tree is fine
        EXPECT_TRUE(is_flattened_devicetree(Bytes(fdt, 48)));
        fdt[7] = 49; // larger than the section
        EXPECT_FALSE(is_flattened_devicetree(Bytes(fdt, 48)));
        fdt[7] = 39; // smaller than its header
        EXPECT_FALSE(is_flattened_devicetree(Bytes(fdt, 48)));
        fdt[7] = 48;
        fdt[0] = 0xed; // little-endian magic
        EXPECT_FALSE(is_flattened_devicetree(Bytes(fdt, 48)));
        fdt[0] = 0xd0;
        EXPECT_FALSE(is_flattened_devicetree(Bytes(fdt, 39)));
        EXPECT_FALSE(is_flattened_devicetree(Bytes()));
}

TEST(SidecarModel, ConsoleArgument) {
        auto has = [](const std::u16string &s) { return has_console_argument(Span<const char16_t>(s.data(), s.size())); };
        EXPECT_TRUE(has(u"console=ttyS0"));
        EXPECT_TRUE(has(u"quiet console=tty0 rw"));
        EXPECT_FALSE(has(u"quiet xconsole=tty0"));
        EXPECT_FALSE(has(u"netconsole=1"));
        EXPECT_FALSE(has(u"console"));
        EXPECT_FALSE(has(u""));
}

TEST(SidecarModel, VariablesNeedBothArchivesOfAGroup) {
        EspInputs esp;
        EXPECT_TRUE(claim_holds(measure::Claim::KernelImage, esp));
        EXPECT_FALSE(claim_holds(measure::Claim::KernelParameters, esp));
        esp.archives[(size_t) sidecar::Kind::Credentials] = b("C");
        EXPECT_FALSE(claim_holds(measure::Claim::KernelParameters, esp));
        esp.archives[(size_t) sidecar::Kind::GlobalCredentials] = b("G");
        EXPECT_TRUE(claim_holds(measure::Claim::KernelParameters, esp));
        EXPECT_FALSE(claim_holds(measure::Claim::InitrdSysexts, esp));
}

} // namespace
} // namespace zuki::model
