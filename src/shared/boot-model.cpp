// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-model.hpp"

#include "limits.hpp"
#include "text.hpp"

namespace zuki::model {

using uki::SectionId;

static Span<const char16_t> command_line_base(const Boot &boot, Span<char16_t> storage);

const char *describe(CommandLineSource s) {
        switch (s) {
        case CommandLineSource::None: return "none";
        case CommandLineSource::LoadOptions: return "load-options";
        case CommandLineSource::Embedded: return "embedded";
        }
        return "unknown";
}

const char *describe(OptionsFate f) {
        switch (f) {
        case OptionsFate::Used: return "used";
        case OptionsFate::Absent: return "absent";
        case OptionsFate::NotPrintable: return "ignored: the first character is a control character";
        case OptionsFate::Blank: return "ignored: only whitespace";
        case OptionsFate::LockedBySecureBoot: return "ignored: Secure Boot is on and the UKI has a .cmdline";
        }
        return "unknown";
}

namespace {

// The files systemd-stub hands userspace under /.extra/, in the order it packs them.
struct ExtraSource {
        SectionId id;
        const char *path;
};
constexpr ExtraSource kExtraSources[kMaxExtraFiles] = {
        {SectionId::Pcrsig, ".extra/tpm2-pcr-signature.json"},
        {SectionId::Pcrpkey, ".extra/tpm2-pcr-public-key.pem"},
        {SectionId::Osrel, ".extra/os-release"},
        {SectionId::Profile, ".extra/profile"},
};

bool is_blank(Span<const char16_t> s) {
        for (char16_t c : s)
                if (!text::is_command_line_space(c))
                        return false;
        return true;
}

// Which command line the kernel gets, and why the load options were or were not used.
Status settle_source(Boot *b, bool not_printable, bool secure_boot) {
        bool has_embedded = b->has(SectionId::Cmdline);
        Span<const char16_t> o = b->options;
        if (not_printable)
                b->options_fate = OptionsFate::NotPrintable;
        else if (o.empty())
                b->options_fate = OptionsFate::Absent;
        else if (is_blank(o))
                b->options_fate = OptionsFate::Blank;
        else if (has_embedded && secure_boot)
                b->options_fate = OptionsFate::LockedBySecureBoot;
        else if (o.size() > limits::kMaxCommandLine)
                return Error::LoadOptionsTooLong;
        else
                b->options_fate = OptionsFate::Used;

        if (b->options_fate == OptionsFate::Used) {
                b->cmdline_source = CommandLineSource::LoadOptions;
                b->cmdline_units = o.size() + 1;
                return ok_status();
        }
        if (!has_embedded)
                return ok_status();
        // Like systemd-stub, the text ends at the first NUL (PCR 11 still covers every byte).
        Bytes utf8 = b->section(SectionId::Cmdline);
        for (size_t i = 0; i < utf8.size(); i++)
                if (utf8[i] == 0) {
                        utf8 = Bytes(utf8.data(), i);
                        break;
                }
        if (utf8.size() > limits::kMaxCommandLine)
                return Error::CmdlineTooLong;
        if (!text::is_valid_utf8(utf8))
                return Error::BadCommandLine;
        b->embedded_cmdline = utf8;
        b->cmdline_source = CommandLineSource::Embedded;
        b->cmdline_units = text::utf8_to_utf16(utf8, Span<char16_t>()) + 1;
        return ok_status();
}

} // namespace

LoadOptions parse_load_options(Span<const char16_t> raw, bool selector) {
        LoadOptions o;
        if (!raw.empty() && raw[0] <= 0x1f) {
                o.not_printable = true;
                return o;
        }
        o.rest = raw;
        size_t rest = 0;
        bool has_selector = false;
        uint32_t profile = selector ? uki::parse_profile_selector(raw, &rest, &has_selector) : 0;
        if (has_selector) {
                o.profile = profile;
                o.rest = Span<const char16_t>(raw.data() + rest, raw.size() - rest);
        }
        return o;
}

Result<Boot> plan_boot(const measure::SectionContents &sections, const LoadOptions &options, bool secure_boot) {
        Boot b;
        b.profile = options.profile;
        b.sections = sections;
        b.options = options.rest;
        if (!b.has(SectionId::Linux))
                return Error::NotUki;
        ZUKI_TRY(settle_source(&b, options.not_printable, secure_boot));
        for (const ExtraSource &e : kExtraSources)
                if (b.has(e.id))
                        b.extra[b.extra_count++] = {e.id, e.path, b.section(e.id)};
        return b;
}

Result<Boot> plan_boot(const pe::View &uki, const Inputs &in) {
        LoadOptions options = parse_load_options(in.load_options, true);
        uki::SectionSet set = ZUKI_TRY(uki::select_sections(uki, options.profile, in.machine));
        measure::SectionContents contents = ZUKI_TRY(measure::contents_of(uki, set));
        Result<Boot> b = plan_boot(contents, options, in.secure_boot);
        if (b) {
                b.value().dtbauto_note = set.dtbauto_note;
                b.value().hwids_error = set.hwids_error;
                b.value().bad_blob_index = set.bad_blob_index;
        }
        return b;
}

namespace {

// One addon's .cmdline up to its first NUL, as UTF-8 (empty: none).
Bytes addon_cmdline_utf8(const sidecar::Addon &a) {
        Bytes t = a.cmdline;
        for (size_t i = 0; i < t.size(); i++)
                if (t[i] == 0)
                        return Bytes(t.data(), i);
        return t;
}

// Appends the folded addon command lines to `out` (counting only when `out` is empty): returns
// the units written, without NUL.
size_t join_addon_cmdlines(Span<const sidecar::Addon> addons, Span<char16_t> out, bool count_only) {
        size_t n = 0;
        for (const sidecar::Addon &a : addons) {
                Bytes utf8 = addon_cmdline_utf8(a);
                if (utf8.empty())
                        continue;
                size_t units = text::utf8_to_utf16(utf8, Span<char16_t>());
                // systemd joins "previous" + (" " when previous is not empty) + folded text, even
                // when the folded text is empty; the final fold removes what that leaves over.
                size_t sep = n > 0 ? 1 : 0;
                if (count_only) {
                        n += sep + units;
                        continue;
                }
                if (sep)
                        out[n] = u' ';
                Span<char16_t> piece(out.data() + n + sep, units);
                text::utf8_to_utf16(utf8, piece);
                n += sep + text::mangle_command_line(piece);
        }
        return n;
}

} // namespace

Result<size_t> addon_command_line_units(Span<const sidecar::Addon> addons) {
        for (const sidecar::Addon &a : addons)
                if (!text::is_valid_utf8(addon_cmdline_utf8(a)))
                        return Error::BadCommandLine;
        size_t n = join_addon_cmdlines(addons, Span<char16_t>(), true);
        if (n > limits::kMaxCommandLine)
                return Error::CmdlineTooLong;
        return n ? n + 1 : 0;
}

Span<const char16_t> addon_command_line(Span<const sidecar::Addon> addons, Span<char16_t> storage) {
        Result<size_t> units = addon_command_line_units(addons);
        if (!units || *units == 0 || storage.size() < *units)
                return {};
        size_t n = join_addon_cmdlines(addons, storage, false);
        n = text::mangle_command_line(Span<char16_t>(storage.data(), n));
        if (n == 0)
                return {};
        storage[n] = 0;
        return Span<const char16_t>(storage.data(), n + 1);
}

Result<size_t> smbios_command_line_units(Bytes value) {
        if (!text::is_valid_utf8(value))
                return Error::BadCommandLine;
        if (value.size() > limits::kMaxCommandLine)
                return Error::CmdlineTooLong;
        size_t n = text::utf8_to_utf16(value, Span<char16_t>());
        return n ? n + 1 : 0;
}

Span<const char16_t> smbios_command_line(Bytes value, Span<char16_t> storage) {
        Result<size_t> units = smbios_command_line_units(value);
        if (!units || *units == 0 || storage.size() < *units)
                return {};
        size_t n = text::utf8_to_utf16(value, storage);
        n = text::mangle_command_line(Span<char16_t>(storage.data(), n));
        if (n == 0)
                return {};
        storage[n] = 0;
        return Span<const char16_t>(storage.data(), n + 1);
}

Span<const char16_t> join_command_lines(Span<const char16_t> a, Span<const char16_t> b, Span<char16_t> storage) {
        size_t na = a.empty() ? 0 : a.size() - 1, nb = b.empty() ? 0 : b.size() - 1;
        if (na + nb == 0 || storage.size() < na + nb + 2)
                return {};
        size_t n = 0;
        if (na) // an empty span may have no data pointer at all
                __builtin_memcpy(storage.data(), a.data(), na * sizeof(char16_t));
        n += na;
        if (na && nb)
                storage[n++] = u' ';
        if (nb)
                __builtin_memcpy(storage.data() + n, b.data(), nb * sizeof(char16_t));
        n += nb;
        storage[n] = 0;
        return Span<const char16_t>(storage.data(), n + 1);
}

bool has_console_argument(Span<const char16_t> cmdline) {
        static constexpr char16_t kArg[] = u"console=";
        constexpr size_t n = sizeof kArg / sizeof kArg[0] - 1;
        for (size_t i = 0; i + n <= cmdline.size(); i++) {
                if (i > 0 && cmdline[i - 1] != u' ')
                        continue;
                size_t k = 0;
                while (k < n && cmdline[i + k] == kArg[k])
                        k++;
                if (k == n)
                        return true;
        }
        return false;
}

sidecar::AddonVerdict judge_addon(const Boot &boot, const sidecar::Addon &addon, bool *bad_cmdline) {
        *bad_cmdline = false;
        sidecar::AddonVerdict v = sidecar::judge_addon(addon, boot.section(SectionId::Uname));
        if (v == sidecar::AddonVerdict::Used && !text::is_valid_utf8(addon_cmdline_utf8(addon)))
                *bad_cmdline = true;
        return v;
}

Bytes addon_devicetree(const sidecar::Addon &addon) {
        return addon.dtbauto.empty() ? addon.dtb : addon.dtbauto;
}

bool is_flattened_devicetree(Bytes dtb) {
        // Devicetree Specification 5.2: big-endian magic, then the total size.
        constexpr uint32_t kFdtMagic = 0xd00dfeed, kFdtHeaderSize = 40;
        if (dtb.size() < kFdtHeaderSize || load_be32(dtb.data()) != kFdtMagic)
                return false;
        uint32_t total = load_be32(dtb.data() + 4);
        return total >= kFdtHeaderSize && total <= dtb.size();
}

Span<const char16_t> command_line(const Boot &boot, Span<char16_t> storage) {
        return command_line(boot, Span<const char16_t>(), storage);
}

Span<const char16_t> command_line(const Boot &boot, Span<const char16_t> addon_text, Span<char16_t> storage) {
        // The addons' text comes with its NUL.
        size_t extra = addon_text.empty() ? 0 : addon_text.size() - 1;
        Span<const char16_t> base = command_line_base(boot, storage);
        if (extra == 0)
                return base;
        size_t n = base.empty() ? 0 : base.size() - 1;
        if (storage.size() < n + 1 + extra + 1)
                return {};
        if (n)
                storage[n++] = u' ';
        __builtin_memcpy(storage.data() + n, addon_text.data(), extra * sizeof(char16_t));
        n += extra;
        storage[n] = 0;
        return Span<const char16_t>(storage.data(), n + 1);
}

size_t initrd_pieces(const Boot &boot, const EspInputs &esp, Bytes loader_initrd, size_t extra_size,
                     Span<InitrdPiece> out) {
        size_t n = 0;
        auto put = [&](InitrdPart part, Bytes data) {
                if (data.size() && n < out.size())
                        out[n++] = {part, data};
        };
        for (size_t i = esp.addons.size(); i-- > 0;)
                put(InitrdPart::UcodeAddon, esp.addons[i].ucode);
        put(InitrdPart::Ucode, boot.section(SectionId::Ucode));
        put(InitrdPart::LoaderInitrd, loader_initrd);
        put(InitrdPart::Initrd, boot.section(SectionId::Initrd));
        for (Bytes a : esp.archives)
                put(InitrdPart::EspArchive, a);
        put(InitrdPart::Extra, Bytes(nullptr, extra_size));
        for (const sidecar::Addon &a : esp.addons)
                put(InitrdPart::InitrdAddon, a.initrd);
        return n;
}

bool claim_holds(measure::Claim c, const EspInputs &esp) {
        for (size_t k = 0; k < sidecar::kKindCount; k++)
                if (sidecar::kTargets[k].claim == c && esp.archives[k].empty())
                        return false;
        return true;
}

Status add_esp_measurements(const EspInputs &esp, Span<const char16_t> addon_text, Span<const char16_t> smbios_text,
                            measure::Plan *plan) {
        if (!addon_text.empty())
                ZUKI_TRY(measure::add_command_line(plan, addon_text));
        if (!smbios_text.empty())
                ZUKI_TRY(measure::add_command_line(plan, smbios_text));
        for (size_t i = 0; i < esp.addons.size(); i++) {
                const sidecar::Addon &a = esp.addons[i];
                Bytes dtb = addon_devicetree(a);
                if (!dtb.empty() && esp.devicetree_applied && esp.devicetree_applied[i])
                        ZUKI_TRY(measure::add_tagged(plan, measure::kDevicetreeAddonEventTag, dtb, a.name));
        }
        for (size_t k = 0; k < sidecar::kKindCount; k++) {
                if (esp.archives[k].empty())
                        continue;
                const sidecar::Target &t = sidecar::kTargets[k];
                size_t len = 0;
                while (t.description[len])
                        len++;
                measure::Event e;
                e.pcr = t.pcr;
                e.claim = t.claim;
                e.type = measure::kEvIpl;
                e.data = esp.archives[k];
                e.description = Span<const char16_t>(t.description, len + 1);
                ZUKI_TRY(plan->add(e));
        }
        for (size_t i = esp.addons.size(); i-- > 0;)
                if (!esp.addons[i].ucode.empty())
                        ZUKI_TRY(measure::add_tagged(plan, measure::kUcodeAddonEventTag, esp.addons[i].ucode,
                                                     esp.addons[i].name));
        for (const sidecar::Addon &a : esp.addons)
                if (!a.initrd.empty())
                        ZUKI_TRY(measure::add_tagged(plan, measure::kInitrdAddonEventTag, a.initrd, a.name));
        return ok_status();
}

static Span<const char16_t> command_line_base(const Boot &boot, Span<char16_t> storage) {
        size_t n = 0;
        switch (boot.cmdline_source) {
        case CommandLineSource::None:
                return {};
        case CommandLineSource::LoadOptions:
                if (storage.size() < boot.options.size() + 1)
                        return {};
                __builtin_memcpy(storage.data(), boot.options.data(), boot.options.size() * sizeof(char16_t));
                n = boot.options.size();
                break;
        case CommandLineSource::Embedded:
                n = text::utf8_to_utf16(boot.embedded_cmdline, Span<char16_t>());
                if (storage.size() < n + 1)
                        return {};
                text::utf8_to_utf16(boot.embedded_cmdline, storage);
                break;
        }
        // systemd-stub's folding: outer whitespace dropped, inner whitespace made plain spaces.
        n = text::mangle_command_line(Span<char16_t>(storage.data(), n));
        if (n == 0)
                return {};
        storage[n] = 0;
        return Span<const char16_t>(storage.data(), n + 1);
}

Status add_measurements(const Boot &boot, Span<const char16_t> cmdline, char16_t (&profile_text)[11],
                        measure::Plan *plan) {
        if (boot.profile != 0)
                ZUKI_TRY(measure::add_profile(plan, measure::format_decimal(boot.profile, profile_text)));
        ZUKI_TRY(measure::add_sections(plan, boot.sections));
        if (boot.cmdline_source == CommandLineSource::LoadOptions && !cmdline.empty())
                ZUKI_TRY(measure::add_command_line(plan, cmdline));
        return ok_status();
}

Status write_extra_cpio(const Boot &boot, cpio::Writer *w) {
        if (boot.extra_count == 0 && boot.boot_secret.empty())
                return ok_status();
        ZUKI_TRY(w->add_directory(".extra", 0555));
        for (size_t i = 0; i < boot.extra_count; i++)
                ZUKI_TRY(w->add_file(boot.extra[i].path, boot.extra[i].data, 0444));
        // Readable by root only (systemd's cpio target for secrets: directory 0555, file 0400).
        if (!boot.boot_secret.empty())
                ZUKI_TRY(w->add_file(".extra/boot-secret", boot.boot_secret, 0400));
        return w->finish();
}

Result<size_t> extra_cpio_size(const Boot &boot) {
        cpio::Writer counter{MutableBytes()};
        ZUKI_TRY(write_extra_cpio(boot, &counter));
        return counter.size();
}

} // namespace zuki::model
