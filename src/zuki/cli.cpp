// SPDX-License-Identifier: LGPL-2.1-or-later

#include "cli.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <unistd.h>

#include "failure.hpp"

namespace zuki::cli {

namespace {

constexpr Option kHelpOption = {"help", 'h', Arg::None, nullptr, "show this help"};

bool has_letter(const Option &o) { return o.id > 0 && o.id < 128 && std::isalnum(o.id); }

// "  -l, --level N", "      --no-long", "      --json[=pretty|short]"
std::string option_label(const Option &o) {
        std::string s = has_letter(o) ? std::string("  -") + (char) o.id + ", --" : "      --";
        s += o.name;
        if (o.arg == Arg::Required)
                s += std::string(" ") + o.value;
        else if (o.arg == Arg::Optional)
                s += std::string("[=") + o.value + "]";
        return s;
}

// Prints `text` line by line: the first after `first`, the others indented by `indent` spaces.
void print_lines(std::FILE *out, const std::string &first, size_t indent, const char *text) {
        std::string rest = text;
        std::string prefix = first;
        for (size_t start = 0;;) {
                size_t end = rest.find('\n', start);
                std::fprintf(out, "%s%s\n", prefix.c_str(), rest.substr(start, end - start).c_str());
                if (end == std::string::npos)
                        break;
                start = end + 1;
                prefix.assign(indent, ' ');
        }
}

} // namespace

std::optional<std::vector<std::string>> parse(const Verb &verb, int argc, char **argv,
                                              const std::function<void(int id, const char *arg)> &on_option) {
        std::vector<option> longopts;
        std::string shortopts;
        auto add = [&](const Option &o) {
                int has_arg = o.arg == Arg::None ? no_argument : o.arg == Arg::Required ? required_argument : optional_argument;
                longopts.push_back({o.name, has_arg, nullptr, o.id});
                if (has_letter(o))
                        shortopts += (char) o.id + std::string(has_arg == no_argument ? "" : has_arg == required_argument ? ":" : "::");
        };
        for (const Option &o : verb.options)
                add(o);
        add(kHelpOption);
        longopts.push_back({});

        // 0, not 1: glibc then starts afresh, as each verb parses its own argv once.
        optind = 0;
        int c;
        while ((c = getopt_long(argc, argv, shortopts.c_str(), longopts.data(), nullptr)) != -1) {
                if (c == kHelpOption.id) {
                        print_verb_help(verb, stdout);
                        return std::nullopt;
                }
                if (c == '?' || c == ':')
                        throw UsageError(std::string("See 'zuki ") + verb.name + " --help'");
                on_option(c, optarg);
        }
        return std::vector<std::string>(argv + optind, argv + argc);
}

void print_verb_help(const Verb &verb, std::FILE *out) {
        for (size_t i = 0; i < verb.usage.size(); i++) {
                std::string first = std::string(i == 0 ? "Usage: " : "       ") + "zuki " + verb.name + " ";
                print_lines(out, first, first.size(), verb.usage[i]);
        }
        std::fprintf(out, "\n");
        print_lines(out, "", 0, verb.summary);
        std::fprintf(out, "\nOptions:\n");
        size_t width = option_label(kHelpOption).size();
        for (const Option &o : verb.options)
                width = std::max(width, option_label(o).size());
        auto row = [&](const Option &o) {
                std::string label = option_label(o);
                std::fprintf(out, "%s%*s  %s\n", label.c_str(), (int) (width - label.size()), "", o.help);
        };
        for (const Option &o : verb.options)
                row(o);
        row(kHelpOption);
        std::fprintf(out, "\nSee zuki(1).\n");
}

void print_verb_overview(const Verb &verb, std::FILE *out) {
        for (const char *form : verb.usage) {
                std::string first = std::string("  zuki ") + verb.name + " ";
                print_lines(out, first, first.size(), form);
        }
        print_lines(out, "      ", 6, verb.summary);
}

int parse_int(const char *arg, const char *what) {
        char *end = nullptr;
        errno = 0;
        long v = std::strtol(arg, &end, 10);
        if (errno || !end || *end || v < -1000 || v > 1000)
                throw UsageError(std::string("Invalid ") + what + ": " + arg);
        return (int) v;
}

X86Boot parse_x86_boot(const char *arg) {
        std::string a = arg;
        if (a == "auto")
                return X86Boot::Auto;
        if (a == "direct")
                return X86Boot::Direct;
        if (a == "efistub")
                return X86Boot::EfiStub;
        throw UsageError("Invalid --x86-boot value: " + a + " (auto, direct or efistub)");
}

Buffer text_or_file(const char *arg) {
        if (arg[0] == '@')
                return read_file(arg + 1);
        return Buffer(arg, arg + std::strlen(arg));
}

std::function<void(uint64_t, uint64_t)> terminal_progress() {
        if (!isatty(STDERR_FILENO))
                return {};
        return [](uint64_t done, uint64_t total) {
                std::fprintf(stderr, "\rCompressing kernel: %3d%%", (int) (done * 100 / total));
                if (done == total)
                        std::fprintf(stderr, "\n");
        };
}

void print_json(const nlohmann::ordered_json &j) { std::printf("%s\n", j.dump(2).c_str()); }

void print_notice(const std::string &line) { std::fprintf(stderr, "zuki: %s\n", line.c_str()); }

} // namespace zuki::cli
