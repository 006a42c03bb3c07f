// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-prediction.hpp"

#include <algorithm>

#include "failure.hpp"
#include "limits.hpp"
#include "pe.hpp"
#include "smbios.hpp"
#include "text.hpp"
#include "uki.hpp"

namespace zuki {

namespace {

Span<const char16_t> span_of(const std::vector<char16_t> &v) { return Span<const char16_t>(v.data(), v.size()); }

std::vector<char16_t> to_utf16(const std::string &utf8) {
        Bytes in(reinterpret_cast<const uint8_t *>(utf8.data()), utf8.size());
        std::vector<char16_t> out(text::utf8_to_utf16(in, Span<char16_t>()));
        text::utf8_to_utf16(in, Span<char16_t>(out.data(), out.size()));
        return out;
}

// The stub's one-line reasons, with the limit that was crossed.
[[noreturn]] void refuse(const std::string &what, uint32_t profile, Error e) {
        std::string limit = " (" + std::to_string(limits::kMaxCommandLine) + ")";
        switch (e) {
        case Error::LoadOptionsTooLong:
        case Error::CmdlineTooLong: fail(what + ": " + describe(e) + limit);
        case Error::NotUki: fail(what + ": profile " + std::to_string(profile) + " has no .linux section");
        default: fail(what + ": profile " + std::to_string(profile), e);
        }
}

std::u16string ascii_to_u16(const std::string &s) { return std::u16string(s.begin(), s.end()); }

std::string describe_dir(AddonScope scope) { return scope == AddonScope::Global ? "\\loader\\addons" : "the UKI's drop-ins"; }

// The files of `files` in the stub's order (sidecar::compare_names()).
std::vector<const EspFile *> sorted(const std::vector<EspFile> &files) {
        std::vector<const EspFile *> v;
        for (const EspFile &f : files)
                v.push_back(&f);
        std::stable_sort(v.begin(), v.end(), [](const EspFile *a, const EspFile *b) {
                std::u16string x = ascii_to_u16(a->name), y = ascii_to_u16(b->name);
                return sidecar::compare_names(Span<const char16_t>(x.data(), x.size()),
                                              Span<const char16_t>(y.data(), y.size())) < 0;
        });
        return v;
}

// The addons the stub would use, in its order, judged as it judges them.
void choose_addons(PredictedBoot *p, const EspSelection &sel, const hwids::Machine *machine) {
        for (AddonScope scope : {AddonScope::Global, AddonScope::Own})
                for (const EspFile *f : sorted(sel.addons[(size_t) scope])) {
                        std::string where = "addon " + f->name + " (" + describe_dir(scope) + ")";
                        if (p->addons.size() == model::kMaxAddons) {
                                p->notes.push_back("Ignoring " + where + ": more than " + std::to_string(model::kMaxAddons) +
                                                   " addons");
                                continue;
                        }
                        Result<pe::View> view = pe::View::parse(bytes_of(f->data), pe::Layout::File);
                        if (!view) {
                                p->notes.push_back("Ignoring " + where + ": not a PE image");
                                continue;
                        }
                        const std::u16string &name = p->addon_names.emplace_back(ascii_to_u16(f->name) + u'\0');
                        sidecar::Addon addon =
                                sidecar::addon_of(*view, Span<const char16_t>(name.data(), name.size()), machine);
                        bool bad_cmdline = false;
                        sidecar::AddonVerdict verdict = model::judge_addon(p->boot, addon, &bad_cmdline);
                        if (verdict == sidecar::AddonVerdict::Used && bad_cmdline) {
                                p->notes.push_back("Ignoring " + where + ": its .cmdline is not UTF-8");
                                continue;
                        }
                        if (verdict != sidecar::AddonVerdict::Used) {
                                p->notes.push_back("Ignoring " + where + ": " + sidecar::describe(verdict));
                                continue;
                        }
                        Bytes dtb = model::addon_devicetree(addon);
                        if (!dtb.empty()) {
                                p->devicetree_applied[p->addons.size()] = model::is_flattened_devicetree(dtb);
                                if (!p->devicetree_applied[p->addons.size()])
                                        p->notes.push_back("Addon " + where + ": its devicetree is not a flattened devicetree, it is not installed");
                        }
                        p->addons.push_back(addon);
                }
        p->esp.addons = Span<const sidecar::Addon>(p->addons.data(), p->addons.size());
        p->esp.devicetree_applied = p->devicetree_applied;
}

// The credential and extension archives, byte for byte as the stub packs them.
void pack_archives(PredictedBoot *p, const EspSelection &sel) {
        for (size_t k = 0; k < sidecar::kKindCount; k++) {
                const sidecar::Target &t = sidecar::kTargets[k];
                if (sel.archives[k].empty())
                        continue;
                std::deque<std::u16string> names;
                std::vector<sidecar::File> files;
                for (const EspFile &f : sel.archives[k]) {
                        const std::u16string &n = names.emplace_back(ascii_to_u16(f.name));
                        files.push_back({Span<const char16_t>(n.data(), n.size()), bytes_of(f.data)});
                }
                sidecar::sort_files(Span<sidecar::File>(files.data(), files.size()));
                Span<const sidecar::File> all(files.data(), files.size());
                Result<size_t> size = sidecar::archive_size(t, all);
                if (!size || *size > limits::kMaxInitrdSize) {
                        p->notes.push_back(std::string("Ignoring the ") + t.option + " files: the archive would be too large");
                        continue;
                }
                p->archives[k].assign(*size, 0);
                cpio::Writer w(MutableBytes(p->archives[k].data(), *size));
                Status packed = sidecar::write_archive(t, all, &w);
                if (!packed || w.size() != *size)
                        fail(std::string("Packing the ") + t.option + " files", packed ? Error::SizeMismatch : packed.error());
                p->esp.archives[k] = bytes_of(p->archives[k]);
        }
}

// The addons' and SMBIOS's command lines, and the two joined: what the stub appends.
void settle_appendix(PredictedBoot *p, const EspSelection &sel) {
        Span<const sidecar::Addon> addons = p->esp.addons;
        Result<size_t> units = model::addon_command_line_units(addons);
        if (!units)
                p->notes.push_back(std::string("Ignoring the addons' command lines: ") + describe(units.error()));
        else if (*units) {
                p->addon_text.assign(*units, 0);
                p->addon_text.resize(
                        model::addon_command_line(addons, Span<char16_t>(p->addon_text.data(), *units)).size());
        }
        if (sel.smbios_cmdline_extra) {
                Bytes value(reinterpret_cast<const uint8_t *>(sel.smbios_cmdline_extra->data()),
                            sel.smbios_cmdline_extra->size());
                units = model::smbios_command_line_units(value);
                if (!units)
                        p->notes.push_back(std::string("Ignoring the SMBIOS ") + smbios::kCmdlineExtraPrefix +
                                           " string: " + describe(units.error()));
                else if (*units) {
                        p->smbios_text.assign(*units, 0);
                        p->smbios_text.resize(
                                model::smbios_command_line(value, Span<char16_t>(p->smbios_text.data(), *units)).size());
                }
        }
        if (!p->addon_text.empty() || !p->smbios_text.empty()) {
                p->appendix.assign(p->addon_text.size() + p->smbios_text.size() + 1, 0);
                p->appendix.resize(model::join_command_lines(span_of(p->addon_text), span_of(p->smbios_text),
                                                             Span<char16_t>(p->appendix.data(), p->appendix.size()))
                                           .size());
        }
}

// Runs the model's later steps (the ESP's inputs, command line, measurements) on a planned boot,
// in the stub's order (src/boot/uki-boot.cpp, boot_uki()).
void finish(PredictedBoot *p, const std::string &what, const EspSelection *esp, const hwids::Machine *machine) {
        if (esp) {
                p->notes = esp->notes;
                choose_addons(p, *esp, machine);
                pack_archives(p, *esp);
                settle_appendix(p, *esp);
        }
        p->cmdline.assign(p->boot.cmdline_units + p->appendix.size(), 0);
        Span<const char16_t> cmdline = model::command_line(p->boot, span_of(p->appendix),
                                                           Span<char16_t>(p->cmdline.data(), p->cmdline.size()));
        p->cmdline.resize(cmdline.size());
        // The load options are measured without the appended text (add_measurements()).
        p->options.assign(p->boot.cmdline_units, 0);
        p->options.resize(model::command_line(p->boot, Span<char16_t>(p->options.data(), p->options.size())).size());
        if (!model::add_measurements(p->boot, span_of(p->options), p->profile_text, &p->plan) ||
            !model::add_esp_measurements(p->esp, span_of(p->addon_text), span_of(p->smbios_text), &p->plan))
                fail(what + ": measurement plan overflow");
}

} // namespace

std::unique_ptr<PredictedBoot> predict_boot(Bytes uki, const std::string &what, const BootConditions &conditions) {
        Result<pe::View> view = pe::View::parse(uki, pe::Layout::File);
        if (!view)
                fail(what + " is not a PE image", view.error());
        if (!uki::is_uki(*view))
                fail(what + ": " + describe(Error::NotUki));
        auto p = std::make_unique<PredictedBoot>();
        // What the boot loader would pass: the profile selector, then the options.
        std::string options;
        if (conditions.profile != 0)
                options = "@" + std::to_string(conditions.profile) + (conditions.load_options ? " " : "");
        if (conditions.load_options)
                options += *conditions.load_options;
        p->load_options = to_utf16(options);
        model::Inputs in;
        in.load_options = Span<const char16_t>(p->load_options.data(), p->load_options.size());
        in.secure_boot = conditions.secure_boot;
        in.machine = conditions.machine;
        Result<model::Boot> boot = model::plan_boot(*view, in);
        if (!boot)
                refuse(what, conditions.profile, boot.error());
        p->boot = *boot;
        if (boot->dtbauto_note == hwids::Note::HwidsFailed)
                p->notes.push_back(std::string("HWID matching failed, no .dtbauto will be selected: ") +
                                   describe(boot->hwids_error));
        else if (boot->dtbauto_note == hwids::Note::BadBlob)
                p->notes.push_back("Found a bad devicetree in PE section " + std::to_string(boot->bad_blob_index) +
                                   ", ignoring it");
        finish(p.get(), what, conditions.esp, conditions.machine);
        return p;
}

std::unique_ptr<PredictedBoot> predict_boot(const measure::SectionContents &sections, const std::string &what,
                                            const BootConditions &conditions) {
        auto p = std::make_unique<PredictedBoot>();
        if (conditions.load_options)
                p->load_options = to_utf16(*conditions.load_options);
        model::LoadOptions options = model::parse_load_options(
                Span<const char16_t>(p->load_options.data(), p->load_options.size()), false);
        options.profile = conditions.profile;
        Result<model::Boot> boot = model::plan_boot(sections, options, conditions.secure_boot);
        if (!boot)
                refuse(what, conditions.profile, boot.error());
        p->boot = *boot;
        finish(p.get(), what, conditions.esp, conditions.machine);
        return p;
}

uint32_t profile_count(Bytes uki, const std::string &what) {
        Result<pe::View> view = pe::View::parse(uki, pe::Layout::File);
        if (!view)
                fail(what + " is not a PE image", view.error());
        Result<uki::SectionSet> set = uki::select_sections(*view, 0);
        if (!set)
                fail(what + ": profile 0", set.error());
        return set->profile_count == 0 ? 1 : set->profile_count;
}

std::vector<DtbautoMachine> dtbauto_machines(Bytes uki, const std::string &what) {
        Result<pe::View> view = pe::View::parse(uki, pe::Layout::File);
        if (!view)
                fail(what + " is not a PE image", view.error());
        std::vector<DtbautoMachine> out;
        for (size_t i = 0; i < view->section_count(); i++) {
                pe::Section d = view->section(i);
                if (!d.has_name(".dtbauto"))
                        continue;
                Bytes compatible = uki::dtbauto_compatible(*view, d);
                if (compatible.empty())
                        continue;
                bool seen = false;
                for (const DtbautoMachine &m : out)
                        seen = seen || same_bytes(m.machine.firmware_compatible, compatible);
                if (seen)
                        continue;
                DtbautoMachine m;
                m.section = i;
                m.machine.firmware_devicetree = true;
                m.machine.firmware_compatible = compatible;
                out.push_back(m);
        }
        return out;
}

} // namespace zuki
