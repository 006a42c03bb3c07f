// SPDX-License-Identifier: LGPL-2.1-or-later

#include "stub-acceptance.hpp"

#include "boot-prediction.hpp"
#include "compress.hpp"
#include "failure.hpp"
#include "x86-boot-params.hpp"

namespace zuki {

kernel::Payload check_stub_accepts_kernel(Bytes image, kernel::Origin origin, const std::string &what) {
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                fail(what + ": the stub would refuse this kernel", view.error());
        Result<kernel::Payload> payload = kernel::check_kernel_payload(*view, origin);
        if (!payload)
                fail(what + ": the stub would refuse this kernel", payload.error());
        // Only the relocation table needs the decompressed bytes: the stub meets it after it
        // decompressed into the kernel's pages, the host decompresses here to find it first.
        if (payload->kind == kernel::Kind::X86Direct) {
                Buffer inner = zstd_decompress(payload->zstd.frame, payload->zstd.decompressed_size);
                Status r = kernel::check_decompressed(*payload, bytes_of(inner));
                if (!r)
                        fail(what + ": the stub would refuse this kernel", r.error());
        }
        return *payload;
}

void check_stub_accepts_uki(Bytes uki, const std::string &what) {
        uint32_t profiles = profile_count(uki, what);
        for (uint32_t profile = 0; profile < profiles; profile++) {
                BootConditions conditions;
                conditions.profile = profile;
                std::unique_ptr<PredictedBoot> boot = predict_boot(uki, what, conditions);
                std::string where = what + (profiles > 1 ? ": profile " + std::to_string(profile) : "");
                kernel::Payload payload = check_stub_accepts_kernel(boot->boot.section(uki::SectionId::Linux),
                                                                    kernel::Origin::LinuxSection, where + ": .linux");
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
