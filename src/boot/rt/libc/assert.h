/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zstd is built with DEBUGLEVEL=0; it still includes <assert.h> for static_assert. The stub never
 * asserts at run time: a failed check must return an error status instead. */
#pragma once
#ifndef __cplusplus
#define static_assert _Static_assert
#endif
#define assert(condition) ((void) 0)
