// SPDX-License-Identifier: LGPL-2.1-or-later

#include "uki-build.hpp"

#include <cstring>
#include <set>

#include "failure.hpp"
#include "kernel-info.hpp"
#include "kernel-payload.hpp"
#include "limits.hpp"
#include "text.hpp"
#include "uki.hpp"
#include "zboot-image.hpp"

namespace zuki {

namespace {

Buffer text_section(const std::string &s) { return Buffer(s.begin(), s.end()); }

void pad4(Buffer *b) { b->resize((b->size() + 3) & ~size_t(3), 0); }

// Replaces the data of an existing section in place; it must fit in the section's raw size
// and its address space (up to the next section), so nothing else moves.
void replace_section(Buffer *image, const char *name, const Buffer &data) {
        Result<pe::View> view = pe::View::parse(Bytes(image->data(), image->size()), pe::Layout::File);
        if (!view)
                fail("Stub image is not a usable PE", view.error());
        pe::Section s;
        if (!view->find(name, &s))
                fail(std::string("Stub has no ") + name + " section");
        uint64_t room = s.raw_size;
        for (size_t i = 0; i < view->section_count(); i++) {
                pe::Section other = view->section(i);
                if (other.virtual_address > s.virtual_address)
                        room = std::min<uint64_t>(room, other.virtual_address - s.virtual_address);
        }
        if (data.size() > room)
                fail(std::string(name) + " data (" + std::to_string(data.size()) + " bytes) does not fit the stub's " +
                     name + " section (" + std::to_string(room) + " bytes)");
        std::memset(image->data() + s.raw_offset, 0, s.raw_size);
        std::memcpy(image->data() + s.raw_offset, data.data(), data.size());
        store_le32(image->data() + s.header_offset + pe::kSecVirtualSize, (uint32_t) data.size());
        update_pe_checksum(image);
}

// The stub refuses these at boot; refuse them when building too.
void validate_command_line(const Buffer &cmdline, const std::string &what) {
        Bytes b = bytes_of(cmdline);
        size_t n = 0;
        while (n < b.size() && b[n])
                n++;
        if (n > limits::kMaxCommandLine)
                fail(what + " is " + std::to_string(n) + " bytes long, the limit is " +
                     std::to_string(limits::kMaxCommandLine));
        if (!text::is_valid_utf8(Bytes(b.data(), n)))
                fail(what + " is not valid UTF-8");
}

} // namespace

void validate_section_name(const std::string &name) {
        bool ok = name.size() >= 2 && name.size() <= 8 && name[0] == '.';
        for (size_t i = 1; ok && i < name.size(); i++) {
                char c = name[i];
                ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        }
        if (!ok)
                fail("Invalid section name \"" + name + "\": use '.' and 1 to 7 of a-z, 0-9, '_', '-'");
}

Buffer merge_sbat(const std::vector<Bytes> &parts) {
        std::string out;
        bool have_header = false;
        for (Bytes part : parts) {
                std::string text(part.begin(), part.end());
                text = text.substr(0, text.find('\0'));
                size_t pos = 0;
                while (pos < text.size()) {
                        size_t end = text.find('\n', pos);
                        std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
                        pos = end == std::string::npos ? text.size() : end + 1;
                        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                                line.pop_back();
                        if (line.empty())
                                continue;
                        if (line.rfind("sbat,", 0) == 0) {
                                if (have_header)
                                        continue;
                                have_header = true;
                                out = line + "\n" + out;
                                continue;
                        }
                        out += line + "\n";
                }
        }
        return Buffer(out.begin(), out.end());
}

UkiResult build_uki(Bytes stub, const UkiInputs &in, const CompressOptions &compress) {
        UkiResult result;
        Result<pe::View> stub_view = pe::View::parse(stub, pe::Layout::File);
        if (!stub_view)
                fail("Stub is not a usable PE image", stub_view.error());
        refuse_signed_stub(*stub_view);
        if (uki::is_uki(*stub_view) || is_zboot_image(stub))
                fail("Stub image already carries a kernel");

        if (in.addon && (!in.linux_image.empty() || in.osrel || in.splash || in.pcrpkey || !in.profiles.empty() ||
                         in.sign_pcr_policy))
                fail("An addon holds no kernel, .osrel, .splash, .pcrpkey, profiles or signed PCR policies");
        // The kernel: wrapped into a zboot image unless it is one already or --no-compress.
        Buffer linux_section;
        KernelInfo info;
        if (in.addon) {
                // No kernel: the sections go onto the addon stub as they are.
        } else if (is_zboot_image(bytes_of(in.linux_image))) {
                // The stub's checks that need no decompression first: a refusal names its reason.
                Result<pe::View> zview = pe::View::parse(bytes_of(in.linux_image), pe::Layout::File);
                if (!zview)
                        fail("The zboot image is not a usable PE", zview.error());
                Result<kernel::Payload> checked = kernel::check_kernel_payload(*zview, kernel::Origin::LinuxSection);
                if (!checked)
                        fail("The zboot image: the stub would refuse this kernel", checked.error());
                ZbootContents z = read_zboot(bytes_of(in.linux_image));
                if (z.uncompressed_size) {
                        Buffer inner = zstd_decompress(z.frame, z.uncompressed_size);
                        info = identify_zboot_payload(bytes_of(inner), !z.x86boot.empty(),
                                                      "The kernel in the zboot image");
                }
                linux_section = in.linux_image;
        } else {
                info = identify_kernel(bytes_of(in.linux_image), "Kernel");
                if (in.compress)
                        linux_section = build_zboot(stub, bytes_of(in.linux_image), compress).image;
                else
                        linux_section = in.linux_image;
        }
        if (info.machine && info.machine != stub_view->machine())
                fail(std::string("Stub is for ") + pe::machine_name(stub_view->machine()) + ", the kernel for " +
                     pe::machine_name(info.machine));
        result.uname = in.uname ? *in.uname : info.release;

        Buffer image(stub.begin(), stub.end());
        if (in.sbat) {
                pe::Section s;
                if (!stub_view->find(".sbat", &s))
                        fail("Stub has no .sbat section to merge --sbat into");
                replace_section(&image, ".sbat", merge_sbat({stub_view->data(s), bytes_of(*in.sbat)}));
        }

        std::vector<NewSection> sections;
        auto add = [&](const std::string &name, const Buffer &data) {
                if (data.empty())
                        fail("Section " + name + " would be empty");
                sections.push_back(NewSection{name, data, pe::kScnCntInitializedData | pe::kScnMemRead});
        };
        if (in.osrel)
                add(".osrel", *in.osrel);
        if (in.cmdline) {
                validate_command_line(*in.cmdline, "The command line");
                add(".cmdline", *in.cmdline);
        }
        if (in.devicetree)
                add(".dtb", *in.devicetree);
        // After .dtb, as ukify 262 places them.
        for (const Buffer &dtb : in.devicetree_auto)
                add(".dtbauto", dtb);
        if (in.hwids)
                add(".hwids", *in.hwids);
        if (!result.uname.empty())
                add(".uname", text_section(result.uname));
        if (in.splash)
                add(".splash", *in.splash);
        if (in.pcrpkey)
                add(".pcrpkey", *in.pcrpkey);
        if (!in.initrds.empty()) {
                // The stub refuses a combined initrd beyond kMaxInitrdSize; so does the host.
                uint64_t total = 0;
                for (const Buffer &part : in.initrds)
                        total += (part.size() + 3) & ~uint64_t(3);
                if (total > limits::kMaxInitrdSize)
                        fail("The initrds add up to " + std::to_string(total) + " bytes, the limit is " +
                             std::to_string(limits::kMaxInitrdSize));
                Buffer initrd;
                for (const Buffer &part : in.initrds) {
                        initrd.insert(initrd.end(), part.begin(), part.end());
                        pad4(&initrd);
                }
                add(".initrd", initrd);
        }
        if (in.microcode)
                add(".ucode", *in.microcode);
        if (!in.addon)
                add(".linux", linux_section);
        for (const auto &[name, data] : in.extra_sections) {
                validate_section_name(name);
                add(name, data);
        }
        // The base may hold each name once (profiles below repeat names by design).
        std::set<std::string> base_names;
        for (size_t i = 0; i < stub_view->section_count(); i++)
                base_names.insert(stub_view->section(i).name);
        for (const NewSection &ns : sections)
                if (ns.name != ".dtbauto" && !base_names.insert(ns.name).second)
                        fail("Duplicate section " + ns.name);
        // Each .profile starts a profile that runs until the next one (UKI specification,
        // "Multi-Profile UKIs"); the base sections above are shared by all.
        std::vector<size_t> section_ends = {sections.size()}; // where the base and each profile end
        for (const ProfileInputs &p : in.profiles) {
                add(".profile", p.profile);
                if (p.cmdline) {
                        validate_command_line(*p.cmdline, "A profile's command line");
                        add(".cmdline", *p.cmdline);
                }
                section_ends.push_back(sections.size());
        }

        // Profiles repeat names by design, .dtbauto sections too (checked per name above).
        bool multi = !in.profiles.empty() || in.devicetree_auto.size() > 1;
        if (in.sign_pcr_policy) {
                // .pcrsig is not measured, so the image without it predicts the same PCR 11.
                // With profiles, each profile gets its own (the base's would serve none).
                bool profiled = !in.profiles.empty();
                Buffer unsigned_image = append_sections(bytes_of(image), sections, nullptr, multi, "UKI");
                for (size_t i = section_ends.size(); i-- > (profiled ? 1 : 0);) {
                        Buffer sig = in.sign_pcr_policy(bytes_of(unsigned_image), profiled ? (uint32_t) (i - 1) : 0);
                        sections.insert(sections.begin() + (ptrdiff_t) section_ends[i],
                                        NewSection{".pcrsig", sig, pe::kScnCntInitializedData | pe::kScnMemRead});
                }
        }

        result.image = append_sections(bytes_of(image), sections, &result.sections, multi, "UKI");
        return result;
}

} // namespace zuki
