// SPDX-License-Identifier: LGPL-2.1-or-later
// uki::select_sections and uki::parse_profile_selector: which sections a profile of a UKI sees,
// and how "@N" at the start of the load options picks the profile.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "limits.hpp"
#include "pe.hpp"
#include "uki-fixture.hpp"
#include "uki.hpp"

namespace zuki::uki {
namespace {

using test::as_string;
using test::make_uki;
using test::Uki;

// The content of section `id` in `set`, or "<absent>".
std::string content(const Uki &u, const SectionSet &set, SectionId id) {
        return set.has(id) ? as_string(u.view.data(set.get(id))) : "<absent>";
}

// A UKI with a base and two profiles:
//   base      .linux  .osrel  .cmdline
//   profile 0 .profile .cmdline
//   profile 1 .profile .osrel .dtb
Uki two_profile_uki() {
        return make_uki({
                {".linux", "kernel"},
                {".osrel", "ID=base"},
                {".cmdline", "base-cmdline"},
                {".profile", "ID=zero"},
                {".cmdline", "zero-cmdline"},
                {".profile", "ID=one"},
                {".osrel", "ID=one"},
                {".dtb", "one-dtb"},
        });
}

// The limits agree: a UKI at the profile limit (base .linux + one .profile each) is within the
// section limit, and the section table at the section limit is the table size limit.
TEST(UkiLimits, ProfilesFitInTheSectionLimit) {
        EXPECT_LE(1 + uki::kMaxProfiles, limits::kMaxSections);
        EXPECT_EQ(limits::kMaxSectionTableSize, limits::kMaxSections * pe::kSectionHeaderSize);
}

TEST(UkiIsUki, NeedsALinuxSection) {
        EXPECT_TRUE(is_uki(make_uki({{".osrel", "ID=x"}, {".linux", "k"}}).view));
        EXPECT_FALSE(is_uki(make_uki({{".osrel", "ID=x"}, {".linux2", "k"}}).view));
}

TEST(UkiSelect, BaseOnlyUkiHasProfileZeroWithAllItsSections) {
        Uki u = make_uki({{".linux", "kernel"}, {".osrel", "ID=test"}, {".cmdline", "quiet"}});
        Result<SectionSet> set = select_sections(u.view, 0);
        ASSERT_TRUE(set.ok()) << describe(set.error());
        EXPECT_EQ(set->profile, 0u);
        EXPECT_EQ(set->profile_count, 0u);
        EXPECT_EQ(content(u, *set, SectionId::Linux), "kernel");
        EXPECT_EQ(content(u, *set, SectionId::Osrel), "ID=test");
        EXPECT_EQ(content(u, *set, SectionId::Cmdline), "quiet");
        for (SectionId absent : {SectionId::Initrd, SectionId::Profile, SectionId::Dtb, SectionId::Pcrsig})
                EXPECT_FALSE(set->has(absent)) << kSectionNames[(size_t) absent];
}

TEST(UkiSelect, BaseOnlyUkiHasNoProfileOne) {
        Uki u = make_uki({{".linux", "kernel"}});
        EXPECT_EQ(select_sections(u.view, 1).error(), Error::UnknownProfile);
        EXPECT_EQ(select_sections(u.view, 0xffffffff).error(), Error::UnknownProfile);
}

TEST(UkiSelect, ProfileOverridesBaseSectionsOfTheSameNameAndInheritsTheRest) {
        Uki u = two_profile_uki();
        Result<SectionSet> zero = select_sections(u.view, 0);
        ASSERT_TRUE(zero.ok()) << describe(zero.error());
        EXPECT_EQ(zero->profile, 0u);
        EXPECT_EQ(zero->profile_count, 2u);
        EXPECT_EQ(content(u, *zero, SectionId::Linux), "kernel");
        EXPECT_EQ(content(u, *zero, SectionId::Osrel), "ID=base");
        EXPECT_EQ(content(u, *zero, SectionId::Cmdline), "zero-cmdline");
        EXPECT_EQ(content(u, *zero, SectionId::Profile), "ID=zero");
        EXPECT_FALSE(zero->has(SectionId::Dtb)) << "profile 1's .dtb leaked into profile 0";

        Result<SectionSet> one = select_sections(u.view, 1);
        ASSERT_TRUE(one.ok()) << describe(one.error());
        EXPECT_EQ(one->profile, 1u);
        EXPECT_EQ(one->profile_count, 2u);
        EXPECT_EQ(content(u, *one, SectionId::Linux), "kernel");
        EXPECT_EQ(content(u, *one, SectionId::Osrel), "ID=one");
        EXPECT_EQ(content(u, *one, SectionId::Cmdline), "base-cmdline");
        EXPECT_EQ(content(u, *one, SectionId::Profile), "ID=one");
        EXPECT_EQ(content(u, *one, SectionId::Dtb), "one-dtb");
}

TEST(UkiSelect, ProfilePastTheLastDotProfileIsUnknown) {
        Uki u = two_profile_uki();
        EXPECT_EQ(select_sections(u.view, 2).error(), Error::UnknownProfile);
}

TEST(UkiSelect, DuplicateSectionInTheBaseIsRefused) {
        Uki u = make_uki({{".linux", "kernel"}, {".cmdline", "a"}, {".cmdline", "b"}});
        EXPECT_EQ(select_sections(u.view, 0).error(), Error::DuplicateSection);
}

TEST(UkiSelect, DuplicateBaseSectionIsRefusedForEveryProfile) {
        Uki u = make_uki({{".linux", "k1"}, {".linux", "k2"}, {".profile", "ID=a"}, {".profile", "ID=b"}});
        EXPECT_EQ(select_sections(u.view, 0).error(), Error::DuplicateSection);
        EXPECT_EQ(select_sections(u.view, 1).error(), Error::DuplicateSection);
}

TEST(UkiSelect, DuplicateInTheSelectedProfileIsRefusedButNotInAnotherOne) {
        Uki u = make_uki({
                {".linux", "kernel"},
                {".profile", "ID=a"},
                {".cmdline", "a1"},
                {".cmdline", "a2"},
                {".profile", "ID=b"},
                {".cmdline", "b"},
        });
        EXPECT_EQ(select_sections(u.view, 0).error(), Error::DuplicateSection);
        Result<SectionSet> b = select_sections(u.view, 1);
        ASSERT_TRUE(b.ok()) << describe(b.error());
        EXPECT_EQ(content(u, *b, SectionId::Cmdline), "b");
}

// .hwids and .efifw: the first is recorded; .dtbauto only when chosen for a machine (chid-test.cpp),
// never without one.
TEST(UkiSelect, RepeatableSectionsMayOccurTwiceAndTheFirstIsRecorded) {
        Uki u = make_uki({
                {".linux", "kernel"},
                {".dtbauto", "dtb-1"},
                {".dtbauto", "dtb-2"},
                {".hwids", "hw-1"},
                {".hwids", "hw-2"},
                {".efifw", "fw-1"},
                {".efifw", "fw-2"},
                {".profile", "ID=a"},
                {".dtbauto", "a-dtb-1"},
                {".dtbauto", "a-dtb-2"},
        });
        Result<SectionSet> set = select_sections(u.view, 0);
        ASSERT_TRUE(set.ok()) << describe(set.error());
        EXPECT_EQ(content(u, *set, SectionId::Dtbauto), "<absent>");
        EXPECT_EQ(content(u, *set, SectionId::Hwids), "hw-1");
        EXPECT_EQ(content(u, *set, SectionId::Efifw), "fw-1");
}

TEST(UkiSelect, UnknownAndNearMissNamesAreIgnored) {
        // ".cmdlin" and ".linux2" differ from known names only at the end; ".cmdline" and
        // ".pcrpkey" fill all 8 name bytes without a NUL.
        Uki u = make_uki({
                {".text", "code"},
                {".linux", "kernel"},
                {".cmdlin", "x"},
                {".linux2", "y"},
                {".sdmagic", "z"},
                {".cmdline", "quiet"},
                {".pcrpkey", "key"},
                {".reloc", ""},
        });
        Result<SectionSet> set = select_sections(u.view, 0);
        ASSERT_TRUE(set.ok()) << describe(set.error());
        EXPECT_EQ(content(u, *set, SectionId::Linux), "kernel");
        EXPECT_EQ(content(u, *set, SectionId::Cmdline), "quiet");
        EXPECT_EQ(content(u, *set, SectionId::Pcrpkey), "key");
        size_t present = 0;
        for (size_t k = 0; k < kSectionCount; k++)
                present += set->present[k];
        EXPECT_EQ(present, 3u);
}

// systemd-stub treats a section whose VirtualSize is 0 as absent (PE_SECTION_VECTOR_IS_SET in
// src/boot/pe.h tests memory_size != 0): it is neither measured nor used, and in a profile it
// does not hide the base's section. An empty section appended with objcopy looks like this.
TEST(UkiSelect, SectionWithZeroVirtualSizeIsAbsentLikeInSystemdStub) {
        Uki u = make_uki({
                {".linux", "kernel"},
                {".osrel", ""},
                {".cmdline", "base-cmdline"},
                {".profile", "ID=a"},
                {".cmdline", "ignored", 0},
        });
        Result<SectionSet> set = select_sections(u.view, 0);
        ASSERT_TRUE(set.ok()) << describe(set.error());
        EXPECT_FALSE(set->has(SectionId::Osrel));
        EXPECT_EQ(content(u, *set, SectionId::Cmdline), "base-cmdline");
}

// parse_profile_selector over a UTF-16 string (without its NUL unless the test adds one).
struct Selector {
        uint32_t profile;
        size_t rest;
        bool valid;
};

Selector parse(const std::u16string &s) {
        Selector r{0xdeadbeef, 0xdeadbeef, true};
        r.profile = parse_profile_selector(Span<const char16_t>(s.data(), s.size()), &r.rest, &r.valid);
        return r;
}

// ASCII test strings as text for failure messages.
std::string narrow(const std::u16string &s) { return std::string(s.begin(), s.end()); }

TEST(ProfileSelector, NumberFollowedByASpaceLeavesTheRestAfterTheSpace) {
        Selector s = parse(u"@1 rest");
        EXPECT_TRUE(s.valid);
        EXPECT_EQ(s.profile, 1u);
        EXPECT_EQ(s.rest, 3u);
}

TEST(ProfileSelector, NumberAloneLeavesAnEmptyRest) {
        Selector s = parse(u"@12");
        EXPECT_TRUE(s.valid);
        EXPECT_EQ(s.profile, 12u);
        EXPECT_EQ(s.rest, 3u);
}

TEST(ProfileSelector, NumberFollowedByTheNulOfTheLoadOptionsIsAccepted) {
        Selector s = parse(std::u16string(u"@2\0junk", 7));
        EXPECT_TRUE(s.valid);
        EXPECT_EQ(s.profile, 2u);
        EXPECT_EQ(s.rest, 2u);
}

TEST(ProfileSelector, ExplicitProfileZeroIsValid) {
        Selector s = parse(u"@0 quiet");
        EXPECT_TRUE(s.valid);
        EXPECT_EQ(s.profile, 0u);
        EXPECT_EQ(s.rest, 3u);
}

TEST(ProfileSelector, SeveralSpacesBeforeTheRestAreSkipped) {
        Selector s = parse(u"@3    console=ttyS0");
        EXPECT_TRUE(s.valid);
        EXPECT_EQ(s.profile, 3u);
        EXPECT_EQ(s.rest, 6u);
}

TEST(ProfileSelector, MalformedSelectorsAreNoSelector) {
        for (const char16_t *text : {u"", u"@", u"@x", u"@1x", u"x@1", u"@ 1", u"@-1", u" @1", u"@1\tquiet"}) {
                Selector s = parse(text);
                EXPECT_FALSE(s.valid) << "\"" << narrow(text) << "\"";
                EXPECT_EQ(s.profile, 0u);
                EXPECT_EQ(s.rest, 0u);
        }
}

TEST(ProfileSelector, LargestUint32IsValidAndOneMoreIsNot) {
        Selector max = parse(u"@4294967295");
        EXPECT_TRUE(max.valid);
        EXPECT_EQ(max.profile, 4294967295u);
        EXPECT_EQ(max.rest, 11u);

        for (const char16_t *text : {u"@4294967296", u"@18446744073709551617", u"@99999999999999999999999999 x"}) {
                Selector s = parse(text);
                EXPECT_FALSE(s.valid) << narrow(text);
                EXPECT_EQ(s.profile, 0u);
                EXPECT_EQ(s.rest, 0u);
        }
}

} // namespace
} // namespace zuki::uki
