/*
 * verify_cosign.c: checking the co-signatures a node serves, block by block, while
 * `tally verify --node` replays its chain (see verify_cosign.h).
 */
#include "cli/verify_cosign.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/json_fields.h"

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static tally_chain_error refuse(tally_chain_failure *failure, tally_chain_error code, uint64_t height,
                                const char *message) {
    memset(failure, 0, sizeof *failure);
    failure->code = code;
    failure->height = height;
    failure->tx_index = TALLY_NO_TX;
    failure->offset = TALLY_NO_OFFSET;
    snprintf(failure->message, sizeof failure->message, "%s", message);
    return code;
}

void cli_cosign_check_start(cli_cosign_check *check, const tally_block *genesis, const tally_chain_tip *tip) {
    memset(check, 0, sizeof *check);
    memcpy(check->chain_id, tip->chain_id, TALLY_CHAIN_ID_BYTES);
    tally_cosign_validators(&genesis->rules, &genesis->header.producer, check->validators, &check->validator_count);
    check->quorum = tally_cosign_quorum(check->validator_count);
    check->started = true;
}

/* One entry of the answer: its validator's index (checked against the set and the
 * address), and whether its signature holds. false with the reason in why. */
static bool check_entry(const cli_cosign_check *check, const json_t *entry, uint64_t height,
                        const uint8_t hash[TALLY_HASH_BYTES], uint32_t *index, char *why, size_t why_size) {
    int64_t given = -1;
    const char *address = cli_json_string(entry, "validator");
    uint8_t signature[TALLY_SIGNATURE_BYTES];
    if (!cli_json_i64(entry, "index", &given) || given < 0 || (uint64_t)given >= check->validator_count ||
        (check->retired >> given & 1u)) {
        snprintf(why, why_size, "a co-signature names validator %" PRId64 ", not one of the %" PRIu32
                 " slots active at this height", given, check->validator_count);
        return false;
    }
    *index = (uint32_t)given;
    tally_key named;
    if (!address || !tally_address_decode(address, &named) ||
        memcmp(named.bytes, check->validators[*index].bytes, TALLY_KEY_BYTES) != 0) {
        snprintf(why, why_size, "validator %" PRIu32 ": the node names %s, not the chain's validator %" PRIu32,
                 *index, address ? address : "no address", *index);
        return false;
    }
    if (!cli_client_unhex(cli_json_string(entry, "signature"), signature, sizeof signature) ||
        !tally_cosign_holds(&check->validators[*index], check->chain_id, height, hash, signature)) {
        snprintf(why, why_size, "validator %" PRIu32 " (%s): its co-signature does not hold", *index, address);
        return false;
    }
    return true;
}

/* The roster and the quorum in force after the block at tip. */
static void take_set(cli_cosign_check *check, const tally_chain_tip *tip) {
    check->validator_count = tip->validator_count;
    memcpy(check->validators, tip->validators, sizeof check->validators);
    check->retired = tip->retired;
    uint32_t active = 0;
    for (uint32_t v = 0; v < check->validator_count; v++) active += !(tip->retired >> v & 1u);
    check->quorum = tally_cosign_quorum(active);
}

tally_chain_error cli_cosign_check_block(cli_cosign_check *check, cli_context *ctx, const tally_chain_tip *tip,
                                         cli_status *status, tally_chain_failure *failure) {
    uint64_t height = tip->height;
    if (!check->started || check->unserved || height == 0) return TALLY_CHAIN_OK;
    take_set(check, tip);
    uint64_t started = monotonic_ns();
    char path[80], message[TALLY_FAILURE_MESSAGE_MAX];
    snprintf(path, sizeof path, "/v1/blocks/%" PRIu64 "/cosignatures", height);
    json_t *json = NULL;
    *status = cli_client_request(ctx, "GET", path, NULL, false, &json);
    if (*status == CLI_REFUSED && cli_json_string(json, "code") && strcmp(cli_json_string(json, "code"), "NOT_FOUND") == 0) {
        check->unserved = true; /* a node older than co-signatures */
        json_decref(json);
        *status = CLI_OK;
        return TALLY_CHAIN_OK;
    }
    if (*status == CLI_REFUSED) {
        snprintf(message, sizeof message, "block %" PRIu64 ": the node refused its co-signatures: %s (%s)", height,
                 cli_json_string(json, "message") ? cli_json_string(json, "message") : "?",
                 cli_json_string(json, "code") ? cli_json_string(json, "code") : "?");
        json_decref(json);
        *status = CLI_OK;
        return refuse(failure, TALLY_CHAIN_ERR_BAD_COSIGNATURE, height, message);
    }
    if (*status != CLI_OK) {
        json_decref(json);
        return refuse(failure, TALLY_CHAIN_ERR_IO, height, "the block's co-signatures could not be fetched");
    }
    uint8_t hash[TALLY_HASH_BYTES], named[TALLY_HASH_BYTES];
    memcpy(hash, tip->hash, TALLY_HASH_BYTES);
    int64_t answered_height = -1;
    const json_t *list = cli_json_array(json, "cosignatures");
    tally_chain_error code = TALLY_CHAIN_OK;
    if (!cli_json_i64(json, "height", &answered_height) || (uint64_t)answered_height != height ||
        !cli_client_unhex(cli_json_string(json, "hash"), named, sizeof named) ||
        memcmp(named, hash, TALLY_HASH_BYTES) != 0 || !list) {
        snprintf(message, sizeof message,
                 "block %" PRIu64 ": the node's co-signatures are of another block than the one it sent", height);
        code = refuse(failure, TALLY_CHAIN_ERR_BAD_COSIGNATURE, height, message);
    }
    uint32_t seen = 0, holding = 0; /* a bit per validator */
    size_t count = list ? json_array_size(list) : 0;
    for (size_t i = 0; code == TALLY_CHAIN_OK && i < count && i < TALLY_VALIDATORS_MAX + 1u; i++) {
        uint32_t index = 0;
        char why[TALLY_FAILURE_MESSAGE_MAX - 32];
        bool holds = check_entry(check, json_array_get(list, i), height, hash, &index, why, sizeof why);
        if (holds && (seen >> index & 1u)) {
            snprintf(why, sizeof why, "validator %" PRIu32 " is listed twice", index);
            holds = false;
        }
        if (!holds) {
            snprintf(message, sizeof message, "block %" PRIu64 ": %s", height, why);
            code = refuse(failure, TALLY_CHAIN_ERR_BAD_COSIGNATURE, height, message);
            break;
        }
        seen |= 1u << index;
        holding++;
    }
    if (code == TALLY_CHAIN_OK && count > TALLY_VALIDATORS_MAX) {
        snprintf(message, sizeof message, "block %" PRIu64 ": more co-signatures than a chain has validators", height);
        code = refuse(failure, TALLY_CHAIN_ERR_BAD_COSIGNATURE, height, message);
    }
    json_decref(json);
    if (code == TALLY_CHAIN_OK) {
        check->blocks++;
        check->signatures += holding;
        if (holding >= check->quorum) check->final++;
        else if (check->not_final_listed < CLI_COSIGN_NOT_FINAL_LISTED) check->not_final[check->not_final_listed++] = height;
    }
    check->elapsed_ns += monotonic_ns() - started;
    return code;
}

void cli_cosign_check_print(const cli_cosign_check *check, FILE *out) {
    if (!check->started) return;
    if (check->unserved) {
        fprintf(out, "co-signatures: the node serves none (a node older than co-signatures)\n");
        return;
    }
    fprintf(out, "co-signatures: %" PRIu64 " of %" PRIu64 " blocks final (quorum %" PRIu32 " of %" PRIu32
                 " validators)\n",
            check->final, check->blocks, check->quorum, check->validator_count);
    if (check->final == check->blocks) return;
    fprintf(out, "not final   ");
    for (uint32_t i = 0; i < check->not_final_listed; i++)
        fprintf(out, "%sblock %" PRIu64, i ? ", " : "", check->not_final[i]);
    uint64_t more = check->blocks - check->final - check->not_final_listed;
    if (more > 0) fprintf(out, " and %" PRIu64 " more", more);
    fprintf(out, " (fewer than %" PRIu32 " co-signatures that hold)\n", check->quorum);
}

json_t *cli_cosign_check_json(const cli_cosign_check *check) {
    json_t *not_final = json_array();
    for (uint32_t i = 0; i < check->not_final_listed; i++)
        json_array_append_new(not_final, json_integer((json_int_t)check->not_final[i]));
    return json_pack("{s:b, s:I, s:I, s:I, s:i, s:i, s:o}", "served", !check->unserved, "blocks",
                     (json_int_t)check->blocks, "final", (json_int_t)check->final, "signatures",
                     (json_int_t)check->signatures, "quorum", (int)check->quorum, "validators",
                     (int)check->validator_count, "not_final", not_final);
}
