/*
 * chain_errors.c: the names and messages of the chain layer's error codes, both
 * generated from the TALLY_CHAIN_ERRORS list in tally_chain.h, and the helpers that
 * fill a tally_chain_failure with where a failure happened.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chain/chain_errors.h"

static const char *const chain_error_names[] = {
#define TALLY_CHAIN_ERROR_NAME(name, message) #name,
    TALLY_CHAIN_ERRORS(TALLY_CHAIN_ERROR_NAME)
#undef TALLY_CHAIN_ERROR_NAME
};

static const char *const chain_error_messages[] = {
#define TALLY_CHAIN_ERROR_MESSAGE(name, message) message,
    TALLY_CHAIN_ERRORS(TALLY_CHAIN_ERROR_MESSAGE)
#undef TALLY_CHAIN_ERROR_MESSAGE
};

const char *tally_chain_error_name(tally_chain_error code) {
    return (unsigned)code < TALLY_CHAIN_ERROR_COUNT ? chain_error_names[code] : "?";
}

const char *tally_chain_error_message(tally_chain_error code) {
    return (unsigned)code < TALLY_CHAIN_ERROR_COUNT ? chain_error_messages[code]
                                                    : "unknown chain error code";
}

/* Writes "block H: transaction I: " (what applies) and returns its length. */
static size_t write_location(char *out, size_t size, uint64_t height, uint32_t tx_index) {
    int written = 0;
    if (height != TALLY_NO_HEIGHT && tx_index != TALLY_NO_TX) {
        written = snprintf(out, size, "block %llu: transaction %u: ", (unsigned long long)height,
                           tx_index);
    } else if (height != TALLY_NO_HEIGHT) {
        written = snprintf(out, size, "block %llu: ", (unsigned long long)height);
    }
    if (written < 0) return 0;
    return (size_t)written < size ? (size_t)written : size - 1;
}

static void fill(tally_chain_failure *failure, tally_chain_error code, uint64_t height,
                 uint32_t tx_index, const char *format, va_list arguments)
    __attribute__((format(printf, 5, 0)));

static void fill(tally_chain_failure *failure, tally_chain_error code, uint64_t height,
                 uint32_t tx_index, const char *format, va_list arguments) {
    failure->code = code;
    failure->height = height;
    failure->tx_index = tx_index;
    failure->tx_code = TALLY_OK;
    failure->offset = TALLY_NO_OFFSET;
    failure->os_error = 0;
    size_t used = write_location(failure->message, sizeof failure->message, height, tx_index);
    char *rest = failure->message + used;
    size_t left = sizeof failure->message - used;
    if (format == NULL) {
        snprintf(rest, left, "%s", tally_chain_error_message(code));
    } else {
        vsnprintf(rest, left, format, arguments);
    }
}

tally_chain_error chain_fail(tally_chain_failure *failure, tally_chain_error code, uint64_t height,
                             uint32_t tx_index, const char *format, ...) {
    if (failure == NULL) return code;
    va_list arguments;
    va_start(arguments, format);
    fill(failure, code, height, tx_index, format, arguments);
    va_end(arguments);
    return code;
}

tally_chain_error chain_fail_io(tally_chain_failure *failure, uint64_t offset, int os_error,
                                const char *format, ...) {
    if (failure == NULL) return TALLY_CHAIN_ERR_IO;
    va_list arguments;
    va_start(arguments, format);
    fill(failure, TALLY_CHAIN_ERR_IO, TALLY_NO_HEIGHT, TALLY_NO_TX, format, arguments);
    va_end(arguments);
    failure->offset = offset;
    failure->os_error = os_error;
    size_t used = strnlen(failure->message, sizeof failure->message);
    if (offset != TALLY_NO_OFFSET) {
        snprintf(failure->message + used, sizeof failure->message - used, " at byte %llu: %s",
                 (unsigned long long)offset, strerror(os_error));
    } else {
        snprintf(failure->message + used, sizeof failure->message - used, ": %s", strerror(os_error));
    }
    return TALLY_CHAIN_ERR_IO;
}

void chain_notify(tally_notice_fn *notice, void *context, const tally_chain_failure *failure) {
    if (notice != NULL) notice(context, failure);
}
