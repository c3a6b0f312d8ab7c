/*
 * bench_chain.c: what the chain layer costs per transaction on one core: Ed25519
 * verification of distinct signed transfers (the bound on how many transfers a
 * node can admit), and encoding and decoding a transfer, each against memcpy of
 * the same bytes as the floor nothing can beat.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "tally.h"

#define SIGNERS 16u
#define TRANSFERS 1024u
#define VERIFY_SECONDS 1.0
#define CODEC_SECONDS 0.3

/* Tells the compiler the memory behind pointer is read and written, so the work
 * that produced it cannot be optimised away. */
static void escape(const void *pointer) { __asm__ volatile("" : : "g"(pointer) : "memory"); }

/* A transfer of `index` signed by one of SIGNERS keys; every one is distinct. */
static void make_transfer(uint32_t index, const char *memo, tally_tx *tx) {
    uint8_t seed[32], secret_key[TALLY_SECRET_BYTES];
    memset(seed, (int)(1 + index % SIGNERS), sizeof seed);
    memset(tx, 0, sizeof *tx);
    tx->type = TALLY_TX_TRANSFER;
    memset(tx->chain_id, 0xc0, sizeof tx->chain_id);
    tally_keypair(&tx->signer, secret_key, seed);
    tx->sequence = 1 + index / SIGNERS;
    tx->body.transfer.network_id = 1;
    memset(tx->body.transfer.payee.bytes, 0x42, TALLY_KEY_BYTES);
    tx->body.transfer.amount = 100 + (int64_t)index;
    tx->body.transfer.max_fee = 10;
    size_t memo_length = strlen(memo);
    if (memo_length > TALLY_MEMO_MAX) memo_length = TALLY_MEMO_MAX;
    tx->body.transfer.memo.length = (uint16_t)memo_length;
    memcpy(tx->body.transfer.memo.bytes, memo, memo_length);
    tally_tx_sign(tx, secret_key);
    sodium_memzero(secret_key, sizeof secret_key);
}

static double bench_verify(const tally_tx *transfers, unsigned *failures) {
    unsigned count = 0;
    double start = bench_now_seconds(), elapsed = 0;
    while (elapsed < VERIFY_SECONDS) {
        for (unsigned i = 0; i < 256; i++, count++) {
            if (!tally_tx_verify(&transfers[count % TRANSFERS])) (*failures)++;
        }
        elapsed = bench_now_seconds() - start;
    }
    return count / elapsed;
}

/* libsodium alone, on the same messages already encoded: the encoding's share of
 * a verification is the difference. */
static double bench_verify_raw(const tally_tx *transfers, unsigned *failures) {
    static uint8_t messages[TRANSFERS][TALLY_TX_SINGLE_ENCODED_MAX];
    static size_t lengths[TRANSFERS];
    for (unsigned i = 0; i < TRANSFERS; i++) {
        lengths[i] = tally_tx_encode_unsigned(&transfers[i], messages[i], TALLY_TX_SINGLE_ENCODED_MAX);
    }
    unsigned count = 0;
    double start = bench_now_seconds(), elapsed = 0;
    while (elapsed < VERIFY_SECONDS) {
        for (unsigned i = 0; i < 256; i++, count++) {
            unsigned k = count % TRANSFERS;
            if (crypto_sign_verify_detached(transfers[k].signature, messages[k], lengths[k],
                                            transfers[k].signer.bytes) != 0) {
                (*failures)++;
            }
        }
        elapsed = bench_now_seconds() - start;
    }
    return count / elapsed;
}

typedef enum { WORK_ENCODE, WORK_DECODE, WORK_MEMCPY } work_kind;

/* Operations per second of one kind of work on tx and its encoding. */
static double bench_codec(work_kind kind, const tally_tx *tx, const uint8_t *bytes,
                          size_t length) {
    static uint8_t out[TALLY_TX_SINGLE_ENCODED_MAX];
    static tally_tx decoded;
    size_t copy_length = length;
    escape(&copy_length); /* memcpy of a length the compiler cannot see */
    unsigned long count = 0;
    double start = bench_now_seconds(), elapsed = 0;
    while (elapsed < CODEC_SECONDS) {
        for (unsigned i = 0; i < 4096; i++, count++) {
            switch (kind) {
            case WORK_ENCODE:
                if (tally_tx_encode(tx, out, sizeof out) != length) abort();
                escape(out);
                break;
            case WORK_DECODE:
                if (tally_tx_decode(bytes, length, &decoded) != TALLY_OK) abort();
                escape(&decoded);
                break;
            case WORK_MEMCPY:
                memcpy(out, bytes, copy_length);
                escape(out);
                break;
            }
        }
        elapsed = bench_now_seconds() - start;
    }
    return count / elapsed;
}

static void print_codec_line(const char *what, double rate, double memcpy_rate, size_t length) {
    printf("chain: %-22s %12.0f /s  %7.1f ns each  (%zu bytes; %.3f of memcpy's rate, "
           "%.1fx its time)\n",
           what, rate, 1e9 / rate, length, rate / memcpy_rate, memcpy_rate / rate);
}

void bench_chain(double *verifications_per_second) {
    static tally_tx transfers[TRANSFERS];
    for (uint32_t i = 0; i < TRANSFERS; i++) make_transfer(i, "invoice 2024-117", &transfers[i]);

    unsigned failures = 0;
    double verify_rate = bench_verify(transfers, &failures);
    double raw_rate = bench_verify_raw(transfers, &failures);
    if (failures != 0) {
        fprintf(stderr, "bench_chain: %u verifications failed\n", failures);
        abort();
    }
    printf("chain: %-22s %12.0f /s  %7.1f us each  (one core, %u distinct signed transfers)\n",
           "tally_tx_verify", verify_rate, 1e6 / verify_rate, TRANSFERS);
    printf("chain: %-22s %12.0f /s  %7.1f us each  (libsodium alone, on the encoded bytes)\n",
           "ed25519 verify", raw_rate, 1e6 / raw_rate);

    const tally_tx *typical = &transfers[0];
    uint8_t bytes[TALLY_TX_SINGLE_ENCODED_MAX];
    size_t length = tally_tx_encode(typical, bytes, sizeof bytes);
    double memcpy_rate = bench_codec(WORK_MEMCPY, typical, bytes, length);
    double encode_rate = bench_codec(WORK_ENCODE, typical, bytes, length);
    double decode_rate = bench_codec(WORK_DECODE, typical, bytes, length);
    printf("chain: %-22s %12.0f /s  %7.1f ns each  (%zu bytes: the reference)\n",
           "memcpy transfer", memcpy_rate, 1e9 / memcpy_rate, length);
    print_codec_line("encode transfer", encode_rate, memcpy_rate, length);
    print_codec_line("decode transfer", decode_rate, memcpy_rate, length);
    printf("chain: decode + encode (inside verify) are %.3f%% of a verification's time\n",
           100.0 * (1.0 / decode_rate + 1.0 / encode_rate) * verify_rate);

    /* The longest transaction: a 256-byte memo, all of it validated as UTF-8. */
    char memo[TALLY_MEMO_MAX + 1];
    for (unsigned i = 0; i < TALLY_MEMO_MAX; i++) memo[i] = (char)('a' + i % 26);
    memo[TALLY_MEMO_MAX] = '\0';
    tally_tx longest;
    make_transfer(0, memo, &longest);
    length = tally_tx_encode(&longest, bytes, sizeof bytes);
    double longest_memcpy_rate = bench_codec(WORK_MEMCPY, &longest, bytes, length);
    print_codec_line("decode longest", bench_codec(WORK_DECODE, &longest, bytes, length),
                     longest_memcpy_rate, length);

    *verifications_per_second = verify_rate;
}
