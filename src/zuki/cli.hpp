// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The zuki command line: a verb is a name, its usage, a one-paragraph summary, one table of
// options and an entry point. The table drives both getopt_long and `zuki VERB --help`, so an
// option cannot be parsed without being documented (or the other way round). Verbs throw
// UsageError (exit 2) for wrong words and Failure (exit 1) for everything else.

#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compress.hpp"
#include "file-io.hpp"

namespace zuki::cli {

enum class Arg { None, Required, Optional };

struct Option {
        const char *name;   // the long option, without "--"
        int id;             // what the verb's handler is given; a letter also makes the short option (-l)
        Arg arg;
        const char *value;  // the value's name in help ("N", "FILE"); nullptr for a flag
        const char *help;   // one line
};

// Ids of options without a short form start here, above every letter.
constexpr int kFirstLongOnly = 0x100;

struct Verb {
        const char *name;
        // One or more forms of "zuki NAME …", each with what follows the name; '\n' continues a
        // form on the next line.
        std::span<const char *const> usage;
        const char *summary;  // one to three lines, '\n' between them
        std::span<const Option> options;
        int (*run)(const Verb &verb, int argc, char **argv);  // argv[0] is the verb's name
};

// Parses a verb's options with getopt_long over its table (and --help/-h), handing each to
// `on_option` in command-line order. Returns the positional arguments, or nullopt after printing
// the verb's help for --help. An unknown option or a missing value throws UsageError.
std::optional<std::vector<std::string>> parse(const Verb &verb, int argc, char **argv,
                                              const std::function<void(int id, const char *arg)> &on_option);

// `zuki VERB --help`: its usage forms, summary and options, one line each.
void print_verb_help(const Verb &verb, std::FILE *out);

// The verb's usage forms as in the overview of `zuki --help`: "  zuki NAME …", then its summary.
void print_verb_overview(const Verb &verb, std::FILE *out);

// A whole number in [-1000, 1000] for an option named `what` ("level").
int parse_int(const char *arg, const char *what);

// --x86-boot auto|direct|efistub
X86Boot parse_x86_boot(const char *arg);

// TEXT, or the contents of FILE for "@FILE" (ukify's convention).
Buffer text_or_file(const char *arg);

// Compression progress on stderr when that is a terminal (nothing in logs or pipes).
std::function<void(uint64_t, uint64_t)> terminal_progress();

// A verb's --json result on stdout, indented by two.
void print_json(const nlohmann::ordered_json &j);

// A library notice ("zuki: …" on stderr).
void print_notice(const std::string &line);

} // namespace zuki::cli
