/*
 * text.c: what a text field (a memo, a network or asset name) may hold. Valid UTF-8
 * only (no overlong forms, surrogates or code points above U+10FFFF), no control
 * characters (C0, DEL, C1), and none of the invisible formatting characters that
 * make text read other than it is: bidirectional overrides and isolates (U+202E
 * turns "gpj.exe" into "exe.jpg"), zero-width characters, invisible tags. The codec
 * refuses them on the wire and the core in transactions built in memory, with one
 * definition.
 */
#include <string.h>

#include "tally.h"

/* Whether all 8 bytes of word are printable ASCII (0x20..0x7e): the common case,
 * checked a word at a time. */
static bool printable_ascii_word(uint64_t word) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    if (word & highs) return false;
    uint64_t below_space = (word - ones * 0x20u) & ~word & highs;
    uint64_t delete_xor = word ^ (ones * 0x7fu);
    uint64_t is_delete = (delete_xor - ones) & ~delete_xor & highs;
    return (below_space | is_delete) == 0;
}

/* The code point of the valid sequence at text[0] (of `left` bytes) and its length
 * in *length, or *length 0 when the sequence is invalid, overlong, a surrogate or
 * above U+10FFFF. */
static uint32_t utf8_decode(const uint8_t *text, size_t left, size_t *length) {
    uint8_t lead = text[0];
    *length = 0;
    if (lead < 0x80) {
        *length = 1;
        return lead;
    }
    size_t count;
    uint8_t second_low = 0x80, second_high = 0xbf;
    uint32_t code;
    if (lead >= 0xc2 && lead <= 0xdf) {
        count = 2, code = lead & 0x1fu;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        count = 3, code = lead & 0x0fu;
        if (lead == 0xe0) second_low = 0xa0;  /* overlong */
        if (lead == 0xed) second_high = 0x9f; /* surrogates */
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        count = 4, code = lead & 0x07u;
        if (lead == 0xf0) second_low = 0x90;  /* overlong */
        if (lead == 0xf4) second_high = 0x8f; /* above U+10FFFF */
    } else {
        return 0; /* a continuation byte, overlong C0/C1, or F5..FF */
    }
    if (left < count || text[1] < second_low || text[1] > second_high) return 0;
    for (size_t i = 1; i < count; i++) {
        if (text[i] < 0x80 || text[i] > 0xbf) return 0;
        code = code << 6 | (text[i] & 0x3fu);
    }
    *length = count;
    return code;
}

/* Control characters and the invisible formatting characters refused in text. */
static bool is_refused(uint32_t code) {
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true; /* C0, DEL, C1 */
    return code == 0x00ad ||                      /* soft hyphen */
           code == 0x061c ||                      /* Arabic letter mark */
           code == 0x180e ||                      /* Mongolian vowel separator */
           (code >= 0x200b && code <= 0x200f) ||  /* zero width space, non-joiner, joiner, LRM, RLM */
           (code >= 0x2028 && code <= 0x202e) ||  /* line and paragraph separators, LRE RLE PDF LRO RLO */
           (code >= 0x2060 && code <= 0x206f) ||  /* word joiner, invisible operators, LRI RLI FSI PDI, ... */
           code == 0xfeff ||                      /* zero width no-break space (BOM) */
           (code >= 0xfff9 && code <= 0xfffb) ||  /* interlinear annotation */
           (code >= 0xe0000 && code <= 0xe007f);  /* tags */
}

bool tally_text_is_valid(const char *bytes, size_t length) {
    const uint8_t *text = (const uint8_t *)bytes;
    size_t position = 0;
    while (position < length) {
        if (length - position >= 8) {
            uint64_t word;
            memcpy(&word, text + position, sizeof word);
            if (printable_ascii_word(word)) {
                position += 8;
                continue;
            }
        }
        size_t step;
        uint32_t code = utf8_decode(text + position, length - position, &step);
        if (step == 0 || is_refused(code)) return false;
        position += step;
    }
    return true;
}
