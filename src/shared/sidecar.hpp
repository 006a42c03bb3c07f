// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What a UKI picks up from the ESP beside itself, by systemd-stub 262's rules (src/boot/stub.c,
// cpio.c): credentials and system/configuration extensions packed into generated cpio archives
// (measured whole into PCR 12 or 13), and addons (PE files with .cmdline/.dtb/.dtbauto/.initrd/
// .ucode sections, loaded through the firmware so that Secure Boot verifies them).
//
// Everything here is pure: the stub feeds it directory entries and file contents read through the
// firmware, the host feeds it files the user names (zuki measure --credential ...), and both get
// the same archives, so the same PCR values.
//
// The rules:
//   - Per-UKI drop-ins live in "<the UKI's path>.extra.d\" (boot counting "+N[-M]" removed from
//     the name first), global ones in \loader\credentials\, \loader\extensions\, \loader\addons\.
//   - A directory entry is used when its name does not start with '.', it is not a directory, it
//     is ASCII, at most 255 characters long, and it ends (ignoring case) in the suffix of its kind.
//     Sysexts match any "*.raw" except "*.confext.raw" (systemd's compatibility rule).
//   - Entries are sorted by UTF-16 code unit (strcmp16), so the archive does not depend on the
//     order the file system lists them in.
//   - A listed file that cannot be read is left out of its archive, the others are packed.
//   - One archive per kind, in this order in the initrd: credentials, global credentials,
//     sysexts, global sysexts, confexts, global confexts. Each is the leading directories, one
//     file per entry ("<directory>/<name>", name as listed), and the trailer; each is measured
//     whole as one EV_IPL event.

#pragma once

#include "base.hpp"
#include "cpio.hpp"
#include "measure.hpp"
#include "pe.hpp"

namespace zuki::sidecar {

enum class Kind : uint8_t {
        Credentials,
        GlobalCredentials,
        Sysexts,
        GlobalSysexts,
        Confexts,
        GlobalConfexts,
};
inline constexpr size_t kKindCount = 6;

struct Target {
        Kind kind;
        const char16_t *global_dir;     // ESP directory, or nullptr: the UKI's own drop-in directory
        const char16_t *suffix;         // matched ignoring case
        const char16_t *exclude_suffix; // or nullptr
        const char *directory;          // in the initrd, without leading '/'
        uint32_t dir_mode;
        uint32_t file_mode;
        uint32_t pcr;
        measure::Claim claim;            // the Stub* variable its measurement vouches for
        const char16_t *description;    // the event log text
        const char *option;             // the zuki measure option that names such files
};
inline constexpr Target kTargets[kKindCount] = {
        {Kind::Credentials, nullptr, u".cred", nullptr, ".extra/credentials", 0500, 0400, measure::kPcrKernelConfig,
         measure::Claim::KernelParameters, u"Credentials initrd", "--credential"},
        {Kind::GlobalCredentials, u"\\loader\\credentials", u".cred", nullptr, ".extra/global_credentials", 0500, 0400,
         measure::kPcrKernelConfig, measure::Claim::KernelParameters, u"Global credentials initrd", "--global-credential"},
        {Kind::Sysexts, nullptr, u".raw", u".confext.raw", ".extra/sysext", 0555, 0444, measure::kPcrSysexts, measure::Claim::InitrdSysexts,
         u"System extension initrd", "--sysext"},
        {Kind::GlobalSysexts, u"\\loader\\extensions", u".raw", u".confext.raw", ".extra/global_sysext", 0555, 0444,
         measure::kPcrSysexts, measure::Claim::InitrdSysexts, u"Global system extension initrd", "--global-sysext"},
        {Kind::Confexts, nullptr, u".confext.raw", nullptr, ".extra/confext", 0555, 0444, measure::kPcrKernelConfig,
         measure::Claim::InitrdConfexts, u"Configuration extension initrd", "--confext"},
        {Kind::GlobalConfexts, u"\\loader\\extensions", u".confext.raw", nullptr, ".extra/global_confext", 0555, 0444,
         measure::kPcrKernelConfig, measure::Claim::InitrdConfexts, u"Global configuration extension initrd", "--global-confext"},
};

inline constexpr const char16_t *kGlobalAddonDir = u"\\loader\\addons";
inline constexpr const char16_t *kAddonSuffix = u".addon.efi";

// Limits of our own (systemd has none below 16 GiB): a larger file or a directory with more
// matching entries is refused with one line per file, the rest of the boot goes on.
inline constexpr uint64_t kMaxFileSize = 1024ull * 1024 * 1024;
inline constexpr size_t kMaxEntries = 4096;
inline constexpr size_t kMaxNameLength = 255;

// The directory entry `name` (no NUL) is one of `suffix`'s kind (see the rules above).
bool name_matches(Span<const char16_t> name, bool is_directory, const char16_t *suffix,
                  const char16_t *exclude_suffix);

// strcmp16 order.
int compare_names(Span<const char16_t> a, Span<const char16_t> b);

// The drop-in directory of the image whose file path (the file-path nodes of its device path,
// already joined) is `image_path`: separators made '\', doubled ones folded, boot counting
// removed, ".extra.d" appended. Writes it with a NUL into `out` and returns its length without the
// NUL, or 0 when `out` is too small.
size_t extra_dir_of(Span<const char16_t> image_path, Span<char16_t> out);

struct File {
        Span<const char16_t> name; // as listed, without NUL
        Bytes data;
};

// Sorts `files` by name (compare_names); stable for equal names.
void sort_files(Span<File> files);

// What an archive is when `files` is empty. systemd-stub leaves out a listed file it cannot read
// (an unreadable file, or a name the firmware's FAT driver will not open) but still packs the
// rest, so when every listed file was left out it writes, and measures, the directories alone.
enum class EmptyArchive : uint8_t {
        Nothing,     // nothing was listed: no archive at all
        Directories, // files were listed, none could be read: the leading directories and trailer
};

// The archive for `target` over `files` (already sorted).
Status write_archive(const Target &target, Span<const File> files, cpio::Writer *w,
                     EmptyArchive empty = EmptyArchive::Nothing);
Result<size_t> archive_size(const Target &target, Span<const File> files,
                            EmptyArchive empty = EmptyArchive::Nothing);

// --- Addons ---

// The sections of one addon that the stub looks at (empty when absent).
struct Addon {
        Span<const char16_t> name; // the file name, without NUL (the event description)
        Bytes cmdline, dtb, dtbauto, initrd, ucode, uname;
        bool has_linux = false;
};

enum class AddonVerdict : uint8_t {
        Used,
        NoKnownSection, // no .cmdline/.dtb/.dtbauto/.initrd/.ucode: ignored
        IsUki,          // has a .linux: refused
        UnameMismatch,  // .uname differs from the UKI's: refused
};
const char *describe(AddonVerdict v);

// The sections of an addon the stub copies out, and where each goes in Addon.
struct AddonSection {
        const char *name;
        Bytes Addon::*field;
};
inline constexpr AddonSection kAddonSections[] = {
        {".cmdline", &Addon::cmdline}, {".dtb", &Addon::dtb},     {".dtbauto", &Addon::dtbauto},
        {".initrd", &Addon::initrd},   {".ucode", &Addon::ucode}, {".uname", &Addon::uname},
};

// The addon `view` (either layout) named `name`: its kAddonSections as views into the image, and
// whether it has a .linux. .dtbauto is the one chosen for `machine` with the addon's own .hwids
// (uki::choose_dtbauto; empty without a machine or a match), as systemd-stub 262 chooses it.
// The stub copies these out before unloading the image; the host predicts from them as they are.
Addon addon_of(const pe::View &view, Span<const char16_t> name, const hwids::Machine *machine = nullptr);

// Whether the stub uses `addon` with a UKI whose .uname is `uki_uname` (empty: none). Compares
// like systemd's strneq8: up to the shorter NUL or the addon section's size.
AddonVerdict judge_addon(const Addon &addon, Bytes uki_uname);

} // namespace zuki::sidecar
