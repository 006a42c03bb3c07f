// SPDX-License-Identifier: LGPL-2.1-or-later

#include "extract.hpp"

#include <algorithm>

#include "failure.hpp"
#include "uki.hpp"
#include "zboot-image.hpp"

namespace zuki {

namespace {

// Where a PE file ends: its headers, the raw data of its last section, or its certificate table
// (a signed kernel's signature follows the sections; the directory holds a file offset). Parsed
// views guarantee the first two lie inside the image; the table is checked here.
uint64_t pe_file_extent(const pe::View &view, const std::string &what) {
        uint64_t end = std::max<uint64_t>(view.size_of_headers(), view.raw_data_end());
        pe::DataDirectory certs = view.directory(pe::kDirSecurity);
        if (certs.size != 0) {
                uint64_t certs_end = (uint64_t) certs.address + certs.size;
                if (certs_end > view.image().size())
                        fail(what + ": the kernel's certificate table lies outside its payload");
                end = std::max(end, certs_end);
        }
        return end;
}

// The kernel file inside a decompressed zboot payload: `zuki zboot` stores the file unchanged,
// then zeros up to SizeOfImage and, on x86_64, the NUL-terminated banner (docs/formats.md);
// Linux's own zboot images store the Image alone. Everything from the end of the PE file to
// SizeOfImage must be padding, or we could not tell where the kernel ended.
Buffer kernel_from_payload(Buffer payload, const std::string &what) {
        Bytes bytes = bytes_of(payload);
        Result<pe::View> view = pe::View::parse(bytes, pe::Layout::File);
        if (!view)
                fail(what + ": the decompressed payload is not a kernel PE image", view.error());
        uint64_t end = pe_file_extent(*view, what);
        uint64_t padded = std::min<uint64_t>(std::max<uint64_t>(end, view->size_of_image()), payload.size());
        if (std::any_of(payload.begin() + (ptrdiff_t) end, payload.begin() + (ptrdiff_t) padded,
                        [](uint8_t b) { return b != 0; }))
                fail(what + ": the payload holds data after the kernel's PE image; cannot tell where the kernel file ended");
        payload.resize(end);
        return payload;
}

ExtractedKernel kernel_from_zboot(Bytes zboot_image, const std::string &what) {
        ZbootContents z = read_zboot(zboot_image);
        if (z.header.codec != zboot::Codec::Zstd)
                fail(what + ": the zboot payload is " + z.header.codec_name +
                     "-compressed; zuki extract unpacks zstd payloads only");
        if (!z.x86boot.empty())
                fail(what + ": the x86_64 kernel was re-packed for zuki's direct boot (a flat vmlinux and its "
                            "relocations), which no other loader takes and from which no bzImage can be rebuilt; "
                            "keep the original bzImage, or build with 'zuki zboot --x86-boot=efistub'");
        ExtractedKernel k;
        Buffer payload = zstd_decompress(z.frame, z.uncompressed_size);
        k.payload_size = payload.size();
        k.kernel = kernel_from_payload(std::move(payload), what);
        k.info = identify_kernel(bytes_of(k.kernel), what + ": the payload");
        return k;
}

pe::View parse_pe(Bytes image, const std::string &what) {
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                fail(what + " is not a zboot image or UKI", view.error());
        return *view;
}

uki::SectionSet select_profile(const pe::View &view, uint32_t profile, const std::string &what) {
        if (!uki::is_uki(view))
                fail(what + " is not a UKI (no .linux section)");
        Result<uki::SectionSet> set = uki::select_sections(view, profile);
        if (!set && set.error() == Error::UnknownProfile)
                fail(what + " has no profile " + std::to_string(profile));
        if (!set)
                fail(what, set.error());
        return *set;
}

} // namespace

ExtractedKernel extract_kernel(Bytes image, uint32_t profile, const std::string &what) {
        pe::View view = parse_pe(image, what);
        if (!uki::is_uki(view)) {
                if (!zboot::has_header(image))
                        fail(what + " is neither a zboot image nor a UKI (no zboot header, no .linux section)");
                if (profile != 0)
                        fail(what + " is a zboot image, which has no profiles");
                return kernel_from_zboot(image, what);
        }
        uki::SectionSet set = select_profile(view, profile, what);
        if (!set.has(uki::SectionId::Linux))
                fail(what + ": profile " + std::to_string(profile) + " has no .linux section");
        Bytes linux_data = view.data(set.get(uki::SectionId::Linux));
        std::string inner = what + ": .linux";
        ExtractedKernel k;
        if (zboot::has_header(linux_data)) {
                k = kernel_from_zboot(linux_data, inner);
        } else {
                k.info = identify_kernel(linux_data, inner);
                k.kernel.assign(linux_data.begin(), linux_data.end());
                k.source = KernelSource::LinuxSection;
        }
        k.from_uki = true;
        return k;
}

std::vector<ExtractedSection> extract_uki_sections(Bytes image, uint32_t profile, const std::string &what) {
        pe::View view = parse_pe(image, what);
        uki::SectionSet set = select_profile(view, profile, what);
        std::vector<pe::Section> chosen;
        for (size_t k = 0; k < uki::kSectionCount; k++)
                if (set.present[k])
                        chosen.push_back(set.sections[k]);
        std::sort(chosen.begin(), chosen.end(),
                  [](const pe::Section &a, const pe::Section &b) { return a.header_offset < b.header_offset; });
        std::vector<ExtractedSection> out;
        for (const pe::Section &s : chosen)
                out.push_back({s.name, view.data(s)});
        return out;
}

std::string uki_section_name(const std::string &name) {
        std::string dotted = name.empty() || name[0] == '.' ? name : "." + name;
        for (const char *known : uki::kSectionNames)
                if (dotted == known)
                        return dotted;
        return {};
}

KexecSupport kexec_support(Bytes image) {
        KexecSupport k;
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view)
                return k;
        Bytes kernel = image;
        bool uki = uki::is_uki(*view);
        if (uki) {
                pe::Section linux_section;
                if (!view->find(".linux", &linux_section))
                        return k;
                kernel = view->data(linux_section);
        }
        if (!is_zboot_image(kernel))
                return k;
        ZbootContents z;
        try {
                z = read_zboot(kernel);
        } catch (const Failure &) {
                return k;
        }
        if (z.header.codec != zboot::Codec::Zstd)
                return k;
        std::string what = uki ? "a UKI whose .linux is a zstd zboot image" : "a zstd zboot image";
        if (!z.x86boot.empty()) {
                k.summary = "kexec-tools 2.0.32 cannot load it (" + what +
                            "), and its x86 direct payload has no bzImage for zuki kexec or zuki extract to give "
                            "back; build with --x86-boot=efistub (kernel-install: X86_BOOT=efistub) to kexec it "
                            "(docs/kexec.md)";
                return k;
        }
        k.extractable = true;
        // Measured with sid's systemctl in a guest (test/qemu/kexec): systemd 262 unpacks a zboot
        // image or a UKI for kexec_file_load(), one layer only, so not a zboot image in a UKI.
        // Seen on x86_64 only: Debian 12's arm64 kernel has no kexec_file_load().
        k.systemd262 = !uki && view->machine() == pe::kMachineX64;
        // Who cannot load it as it is, who can, then what zuki offers.
        std::string loaders;
        if (uki)
                loaders = "kexec-tools 2.0.32 and systemd 262's systemctl kexec (which unpacks one layer) cannot load it "
                          "as it is";
        else if (k.systemd262)
                loaders = "kexec-tools 2.0.32 cannot load it as it is, systemd 262's systemctl kexec can (as a Type #1 "
                          "entry's linux)";
        else
                loaders = "kexec-tools 2.0.32 cannot load it as it is";
        std::string ours = uki ? "zuki kexec loads it with its .initrd and .cmdline (zuki extract gives the kernel and "
                                 "sections"
                               : "zuki kexec loads it (zuki extract gives the kernel";
        k.summary = loaders + " (" + what + "); " + ours + " for kexec -l / -s; docs/kexec.md)";
        return k;
}

const char *kernel_file_kind(uint16_t machine) { return machine == pe::kMachineX64 ? "bzImage" : "Image"; }

std::string section_file_name(const std::string &section) {
        return section.empty() || section[0] != '.' ? section : section.substr(1);
}

} // namespace zuki
