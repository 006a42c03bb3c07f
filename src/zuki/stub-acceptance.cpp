// SPDX-License-Identifier: LGPL-2.1-or-later

#include "stub-acceptance.hpp"

#include "boot-prediction.hpp"
#include "compress.hpp"
#include "failure.hpp"
#include "x86-boot-params.hpp"

namespace zuki {

void check_section_header_room(Bytes image, uint32_t adding, const std::string &kind) {
        Result<pe::HeaderRoom> r = pe::section_header_room(image);
        if (!r)
                fail("Not a PE image we can read", r.error());
        uint64_t needed = (uint64_t) r->used + adding;
        if (needed > r->room)
                fail("The stub has room for " + std::to_string(r->room) + " section headers; this " + kind + " needs " +
                     std::to_string(needed));
}

kernel::Payload check_stub_accepts_kernel(Bytes image, kernel::Origin origin, uint16_t machine, const std::string &what) {
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                fail(what + ": the stub would refuse this kernel", view.error());
        Result<kernel::Payload> payload = kernel::check_kernel_payload(*view, origin);
        if (!payload)
                fail(what + ": the stub would refuse this kernel", payload.error());
        Status r = ok_status();
        switch (payload->kind) {
        case kernel::Kind::PlainPe:
        case kernel::Kind::SelfDecompressing: {
                // Loaded and started as it is (its own stub decompresses a foreign zboot image).
                Result<load::Plan> plan = kernel::check_loadable(*view, machine);
                if (!plan)
                        r = plan.error();
                break;
        }
        case kernel::Kind::Zstd:
        case kernel::Kind::X86Direct: {
                // The stub meets the kernel PE or the relocation table after it decompressed into
                // the kernel's pages; the host decompresses here to find them first.
                Buffer inner = zstd_decompress(payload->zstd.frame, payload->zstd.decompressed_size);
                r = kernel::check_decompressed(*payload, bytes_of(inner), machine);
                break;
        }
        }
        if (!r)
                fail(what + ": the stub would refuse this kernel", r.error());
        return *payload;
}

void check_stub_accepts_uki(Bytes uki, const std::string &what) {
        uint32_t profiles = profile_count(uki, what);
        pe::View view = *pe::View::parse(uki, pe::Layout::File); // parsed by profile_count()
        uint16_t machine = view.machine();
        // The firmware loads the UKI and jumps to its entry point: the stub's code must be there.
        Result<load::Plan> loadable = load::plan(view);
        if (!loadable)
                fail(what + ": the firmware cannot start it", loadable.error());
        // Profiles usually share the base's .linux: its kernel is checked (and decompressed) once.
        Bytes checked_linux;
        kernel::Payload payload;
        for (uint32_t profile = 0; profile < profiles; profile++) {
                BootConditions conditions;
                conditions.profile = profile;
                std::unique_ptr<PredictedBoot> boot = predict_boot(uki, what, conditions);
                std::string where = what + (profiles > 1 ? ": profile " + std::to_string(profile) : "");
                Bytes linux_image = boot->boot.section(uki::SectionId::Linux);
                if (linux_image.data() != checked_linux.data() || linux_image.size() != checked_linux.size()) {
                        payload = check_stub_accepts_kernel(linux_image, kernel::Origin::LinuxSection, machine,
                                                            where + ": .linux");
                        checked_linux = linux_image;
                }
                // The command line the kernel gets when the boot loader passes none.
                Span<const char16_t> cmdline(boot->cmdline.data(), boot->cmdline.size());
                Status fits = kernel::check_command_line(payload, cmdline);
                if (!fits)
                        fail(where + ": the stub would refuse this boot: " + describe(fits.error()) + " (" +
                             std::to_string(x86::command_line_utf8_length(cmdline)) + " bytes, the kernel allows " +
                             std::to_string(payload.x86.cmdline_size) + ")");
        }
}

} // namespace zuki
