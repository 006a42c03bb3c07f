// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The W^X plan, on the path the stub takes: a PE file through load::plan and materialize, the
// result parsed as Layout::Loaded, then wx::plan. The ranges must be page-aligned, contiguous
// from 0, cover image_size exactly, map every executable section executable and no writable
// one; WxConflict exactly when code and writable data share a page.
//
// Input: the PE file. Byte 0x08 (in the MS-DOS header, which the parser ignores) picks extra
// image sizes to try on the file view.

#include "fuzz-common.hpp"
#include "load-plan.hpp"
#include "pe.hpp"
#include "wx.hpp"

using namespace zuki;

namespace {

uint64_t page_down(uint64_t v) { return v & ~(wx::kPageSize - 1); }
uint64_t page_up(uint64_t v) { return (v + wx::kPageSize - 1) & ~(wx::kPageSize - 1); }

struct Span64 {
        uint64_t start, end;
};

Span64 pages_of(const pe::Section &s) {
        return {page_down(s.virtual_address), page_up((uint64_t) s.virtual_address + s.memory_size())};
}

bool counts(const pe::Section &s) { return s.memory_size() != 0; }

void check_plan(const pe::View &image, uint64_t image_size) {
        Result<wx::Plan> r = wx::plan(image, image_size);
        if (image_size % wx::kPageSize) {
                FUZZ_CHECK(r.error() == Error::BadImageSize);
                return;
        }

        // The model: first, in section order, the out-of-bounds and conflict checks.
        Error expect = Error::None;
        for (size_t i = 0; i < image.section_count() && expect == Error::None; i++) {
                pe::Section x = image.section(i);
                if (!x.executable() || !counts(x))
                        continue;
                Span64 xp = pages_of(x);
                if (xp.end > image_size) {
                        expect = Error::SectionOutOfBounds;
                        break;
                }
                for (size_t j = 0; j < image.section_count(); j++) {
                        pe::Section w = image.section(j);
                        if (!w.writable() || !counts(w))
                                continue;
                        Span64 wp = pages_of(w);
                        if (wp.start < xp.end && xp.start < wp.end)
                                expect = Error::WxConflict;
                }
        }
        FUZZ_CHECK(r.error() == expect, "wx::plan: %s, expected %s", describe(r.error()), describe(expect));
        if (!r)
                return;

        const wx::Plan &p = *r;
        FUZZ_CHECK((image_size == 0 || p.count >= 1) && p.count <= wx::Plan::kCapacity);
        uint64_t cursor = 0;
        for (size_t k = 0; k < p.count; k++) {
                const wx::Range &g = p.ranges[k];
                FUZZ_CHECK(g.offset == cursor, "range %zu starts at %llx, previous ends at %llx", k,
                           (unsigned long long) g.offset, (unsigned long long) cursor);
                FUZZ_CHECK(g.size > 0 && g.offset % wx::kPageSize == 0 && g.size % wx::kPageSize == 0);
                cursor = g.offset + g.size;
                if (!g.executable)
                        continue;
                // Every page of an executable range belongs to some executable section.
                uint64_t pos = g.offset;
                while (pos < cursor) {
                        uint64_t next = pos;
                        for (size_t i = 0; i < image.section_count(); i++) {
                                pe::Section s = image.section(i);
                                Span64 sp = pages_of(s);
                                if (s.executable() && counts(s) && sp.start <= pos && pos < sp.end && sp.end > next)
                                        next = sp.end;
                        }
                        FUZZ_CHECK(next > pos, "page %llx executable without code", (unsigned long long) pos);
                        pos = next;
                }
        }
        FUZZ_CHECK(cursor == image_size, "ranges end at %llx, image is %llx", (unsigned long long) cursor,
                   (unsigned long long) image_size);

        // Each section lies in ranges of its kind (only writable ones are checked for non-code:
        // read-only data may share a page with code).
        for (size_t i = 0; i < image.section_count(); i++) {
                pe::Section s = image.section(i);
                if (!counts(s) || !(s.executable() || s.writable()))
                        continue;
                Span64 sp = pages_of(s);
                for (size_t k = 0; k < p.count; k++) {
                        const wx::Range &g = p.ranges[k];
                        if (g.offset < sp.end && sp.start < g.offset + g.size)
                                FUZZ_CHECK(g.executable == s.executable(), "section %zu (%s) in a %s range", i, s.name,
                                           g.executable ? "code" : "data");
                }
        }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Bytes input(data, size);
        Result<pe::View> file = pe::View::parse(input, pe::Layout::File);
        if (!file)
                return 0;

        // The plan only reads section headers: any view and any size are fair game.
        uint64_t page_size = page_up(file->size_of_image());
        uint8_t pick = size > 8 ? data[8] : 0;
        check_plan(*file, page_size);
        check_plan(*file, page_size + wx::kPageSize * (pick & 7));
        check_plan(*file, page_size > wx::kPageSize * (pick >> 5) ? page_size - wx::kPageSize * (pick >> 5) : 0);
        check_plan(*file, file->size_of_image());

        Result<load::Plan> plan = load::plan(*file);
        if (!plan || plan->image_size > fuzz::kMaxMaterialize)
                return 0;
        fuzz::Buffer image(plan->image_size);
        FUZZ_CHECK(load::materialize(*file, *plan, image.bytes()).ok());
        Status rel = load::relocate(image.bytes(), *plan, plan->preferred_base + 0x200000);
        (void) rel; // relocations may rewrite the headers; the loaded view re-validates them
        Result<pe::View> loaded = pe::View::parse(Bytes(image.data, image.size), pe::Layout::Loaded);
        if (!loaded)
                return 0;
        fuzz::check_view(*loaded, Bytes(image.data, image.size));
        check_plan(*loaded, plan->image_size);
        return 0;
}
