// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Host-side error reporting: library functions throw Failure with a complete one-line message;
// the CLI catches it at the top, prints it on stderr and exits non-zero.

#pragma once

#include <stdexcept>
#include <string>

#include "error.hpp"

namespace zuki {

class Failure : public std::runtime_error {
public:
        explicit Failure(const std::string &message) : std::runtime_error(message) {}
};

// The command line itself is wrong (an unknown option, a missing argument, a bad value): the CLI
// exits with status 2 instead of 1.
class UsageError : public Failure {
public:
        using Failure::Failure;
};

[[noreturn]] inline void fail(const std::string &message) { throw Failure(message); }

// "<what>: <description of a shared-code error>"
[[noreturn]] inline void fail(const std::string &what, Error error) {
        throw Failure(what + ": " + describe(error));
}

} // namespace zuki
