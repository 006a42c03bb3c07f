// SPDX-License-Identifier: LGPL-2.1-or-later
// Real distribution kernels (Debian bookworm), when tools/setup.sh has fetched them. The expected
// machine and section names were read from the same files with pefile, independently of zuki.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "load-plan.hpp"
#include "pe-fixture.hpp"
#include "pe.hpp"
#include "zboot.hpp"

namespace zuki {
namespace {

struct KernelFacts {
        const char *env;
        uint16_t machine;
        std::vector<std::string> sections;
};

// Reads the kernel named by the environment variable, or says why it cannot.
bool read_kernel(const char *env, std::vector<uint8_t> *out, std::string *why) {
        const char *path = std::getenv(env);
        if (!path || !*path) {
                *why = std::string(env) + " is not set (see /var/cache/zuki/assets.env, tools/setup.sh)";
                return false;
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
                *why = std::string("cannot open ") + path;
                return false;
        }
        out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        return true;
}

void check_kernel(const KernelFacts &facts) {
        std::vector<uint8_t> file;
        std::string why;
        if (!read_kernel(facts.env, &file, &why))
                GTEST_SKIP() << why;

        EXPECT_FALSE(zboot::has_header(Bytes(file.data(), file.size()))); // a plain EFI-stub kernel
        Result<pe::View> parsed = pe::View::parse(Bytes(file.data(), file.size()), pe::Layout::File);
        ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
        const pe::View &view = *parsed;
        EXPECT_EQ(view.machine(), facts.machine);
        ASSERT_EQ(view.section_count(), facts.sections.size());
        for (size_t i = 0; i < facts.sections.size(); i++)
                EXPECT_EQ(view.section(i).name, facts.sections[i]);
        pe::Section text;
        ASSERT_TRUE(view.find(".text", &text));
        EXPECT_TRUE(text.executable());

        Result<load::Plan> plan = load::plan(view);
        ASSERT_TRUE(plan.ok()) << describe(plan.error());
        EXPECT_TRUE(plan->in_place);
        EXPECT_GE(plan->entry_rva, text.virtual_address);
        EXPECT_LT(plan->entry_rva, text.virtual_address + text.memory_size());

        // Load in place as the stub does after decompressing: the buffer holds the file (with its
        // signature, if any) and stale bytes up to the image size.
        std::vector<uint8_t> buffer = file;
        buffer.resize(std::max<uint64_t>(buffer.size(), plan->image_size), 0xaa);
        pe::View in_buffer = *pe::View::parse(Bytes(buffer.data(), file.size()), pe::Layout::File);
        MutableBytes dest(buffer.data(), buffer.size());
        ASSERT_TRUE(load::materialize(in_buffer, *plan, dest).ok());

        uint64_t data_end = 0;
        for (size_t i = 0; i < view.section_count(); i++) {
                pe::Section s = view.section(i);
                EXPECT_TRUE(std::equal(buffer.begin() + s.virtual_address,
                                       buffer.begin() + s.virtual_address + s.data_size(),
                                       file.begin() + s.raw_offset))
                        << s.name;
                data_end = std::max<uint64_t>(data_end, (uint64_t) s.virtual_address + s.data_size());
        }
        EXPECT_TRUE(std::all_of(buffer.begin() + data_end, buffer.begin() + plan->image_size,
                                [](uint8_t b) { return b == 0; }))
                << "BSS is not zero";

        // Copying into separate pages yields the same image.
        std::vector<uint8_t> copy(plan->image_size, 0xaa);
        ASSERT_TRUE(load::materialize(view, *plan, MutableBytes(copy.data(), copy.size())).ok());
        EXPECT_TRUE(std::equal(copy.begin(), copy.end(), buffer.begin()));

        // Neither kernel has base relocations; placing it elsewhere succeeds and changes nothing.
        EXPECT_EQ(plan->relocations.size, 0u);
        ASSERT_TRUE(load::relocate(dest, *plan, plan->preferred_base + 0x200000).ok());
        EXPECT_TRUE(std::equal(copy.begin(), copy.end(), buffer.begin()));
}

TEST(RealKernel, DebianBookwormAmd64BzImageLoadsInPlace) {
        check_kernel({"ZUKI_KERNEL_BOOKWORM_AMD64", pe::kMachineX64, {".setup", ".compat", ".text", ".data"}});
}

TEST(RealKernel, DebianBookwormArm64ImageLoadsInPlace) {
        check_kernel({"ZUKI_KERNEL_BOOKWORM_ARM64", pe::kMachineArm64, {".text", ".data"}});
}

} // namespace
} // namespace zuki
