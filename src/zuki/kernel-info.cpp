// SPDX-License-Identifier: LGPL-2.1-or-later

#include "kernel-info.hpp"

#include <algorithm>
#include <cstring>

#include "failure.hpp"
#include "zboot.hpp"

namespace zuki {

namespace {

// The release is the banner's first word ("6.1.0-50-amd64 (debian-kernel@…) #1 …").
std::string first_word(const std::string &s) { return s.substr(0, s.find(' ')); }

std::string printable_prefix(Bytes image, uint64_t offset, size_t max) {
        std::string out;
        for (uint64_t i = offset; i < image.size() && out.size() < max; i++) {
                uint8_t c = image[i];
                if (c < 0x20 || c > 0x7e)
                        break;
                out.push_back((char) c);
        }
        return out;
}

void find_x86_version(Bytes image, KernelInfo *info) {
        if (!image.contains(kX86KernelVersionOffset, 2))
                return;
        uint64_t offset = 0x200 + load_le16(image.data() + kX86KernelVersionOffset);
        std::string text = printable_prefix(image, offset, 256);
        if (text.empty())
                return;
        info->release = first_word(text);
        info->banner = "Linux version " + text;
}

void find_banner(Bytes image, KernelInfo *info) {
        static constexpr char kNeedle[] = "Linux version ";
        const uint8_t *begin = image.data(), *end = image.data() + image.size();
        const uint8_t *p = begin;
        for (;;) {
                p = std::search(p, end, kNeedle, kNeedle + sizeof(kNeedle) - 1);
                if (p == end)
                        return;
                std::string text = printable_prefix(image, (uint64_t) (p - begin), 512);
                std::string rest = text.substr(sizeof(kNeedle) - 1);
                // The real banner continues "<release> (<builder>) #…"; printk format strings
                // such as "Linux version %s" do not.
                if (!rest.empty() && rest[0] >= '0' && rest[0] <= '9' && rest.find(" (") != std::string::npos) {
                        info->release = first_word(rest);
                        info->banner = text;
                        return;
                }
                p += sizeof(kNeedle) - 1;
        }
}

} // namespace

bool is_zboot_image(Bytes image) {
        if (zboot::has_header(image))
                return true;
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        return view && zboot::find_header(*view).ok();
}

KernelInfo identify_kernel(Bytes image, const std::string &what) {
        if (is_zboot_image(image))
                fail(what + " is already a zboot image");
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                fail(what + " is not a kernel with an EFI stub", view.error());
        if (view->subsystem() != pe::kSubsystemEfiApplication)
                fail(what + " is a PE image but not an EFI application (subsystem " +
                     std::to_string(view->subsystem()) + ")");

        KernelInfo info;
        info.machine = view->machine();
        info.size_of_image = view->size_of_image();
        info.file_size = image.size();
        if (info.machine == pe::kMachineX64) {
                if (!image.contains(kX86SetupMagicOffset, 4) ||
                    std::memcmp(image.data() + kX86SetupMagicOffset, "HdrS", 4) != 0)
                        fail(what + " is an x86_64 EFI application but not a Linux bzImage (no setup header)");
                find_x86_version(image, &info);
        } else if (info.machine == pe::kMachineRiscv64) {
                if (!image.contains(kRiscvImageMagicOffset, 4) ||
                    std::memcmp(image.data() + kRiscvImageMagicOffset, "RSC\x05", 4) != 0)
                        fail(what + " is a riscv64 EFI application but not a Linux Image (no RSC\\x05 magic)");
                find_banner(image, &info);
        } else {
                if (!image.contains(kArm64ImageMagicOffset, 4) ||
                    std::memcmp(image.data() + kArm64ImageMagicOffset, "ARM\x64", 4) != 0)
                        fail(what + " is an arm64 EFI application but not a Linux Image (no ARM\\x64 magic)");
                find_banner(image, &info);
        }
        return info;
}

KernelInfo identify_zboot_payload(Bytes payload, bool x86_direct, const std::string &what) {
        if (!x86_direct)
                return identify_kernel(payload, what);
        KernelInfo info;
        info.machine = pe::kMachineX64;
        info.file_size = payload.size();
        find_banner(payload, &info);
        return info;
}

} // namespace zuki
