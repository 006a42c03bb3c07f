// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The zboot header parser and payload location: parse_header, split_zstd_payload and
// locate_stored_payload on a file view, on the input taken as a loaded image, and on the image
// load::materialize produces (which is what the stub sees when firmware loaded it).
//
// Input: a zboot image (a PE file whose MS-DOS header carries the zboot fields).

#include <cstring>
#include <vector>

#include "fuzz-common.hpp"
#include "limits.hpp"
#include "load-plan.hpp"
#include "pe.hpp"
#include "zboot.hpp"

using namespace zuki;
using zuki::fuzz::Buffer;

namespace {

void check_split(const zboot::Header &h, Bytes stored) {
        Result<zboot::ZstdPayload> p = zboot::split_zstd_payload(h, stored);
        if (h.codec != zboot::Codec::Zstd) {
                FUZZ_CHECK(p.error() == Error::UnsupportedCodec);
                return;
        }
        if (!stored.empty())
                FUZZ_CHECK(zboot::split_zstd_payload(h, Bytes(stored.data(), stored.size() - 1)).error() ==
                           Error::PayloadOutOfBounds);
        if (!p)
                return;
        FUZZ_CHECK(stored.size() == h.stored_size());
        FUZZ_CHECK(p->frame.data() == stored.data() && p->frame.size() == h.payload_size);
        FUZZ_CHECK(fuzz::inside(stored, p->frame));
        FUZZ_CHECK(p->decompressed_size != 0 && p->decompressed_size <= limits::kMaxDecompressedSize);
        FUZZ_CHECK(p->decompressed_size == load_le32(stored.data() + h.payload_size));
}

// The payload as located in `view` (whose bytes are `image`).
Result<Bytes> locate(const pe::View &view, Bytes image, const zboot::Header &h) {
        Result<Bytes> stored = zboot::locate_stored_payload(view, h);
        if (!stored)
                return stored;
        FUZZ_CHECK(stored->size() == h.stored_size());
        FUZZ_CHECK(fuzz::inside(image, *stored), "payload outside the image");
        if (view.layout() == pe::Layout::File) {
                FUZZ_CHECK(stored->data() == image.data() + h.payload_offset);
        } else {
                uint64_t rva = (uint64_t) (stored->data() - image.data());
                FUZZ_CHECK(rva + stored->size() <= view.size_of_image(), "payload past SizeOfImage");
        }
        check_split(h, *stored);
        return stored;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Bytes input(data, size);
        Result<zboot::Header> h = zboot::parse_header(input);
        if (size < pe::kDosHeaderSize)
                FUZZ_CHECK(h.error() == Error::Truncated);
        else if (!zboot::has_header(input))
                FUZZ_CHECK(h.error() == Error::NotZboot);
        // find_header: the header when there is one; otherwise what a .payload section with a
        // zstd frame implies (an image objcopy rewrote), located inside the image.
        if (Result<pe::View> view = pe::View::parse(input, pe::Layout::File)) {
                bool rewritten = false;
                Result<zboot::Header> found = zboot::find_header(*view, &rewritten);
                if (zboot::has_header(input)) {
                        FUZZ_CHECK(!rewritten && found.ok() == h.ok());
                        if (found)
                                FUZZ_CHECK(found->payload_offset == h->payload_offset &&
                                           found->payload_size == h->payload_size);
                } else if (found) {
                        pe::Section s;
                        FUZZ_CHECK(rewritten && view->find(zboot::kPayloadSectionName, &s));
                        FUZZ_CHECK(found->payload_offset == s.raw_offset && found->codec == zboot::Codec::Zstd);
                        // The frame's own block headers end it; the section may hold padding after
                        // the trailer (VirtualSize covers the raw data, for systemd-stub 258+).
                        Result<uint64_t> frame = zboot::zstd_frame_size(view->data(s));
                        FUZZ_CHECK(frame.ok() && *frame == found->payload_size);
                        FUZZ_CHECK(found->stored_size() <= view->data(s).size());
                        Result<Bytes> stored = locate(*view, input, *found);
                        FUZZ_CHECK(stored.ok() && load_le32(stored->data()) == zboot::kZstdFrameMagic);
                } else {
                        FUZZ_CHECK(!rewritten);
                }
        }
        // zstd_frame_size never runs past what it is given.
        if (Result<uint64_t> n = zboot::zstd_frame_size(input))
                FUZZ_CHECK(*n >= 5 && *n <= input.size());
        if (!h)
                return 0;

        // The header is sane and round-trips through write_header.
        size_t n = strlen(h->codec_name);
        FUZZ_CHECK(n > 0 && n < zboot::kCodecFieldSize);
        for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(h->codec_name[i] > 0x20 && h->codec_name[i] < 0x7f);
        FUZZ_CHECK(h->payload_size != 0 && h->payload_size <= limits::kMaxCompressedSize);
        FUZZ_CHECK(h->payload_offset >= pe::kDosHeaderSize);
        FUZZ_CHECK(h->stored_size() >= h->payload_size);
        {
                uint8_t copy[pe::kDosHeaderSize + 4];
                memcpy(copy, data, pe::kDosHeaderSize);
                memset(copy + pe::kDosHeaderSize, 0xee, 4);
                FUZZ_CHECK(zboot::write_header(MutableBytes(copy, pe::kDosHeaderSize), h->payload_offset,
                                               h->payload_size, h->codec_name)
                                   .ok());
                FUZZ_CHECK(copy[pe::kDosHeaderSize] == 0xee && load_le32(copy + zboot::kHeaderEnd) ==
                                                                      load_le32(data + zboot::kHeaderEnd));
                Result<zboot::Header> again = zboot::parse_header(Bytes(copy, pe::kDosHeaderSize));
                FUZZ_CHECK(again.ok() && again->payload_offset == h->payload_offset &&
                           again->payload_size == h->payload_size && again->codec == h->codec &&
                           strcmp(again->codec_name, h->codec_name) == 0);
                FUZZ_CHECK(!zboot::write_header(MutableBytes(copy, pe::kDosHeaderSize - 1), 0, 1, "zstd").ok());
                FUZZ_CHECK(!zboot::write_header(MutableBytes(copy, pe::kDosHeaderSize), 0, 1, "").ok());
                FUZZ_CHECK(!zboot::write_header(MutableBytes(copy, pe::kDosHeaderSize), 0, 1,
                                                "0123456789abcdef0123456789abcdef")
                                    .ok());
        }

        // Any bytes as the stored payload: split only reads inside them.
        if (size >= h->stored_size() && h->codec == zboot::Codec::Zstd)
                check_split(*h, Bytes(data + size - h->stored_size(), h->stored_size()));

        // The input taken as a loaded image.
        Result<pe::View> as_loaded = pe::View::parse(input, pe::Layout::Loaded);
        if (as_loaded)
                (void) locate(*as_loaded, input, *h);

        Result<pe::View> file = pe::View::parse(input, pe::Layout::File);
        if (!file)
                return 0;
        Result<Bytes> in_file = locate(*file, input, *h);
        if (!in_file)
                FUZZ_CHECK(in_file.error() == Error::PayloadOutOfBounds);

        // What the stub sees after firmware loaded the image: the same payload bytes.
        Result<load::Plan> plan = load::plan(*file);
        if (!plan || plan->image_size > fuzz::kMaxMaterialize)
                return 0;
        Buffer image(plan->image_size);
        FUZZ_CHECK(load::materialize(*file, *plan, image.bytes()).ok());
        Bytes loaded_bytes(image.data, image.size);
        Result<pe::View> loaded = pe::View::parse(loaded_bytes, pe::Layout::Loaded);
        FUZZ_CHECK(loaded.ok());
        Result<zboot::Header> loaded_header = zboot::parse_header(loaded_bytes);
        FUZZ_CHECK(loaded_header.ok() && loaded_header->payload_offset == h->payload_offset &&
                   loaded_header->payload_size == h->payload_size);
        Result<Bytes> in_memory = locate(*loaded, loaded_bytes, *h);
        if (in_memory) {
                // Loaded only what a section covers, which the file holds as well.
                FUZZ_CHECK(in_file.ok(), "payload found in memory but not in the file");
                FUZZ_CHECK(memcmp(in_memory->data(), in_file->data(), in_file->size()) == 0,
                           "loaded payload differs from the file's");
        }
        return 0;
}
