/*
 * bytes.h: little-endian integers in byte buffers, the one copy the block format,
 * the chain and the stores use. Header only and depending on nothing but
 * <stdint.h>, so any module may include it without learning about another.
 */
#ifndef TALLY_CHAIN_BYTES_H
#define TALLY_CHAIN_BYTES_H

#include <stdint.h>

static inline void le_store_u16(uint8_t *out, uint16_t value) {
    out[0] = (uint8_t)value;
    out[1] = (uint8_t)(value >> 8);
}

static inline void le_store_u32(uint8_t *out, uint32_t value) {
    for (unsigned i = 0; i < 4; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static inline void le_store_u64(uint8_t *out, uint64_t value) {
    for (unsigned i = 0; i < 8; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static inline uint16_t le_load_u16(const uint8_t *in) { return (uint16_t)(in[0] | (in[1] << 8)); }

static inline uint32_t le_load_u32(const uint8_t *in) {
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static inline uint64_t le_load_u64(const uint8_t *in) {
    return (uint64_t)le_load_u32(in) | (uint64_t)le_load_u32(in + 4) << 32;
}

#endif
