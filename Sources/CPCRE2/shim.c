#include "CPCRE2.h"
#include <time.h>

// Wall-clock deadline checked at every callout (cheap: vDSO); when it passes, the
// thread's CPU time decides, so a thread the scheduler paused is not cut short.
typedef struct {
    uint64_t budget_ns;
    uint64_t cpu_start;
    uint64_t deadline;
    int started;
} jarvis_budget;

static uint64_t nanos(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int jarvis_budget_callout(pcre2_callout_block_8 *block, void *data) {
    (void)block;
    jarvis_budget *budget = data;
    uint64_t wall = nanos(CLOCK_MONOTONIC);
    if (!budget->started) {
        // The clock starts at the first start position tried: lines the start-of-match
        // optimisations reject cost no system call.
        budget->started = 1;
        budget->cpu_start = nanos(CLOCK_THREAD_CPUTIME_ID);
        budget->deadline = wall + budget->budget_ns;
        return 0;
    }
    if (wall < budget->deadline) return 0;
    uint64_t used = nanos(CLOCK_THREAD_CPUTIME_ID) - budget->cpu_start;
    if (used >= budget->budget_ns) return PCRE2_ERROR_CALLOUT;
    budget->deadline = wall + (budget->budget_ns - used);
    return 0;
}

int jarvis_pcre2_match_budgeted(const pcre2_code_8 *code, const uint8_t *subject, size_t length,
                                pcre2_match_data_8 *data, pcre2_match_context_8 *context, uint64_t budget_ns) {
    static const uint8_t empty[1] = {0};
    jarvis_budget budget = {budget_ns, 0, 0, 0};
    pcre2_set_callout_8(context, jarvis_budget_callout, &budget);
    int rc = pcre2_match_8(code, subject ? subject : empty, length, 0, PCRE2_NO_UTF_CHECK, data, context);
    pcre2_set_callout_8(context, NULL, NULL);
    return rc;
}
