/*
 * errors.c: the stable name and the readable message of every error code, both
 * generated from the one TALLY_ERRORS list in tally.h so they cannot drift apart.
 */
#include "tally.h"

static const char *const error_names[] = {
#define TALLY_ERROR_NAME(name, message) #name,
    TALLY_ERRORS(TALLY_ERROR_NAME)
#undef TALLY_ERROR_NAME
};

static const char *const error_messages[] = {
#define TALLY_ERROR_MESSAGE(name, message) message,
    TALLY_ERRORS(TALLY_ERROR_MESSAGE)
#undef TALLY_ERROR_MESSAGE
};

const char *tally_error_name(tally_error code) {
    return (unsigned)code < TALLY_ERROR_COUNT ? error_names[code] : "?";
}

const char *tally_error_message(tally_error code) {
    return (unsigned)code < TALLY_ERROR_COUNT ? error_messages[code] : "unknown error code";
}
