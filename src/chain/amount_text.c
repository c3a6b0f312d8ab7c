/*
 * amount_text.c: amounts as people read and type them ("-12.50") and as the core
 * counts them (int64_t minor units), with a network's decimals (0..9). Integer
 * arithmetic only. The accepted grammar is deliberately narrow, so a text names
 * one amount and nothing else:  -? [0-9]+ ( . [0-9]{1,decimals} )?
 * No '+', no spaces, no exponent, no ".5" or "5."; with decimals 0 no '.' at all.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tally.h"

/* "-" + 19 digits + "." + NUL, and room to spare. */
#define AMOUNT_TEXT_MAX 32u

size_t tally_amount_format(int64_t amount, uint8_t decimals, char *out, size_t out_size) {
    assert(out != NULL || out_size == 0);
    if (out_size > 0) out[0] = '\0';
    if (decimals > TALLY_DECIMALS_MAX) return 0;

    /* The magnitude in unsigned arithmetic, so INT64_MIN needs no special case. */
    uint64_t magnitude = amount < 0 ? 0u - (uint64_t)amount : (uint64_t)amount;
    char digits[20]; /* least significant first */
    unsigned digit_count = 0;
    do {
        digits[digit_count++] = (char)('0' + magnitude % 10u);
        magnitude /= 10u;
    } while (magnitude > 0);
    while (digit_count < decimals + 1u) digits[digit_count++] = '0';
    assert(digit_count <= sizeof digits);

    char text[AMOUNT_TEXT_MAX];
    size_t length = 0;
    if (amount < 0) text[length++] = '-';
    for (unsigned i = digit_count; i > 0; i--) {
        if (i == decimals) text[length++] = '.';
        text[length++] = digits[i - 1];
    }
    assert(length < sizeof text);
    if (length + 1 > out_size) return 0;
    memcpy(out, text, length);
    out[length] = '\0';
    return length;
}

/* m = m * 10 + digit, refusing to pass limit. */
static bool append_digit(uint64_t *magnitude, unsigned digit, uint64_t limit) {
    if (*magnitude > (limit - digit) / 10u) return false;
    *magnitude = *magnitude * 10u + digit;
    return true;
}

bool tally_amount_parse(const char *text, uint8_t decimals, int64_t *amount) {
    assert(text != NULL && amount != NULL);
    if (decimals > TALLY_DECIMALS_MAX) return false;
    const char *cursor = text;
    bool negative = *cursor == '-';
    if (negative) cursor++;
    /* |INT64_MIN| is one more than INT64_MAX. */
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;

    const char *integer_start = cursor;
    while (*cursor >= '0' && *cursor <= '9') {
        if (!append_digit(&magnitude, (unsigned)(*cursor - '0'), limit)) return false;
        cursor++;
    }
    if (cursor == integer_start) return false;

    unsigned fraction_digits = 0;
    if (*cursor == '.') {
        cursor++;
        while (*cursor >= '0' && *cursor <= '9') {
            if (fraction_digits == decimals) return false;
            if (!append_digit(&magnitude, (unsigned)(*cursor - '0'), limit)) return false;
            fraction_digits++;
            cursor++;
        }
        if (fraction_digits == 0) return false; /* "5." and, with decimals 0, any '.' */
    }
    if (*cursor != '\0') return false;
    for (unsigned i = fraction_digits; i < decimals; i++) {
        if (!append_digit(&magnitude, 0, limit)) return false;
    }

    if (!negative) {
        *amount = (int64_t)magnitude;
    } else if (magnitude == (uint64_t)INT64_MAX + 1u) {
        *amount = INT64_MIN;
    } else {
        *amount = -(int64_t)magnitude;
    }
    return true;
}
