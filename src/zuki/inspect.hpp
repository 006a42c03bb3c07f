// SPDX-License-Identifier: LGPL-2.1-or-later
//
// `zuki inspect`: what a PE image, kernel or zboot image contains, as JSON or text.

#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "file-io.hpp"

namespace zuki {

// Describes `image`. Throws Failure for files that are not PE images at all.
nlohmann::ordered_json inspect_image(Bytes image);

// Human-readable rendering of inspect_image()'s result.
std::string render_inspection(const nlohmann::ordered_json &report);

} // namespace zuki
