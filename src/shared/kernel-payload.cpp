// SPDX-License-Identifier: LGPL-2.1-or-later

#include "kernel-payload.hpp"

#include "x86-boot-params.hpp"

namespace zuki::kernel {

namespace {

// The payload must be exactly one zstd frame. A skippable frame in front would be skipped by
// libzstd's streaming API but is declared with content size 0, so the one-shot decompression
// refuses it: refuse it here, before anything is allocated.
Status check_zstd_framing(Bytes frame) {
        if (frame.size() < 4)
                return Error::Truncated;
        uint32_t magic = load_le32(frame.data());
        if ((magic & kZstdSkippableMagicMask) == kZstdSkippableMagic)
                return Error::ZstdSkippableFrame;
        if (magic != kZstdFrameMagic)
                return Error::NotZstdFrame;
        return ok_status();
}

} // namespace

Result<Payload> check_kernel_payload(const pe::View &image, Origin origin) {
        Payload p;
        // An image that says it is zboot must be one: a broken header is not a plain PE (it would
        // start the zuki stub inside .linux, which then fails for a reason that is not the real one).
        // A zuki image whose MS-DOS header a tool rewrote still has its .payload section.
        Result<zboot::Header> header = zboot::find_header(image, &p.header_rewritten);
        if (!header && header.error() == Error::NotZboot) {
                if (origin == Origin::SelfImage)
                        return Error::NotZboot;
                return p;
        }
        p.header = ZUKI_TRY(header);
        pe::Section x86boot;
        bool direct = image.find(x86::kSectionName, &x86boot);
        if (p.header.codec != zboot::Codec::Zstd) {
                // Only an x86 direct-boot payload and our own image need us to decompress.
                if (direct)
                        return Error::X86NeedsZstd;
                if (origin == Origin::SelfImage)
                        return Error::UnsupportedCodec;
                p.kind = Kind::SelfDecompressing;
                return p;
        }
        p.zstd = ZUKI_TRY(zboot::locate_zstd_payload(image, p.header));
        ZUKI_TRY(check_zstd_framing(p.zstd.frame));
        p.kind = Kind::Zstd;
        if (!direct)
                return p;
        p.x86 = ZUKI_TRY(x86::parse(image.data(x86boot)));
        if (p.zstd.decompressed_size != p.x86.payload_size())
                return Error::X86PayloadSizeMismatch;
        p.kind = Kind::X86Direct;
        return p;
}

Status check_command_line_utf8(const Payload &payload, size_t utf8_length) {
        if (payload.kind == Kind::X86Direct && utf8_length > payload.x86.cmdline_size)
                return Error::CmdlineOverKernelLimit;
        return ok_status();
}

Status check_command_line(const Payload &payload, Span<const char16_t> cmdline) {
        if (payload.kind != Kind::X86Direct)
                return ok_status();
        return check_command_line_utf8(payload, x86::command_line_utf8_length(cmdline));
}

Result<load::Plan> check_loadable(const pe::View &file, uint16_t machine) {
        if (file.machine() != machine)
                return Error::UnsupportedMachine;
        return load::plan(file);
}

Status check_decompressed(const Payload &payload, Bytes decompressed, uint16_t machine) {
        if (payload.kind == Kind::Zstd) {
                Result<pe::View> view = pe::View::parse(decompressed, pe::Layout::File);
                if (!view)
                        return view.error();
                Result<load::Plan> plan = check_loadable(*view, machine);
                if (!plan)
                        return plan.error();
                return ok_status();
        }
        if (payload.kind != Kind::X86Direct)
                return ok_status();
        const x86::Info &x = payload.x86;
        if (decompressed.size() != x.payload_size())
                return Error::X86PayloadSizeMismatch;
        Bytes table(decompressed.data() + x.file_size, x.relocs_size);
        Result<x86::RelocationCounts> r = x86::check_relocations(table, x.load_address, x.image_size, x.delta_relocations);
        if (!r)
                return r.error();
        return ok_status();
}

} // namespace zuki::kernel
