#ifndef JARVIS_CPCRE2_H
#define JARVIS_CPCRE2_H
// PCRE2 with 8-bit code units (UTF-8), for log search, plus one bounded match call.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

/// `pcre2_match_8` under the match context's limits and a CPU-time budget for the whole call.
///
/// The match and depth limits bound the work done from one start position; a
/// subject of n bytes can still cost n times that. The pattern must begin with a
/// callout (`(?C1)`), which PCRE2 calls at every start position it tries: the
/// callout aborts the match with `PCRE2_ERROR_CALLOUT` once the calling
/// thread has spent `budget_ns` of CPU time in this call. Returns what
/// `pcre2_match_8` returns. Replaces the context's callout.
int jarvis_pcre2_match_budgeted(const pcre2_code_8 *_Nonnull code, const uint8_t *_Nullable subject, size_t length,
                                pcre2_match_data_8 *_Nonnull data, pcre2_match_context_8 *_Nonnull context,
                                uint64_t budget_ns);

#endif
