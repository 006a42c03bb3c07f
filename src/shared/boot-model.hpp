// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The boot model: everything a UKI boot through the zuki stub does that anyone can observe — the
// profile, the kernel command line and where it came from, the initrd parts and /.extra files, and
// the ordered list of TPM measurements — as a pure function of the UKI's sections, the load
// options and the Secure Boot state.
//
// The stub executes this model; the host tool (zuki measure, build, check-unlock, status, and the
// ukify plugin through them) only predicts from it. No rule below may be written a second time
// anywhere else: a prediction that disagrees with the stub is the one failure measured-boot users
// cannot debug.
//
// The rules, as systemd-stub applies them (257/262, src/boot/stub.c):
//   - Load options whose first character is a control character (<= 0x1f: some firmware passes
//     binary garbage) are ignored entirely: no profile selector, no command line.
//   - Otherwise "@N" at their start selects profile N; the rest (after the separating space) is
//     what the command-line rule below sees.
//   - The load options replace the embedded .cmdline only when something is left after
//     whitespace is folded, and Secure Boot is off or the profile has no .cmdline. Then they are
//     measured, folded, into PCR 12 as UTF-16 with their NUL (EV_IPL, description = the text).
//   - Otherwise the .cmdline section is the command line, up to its first NUL; it is measured as
//     a section into PCR 11 like every other section.
//   - PCR 11: every present section of the profile in canonical order, .pcrsig excluded.
//   - PCR 12: the profile number as an EV_EVENT_TAG for profile != 0, then the load options.
//   - The kernel's initrd: .ucode, a boot loader's initrd, .initrd, then a generated cpio with
//     /.extra/tpm2-pcr-signature.json, tpm2-pcr-public-key.pem, os-release and profile.
//
// What the ESP adds (systemd-stub 262; the rules for picking files are in sidecar.hpp):
//   - Addons: global ones (\loader\addons) first, then the UKI's own, each group in name order.
//     Their .cmdline sections, each folded, joined with spaces and folded again, are appended to
//     the command line after a space and measured as one text into PCR 12 (EV_IPL), after the
//     load options. Then each addon devicetree (addon_devicetree()) that was installed is
//     measured into PCR 12 as a tagged event named by the addon's file name. The SMBIOS type 11 string
//     io.systemd.stub.kernel-cmdline-extra= (not in confidential VMs) is appended and measured
//     the same way, after the addons' text.
//   - Then the credential/extension archives, one EV_IPL event each (PCR 12 or 13, in
//     sidecar::kTargets order), then each .ucode addon in reverse order and each .initrd addon in
//     order as tagged events into PCR 12.
//   - The initrd becomes: .ucode addons (reverse order: the kernel takes the first microcode it
//     finds), .ucode, a boot loader's initrd, .initrd, the archives, the /.extra cpio, the
//     .initrd addons.

#pragma once

#include "base.hpp"
#include "cpio.hpp"
#include "measure.hpp"
#include "sidecar.hpp"
#include "uki.hpp"

namespace zuki::model {

// Where the kernel's command line comes from.
enum class CommandLineSource : uint8_t {
        None,        // no .cmdline and no usable load options: the kernel gets none
        LoadOptions, // the load options; measured into PCR 12
        Embedded,    // the profile's .cmdline; measured into PCR 11 as a section
};

// What became of the load options (after the profile selector), for reports.
enum class OptionsFate : uint8_t {
        Used,               // they are the command line
        Absent,             // there were none (or only a profile selector)
        NotPrintable,       // the first character is a control character
        Blank,              // nothing but whitespace
        LockedBySecureBoot, // Secure Boot is on and the UKI has a .cmdline
};

inline constexpr size_t kMaxAddons = 32;

const char *describe(CommandLineSource s);
const char *describe(OptionsFate f);

// What the firmware and the boot loader hand the stub.
struct Inputs {
        Span<const char16_t> load_options; // as passed, up to their first NUL
        bool secure_boot = false;          // the SecureBoot variable is 1
        // What .dtbauto sections are matched against (null: none is chosen, as for a machine
        // that matches none).
        const hwids::Machine *machine = nullptr;
};

// What the ESP beside the UKI adds to the boot.
struct EspInputs {
        // The addons the stub accepted (sidecar::judge_addon() said Used), global ones first, then
        // the UKI's own, each group in name order; at most kMaxAddons. Names include their NUL.
        Span<const sidecar::Addon> addons;
        // Per addon: its devicetree was installed (only those are measured). Null: none was.
        const bool *devicetree_applied = nullptr;
        // The credential/extension archives by sidecar::Kind (empty: none).
        Bytes archives[sidecar::kKindCount];
};

// The parts of the initrd the kernel gets, each padded to 4 bytes.
enum class InitrdPart : uint8_t {
        UcodeAddon,   // an addon's .ucode
        Ucode,        // the .ucode section (the kernel looks for microcode in the first archive)
        LoaderInitrd, // an initrd a boot loader registered before starting the stub
        Initrd,       // the .initrd section
        EspArchive,   // a credential/extension archive
        Extra,        // the generated /.extra cpio (extra_cpio_size() bytes)
        InitrdAddon,  // an addon's .initrd
};
struct InitrdPiece {
        InitrdPart part;
        Bytes data; // for Extra: no data, only its size (the caller writes the archive there)
};
inline constexpr size_t kMaxInitrdPieces = 4 + sidecar::kKindCount + 2 * kMaxAddons;

// One file of the generated /.extra cpio.
struct ExtraFile {
        uki::SectionId id;
        const char *path;
        Bytes data;
};
inline constexpr size_t kMaxExtraFiles = 4;

struct Boot {
        uint32_t profile = 0;
        measure::SectionContents sections; // the profile's sections (base sections it does not override)

        CommandLineSource cmdline_source = CommandLineSource::None;
        OptionsFate options_fate = OptionsFate::Absent;
        Span<const char16_t> options; // the load options after the profile selector
        Bytes embedded_cmdline;       // .cmdline up to its first NUL (UTF-8)
        size_t cmdline_units = 0;     // UTF-16 units command_line() needs, its NUL included

        ExtraFile extra[kMaxExtraFiles] = {};
        size_t extra_count = 0;
        // The boot secret (secret::kSize bytes, empty: none), packed as /.extra/boot-secret (mode
        // 0400) after the files above, as systemd-stub 261+ packs it after .profile's. Not measured.
        Bytes boot_secret;
        // Why .dtbauto sections were passed over (uki::SectionSet), for the stub's one line.
        hwids::Note dtbauto_note = hwids::Note::None;
        Error hwids_error = Error::None;
        size_t bad_blob_index = 0;

        bool has(uki::SectionId id) const { return sections.present[(size_t) id]; }
        Bytes section(uki::SectionId id) const { return has(id) ? sections.data[(size_t) id] : Bytes(); }
};

// The load options split as the stub reads them: the profile they select and the rest, or why
// they are ignored (NotPrintable). With `selector` false (section files on the host) there is no
// profile selector to look for.
struct LoadOptions {
        uint32_t profile = 0;
        Span<const char16_t> rest;
        bool not_printable = false;
};
LoadOptions parse_load_options(Span<const char16_t> raw, bool selector);

// The boot of the UKI `uki` (a PE view of either layout) under `in`. Fails with UnknownProfile,
// DuplicateSection, NotUki (the profile has no .linux), VirtualSizeExceedsData,
// LoadOptionsTooLong, CmdlineTooLong or BadCommandLine: each one a boot the stub refuses.
Result<Boot> plan_boot(const pe::View &uki, const Inputs &in);

// The same from section contents already chosen for `options.profile` (e.g. files given to zuki
// measure, with options from parse_load_options()).
Result<Boot> plan_boot(const measure::SectionContents &sections, const LoadOptions &options, bool secure_boot);

// The addons' command line: its size in UTF-16 units with its NUL (0: none), and the text written
// into `storage` with its NUL (empty when none or `storage` is too small). BadCommandLine when a
// .cmdline is not UTF-8 (judge_addons() refuses those addons first).
Result<size_t> addon_command_line_units(Span<const sidecar::Addon> addons);
Span<const char16_t> addon_command_line(Span<const sidecar::Addon> addons, Span<char16_t> storage);

// The value of the SMBIOS OEM string io.systemd.stub.kernel-cmdline-extra= as systemd-stub
// appends it (folded): its size in UTF-16 units with NUL (0: nothing), and the text into
// `storage`. BadCommandLine when it is not UTF-8.
Result<size_t> smbios_command_line_units(Bytes value);
Span<const char16_t> smbios_command_line(Bytes value, Span<char16_t> storage);

// `a` and `b` (each empty or with its NUL) joined with one space when both are non-empty, into
// `storage` (a.size() + b.size() units suffice), with a NUL.
Span<const char16_t> join_command_lines(Span<const char16_t> a, Span<const char16_t> b, Span<char16_t> storage);

// The command line (with or without its NUL) already names a console: it starts with "console="
// or contains " console=" (where systemd-stub 262 appends none).
bool has_console_argument(Span<const char16_t> cmdline);

// The devicetree systemd-stub 262 takes from an addon: its .dtbauto when one matched the machine
// (sidecar::addon_of() keeps only that one), else its .dtb (empty: none). The stub installs these in addon order, each replacing the tree before it
// (the UKI's own .dtb first), and measures each one it installed (EspInputs::devicetree_applied).
Bytes addon_devicetree(const sidecar::Addon &addon);

// Whether the stub installs `dtb` at all: a flattened devicetree header (magic 0xd00dfeed) whose
// total size is at least the header's and within `dtb`. (Beyond that, a firmware with
// EFI_DT_FIXUP_PROTOCOL may refuse a tree: the host cannot predict that.)
bool is_flattened_devicetree(Bytes dtb);

// sidecar::judge_addon(), and addons whose .cmdline is not UTF-8 (systemd would decode it
// leniently; we refuse it, with a line).
sidecar::AddonVerdict judge_addon(const Boot &boot, const sidecar::Addon &addon, bool *bad_cmdline);

// Writes the kernel's command line into `storage` (at least boot.cmdline_units units, plus
// addon_text's size) and returns it with its NUL, or an empty span when the kernel gets none.
// `addon_text` (from addon_command_line()) is appended after a space.
Span<const char16_t> command_line(const Boot &boot, Span<char16_t> storage);
Span<const char16_t> command_line(const Boot &boot, Span<const char16_t> addon_text, Span<char16_t> storage);

// The initrd's pieces in order (empty ones left out): returns how many were written to `out`.
size_t initrd_pieces(const Boot &boot, const EspInputs &esp, Bytes loader_initrd, size_t extra_size,
                     Span<InitrdPiece> out);

// The ordered measurements of this boot: the profile tag, the sections, the command line
// (`cmdline` as command_line(boot, storage) returned it: without the addons' and SMBIOS's text,
// which add_esp_measurements() measures as events of their own, as systemd-stub does). `profile_text` holds the profile event's text and must
// outlive `plan`, as must `boot`'s sections and `cmdline`.
Status add_measurements(const Boot &boot, Span<const char16_t> cmdline, char16_t (&profile_text)[11],
                        measure::Plan *plan);

// Whether systemd-stub 262 would report the PCR of claim `c` (StubPcrKernelParameters,
// StubPcrInitRDSysExts, StubPcrInitRDConfExts), given that all of that claim's events were
// measured. Its "measured" flag is an AND over every attempt, and looking for credentials or
// extensions in a directory that has none counts as an attempt that measured nothing: so the
// variable is set only when both the UKI's own and the global archive of the group exist. (A
// systemd quirk, observed with 262.1: load options measured and no credential means no
// StubPcrKernelParameters. We match it, so that userspace sees the same variables.)
bool claim_holds(measure::Claim c, const EspInputs &esp);

// What the ESP and the firmware add to the measurements, after add_measurements(): the addons'
// command line (`addon_text` from addon_command_line()), the SMBIOS one (`smbios_text`), addon
// devicetrees, the archives, .ucode and .initrd addons. Everything referenced must outlive `plan`.
Status add_esp_measurements(const EspInputs &esp, Span<const char16_t> addon_text, Span<const char16_t> smbios_text,
                            measure::Plan *plan);

// The generated /.extra cpio: its size (0 when there is no file), and the archive itself.
Result<size_t> extra_cpio_size(const Boot &boot);
Status write_extra_cpio(const Boot &boot, cpio::Writer *w);

} // namespace zuki::model
