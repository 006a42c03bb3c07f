// SPDX-License-Identifier: LGPL-2.1-or-later

#include "boot-prediction.hpp"

#include "failure.hpp"
#include "limits.hpp"
#include "pe.hpp"
#include "text.hpp"
#include "uki.hpp"

namespace zuki {

namespace {

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

// Runs the model's later steps (command line, measurements) on a planned boot.
void finish(PredictedBoot *p, const std::string &what) {
        p->cmdline.assign(p->boot.cmdline_units, 0);
        Span<const char16_t> cmdline = model::command_line(p->boot, Span<char16_t>(p->cmdline.data(), p->cmdline.size()));
        p->cmdline.resize(cmdline.size());
        if (!model::add_measurements(p->boot, Span<const char16_t>(p->cmdline.data(), p->cmdline.size()),
                                     p->profile_text, &p->plan))
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
        Result<model::Boot> boot = model::plan_boot(*view, in);
        if (!boot)
                refuse(what, conditions.profile, boot.error());
        p->boot = *boot;
        finish(p.get(), what);
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
        finish(p.get(), what);
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

} // namespace zuki
