/*
 * test_amount.c: amounts in text with a network's decimals: exact formatting and
 * parsing, the int64 edges, every refusal, and parse(format(x)) == x.
 */
#include "tally.h"
#include "test.h"
#include "tx_sample.h"

static void check_format(int64_t amount, uint8_t decimals, const char *expected) {
    char out[64];
    memset(out, '#', sizeof out);
    size_t length = tally_amount_format(amount, decimals, out, sizeof out);
    if (length != strlen(expected) || strcmp(out, expected) != 0) {
        char why[200];
        snprintf(why, sizeof why, "format(%" PRId64 ", %u) = \"%s\" (%zu), want \"%s\"", amount,
                 decimals, out, length, expected);
        test_fail(__FILE__, __LINE__, why);
    }
}

static void check_parse(const char *text, uint8_t decimals, int64_t expected) {
    int64_t amount = 12345;
    bool ok = tally_amount_parse(text, decimals, &amount);
    if (!ok || amount != expected) {
        char why[200];
        snprintf(why, sizeof why, "parse(\"%s\", %u) = %s %" PRId64 ", want %" PRId64, text,
                 decimals, ok ? "ok" : "refused", amount, expected);
        test_fail(__FILE__, __LINE__, why);
    }
}

static void check_refused(const char *text, uint8_t decimals) {
    int64_t amount = 12345;
    if (tally_amount_parse(text, decimals, &amount)) {
        char why[200];
        snprintf(why, sizeof why, "parse(\"%s\", %u) accepted as %" PRId64, text, decimals,
                 amount);
        test_fail(__FILE__, __LINE__, why);
    }
    CHECK_EQ(amount, 12345); /* untouched on refusal */
}

TEST(amount_format_cases) {
    check_format(0, 2, "0.00");
    check_format(1, 2, "0.01");
    check_format(-1, 2, "-0.01");
    check_format(10, 2, "0.10");
    check_format(99, 2, "0.99");
    check_format(100, 2, "1.00");
    check_format(1250, 2, "12.50");
    check_format(-1250, 2, "-12.50");
    check_format(7, 0, "7");
    check_format(-7, 0, "-7");
    check_format(0, 0, "0");
    check_format(1000, 0, "1000");
    check_format(5, 1, "0.5");
    check_format(-123456, 3, "-123.456");
    check_format(1, 9, "0.000000001");
    check_format(-1, 9, "-0.000000001");
    check_format(123456789, 9, "0.123456789");
    check_format(1000000000, 9, "1.000000000");
}

TEST(amount_format_extremes) {
    check_format(INT64_MAX, 0, "9223372036854775807");
    check_format(INT64_MIN, 0, "-9223372036854775808");
    check_format(INT64_MAX, 2, "92233720368547758.07");
    check_format(INT64_MIN, 2, "-92233720368547758.08");
    check_format(INT64_MAX, 9, "9223372036.854775807");
    check_format(INT64_MIN, 9, "-9223372036.854775808");
    check_format(INT64_MIN + 1, 9, "-9223372036.854775807");
}

TEST(amount_format_buffer_and_decimals) {
    char out[32];
    /* Exactly enough room, then one byte short: 0 and an empty string. */
    CHECK_EQ(tally_amount_format(-1250, 2, out, 7), 6);
    CHECK(strcmp(out, "-12.50") == 0);
    memset(out, '#', sizeof out);
    CHECK_EQ(tally_amount_format(-1250, 2, out, 6), 0);
    CHECK_EQ(out[0], '\0');
    CHECK_EQ(out[1], '#');
    CHECK_EQ(tally_amount_format(5, 2, NULL, 0), 0);
    /* The longest text fits in 22 bytes. */
    CHECK_EQ(tally_amount_format(INT64_MIN, 9, out, 22), 21);
    CHECK_EQ(tally_amount_format(INT64_MIN, 2, out, 22), 21);
    /* Decimals above the protocol's 9 are refused. */
    memset(out, '#', sizeof out);
    CHECK_EQ(tally_amount_format(5, TALLY_DECIMALS_MAX + 1, out, sizeof out), 0);
    CHECK_EQ(out[0], '\0');
    CHECK_EQ(tally_amount_format(5, 255, out, sizeof out), 0);
}

TEST(amount_parse_cases) {
    check_parse("12.5", 2, 1250);
    check_parse("12.50", 2, 1250);
    check_parse("-12.50", 2, -1250);
    check_parse("-3", 2, -300);
    check_parse("0.07", 2, 7);
    check_parse("0", 2, 0);
    check_parse("-0", 2, 0);
    check_parse("-0.00", 2, 0);
    check_parse("007", 2, 700);
    check_parse("00.10", 2, 10);
    check_parse("7", 0, 7);
    check_parse("-7", 0, -7);
    check_parse("1", 9, 1000000000);
    check_parse("0.000000001", 9, 1);
    check_parse("-0.5", 1, -5);
    check_parse("123.456", 3, 123456);
}

TEST(amount_parse_extremes) {
    check_parse("9223372036854775807", 0, INT64_MAX);
    check_parse("-9223372036854775808", 0, INT64_MIN);
    check_parse("92233720368547758.07", 2, INT64_MAX);
    check_parse("-92233720368547758.08", 2, INT64_MIN);
    check_parse("9223372036.854775807", 9, INT64_MAX);
    check_parse("-9223372036.854775808", 9, INT64_MIN);
    check_parse("000000000000000000000000009223372036854775807", 0, INT64_MAX);
    /* One past each end. */
    check_refused("9223372036854775808", 0);
    check_refused("-9223372036854775809", 0);
    check_refused("92233720368547758.08", 2);
    check_refused("-92233720368547758.09", 2);
    check_refused("9223372036.854775808", 9);
    /* Overflow only from the scaling by the missing decimals. */
    check_refused("92233720368547759", 2);
    check_refused("92233720368547758.1", 2);
    check_refused("99999999999999999999999", 0);
    check_refused("18446744073709551616", 0); /* 2^64: must not wrap to 0 */
    check_refused("-18446744073709551616", 0);
}

TEST(amount_parse_refusals) {
    static const char *const junk[] = {
        "", "-", "+", "+1", ".", "-.", ".5", "-.5", "1.", "-1.", "1.2.3", "1..2",
        " 1", "1 ", " ", "1 000", "1,5", "1e3", "1E3", "0x10", "--1", "-+1", "+-1",
        "1-", "\t1", "1\n", "abc", "1a", "a1", "\xef\xbc\x91", /* fullwidth 1 */
        "1.5 ", "NaN", "inf", "-inf",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) check_refused(junk[i], 2);
    /* More decimals than the network has. */
    check_refused("12.345", 2);
    check_refused("0.001", 2);
    check_refused("12.500", 2); /* even when the extra digits are zero */
    check_refused("0.0000000001", 9);
    /* Decimals 0: no '.' at all. */
    check_refused("1.0", 0);
    check_refused("1.", 0);
    check_refused("0.5", 0);
    /* Decimals above the protocol's 9. */
    check_refused("1", TALLY_DECIMALS_MAX + 1);
    check_refused("0", 255);
}

TEST(amount_format_parse_round_trip) {
    sample_rng rng = {41};
    static const int64_t edges[] = {0, 1, -1, 9, 10, 99, 100, 101, -100, INT64_MAX,
                                    INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 1000000000};
    for (int round = 0; round < 20000; round++) {
        int64_t amount;
        if (round < (int)(sizeof edges / sizeof edges[0])) {
            amount = edges[round];
        } else {
            uint64_t bits = sample_next(&rng) >> sample_below(&rng, 64);
            memcpy(&amount, &bits, sizeof amount);
            if (sample_below(&rng, 2)) amount = -(amount / 2); /* |x / 2| always fits */
        }
        for (uint8_t decimals = 0; decimals <= TALLY_DECIMALS_MAX; decimals++) {
            char text[32];
            size_t length = tally_amount_format(amount, decimals, text, sizeof text);
            REQUIRE(length > 0 && length == strlen(text));
            int64_t parsed = 0;
            CHECK(tally_amount_parse(text, decimals, &parsed));
            CHECK_EQ(parsed, amount);
            if (test_current_failed()) return;
        }
    }
}
