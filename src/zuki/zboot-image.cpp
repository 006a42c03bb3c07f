// SPDX-License-Identifier: LGPL-2.1-or-later

#include "zboot-image.hpp"

#include "failure.hpp"
#include "limits.hpp"
#include "pe-builder.hpp"
#include "self-reloc.hpp"
#include "x86-kernel.hpp"
#include "zboot-cache.hpp"

namespace zuki {

Buffer kernel_payload(Bytes kernel, const KernelInfo &info) {
        Buffer payload(kernel.begin(), kernel.end());
        if (payload.size() < info.size_of_image)
                payload.resize(info.size_of_image, 0);
        if (info.machine == pe::kMachineX64 && !info.banner.empty()) {
                payload.insert(payload.end(), info.banner.begin(), info.banner.end());
                payload.push_back(0);
        }
        if (payload.size() > limits::kMaxDecompressedSize)
                fail("Kernel is too large: " + std::to_string(payload.size()) + " bytes, the limit is " +
                     std::to_string(limits::kMaxDecompressedSize));
        return payload;
}

namespace {

ZbootImage make_zboot(Bytes stub, Bytes kernel, const CompressOptions &options) {
        ZbootImage result;
        result.kernel = identify_kernel(kernel, "Kernel");

        Result<pe::View> stub_view = pe::View::parse(stub, pe::Layout::File);
        if (!stub_view)
                fail("Stub is not a usable PE image", stub_view.error());
        refuse_signed_stub(*stub_view);
        if (stub_view->machine() != result.kernel.machine)
                fail(std::string("Stub is for ") + pe::machine_name(stub_view->machine()) + ", the kernel for " +
                     pe::machine_name(result.kernel.machine));
        pe::Section unused;
        if (zboot::has_header(stub) || stub_view->find(".linux", &unused) || stub_view->find(kPayloadSectionName, &unused))
                fail("Stub image already carries a kernel");

        // x86_64: the direct path when asked for or possible, else the bzImage for its EFI stub.
        std::optional<X86DirectKernel> direct;
        if (result.kernel.machine == pe::kMachineX64 && options.x86_boot != X86Boot::EfiStub) {
                std::string why_not;
                direct = prepare_x86_direct(kernel, &why_not);
                if (!direct && options.x86_boot == X86Boot::Direct)
                        fail("Kernel cannot be booted directly: " + why_not);
                if (!direct && options.notice)
                        options.notice("Kernel cannot be booted directly (" + why_not +
                                       "), wrapping it for its own EFI stub instead");
        }

        Buffer payload = direct ? std::move(direct->payload) : kernel_payload(kernel, result.kernel);
        result.uncompressed_size = payload.size();
        Buffer frame = zstd_compress(Bytes(payload.data(), payload.size()), options);
        result.compressed_size = frame.size();

        std::vector<NewSection> sections;
        if (direct) {
                NewSection boot;
                boot.name = x86::kSectionName;
                boot.data = direct->section;
                sections.push_back(std::move(boot));
                result.x86_direct = true;
                result.x86_codec = direct->codec;
        }
        NewSection section;
        section.name = kPayloadSectionName;
        section.data = frame;
        section.data.resize(frame.size() + zboot::kSizeTrailerSize);
        store_le32(section.data.data() + frame.size(), (uint32_t) payload.size());
        sections.push_back(std::move(section));

        std::vector<AddedSection> added;
        result.image = append_sections(stub, sections, &added);
        const AddedSection &payload_section = added.back();
        Status s = zboot::write_header(MutableBytes(result.image.data(), result.image.size()), payload_section.raw_offset,
                                       (uint32_t) frame.size(), "zstd");
        if (!s)
                fail("Cannot write the zboot header", s.error());
        // systemd-stub 258+ refuses a .linux with base relocations: the stub relocates itself.
        Result<self_reloc::Detached> detached =
                self_reloc::detach(MutableBytes(result.image.data(), result.image.size()));
        if (!detached)
                fail("Cannot make the stub relocate itself", detached.error());
        result.self_relocating = detached->has_record;
        if (!detached->has_record && options.notice)
                options.notice("The stub cannot relocate itself (a stub older than this zuki): the image keeps its "
                               "base relocations, which systemd-stub 258 and later refuse in a UKI's .linux");
        cover_raw_data(&result.image);
        update_pe_checksum(&result.image);

        // Read back what a loader will read.
        ZbootContents back = read_zboot(Bytes(result.image.data(), result.image.size()));
        if (back.frame.size() != frame.size() || back.uncompressed_size != payload.size())
                fail("Internal error: zboot image does not read back");
        return result;
}

} // namespace

ZbootImage build_zboot(Bytes stub, Bytes kernel, const CompressOptions &options) {
        if (options.cache_dir.empty() || !zboot_cache::usable(options.cache_dir, options.notice))
                return make_zboot(stub, kernel, options);
        std::optional<std::string> key = zboot_cache::key(stub, kernel, options);
        if (!key)
                return make_zboot(stub, kernel, options);
        if (std::optional<ZbootImage> hit = zboot_cache::lookup(options.cache_dir, *key, kernel, options.notice)) {
                if (options.notice)
                        options.notice("zboot image reused from the cache (" + options.cache_dir + "/" + *key + ".efi)");
                return std::move(*hit);
        }
        ZbootImage made = make_zboot(stub, kernel, options);
        zboot_cache::store(options.cache_dir, *key, made, options.notice);
        return made;
}

ZbootContents read_zboot(Bytes image) {
        ZbootContents c;
        Result<zboot::Header> header = zboot::parse_header(image);
        if (!header && header.error() == Error::NotZboot) {
                // No header in the MS-DOS header: a tool rewrote it; the .payload section says.
                Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
                if (!view)
                        fail("Not a zboot image", header.error());
                header = zboot::find_header(*view, &c.header_rewritten);
        }
        if (!header)
                fail("Invalid zboot header", header.error());
        c.header = *header;
        Bytes stored;
        if (!image.sub(header->payload_offset, header->stored_size(), &stored))
                fail("zboot payload", Error::PayloadOutOfBounds);
        if (header->codec == zboot::Codec::Zstd) {
                Result<zboot::ZstdPayload> p = zboot::split_zstd_payload(*header, stored);
                if (!p)
                        fail("zboot payload", p.error());
                c.frame = p->frame;
                c.uncompressed_size = p->decompressed_size;
        } else {
                c.frame = stored;
        }
        Result<pe::View> view = pe::View::parse(image, pe::Layout::File);
        pe::Section section;
        if (view && view->find(x86::kSectionName, &section))
                c.x86boot = view->data(section);
        return c;
}

} // namespace zuki
