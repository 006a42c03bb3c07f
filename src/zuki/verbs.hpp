// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The verbs of the zuki command line, one file each (verb-NAME.cpp): option table, usage and the
// mapping of options onto the library; main.cpp dispatches to them in this order.

#pragma once

#include "cli.hpp"

namespace zuki::verbs {

extern const cli::Verb kZboot;
extern const cli::Verb kBuild;
extern const cli::Verb kMeasure;
extern const cli::Verb kGenkey;
extern const cli::Verb kCheckUnlock;
extern const cli::Verb kCheckPolicy;
extern const cli::Verb kSign;
extern const cli::Verb kVerify;
extern const cli::Verb kInspect;
extern const cli::Verb kExtract;
extern const cli::Verb kKexec;
extern const cli::Verb kStatus;
extern const cli::Verb kChid;

} // namespace zuki::verbs
