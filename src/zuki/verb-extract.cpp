// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zuki extract: the kernel of a zboot image or UKI as a kernel file, or a UKI's sections.

#include "cli.hpp"
#include "extract.hpp"
#include "failure.hpp"
#include "verbs.hpp"

namespace zuki::verbs {

namespace {

enum { kOptSection = cli::kFirstLongOnly, kOptSections, kOptProfile, kOptJson };

constexpr cli::Option kOptions[] = {
        {"output", 'o', cli::Arg::Required, "FILE", "write the kernel (or the --section) to FILE"},
        {"section", kOptSection, cli::Arg::Required, "NAME", "write this UKI section (.cmdline or cmdline) to --output"},
        {"sections", kOptSections, cli::Arg::Required, "DIR", "write every UKI section of the profile into DIR (new or empty)"},
        {"profile", kOptProfile, cli::Arg::Required, "N", "the UKI profile to take sections or .linux from (default 0)"},
        {"json", kOptJson, cli::Arg::None, nullptr, "print a JSON summary of what was written"},
};

constexpr const char *kUsage[] = {
        "--output FILE [--profile N] [--json] IMAGE",
        "--section NAME --output FILE [--profile N] [--json] UKI",
        "--sections DIR [--profile N] [--json] UKI",
};

nlohmann::ordered_json written(const std::string &path, const std::string &section, size_t size) {
        nlohmann::ordered_json j;
        j["path"] = path;
        if (!section.empty())
                j["section"] = section;
        j["size"] = size;
        return j;
}

nlohmann::ordered_json write_kernel(Bytes image, uint32_t profile, const std::string &input,
                                    const std::string &output, bool json) {
        ExtractedKernel k = extract_kernel(image, profile, input);
        write_file_atomic(output, bytes_of(k.kernel), 0644);
        const char *kind = kernel_file_kind(k.info.machine);
        const char *how = k.source == KernelSource::LinuxSection ? "copied from .linux, which holds it uncompressed"
                                                                 : "decompressed from the zstd zboot payload";
        if (!json)
                std::printf("%s: %s %s %s, %zu bytes, %s\n", output.c_str(), pe::machine_name(k.info.machine), kind,
                            k.info.release.empty() ? "(release unknown)" : k.info.release.c_str(), k.kernel.size(),
                            how);
        nlohmann::ordered_json j = written(output, k.from_uki ? ".linux" : "", k.kernel.size());
        j["kernel"] = kind;
        j["machine"] = pe::machine_name(k.info.machine);
        j["release"] = k.info.release;
        j["source"] = k.source == KernelSource::LinuxSection ? "uncompressed" : "zboot";
        if (k.source == KernelSource::ZbootPayload)
                j["payload_size"] = k.payload_size;
        return j;
}

int run(const cli::Verb &verb, int argc, char **argv) {
        std::string output, section, sections_dir;
        int profile = 0;
        bool json = false;
        auto args = cli::parse(verb, argc, argv, [&](int id, const char *arg) {
                switch (id) {
                case 'o': output = arg; break;
                case kOptSection: section = arg; break;
                case kOptSections: sections_dir = arg; break;
                case kOptProfile: profile = cli::parse_int(arg, "profile"); break;
                case kOptJson: json = true; break;
                }
        });
        if (!args)
                return 0;
        if (args->size() != 1)
                throw UsageError("zuki extract takes exactly one IMAGE argument");
        if (profile < 0)
                throw UsageError("--profile must be 0 or more");
        if (!sections_dir.empty() && (!section.empty() || !output.empty()))
                throw UsageError("--sections writes a directory; it takes neither --section nor --output");
        if (sections_dir.empty() && output.empty())
                throw UsageError("Say where to write: --output FILE (the kernel, or with --section one section) or --sections DIR");
        std::string section_name;
        if (!section.empty()) {
                section_name = uki_section_name(section);
                if (section_name.empty())
                        throw UsageError("Unknown UKI section '" + section + "'");
        }
        const std::string &input = args->front();
        if (!output.empty())
                refuse_output_over_inputs(output, {{input, "image"}});

        Buffer image = read_file(input);
        nlohmann::ordered_json files = nlohmann::ordered_json::array();
        if (section.empty() && sections_dir.empty()) {
                files.push_back(write_kernel(bytes_of(image), (uint32_t) profile, input, output, json));
        } else {
                std::vector<ExtractedSection> all = extract_uki_sections(bytes_of(image), (uint32_t) profile, input);
                std::vector<NamedData> chosen;
                for (const ExtractedSection &s : all)
                        if (section_name.empty() || s.name == section_name)
                                chosen.push_back({section_file_name(s.name), s.data});
                if (chosen.empty())
                        fail(input + ": profile " + std::to_string(profile) + " has no " + section_name + " section");
                if (sections_dir.empty())
                        write_file_atomic(output, chosen.front().data, 0644);
                else
                        write_directory_atomic(sections_dir, chosen);
                for (const NamedData &f : chosen) {
                        std::string path = sections_dir.empty() ? output
                                           : sections_dir.back() == '/' ? sections_dir + f.name
                                                                        : sections_dir + "/" + f.name;
                        if (!json)
                                std::printf("%s: .%s, %zu bytes\n", path.c_str(), f.name.c_str(), f.data.size());
                        files.push_back(written(path, "." + f.name, f.data.size()));
                }
        }
        if (json) {
                nlohmann::ordered_json j;
                j["input"] = input;
                j["profile"] = profile;
                j["written"] = files;
                cli::print_json(j);
        }
        return 0;
}

} // namespace

const cli::Verb kExtract = {
        "extract", kUsage,
        "Write the kernel of a zboot image or UKI as the kernel file it was made from (an arm64\n"
        "Image or x86_64 bzImage), or a UKI's sections as objcopy --dump-section gives them.",
        kOptions, run,
};

} // namespace zuki::verbs
