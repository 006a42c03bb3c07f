// SPDX-License-Identifier: LGPL-2.1-or-later

#include "inspect.hpp"

#include "sidecar.hpp"

#include <cstdio>
#include <openssl/evp.h>

#include "crypto.hpp"
#include "failure.hpp"
#include "kernel-info.hpp"
#include "pcr-predict.hpp"
#include "stub-acceptance.hpp"
#include "x86-boot.hpp"
#include "self-reloc.hpp"
#include "zboot-image.hpp"

namespace zuki {

namespace {

using json = nlohmann::ordered_json;

std::string flags_of(uint32_t c) {
        std::string f;
        f += (c & pe::kScnMemRead) ? 'r' : '-';
        f += (c & pe::kScnMemWrite) ? 'w' : '-';
        f += (c & pe::kScnMemExecute) ? 'x' : '-';
        return f;
}

std::string hex(uint64_t v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long) v);
        return buf;
}

// SHA-256 of a section's data as the PE loader sees it (at most VirtualSize bytes of the raw
// data): lets scripts compare the code of two images (e.g. which stub a UKI was built on).
std::string section_sha256(const pe::View &v, const pe::Section &s) {
        Bytes d = v.data(s);
        if (s.virtual_size && s.virtual_size < d.size())
                d = Bytes(d.data(), s.virtual_size);
        return to_hex(bytes_of(sha256({d})));
}

json describe_pe(const pe::View &v) {
        json j;
        j["machine"] = pe::machine_name(v.machine());
        j["subsystem"] = v.subsystem();
        j["entry_point"] = v.entry_point();
        j["image_base"] = v.image_base();
        j["size_of_image"] = v.size_of_image();
        j["size_of_headers"] = v.size_of_headers();
        j["section_alignment"] = v.section_alignment();
        j["file_alignment"] = v.file_alignment();
        j["nx_compat"] = (v.dll_characteristics() & pe::kDllNxCompat) != 0;
        j["dynamic_base"] = (v.dll_characteristics() & pe::kDllDynamicBase) != 0;
        j["signed"] = v.directory(pe::kDirSecurity).size != 0;
        json sections = json::array();
        for (size_t i = 0; i < v.section_count(); i++) {
                pe::Section s = v.section(i);
                sections.push_back({{"name", s.name},
                                    {"virtual_address", s.virtual_address},
                                    {"virtual_size", s.virtual_size},
                                    {"raw_offset", s.raw_offset},
                                    {"raw_size", s.raw_size},
                                    {"flags", flags_of(s.characteristics)},
                                    {"sha256", section_sha256(v, s)}});
        }
        j["sections"] = sections;
        return j;
}

json describe_kernel(const KernelInfo &k) {
        json j;
        j["machine"] = pe::machine_name(k.machine);
        j["release"] = k.release;
        j["banner"] = k.banner;
        j["size_of_image"] = k.size_of_image;
        j["file_size"] = k.file_size;
        return j;
}

} // namespace

json inspect_image(Bytes image) {
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        if (!view) {
                // More section headers than the header area holds or the stub takes: say by how much.
                check_section_header_room(image, 0, zboot::has_header(image) ? "zboot image" : "UKI");
                fail("Not a PE image we can read", view.error());
        }
        json report;
        report["size"] = image.size();
        pe::Section linux_section;
        const bool zboot_image = is_zboot_image(image);
        if (zboot_image)
                report["type"] = "zboot";
        else if (view->find(".linux", &linux_section))
                report["type"] = "uki";
        else
                report["type"] = "pe";
        report["pe"] = describe_pe(*view);

        if (zboot_image) {
                ZbootContents z = read_zboot(image);
                json zj;
                zj["codec"] = z.header.codec_name;
                zj["header"] = z.header_rewritten ? "rewritten" : "present";
                zj["payload_offset"] = z.header.payload_offset;
                zj["payload_size"] = z.header.payload_size;
                if (z.uncompressed_size) {
                        zj["uncompressed_size"] = z.uncompressed_size;
                        // A payload that does not decompress is described here; why the stub
                        // refuses it is the stub's check below.
                        try {
                                Buffer inner = zstd_decompress(z.frame, z.uncompressed_size);
                                report["kernel"] = describe_kernel(
                                        identify_zboot_payload(bytes_of(inner), !z.x86boot.empty(), "Payload"));
                        } catch (const Failure &f) {
                                zj["payload_error"] = f.what();
                        }
                }
                if (!z.x86boot.empty()) {
                        Result<x86::Info> x = x86::parse(z.x86boot);
                        json xj;
                        if (x) {
                                xj["load_address"] = x->load_address;
                                xj["image_size"] = x->image_size;
                                xj["init_size"] = x->init_size;
                                xj["kernel_alignment"] = x->kernel_alignment;
                                xj["entry_offset"] = x->entry_offset;
                                xj["relocations_size"] = x->relocs_size;
                                bool filtered = false;
                                for (uint32_t i = 0; i < x->segment_count; i++)
                                        filtered |= (x->segments[i].flags & x86::kSegmentBranchFiltered) != 0;
                                xj["branch_filter"] = filtered;
                                xj["relocations_delta_coded"] = x->delta_relocations;
                                xj["boot_protocol"] = std::to_string(x->version >> 8) + "." +
                                                      std::to_string(x->version & 0xff);
                        } else {
                                xj["error"] = describe(x.error());
                        }
                        zj["x86_direct"] = xj;
                }
                // systemd-stub 258+ starts a .linux PE itself: it refuses base relocations in the
                // directory and sections with more raw data than memory.
                bool detached = self_reloc::is_detached(image);
                bool covered = true;
                for (size_t i = 0; i < view->section_count(); i++)
                        covered &= view->section(i).raw_size <= view->section(i).virtual_size;
                zj["self_relocating"] = detached;
                zj["systemd_stub_258_linux"] = view->directory(pe::kDirBaseReloc).size == 0 && covered;
                report["zboot"] = zj;
        } else if (report["type"] == "uki") {
                // What .linux holds (without decompressing it): scripts check a UKI carries a zboot image.
                Bytes inner = view->data(linux_section);
                if (linux_section.virtual_size && linux_section.virtual_size < inner.size())
                        inner = Bytes(inner.data(), linux_section.virtual_size);
                json lj;
                if (is_zboot_image(inner)) {
                        lj["type"] = "zboot";
                        try {
                                lj["codec"] = read_zboot(inner).header.codec_name;
                        } catch (const Failure &f) {
                                lj["error"] = f.what();
                        }
                } else {
                        try {
                                KernelInfo k = identify_kernel(inner, ".linux");
                                lj["type"] = "kernel";
                                lj["release"] = k.release;
                        } catch (const Failure &) {
                                lj["type"] = "other";
                        }
                }
                report["linux"] = lj;
        } else if (report["type"] == "pe") {
                try {
                        report["kernel"] = describe_kernel(identify_kernel(image, "Image"));
                        report["type"] = "kernel";
                } catch (const Failure &) {
                        // An EFI application that is not a kernel (a stub, a boot loader), or an
                        // addon: sections a UKI's stub takes (ukify's or zuki build --addon's).
                        sidecar::Addon addon = sidecar::addon_of(*view, Span<const char16_t>());
                        if (sidecar::judge_addon(addon, Bytes()) == sidecar::AddonVerdict::Used) {
                                report["type"] = "addon";
                                json aj;
                                for (const sidecar::AddonSection &a : sidecar::kAddonSections)
                                        if (!(addon.*a.field).empty())
                                                aj["sections"].push_back(a.name);
                                if (!addon.cmdline.empty()) {
                                        std::string text(addon.cmdline.begin(), addon.cmdline.end());
                                        aj["cmdline"] = text.substr(0, text.find('\0'));
                                }
                                if (!addon.uname.empty()) {
                                        std::string text(addon.uname.begin(), addon.uname.end());
                                        aj["uname"] = text.substr(0, text.find('\0'));
                                }
                                report["addon"] = aj;
                        }
                }
        }
        // Whether the stub would boot it, by the stub's own checks: a zboot image as the kernel of a
        // UKI (what zuki build --linux makes of it), a UKI in every profile.
        try {
                if (report["type"] == "zboot")
                        check_stub_accepts_kernel(image, kernel::Origin::LinuxSection, view->machine(), "zboot image");
                else if (report["type"] == "uki")
                        check_stub_accepts_uki(image, "UKI");
        } catch (const Failure &f) {
                report["stub_refuses"] = f.what();
        }
        return report;
}

std::string render_inspection(const json &r) {
        std::string out;
        auto line = [&](const std::string &k, const std::string &v) { out += k + ": " + v + "\n"; };
        const json &p = r["pe"];
        line("type", r["type"].get<std::string>());
        line("size", std::to_string(r["size"].get<uint64_t>()));
        line("machine", p["machine"].get<std::string>());
        line("subsystem", std::to_string(p["subsystem"].get<int>()));
        line("size of image", hex(p["size_of_image"].get<uint64_t>()));
        line("alignment", "section " + hex(p["section_alignment"].get<uint64_t>()) + ", file " +
                                  hex(p["file_alignment"].get<uint64_t>()));
        line("nx compat", p["nx_compat"].get<bool>() ? "yes" : "no");
        line("signed", p["signed"].get<bool>() ? "yes" : "no");
        out += "sections:\n";
        for (const json &s : p["sections"]) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "  %-8s %s  va 0x%08llx  vsize %10llu  raw 0x%08llx %10llu\n",
                              s["name"].get<std::string>().c_str(), s["flags"].get<std::string>().c_str(),
                              (unsigned long long) s["virtual_address"].get<uint64_t>(),
                              (unsigned long long) s["virtual_size"].get<uint64_t>(),
                              (unsigned long long) s["raw_offset"].get<uint64_t>(),
                              (unsigned long long) s["raw_size"].get<uint64_t>());
                out += buf;
        }
        if (r.contains("zboot")) {
                const json &z = r["zboot"];
                line("zboot codec", z["codec"].get<std::string>());
                if (z["header"] == "rewritten")
                        line("zboot header", "rewritten by another tool (objcopy?); the stub finds the payload "
                                             "through .payload; `zuki zboot --repair` restores the header");
                line("zboot payload", std::to_string(z["payload_size"].get<uint64_t>()) + " bytes at " +
                                              hex(z["payload_offset"].get<uint64_t>()));
                if (z.contains("uncompressed_size"))
                        line("zboot uncompressed", std::to_string(z["uncompressed_size"].get<uint64_t>()) + " bytes");
                if (z.contains("payload_error"))
                        line("zboot payload error", z["payload_error"].get<std::string>());
                line("zboot relocations", z["self_relocating"].get<bool>()
                                                  ? "detached: the stub relocates itself"
                                                  : "in the PE directory (a stub older than this zuki)");
                line("as .linux of systemd-stub 258+", z["systemd_stub_258_linux"].get<bool>()
                                                               ? "yes"
                                                               : "no: it refuses base relocations or sections "
                                                                 "with more raw data than memory");
                if (z.contains("x86_direct")) {
                        const json &x = z["x86_direct"];
                        if (x.contains("error"))
                                line("x86 direct boot", "unusable: " + x["error"].get<std::string>());
                        else
                                line("x86 direct boot", "boot protocol " + x["boot_protocol"].get<std::string>() + ", " +
                                                                std::to_string(x["image_size"].get<uint64_t>()) +
                                                                " bytes at " + std::to_string(x["load_address"].get<uint64_t>()) +
                                                                ", init_size " + std::to_string(x["init_size"].get<uint64_t>()) +
                                                                (x["branch_filter"].get<bool>() ? ", branch-filtered code" : "") +
                                                                (x["relocations_delta_coded"].get<bool>() ? ", delta-coded relocations" : ""));
                }
        }
        if (r.contains("addon")) {
                const json &a = r["addon"];
                std::string names;
                for (const json &n : a["sections"])
                        names += (names.empty() ? "" : " ") + n.get<std::string>();
                line("addon sections", names);
                if (a.contains("cmdline"))
                        line("addon cmdline", a["cmdline"].get<std::string>());
                if (a.contains("uname"))
                        line("addon uname", a["uname"].get<std::string>() + " (a UKI of another .uname refuses it)");
        }
        if (r.contains("kernel")) {
                const json &k = r["kernel"];
                line("kernel", k["machine"].get<std::string>() + " " +
                                       (k["release"].get<std::string>().empty() ? "(release unknown)"
                                                                                : k["release"].get<std::string>()));
                if (!k["banner"].get<std::string>().empty())
                        line("kernel banner", k["banner"].get<std::string>());
        }
        if (r.contains("stub_refuses"))
                line("stub refuses", r["stub_refuses"].get<std::string>());
        return out;
}

} // namespace zuki
