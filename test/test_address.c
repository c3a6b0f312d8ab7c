/*
 * test_address.c: account addresses in text. "tly1" + 58 lowercase base32
 * characters of the key and a 4-byte BLAKE2b checksum; every typo of one
 * character, a swap of two neighbours, a wrong prefix, case or length is refused.
 */
#include "tally.h"
#include "test.h"
#include "tx_sample.h"

/* Buffers here are larger than an address, so an encoder writing past
 * TALLY_ADDRESS_LENGTH + 1 would be seen, not crash. */
#define ADDRESS_TEXT_LENGTH TALLY_ADDRESS_LENGTH
#define ADDRESS_BUFFER 128u

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static void random_key(sample_rng *rng, tally_key *key) {
    for (unsigned i = 0; i < TALLY_KEY_BYTES; i++) key->bytes[i] = (uint8_t)sample_next(rng);
}

TEST(address_round_trip) {
    sample_rng rng = {31};
    for (int round = 0; round < 2000; round++) {
        tally_key key, decoded;
        random_key(&rng, &key);
        if (round == 0) memset(key.bytes, 0x00, sizeof key.bytes);
        if (round == 1) memset(key.bytes, 0xff, sizeof key.bytes);
        char text[ADDRESS_BUFFER];
        memset(text, '#', sizeof text);
        tally_address_encode(&key, text);
        REQUIRE(strlen(text) == ADDRESS_TEXT_LENGTH);
        CHECK(strncmp(text, "tly1", 4) == 0);
        CHECK(strspn(text + 4, alphabet) == ADDRESS_TEXT_LENGTH - 4);
        CHECK_EQ(text[ADDRESS_TEXT_LENGTH + 1], '#'); /* nothing written past the NUL */
        memset(decoded.bytes, 0, sizeof decoded.bytes);
        CHECK(tally_address_decode(text, &decoded));
        CHECK(memcmp(key.bytes, decoded.bytes, sizeof key.bytes) == 0);
        if (test_current_failed()) return;
    }
}

TEST(address_known_answer) {
    /* The public key of seed 00 01 .. 1f (the vectors' founder), computed
     * independently: base32(key || blake2b256(key)[0..4]). */
    static const uint8_t key_bytes[32] = {
        0x03, 0xa1, 0x07, 0xbf, 0xf3, 0xce, 0x10, 0xbe, 0x1d, 0x70, 0xdd,
        0x18, 0xe7, 0x4b, 0xc0, 0x99, 0x67, 0xe4, 0xd6, 0x30, 0x9b, 0xa5,
        0x0d, 0x5f, 0x1d, 0xdc, 0x86, 0x64, 0x12, 0x55, 0x31, 0xb8};
    tally_key key;
    memcpy(key.bytes, key_bytes, sizeof key.bytes);
    char text[ADDRESS_BUFFER];
    tally_address_encode(&key, text);
    CHECK(strcmp(text, "tly1aoqqpp7tzyil4hlq3umoos6atft6jvrqtosq2xy53sdgiesvgg4j2jhc5y") == 0);
    memset(key.bytes, 0, sizeof key.bytes);
    tally_address_encode(&key, text);
    /* 256 zero bits fill 51 characters with 'a'; the 52nd mixes in the checksum. */
    char zeros[4 + 51 + 1] = "tly1";
    memset(zeros + 4, 'a', 51);
    zeros[4 + 51] = '\0';
    CHECK(strncmp(text, zeros, 4 + 51) == 0);
}

TEST(address_every_single_substitution_is_refused) {
    /* Every position, every other character of the alphabet and a few outside it:
     * the checksum (or the prefix, or the alphabet, or the zero padding bits of
     * the last character) catches each one. */
    static const char others[] = "ABZ01890=_ -.\x7f\xc3";
    sample_rng rng = {32};
    for (int round = 0; round < 8; round++) {
        tally_key key;
        random_key(&rng, &key);
        char text[ADDRESS_BUFFER];
        tally_address_encode(&key, text);
        for (size_t at = 0; at < ADDRESS_TEXT_LENGTH; at++) {
            char original = text[at];
            for (size_t i = 0; i < sizeof alphabet - 1 + sizeof others - 1; i++) {
                char c = i < sizeof alphabet - 1 ? alphabet[i] : others[i - (sizeof alphabet - 1)];
                if (c == original) continue;
                text[at] = c;
                tally_key decoded = key;
                decoded.bytes[0] ^= 0x55; /* to see that a refusal writes nothing */
                if (tally_address_decode(text, &decoded)) {
                    char why[200];
                    snprintf(why, sizeof why, "accepted %s", text);
                    test_fail(__FILE__, __LINE__, why);
                    return;
                }
                CHECK_EQ(decoded.bytes[0], key.bytes[0] ^ 0x55);
            }
            text[at] = original;
        }
        tally_key decoded;
        CHECK(tally_address_decode(text, &decoded));
    }
}

TEST(address_neighbour_swaps_are_refused) {
    sample_rng rng = {33};
    for (int round = 0; round < 50; round++) {
        tally_key key, decoded;
        random_key(&rng, &key);
        char text[ADDRESS_BUFFER];
        tally_address_encode(&key, text);
        for (size_t at = 4; at + 1 < ADDRESS_TEXT_LENGTH; at++) {
            if (text[at] == text[at + 1]) continue;
            char swapped[ADDRESS_BUFFER];
            memcpy(swapped, text, sizeof swapped);
            swapped[at] = text[at + 1];
            swapped[at + 1] = text[at];
            CHECK(!tally_address_decode(swapped, &decoded));
        }
    }
}

TEST(address_refuses_wrong_prefix_case_and_length) {
    tally_key key, decoded;
    for (unsigned i = 0; i < sizeof key.bytes; i++) key.bytes[i] = (uint8_t)(i * 7 + 1);
    char text[ADDRESS_BUFFER], changed[ADDRESS_BUFFER + 8];
    tally_address_encode(&key, text);
    REQUIRE(tally_address_decode(text, &decoded));

    static const char *const prefixes[] = {"tly2", "TLY1", "Tly1", "tlx1", "xly1", "tly0"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        memcpy(changed, text, sizeof text);
        memcpy(changed, prefixes[i], 4);
        CHECK(!tally_address_decode(changed, &decoded));
    }
    /* No prefix at all, and the prefix twice. */
    CHECK(!tally_address_decode(text + 4, &decoded));
    snprintf(changed, sizeof changed, "tly1%s", text);
    CHECK(!tally_address_decode(changed, &decoded));
    /* Uppercase, whole or one letter. */
    memcpy(changed, text, sizeof text);
    for (size_t i = 0; changed[i]; i++) {
        if (changed[i] >= 'a' && changed[i] <= 'z') changed[i] = (char)(changed[i] - 32);
    }
    CHECK(!tally_address_decode(changed, &decoded));
    for (size_t at = 4; at < ADDRESS_TEXT_LENGTH; at++) {
        if (text[at] < 'a' || text[at] > 'z') continue;
        memcpy(changed, text, sizeof text);
        changed[at] = (char)(changed[at] - 32);
        CHECK(!tally_address_decode(changed, &decoded));
    }
    /* Every shorter length, and longer ones. */
    for (size_t length = 0; length < ADDRESS_TEXT_LENGTH; length++) {
        memcpy(changed, text, sizeof text);
        changed[length] = '\0';
        CHECK(!tally_address_decode(changed, &decoded));
    }
    static const char *const suffixes[] = {"a", "q", " ", "\n", "aaaa"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(changed, sizeof changed, "%s%s", text, suffixes[i]);
        CHECK(!tally_address_decode(changed, &decoded));
    }
    CHECK(!tally_address_decode("", &decoded));
    CHECK(!tally_address_decode("tly1", &decoded));
    /* Surrounding whitespace is the caller's to trim, not the decoder's. */
    snprintf(changed, sizeof changed, " %s", text);
    CHECK(!tally_address_decode(changed, &decoded));
}

TEST(address_refuses_nonzero_padding_bits) {
    /* 36 bytes are 288 bits: the last of 58 characters carries 3 data bits and 2
     * zero bits. A text with those bits set would be a second spelling. */
    tally_key key, decoded;
    memset(key.bytes, 0x3c, sizeof key.bytes);
    char text[ADDRESS_BUFFER];
    tally_address_encode(&key, text);
    char *last = &text[ADDRESS_TEXT_LENGTH - 1];
    const char *position = strchr(alphabet, *last);
    REQUIRE(position != NULL);
    unsigned value = (unsigned)(position - alphabet);
    CHECK_EQ(value & 3u, 0);
    for (unsigned low = 1; low < 4; low++) {
        *last = alphabet[value | low];
        CHECK(!tally_address_decode(text, &decoded));
    }
}
