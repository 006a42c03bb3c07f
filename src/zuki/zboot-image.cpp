// SPDX-License-Identifier: LGPL-2.1-or-later

#include "zboot-image.hpp"

#include "failure.hpp"
#include "limits.hpp"
#include "pe-builder.hpp"

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

ZbootImage build_zboot(Bytes stub, Bytes kernel, const CompressOptions &options) {
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

        Buffer payload = kernel_payload(kernel, result.kernel);
        result.uncompressed_size = payload.size();
        Buffer frame = zstd_compress(Bytes(payload.data(), payload.size()), options);
        result.compressed_size = frame.size();

        NewSection section;
        section.name = kPayloadSectionName;
        section.data = frame;
        section.data.resize(frame.size() + zboot::kSizeTrailerSize);
        store_le32(section.data.data() + frame.size(), (uint32_t) payload.size());

        std::vector<AddedSection> added;
        result.image = append_sections(stub, {section}, &added);
        Status s = zboot::write_header(MutableBytes(result.image.data(), result.image.size()), added[0].raw_offset,
                                       (uint32_t) frame.size(), "zstd");
        if (!s)
                fail("Cannot write the zboot header", s.error());
        update_pe_checksum(&result.image);

        // Read back what a loader will read.
        ZbootContents back = read_zboot(Bytes(result.image.data(), result.image.size()));
        if (back.frame.size() != frame.size() || back.uncompressed_size != payload.size())
                fail("Internal error: zboot image does not read back");
        return result;
}

ZbootContents read_zboot(Bytes image) {
        Result<zboot::Header> header = zboot::parse_header(image);
        if (!header)
                fail("Invalid zboot header", header.error());
        ZbootContents c;
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
        return c;
}

} // namespace zuki
