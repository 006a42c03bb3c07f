// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One-shot zstd decompression with upstream zstd's decompressor and a caller-provided static
// workspace: no heap, no streaming, the output written straight into its final buffer. Free of
// EFI types so that the benchmark can build exactly this code path for the host.

#pragma once

#include "../shared/base.hpp"

namespace zuki::zstd {

// Bytes of workspace decompress() needs (a static decompression context).
size_t workspace_size();

// Decompresses the single frame `frame` into `out`, which must be exactly the size the caller
// expects (the zboot trailer). Fails with SizeMismatch when the frame declares or produces any
// other size, DecompressFailed when the data is corrupt. `detail` (optional) receives zstd's
// own error text.
Status decompress(Bytes frame, MutableBytes out, MutableBytes workspace, const char **detail);

// How many Huffman blocks the last decompress() decoded with upstream's x86_64 asm loops (the
// x64 stub on a CPU with BMI2; always 0 on other CPUs, on arm64 and in builds without the asm).
uint64_t asm_huffman_calls();

} // namespace zuki::zstd
