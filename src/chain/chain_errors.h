/*
 * chain_errors.h: filling a tally_chain_failure (chain_errors.c), for the block,
 * chain and store modules. Not part of the public API (include/tally_chain.h).
 */
#ifndef TALLY_CHAIN_ERRORS_H
#define TALLY_CHAIN_ERRORS_H

#include <stdint.h>

#include "tally_chain.h"

/*
 * Fills *failure (when not NULL) and returns code, so a failing path is one line:
 *   return chain_fail(failure, TALLY_CHAIN_ERR_BAD_TX_ROOT, height, TALLY_NO_TX, NULL);
 * The message is "block H: transaction I: " (the parts that apply) followed by the
 * formatted detail, or by the code's message when format is NULL. tx_code, offset
 * and os_error are reset; set them after the call when they apply.
 */
tally_chain_error chain_fail(tally_chain_failure *failure, tally_chain_error code, uint64_t height,
                             uint32_t tx_index, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

/* A failed file operation: code IO, the offset (TALLY_NO_OFFSET when none), errno,
 * and a message ending in strerror(os_error). */
tally_chain_error chain_fail_io(tally_chain_failure *failure, uint64_t offset, int os_error,
                                const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Calls notice (when not NULL) with `failure`. */
void chain_notify(tally_notice_fn *notice, void *context, const tally_chain_failure *failure);

#endif
