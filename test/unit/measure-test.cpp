// SPDX-License-Identifier: LGPL-2.1-or-later
// measure: the events a UKI boot extends into PCRs 11 and 12, and a PCR 11 value recomputed here
// from the rule systemd-stub follows, with OpenSSL's SHA-256, to check the plan against.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <string>
#include <vector>

#include "measure.hpp"
#include "uki-fixture.hpp"
#include "uki.hpp"

namespace zuki::measure {
namespace {

using test::as_string;
using test::make_uki;
using test::Uki;
using uki::SectionId;

Bytes bytes_of(const std::string &s) { return Bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size()); }

// A section name as measured: its ASCII with the terminating NUL.
std::string with_nul(const char *name) { return std::string(name, string_length(name) + 1); }

SectionContents contents_of_uki(const Uki &u, uint32_t profile = 0) {
        Result<uki::SectionSet> set = uki::select_sections(u.view, profile);
        EXPECT_TRUE(set.ok()) << describe(set.error());
        Result<SectionContents> c = contents_of(u.view, *set);
        EXPECT_TRUE(c.ok()) << describe(c.error());
        return *c;
}

TEST(MeasureContents, RefusesVirtualSizeBeyondTheRawData) {
        Uki u = make_uki({{".linux", "kernel"}, {".cmdline", "quiet", test::kUkiFileAlignment + 1}});
        Result<uki::SectionSet> set = uki::select_sections(u.view, 0);
        ASSERT_TRUE(set.ok()) << describe(set.error());
        EXPECT_EQ(contents_of(u.view, *set).error(), Error::VirtualSizeExceedsData);
}

TEST(MeasureContents, TakesVirtualSizeBytesNotTheFileAlignmentPadding) {
        Uki u = make_uki({{".linux", "kernel"}, {".cmdline", "quiet"}});
        SectionContents c = contents_of_uki(u);
        EXPECT_EQ(as_string(c.data[(size_t) SectionId::Linux]), "kernel");
        EXPECT_EQ(as_string(c.data[(size_t) SectionId::Cmdline]), "quiet");
        EXPECT_FALSE(c.present[(size_t) SectionId::Osrel]);
}

TEST(MeasureSections, TwoPcr11IplEventsPerSectionInCanonicalOrderWhateverTheFileOrder) {
        Uki u = make_uki({
                {".sbat", "sbat,1"},
                {".cmdline", "quiet"},
                {".text", "not a UKI section"},
                {".osrel", "ID=test"},
                {".linux", "kernel"},
        });
        Plan plan;
        ASSERT_TRUE(add_sections(&plan, contents_of_uki(u)).ok());

        const std::vector<std::pair<const char *, std::string>> expected = {
                {".linux", "kernel"}, {".osrel", "ID=test"}, {".cmdline", "quiet"}, {".sbat", "sbat,1"}};
        ASSERT_EQ(plan.count, 2 * expected.size());
        for (size_t i = 0; i < expected.size(); i++) {
                const auto &[name, data] = expected[i];
                const Event &label = plan.events[2 * i];
                const Event &body = plan.events[2 * i + 1];
                for (const Event *e : {&label, &body}) {
                        EXPECT_EQ(e->pcr, kPcrKernelBoot) << name;
                        EXPECT_EQ(e->type, kEvIpl) << name;
                        ASSERT_NE(e->ascii_description, nullptr);
                        EXPECT_STREQ(e->ascii_description, name);
                }
                EXPECT_EQ(as_string(label.data), with_nul(name));
                EXPECT_EQ(as_string(body.data), data) << name;
        }
}

TEST(MeasureSections, PcrsigIsNeverMeasured) {
        SectionContents c;
        c.present[(size_t) SectionId::Pcrsig] = true;
        c.data[(size_t) SectionId::Pcrsig] = bytes_of("{\"sha256\":[]}");
        Plan plan;
        ASSERT_TRUE(add_sections(&plan, c).ok());
        EXPECT_EQ(plan.count, 0u);
}

TEST(MeasureSections, EverySectionButPcrsigInKSectionNamesOrder) {
        SectionContents c;
        std::array<std::string, uki::kSectionCount> data;
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                data[k] = "data of " + std::string(uki::kSectionNames[k]);
                c.present[k] = true;
                c.data[k] = bytes_of(data[k]);
        }
        Plan plan;
        ASSERT_TRUE(add_sections(&plan, c).ok());
        ASSERT_EQ(plan.count, 2 * (uki::kSectionCount - 1));
        size_t i = 0;
        for (size_t k = 0; k < uki::kSectionCount; k++) {
                if ((SectionId) k == SectionId::Pcrsig)
                        continue;
                EXPECT_EQ(as_string(plan.events[i++].data), with_nul(uki::kSectionNames[k]));
                EXPECT_EQ(as_string(plan.events[i++].data), data[k]);
        }
}

TEST(MeasureProfile, Pcr12EventTagOverTheUtf16DecimalWithItsNul) {
        char16_t text[11];
        Plan plan;
        ASSERT_TRUE(add_profile(&plan, format_decimal(42, text)).ok());
        ASSERT_EQ(plan.count, 1u);
        const Event &e = plan.events[0];
        EXPECT_EQ(e.pcr, 12u);
        EXPECT_EQ(e.type, 0x06u);
        EXPECT_EQ(e.tag, 0x13aed6dbu);
        const std::vector<uint8_t> utf16le = {'4', 0, '2', 0, 0, 0};
        EXPECT_EQ(std::vector<uint8_t>(e.data.begin(), e.data.end()), utf16le);
        EXPECT_EQ(std::u16string(e.description.data(), e.description.size()), std::u16string(u"42", 3));
}

TEST(MeasureCommandLine, Pcr12IplOverTheUtf16TextAsGiven) {
        const std::u16string text(u"quiet\0", 6);
        Plan plan;
        ASSERT_TRUE(add_command_line(&plan, Span<const char16_t>(text.data(), text.size())).ok());
        ASSERT_EQ(plan.count, 1u);
        const Event &e = plan.events[0];
        EXPECT_EQ(e.pcr, 12u);
        EXPECT_EQ(e.type, 0x0du);
        const std::vector<uint8_t> utf16le = {'q', 0, 'u', 0, 'i', 0, 'e', 0, 't', 0, 0, 0};
        EXPECT_EQ(std::vector<uint8_t>(e.data.begin(), e.data.end()), utf16le);
        EXPECT_EQ(e.description.data(), text.data());
        EXPECT_EQ(e.description.size(), 6u);
}

TEST(MeasurePlan, RefusesEventsBeyondItsCapacity) {
        const char16_t text[] = u"x";
        Plan plan;
        for (size_t i = 0; i < Plan::kCapacity; i++)
                ASSERT_TRUE(add_command_line(&plan, text).ok()) << i;
        EXPECT_EQ(add_command_line(&plan, text).error(), Error::NoSpace);
        EXPECT_EQ(add_profile(&plan, text).error(), Error::NoSpace);
        EXPECT_EQ(plan.count, Plan::kCapacity);
}

TEST(MeasurePlan, SectionsThatDoNotFitReportNoSpace) {
        SectionContents c;
        c.present[(size_t) SectionId::Linux] = true;
        Plan plan;
        plan.count = Plan::kCapacity - 1; // room for the name event only
        EXPECT_EQ(add_sections(&plan, c).error(), Error::NoSpace);
        EXPECT_EQ(plan.count, Plan::kCapacity);
}

TEST(MeasurePlan, AFullUkiWithProfileAndCommandLineFits) {
        SectionContents c;
        for (size_t k = 0; k < uki::kSectionCount; k++)
                c.present[k] = true;
        char16_t number[11];
        const char16_t text[] = u"quiet";
        Plan plan;
        EXPECT_TRUE(add_profile(&plan, format_decimal(1, number)).ok());
        EXPECT_TRUE(add_sections(&plan, c).ok());
        EXPECT_TRUE(add_command_line(&plan, text).ok());
}

TEST(MeasureFormatDecimal, WritesUtf16DigitsAndANul) {
        char16_t out[11];
        auto text = [&](uint32_t v) {
                Span<const char16_t> s = format_decimal(v, out);
                return std::u16string(s.data(), s.size());
        };
        EXPECT_EQ(text(0), std::u16string(u"0", 2));
        EXPECT_EQ(text(7), std::u16string(u"7", 2));
        EXPECT_EQ(text(10), std::u16string(u"10", 3));
        EXPECT_EQ(text(4294967295u), std::u16string(u"4294967295", 11));
}

// SHA-256 with OpenSSL, independent of zuki.
using Digest = std::array<uint8_t, 32>;

Digest sha256(const void *data, size_t size) {
        Digest d{};
        unsigned int n = 0;
        EXPECT_EQ(EVP_Digest(data, size, d.data(), &n, EVP_sha256(), nullptr), 1);
        EXPECT_EQ(n, d.size());
        return d;
}

Digest sha256(const std::string &s) { return sha256(s.data(), s.size()); }

// TPM2_PCR_Extend for a SHA-256 bank: PCR := SHA-256(PCR || digest).
void extend(Digest *pcr, const Digest &digest) {
        std::string both(reinterpret_cast<const char *>(pcr->data()), pcr->size());
        both.append(reinterpret_cast<const char *>(digest.data()), digest.size());
        *pcr = sha256(both);
}

std::string hex(const Digest &d) {
        static const char kDigits[] = "0123456789abcdef";
        std::string s;
        for (uint8_t b : d) {
                s += kDigits[b >> 4];
                s += kDigits[b & 15];
        }
        return s;
}

TEST(MeasurePcr11, PlanReplaysToThePcrComputedFromFirstPrinciples) {
        // .linux's VirtualSize is below its raw size, so the padding up to FileAlignment must not
        // be hashed; .pcrsig and the unknown .text are not measured; file order is not canonical.
        std::string kernel(0x2f0, '\0');
        for (size_t i = 0; i < kernel.size(); i++)
                kernel[i] = (char) (i * 7 + 3);
        const std::string osrel = "ID=zuki\nVERSION_ID=1\n";
        const std::string cmdline = "console=ttyS0 quiet";
        const std::string uname = "6.1.0-test";
        Uki u = make_uki({
                {".osrel", osrel},
                {".text", "stub code"},
                {".cmdline", cmdline},
                {".linux", kernel},
                {".pcrsig", "{}"},
                {".uname", uname},
        });

        Digest expected{};
        for (const auto &[name, data] : std::vector<std::pair<std::string, std::string>>{
                     {".linux", kernel}, {".osrel", osrel}, {".cmdline", cmdline}, {".uname", uname}}) {
                extend(&expected, sha256(name.c_str(), name.size() + 1));
                extend(&expected, sha256(data));
        }

        Plan plan;
        ASSERT_TRUE(add_sections(&plan, contents_of_uki(u)).ok());
        Digest replayed{};
        for (size_t i = 0; i < plan.count; i++) {
                ASSERT_EQ(plan.events[i].pcr, kPcrKernelBoot);
                extend(&replayed, sha256(plan.events[i].data.data(), plan.events[i].data.size()));
        }
        EXPECT_EQ(plan.count, 8u);
        EXPECT_EQ(hex(replayed), hex(expected));
}

} // namespace
} // namespace zuki::measure
