// SPDX-License-Identifier: LGPL-2.1-or-later
// The boot model over a table of cases: for each UKI, load options and Secure Boot state, the
// profile, the command line and its source, the /.extra files and the exact ordered measurements,
// all written out by hand from systemd-stub's rules (see boot-model.hpp), never taken from the
// code under test.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "boot-model.hpp"
#include "limits.hpp"
#include "uki-fixture.hpp"

namespace zuki::model {
namespace {

using test::make_uki;
using test::Uki;
using test::UkiSection;

std::u16string utf16(const std::string &ascii) { return std::u16string(ascii.begin(), ascii.end()); }

// UTF-16LE bytes of `text` followed by a UTF-16 NUL, as the stub hashes a command line.
std::string utf16le_with_nul(const std::string &ascii) {
        std::string out;
        for (char c : ascii) {
                out += c;
                out += '\0';
        }
        out += std::string(2, '\0');
        return out;
}

struct ExpectedEvent {
        uint32_t pcr;
        uint32_t type;
        std::string data;
};

// The two PCR 11 events of one section: its name with the NUL, then its bytes.
std::vector<ExpectedEvent> section_events(const std::string &name, const std::string &data) {
        return {{11, 0x0d, name + std::string(1, '\0')}, {11, 0x0d, data}};
}

std::vector<ExpectedEvent> concat(std::initializer_list<std::vector<ExpectedEvent>> parts) {
        std::vector<ExpectedEvent> out;
        for (const auto &p : parts)
                out.insert(out.end(), p.begin(), p.end());
        return out;
}

struct Case {
        const char *name;
        std::vector<UkiSection> sections;
        std::u16string options; // load options as the firmware passes them
        bool secure_boot;
        // Expected:
        Error error = Error::None;
        uint32_t profile = 0;
        CommandLineSource source = CommandLineSource::None;
        OptionsFate fate = OptionsFate::Absent;
        std::string cmdline; // ASCII; empty: none
        std::vector<ExpectedEvent> events;
        std::vector<std::string> extra_paths;
};

const std::vector<UkiSection> kBasic = {{".linux", "KERNEL"}, {".osrel", "ID=t\n"}, {".cmdline", "quiet  splash\n"}};
const std::vector<ExpectedEvent> kBasicEvents = concat(
        {section_events(".linux", "KERNEL"), section_events(".osrel", "ID=t\n"),
         section_events(".cmdline", "quiet  splash\n")});

const std::vector<UkiSection> kTwoProfiles = {
        {".linux", "KERNEL"},      {".cmdline", "base"},        {".profile", "ID=one"},
        {".profile", "ID=two"},    {".cmdline", "second"},
};

std::vector<Case> cases() {
        std::string long_options(limits::kMaxCommandLine + 1, 'x');
        return {
                {"embedded cmdline, no options", kBasic, u"", false, Error::None, 0, CommandLineSource::Embedded,
                 OptionsFate::Absent, "quiet  splash", kBasicEvents, {".extra/os-release"}},
                {"options replace .cmdline without Secure Boot", kBasic, u"root=/dev/vda", false, Error::None, 0,
                 CommandLineSource::LoadOptions, OptionsFate::Used, "root=/dev/vda",
                 concat({kBasicEvents, {{12, 0x0d, utf16le_with_nul("root=/dev/vda")}}}),
                 {".extra/os-release"}},
                {"Secure Boot locks an embedded .cmdline", kBasic, u"root=/dev/vda", true, Error::None, 0,
                 CommandLineSource::Embedded, OptionsFate::LockedBySecureBoot, "quiet  splash", kBasicEvents,
                 {".extra/os-release"}},
                {"Secure Boot without .cmdline takes the options",
                 {{".linux", "KERNEL"}},
                 u"console=ttyS0",
                 true,
                 Error::None,
                 0,
                 CommandLineSource::LoadOptions,
                 OptionsFate::Used,
                 "console=ttyS0",
                 concat({section_events(".linux", "KERNEL"), {{12, 0x0d, utf16le_with_nul("console=ttyS0")}}}),
                 {}},
                {"an empty .cmdline (VirtualSize 0) is absent, even under Secure Boot",
                 {{".linux", "KERNEL"}, {".cmdline", ""}},
                 u"console=ttyS0",
                 true,
                 Error::None,
                 0,
                 CommandLineSource::LoadOptions,
                 OptionsFate::Used,
                 "console=ttyS0",
                 concat({section_events(".linux", "KERNEL"), {{12, 0x0d, utf16le_with_nul("console=ttyS0")}}}),
                 {}},
                {"a control character first: options ignored", kBasic, u"\x01garbage", false, Error::None, 0,
                 CommandLineSource::Embedded, OptionsFate::NotPrintable, "quiet  splash", kBasicEvents,
                 {".extra/os-release"}},
                {"a control character first hides the profile selector too", kTwoProfiles, u"\x01@1 foo", false,
                 Error::None, 0, CommandLineSource::Embedded, OptionsFate::NotPrintable, "base",
                 concat({section_events(".linux", "KERNEL"), section_events(".cmdline", "base"),
                         section_events(".profile", "ID=one")}),
                 {".extra/profile"}},
                {"after the selector a control character is folded away, not a reason to ignore",
                 kTwoProfiles,
                 u"@1 \x01" u"foo", // (a string break: \x01f would be one hex escape)
                 false,
                 Error::None,
                 1,
                 CommandLineSource::LoadOptions,
                 OptionsFate::Used,
                 "foo",
                 concat({{{12, 0x06, utf16le_with_nul("1")}},
                         section_events(".linux", "KERNEL"),
                         section_events(".cmdline", "second"),
                         section_events(".profile", "ID=two"),
                         {{12, 0x0d, utf16le_with_nul("foo")}}}),
                 {".extra/profile"}},
                {"whitespace-only options under Secure Boot: blank, the .cmdline is used", kBasic, u" \t", true,
                 Error::None, 0, CommandLineSource::Embedded, OptionsFate::Blank, "quiet  splash", kBasicEvents,
                 {".extra/os-release"}},
                {"whitespace-only options: ignored", kBasic, u"  \t ", false, Error::None, 0,
                 CommandLineSource::Embedded, OptionsFate::Blank, "quiet  splash", kBasicEvents,
                 {".extra/os-release"}},
                {"options folded: outer whitespace dropped, inner made spaces", kBasic, u" a\tb\x7f ", false,
                 Error::None, 0, CommandLineSource::LoadOptions, OptionsFate::Used, "a b",
                 concat({kBasicEvents, {{12, 0x0d, utf16le_with_nul("a b")}}}), {".extra/os-release"}},
                {".cmdline ends at its first NUL, PCR 11 covers every byte",
                 {{".linux", "KERNEL"}, {".cmdline", std::string("ro\0junk", 7)}},
                 u"",
                 false,
                 Error::None,
                 0,
                 CommandLineSource::Embedded,
                 OptionsFate::Absent,
                 "ro",
                 concat({section_events(".linux", "KERNEL"), section_events(".cmdline", std::string("ro\0junk", 7))}),
                 {}},
                {"no .cmdline, no options: no command line",
                 {{".linux", "KERNEL"}},
                 u"",
                 false,
                 Error::None,
                 0,
                 CommandLineSource::None,
                 OptionsFate::Absent,
                 "",
                 section_events(".linux", "KERNEL"),
                 {}},
                {"@1 selects profile 1: tag event, its sections, then the options",
                 kTwoProfiles,
                 u"@1 foo",
                 false,
                 Error::None,
                 1,
                 CommandLineSource::LoadOptions,
                 OptionsFate::Used,
                 "foo",
                 concat({{{12, 0x06, utf16le_with_nul("1")}},
                         section_events(".linux", "KERNEL"),
                         section_events(".cmdline", "second"),
                         section_events(".profile", "ID=two"),
                         {{12, 0x0d, utf16le_with_nul("foo")}}}),
                 {".extra/profile"}},
                {"@1 alone: the profile's own .cmdline",
                 kTwoProfiles,
                 u"@1",
                 true,
                 Error::None,
                 1,
                 CommandLineSource::Embedded,
                 OptionsFate::Absent,
                 "second",
                 concat({{{12, 0x06, utf16le_with_nul("1")}},
                         section_events(".linux", "KERNEL"),
                         section_events(".cmdline", "second"),
                         section_events(".profile", "ID=two")}),
                 {".extra/profile"}},
                {"profile 0 of a multi-profile UKI: the first .profile, no tag event",
                 kTwoProfiles,
                 u"",
                 false,
                 Error::None,
                 0,
                 CommandLineSource::Embedded,
                 OptionsFate::Absent,
                 "base",
                 concat({section_events(".linux", "KERNEL"), section_events(".cmdline", "base"),
                         section_events(".profile", "ID=one")}),
                 {".extra/profile"}},
                {"an unknown profile is refused", kTwoProfiles, u"@7", false, Error::UnknownProfile},
                {"too long options are refused", kBasic, utf16(long_options), false, Error::LoadOptionsTooLong},
                {"too long options under a Secure Boot lock are ignored, not refused", kBasic, utf16(long_options),
                 true, Error::None, 0, CommandLineSource::Embedded, OptionsFate::LockedBySecureBoot, "quiet  splash",
                 kBasicEvents, {".extra/os-release"}},
                {"a .cmdline over the limit is refused",
                 {{".linux", "KERNEL"}, {".cmdline", long_options}},
                 u"",
                 false,
                 Error::CmdlineTooLong},
                {"a .cmdline that is not UTF-8 is refused",
                 {{".linux", "KERNEL"}, {".cmdline", "caf\xe9"}},
                 u"",
                 false,
                 Error::BadCommandLine},
                {"options that replace a bad .cmdline make it unused, not refused",
                 {{".linux", "KERNEL"}, {".cmdline", "caf\xe9"}},
                 u"ok",
                 false,
                 Error::None,
                 0,
                 CommandLineSource::LoadOptions,
                 OptionsFate::Used,
                 "ok",
                 concat({section_events(".linux", "KERNEL"), section_events(".cmdline", "caf\xe9"),
                         {{12, 0x0d, utf16le_with_nul("ok")}}}),
                 {}},
                {".pcrsig is never measured but goes to /.extra, in systemd's order",
                 {{".pcrsig", "{}"}, {".pcrpkey", "KEY"}, {".linux", "KERNEL"}, {".osrel", "ID=t\n"}},
                 u"",
                 false,
                 Error::None,
                 0,
                 CommandLineSource::None,
                 OptionsFate::Absent,
                 "",
                 concat({section_events(".linux", "KERNEL"), section_events(".osrel", "ID=t\n"),
                         section_events(".pcrpkey", "KEY")}),
                 {".extra/tpm2-pcr-signature.json", ".extra/tpm2-pcr-public-key.pem", ".extra/os-release"}},
        };
}

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

class BootModelTable : public ::testing::TestWithParam<Case> {};

TEST_P(BootModelTable, MatchesTheHandWrittenBoot) {
        const Case &c = GetParam();
        Uki u = make_uki(c.sections);
        Inputs in;
        in.load_options = Span<const char16_t>(c.options.data(), c.options.size());
        in.secure_boot = c.secure_boot;
        Result<Boot> b = plan_boot(u.view, in);
        if (c.error != Error::None) {
                ASSERT_FALSE(b.ok());
                EXPECT_EQ(b.error(), c.error) << describe(b.error());
                return;
        }
        ASSERT_TRUE(b.ok()) << describe(b.error());
        EXPECT_EQ(b->profile, c.profile);
        EXPECT_EQ(b->cmdline_source, c.source) << describe(b->cmdline_source);
        EXPECT_EQ(b->options_fate, c.fate) << describe(b->options_fate);

        std::vector<char16_t> storage(b->cmdline_units);
        Span<const char16_t> cmdline = command_line(*b, Span<char16_t>(storage.data(), storage.size()));
        std::u16string expected_cmdline = utf16(c.cmdline);
        if (c.cmdline.empty()) {
                EXPECT_TRUE(cmdline.empty());
        } else {
                ASSERT_EQ(cmdline.size(), expected_cmdline.size() + 1);
                EXPECT_EQ(std::u16string(cmdline.data(), cmdline.size() - 1), expected_cmdline);
                EXPECT_EQ(cmdline[cmdline.size() - 1], 0);
        }

        measure::Plan plan;
        char16_t profile_text[11];
        ASSERT_TRUE(add_measurements(*b, cmdline, profile_text, &plan).ok());
        ASSERT_EQ(plan.count, c.events.size());
        for (size_t i = 0; i < plan.count; i++) {
                const measure::Event &e = plan.events[i];
                SCOPED_TRACE("event " + std::to_string(i));
                EXPECT_EQ(e.pcr, c.events[i].pcr);
                EXPECT_EQ(e.type, c.events[i].type);
                EXPECT_EQ(test::as_string(e.data), c.events[i].data);
                if (e.type == 0x06)
                        EXPECT_EQ(e.tag, 0x13aed6dbu);
        }

        std::vector<std::string> paths;
        for (size_t i = 0; i < b->extra_count; i++)
                paths.push_back(b->extra[i].path);
        EXPECT_EQ(paths, c.extra_paths);
        Result<size_t> size = extra_cpio_size(*b);
        ASSERT_TRUE(size.ok());
        EXPECT_EQ(*size == 0, c.extra_paths.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, BootModelTable, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case> &info) { return "case" + std::to_string(info.index); });

TEST(BootModel, SectionFilesWithoutLinuxAreNotABoot) {
        measure::SectionContents c;
        EXPECT_EQ(plan_boot(c, LoadOptions{}, false).error(), Error::NotUki);
}

TEST(BootModel, CommandLineNeedsTheStorageItAskedFor) {
        Uki u = make_uki(kBasic);
        Result<Boot> b = plan_boot(u.view, Inputs{});
        ASSERT_TRUE(b.ok());
        std::vector<char16_t> small(b->cmdline_units - 1);
        EXPECT_TRUE(command_line(*b, Span<char16_t>(small.data(), small.size())).empty());
}

} // namespace
} // namespace zuki::model
