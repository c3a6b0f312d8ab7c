/*
 * verify.c: `tally verify` (see verify.h). From a data directory it is
 * tally_chain_verify with a progress bar. From a node it is the same replay done
 * here: each block's canonical bytes from GET /v1/blocks/{height}/raw, decoded,
 * the genesis opened (tally_genesis_open) and every later block applied with full
 * checks (tally_chain_replay: tally_block_apply's checks, with the signatures of
 * the blocks fetched ahead checked on every core); finally the tip must be the one
 * the node's status named, so a node cannot serve one chain and claim another.
 * Each block's co-signatures are fetched and checked as it is (verify_cosign.c).
 */
#include "cli/verify.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/output.h"
#include "cli/verify_cosign.h"

#define BAR_WIDTH 30u
#define REDRAW_NS 100000000ull /* ten bars a second at most */

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Progress.                                                                 */
/* ------------------------------------------------------------------------ */

void cli_verify_progress_start(cli_verify_progress *progress, cli_context *ctx) {
    memset(progress, 0, sizeof *progress);
    progress->ctx = ctx;
    progress->start_ns = monotonic_ns();
}

void cli_verify_progress_update(cli_verify_progress *progress, uint64_t done, uint64_t total) {
    assert(progress->ctx != NULL);
    FILE *err = progress->ctx->err;
    if (total == 0) return;
    if (done > total) done = total;
    uint64_t now = monotonic_ns();
    if (progress->ctx->err_is_tty) {
        if (done != total && progress->drawn && now - progress->last_draw_ns < REDRAW_NS) return;
        progress->last_draw_ns = now;
        progress->drawn = true;
        unsigned filled = (unsigned)(done * BAR_WIDTH / total);
        char bar[BAR_WIDTH + 1];
        memset(bar, '#', filled);
        memset(bar + filled, '.', BAR_WIDTH - filled);
        bar[BAR_WIDTH] = '\0';
        double seconds = (double)(now - progress->start_ns) / 1e9;
        fprintf(err, "\rverifying [%s] %" PRIu64 "/%" PRIu64 " blocks  %.0f blocks/s ", bar, done, total,
                seconds > 0 ? (double)done / seconds : 0.0);
        fflush(err);
        return;
    }
    unsigned decile = (unsigned)(done * 10 / total);
    if (decile <= progress->last_decile) return;
    progress->last_decile = decile;
    fprintf(err, "verify: %u%% (%" PRIu64 " of %" PRIu64 " blocks)\n", decile * 10, done, total);
}

void cli_verify_progress_finish(cli_verify_progress *progress) {
    if (progress->drawn) fprintf(progress->ctx->err, "\n");
    progress->drawn = false;
}

/* ------------------------------------------------------------------------ */
/* Summary and failure.                                                      */
/* ------------------------------------------------------------------------ */

static void hex32(const uint8_t bytes[32], char out[65]) { cli_client_hex(bytes, 32, out, 65); }

/* cosign: what the co-signatures gave (NULL: not checked, from a data directory). */
static void print_summary(cli_context *ctx, const tally_verify_summary *summary, const char *source,
                          const cli_cosign_check *cosign) {
    char chain[65], tip[65], state[65], when[CLI_TIME_TEXT_MAX];
    hex32(summary->tip.chain_id, chain);
    hex32(summary->tip.hash, tip);
    hex32(summary->tip.state_hash, state);
    double seconds = (double)summary->elapsed_ns / 1e9;
    if (ctx->json) {
        json_t *document = json_pack("{s:b, s:s, s:I, s:I, s:f, s:s, s:I, s:s, s:I, s:s, s:b}", "ok", 1, "source", source,
                                     "blocks", (json_int_t)summary->blocks, "transactions",
                                     (json_int_t)summary->transactions, "elapsed_seconds", seconds, "chain_id", chain,
                                     "height", (json_int_t)summary->tip.height, "tip_hash", tip, "tip_time",
                                     (json_int_t)summary->tip.block_time, "state_hash", state, "dev_chain",
                                     summary->dev_chain);
        if (cosign && cosign->started) json_object_set_new(document, "cosignatures", cli_cosign_check_json(cosign));
        cli_out_json(ctx->out, document);
        json_decref(document);
        return;
    }
    fprintf(ctx->out, "chain verified: %" PRIu64 " blocks, %" PRIu64 " transactions in %.3f s", summary->blocks,
            summary->transactions, seconds);
    if (seconds > 0) fprintf(ctx->out, " (%.0f blocks/s)", (double)summary->blocks / seconds);
    fprintf(ctx->out, "\nsource      %s\n", source);
    fprintf(ctx->out, "chain id    %s\n", chain);
    fprintf(ctx->out, "tip         height %" PRIu64 ", %s\n", summary->tip.height,
            cli_out_time(summary->tip.block_time, when));
    fprintf(ctx->out, "tip hash    %s\n", tip);
    fprintf(ctx->out, "state hash  %s\n", state);
    if (summary->dev_chain)
        fprintf(ctx->out, "dev chain   yes: a development chain, whose operator moves block time at will; its dates "
                          "prove nothing\n");
    if (cosign) cli_cosign_check_print(cosign, ctx->out);
}

/* IO and memory failures are the machine's (3); every other one is the chain's (1). */
static cli_status print_failure(cli_context *ctx, tally_chain_error code, const tally_chain_failure *failure,
                                const tally_verify_summary *summary, const char *source) {
    bool machine = code == TALLY_CHAIN_ERR_IO || code == TALLY_CHAIN_ERR_NO_MEMORY;
    char message[TALLY_FAILURE_MESSAGE_MAX + 64];
    if (failure->message[0]) snprintf(message, sizeof message, "%s", failure->message);
    else if (failure->height != TALLY_NO_HEIGHT)
        snprintf(message, sizeof message, "block %" PRIu64 ": %s", failure->height, tally_chain_error_message(code));
    else snprintf(message, sizeof message, "%s", tally_chain_error_message(code));
    if (ctx->json) {
        json_t *document = json_pack("{s:b, s:s, s:s, s:s, s:I}", "ok", 0, "source", source, "code",
                                     tally_chain_error_name(code), "message", message, "blocks_verified",
                                     (json_int_t)summary->blocks);
        if (failure->height != TALLY_NO_HEIGHT)
            json_object_set_new(document, "height", json_integer((json_int_t)failure->height));
        if (failure->tx_index != TALLY_NO_TX)
            json_object_set_new(document, "tx_index", json_integer((json_int_t)failure->tx_index));
        if (failure->offset != TALLY_NO_OFFSET && failure->offset <= (uint64_t)INT64_MAX)
            json_object_set_new(document, "offset", json_integer((json_int_t)failure->offset));
        cli_out_json(ctx->out, document);
        json_decref(document);
    }
    if (machine) {
        fprintf(ctx->err, "tally: cannot verify %s: %s (%s)\n", source, message, tally_chain_error_name(code));
        return CLI_IO;
    }
    fprintf(ctx->err, "verification FAILED: %s (%s)\n", message, tally_chain_error_name(code));
    /* A damaged record stops the node too; say what the operator can do. */
    if (code == TALLY_CHAIN_ERR_LOG_CORRUPT && failure->offset != TALLY_NO_OFFSET)
        fprintf(ctx->err,
                "  restore the data directory from a backup or another node, or let `tallyd --repair` cut the "
                "log at byte %" PRIu64 " (it lists every block and transaction that goes)\n",
                failure->offset);
    /* Only when every block before it was verified in this run. */
    if (failure->height != TALLY_NO_HEIGHT && failure->height > 0 && summary->blocks == failure->height &&
        code != TALLY_CHAIN_ERR_BAD_COSIGNATURE && code != TALLY_CHAIN_ERR_NOT_FINAL)
        fprintf(ctx->err, "  the chain is sound up to block %" PRIu64 "; block %" PRIu64 " is not\n",
                failure->height - 1, failure->height);
    return CLI_REFUSED;
}

static void fail_here(tally_chain_failure *failure, tally_chain_error code, uint64_t height, const char *message) {
    memset(failure, 0, sizeof *failure);
    failure->code = code;
    failure->height = height;
    failure->tx_index = TALLY_NO_TX;
    failure->offset = TALLY_NO_OFFSET;
    snprintf(failure->message, sizeof failure->message, "%s", message);
}

static bool chain_id_expected(const uint8_t *expected, const uint8_t *actual, tally_chain_failure *failure) {
    if (!expected || memcmp(expected, actual, TALLY_CHAIN_ID_BYTES) == 0) return true;
    char have[65], want[65], message[200];
    hex32(actual, have);
    hex32(expected, want);
    snprintf(message, sizeof message, "the chain's id is %s, not the expected %s", have, want);
    fail_here(failure, TALLY_CHAIN_ERR_WRONG_CHAIN, 0, message);
    return false;
}

/* ------------------------------------------------------------------------ */
/* From a data directory.                                                    */
/* ------------------------------------------------------------------------ */

static void on_progress(void *context, uint64_t height, uint64_t total) {
    cli_verify_progress_update(context, height + 1, total);
}

static void on_notice(void *context, const tally_chain_failure *notice) {
    cli_context *ctx = context;
    fprintf(ctx->err, "tally: notice: %s (%s)\n", notice->message[0] ? notice->message : tally_chain_error_message(notice->code),
            tally_chain_error_name(notice->code));
}

cli_status cli_verify_data(cli_context *ctx, const char *directory, const uint8_t *expected_chain_id,
                           bool full_invariants) {
    cli_verify_progress progress;
    cli_verify_progress_start(&progress, ctx);
    tally_verify_summary summary;
    tally_chain_failure failure;
    memset(&summary, 0, sizeof summary);
    memset(&failure, 0, sizeof failure);
    tally_chain_error code =
        (full_invariants ? tally_chain_verify_full : tally_chain_verify)(directory, on_progress, &progress, on_notice,
                                                                         ctx, &summary, &failure);
    cli_verify_progress_finish(&progress);
    if (code == TALLY_CHAIN_OK && !chain_id_expected(expected_chain_id, summary.tip.chain_id, &failure))
        code = TALLY_CHAIN_ERR_WRONG_CHAIN;
    if (code != TALLY_CHAIN_OK) return print_failure(ctx, code, &failure, &summary, directory);
    print_summary(ctx, &summary, directory, NULL);
    return CLI_OK;
}

/* ------------------------------------------------------------------------ */
/* From a node.                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t height;
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    uint8_t tip_hash[TALLY_HASH_BYTES];
} node_claim;

static cli_status read_status(cli_context *ctx, node_claim *claim) {
    json_t *json;
    cli_status status = cli_client_get(ctx, "/v1/status", &json);
    if (status != CLI_OK) {
        json_decref(json);
        return status;
    }
    int64_t height;
    bool ok = cli_json_i64(json, "height", &height) && height >= 0 &&
              cli_client_unhex(cli_json_string(json, "chain_id"), claim->chain_id, TALLY_CHAIN_ID_BYTES) &&
              cli_client_unhex(cli_json_string(json, "tip_hash"), claim->tip_hash, TALLY_HASH_BYTES);
    json_decref(json);
    if (!ok) return cli_fail(ctx, CLI_IO, "the node's status lacks height, chain_id or tip_hash");
    claim->height = (uint64_t)height;
    return CLI_OK;
}

/* Where the replay reads blocks from: the node, one GET per block. */
typedef struct {
    cli_context *ctx;
    cli_status status;  /* of the fetch that failed; CLI_OK while none did */
    uint64_t failed_at; /* its height */
    /* Each block's co-signatures, checked once the block applied: the validators in
     * force after it co-sign it, and the chain may have changed its set in it. */
    cli_cosign_check cosign;
    const tally_chain_tip *tip; /* the replay's, updated before each progress call */
    cli_verify_progress *progress;
    tally_chain_error cosign_error; /* the first co-signature failure; OK while none */
    tally_chain_failure cosign_failure;
    cli_status cosign_status;
} node_source;

static void node_progress(void *context, uint64_t height, uint64_t total) {
    node_source *source = context;
    cli_verify_progress_update(source->progress, height + 1, total);
    if (source->cosign_error != TALLY_CHAIN_OK || source->tip == NULL || source->tip->height != height) return;
    cli_status status = CLI_OK;
    source->cosign_error =
        cli_cosign_check_block(&source->cosign, source->ctx, source->tip, &status, &source->cosign_failure);
    source->cosign_status = status;
}

/* Fetches and decodes block `height`; a block of another height is refused. */
static tally_chain_error fetch_block(void *context, uint64_t height, tally_block *block,
                                     tally_chain_failure *failure) {
    node_source *source = context;
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%" PRIu64 "/raw", height);
    uint8_t *bytes;
    size_t length;
    cli_status status = cli_client_get_bytes(source->ctx, path, TALLY_BLOCK_ENCODED_MAX, &bytes, &length);
    if (status != CLI_OK) {
        source->status = status;
        source->failed_at = height;
        fail_here(failure, TALLY_CHAIN_ERR_IO, height, "the block could not be fetched");
        return TALLY_CHAIN_ERR_IO;
    }
    tally_chain_error code = tally_block_decode(bytes, length, block, failure);
    free(bytes);
    if (code == TALLY_CHAIN_OK && block->header.height != height) {
        char message[160];
        snprintf(message, sizeof message, "block %" PRIu64 ": the node sent the block of height %" PRIu64, height,
                 block->header.height);
        fail_here(failure, TALLY_CHAIN_ERR_BAD_HEIGHT, height, message);
        return TALLY_CHAIN_ERR_BAD_HEIGHT;
    }
    if (code != TALLY_CHAIN_OK && failure->height == TALLY_NO_HEIGHT) failure->height = height;
    return code;
}

/* Fetches and opens the genesis, which must be of the chain the node's status
 * names (and of the expected one, when given). */
static tally_chain_error open_genesis(node_source *source, const node_claim *claim, const uint8_t *expected_chain_id,
                                      tally_state **state, tally_chain_tip *tip, tally_chain_failure *failure) {
    tally_block genesis;
    tally_block_init(&genesis);
    tally_chain_error code = fetch_block(source, 0, &genesis, failure);
    if (code == TALLY_CHAIN_OK) code = tally_genesis_open(&genesis, state, tip, failure);
    if (code == TALLY_CHAIN_OK) cli_cosign_check_start(&source->cosign, &genesis, tip);
    if (code != TALLY_CHAIN_OK && failure->height == TALLY_NO_HEIGHT) failure->height = 0;
    tally_block_release(&genesis);
    if (code != TALLY_CHAIN_OK) return code;
    if (memcmp(tip->chain_id, claim->chain_id, TALLY_CHAIN_ID_BYTES) != 0) {
        fail_here(failure, TALLY_CHAIN_ERR_WRONG_CHAIN, 0,
                  "block 0: the genesis is of another chain than the node's status names");
        return TALLY_CHAIN_ERR_WRONG_CHAIN;
    }
    if (!chain_id_expected(expected_chain_id, tip->chain_id, failure)) return TALLY_CHAIN_ERR_WRONG_CHAIN;
    return TALLY_CHAIN_OK;
}

cli_status cli_verify_node(cli_context *ctx, const uint8_t *expected_chain_id, bool full_invariants,
                           bool require_final) {
    node_claim claim;
    cli_status status = read_status(ctx, &claim);
    if (status != CLI_OK) return status;
    char source_name[CLI_URL_MAX + 16];
    snprintf(source_name, sizeof source_name, "%s", ctx->node_url);

    cli_verify_progress progress;
    cli_verify_progress_start(&progress, ctx);
    tally_verify_summary summary;
    tally_chain_failure failure;
    memset(&summary, 0, sizeof summary);
    memset(&failure, 0, sizeof failure);
    failure.height = TALLY_NO_HEIGHT;
    failure.tx_index = TALLY_NO_TX;
    tally_state *state = NULL;
    tally_chain_tip tip;
    memset(&tip, 0, sizeof tip);
    node_source source = {.ctx = ctx, .status = CLI_OK, .tip = &tip, .progress = &progress};
    uint64_t total = claim.height + 1;
    tally_chain_error code = open_genesis(&source, &claim, expected_chain_id, &state, &tip, &failure);
    if (state != NULL) {
        /* The genesis opened: it counts as verified even when of the wrong chain. */
        summary.blocks = 1;
        summary.tip = tip;
        summary.dev_chain = tally_state_chain_rules(state)->dev_chain != 0;
        cli_verify_progress_update(&progress, 1, total);
    }
    if (code == TALLY_CHAIN_OK) {
        tally_state_check_invariants_fully(state, full_invariants);
        code = tally_chain_replay(state, &tip, total, fetch_block, &source, NULL, node_progress, &source,
                                  &summary.transactions, &failure);
        if (code == TALLY_CHAIN_OK && source.cosign_error != TALLY_CHAIN_OK) {
            code = source.cosign_error;
            failure = source.cosign_failure;
            if (code == TALLY_CHAIN_ERR_IO) source.status = source.cosign_status, source.failed_at = failure.height;
        }
        summary.blocks = tip.height + 1;
        summary.tip = tip;
    }
    cli_verify_progress_finish(&progress);
    /* A failed fetch ends the replay where it happened: its own message was said. */
    if (source.status != CLI_OK && code == TALLY_CHAIN_ERR_IO && failure.height == source.failed_at)
        status = source.status;
    if (code == TALLY_CHAIN_OK && memcmp(tip.hash, claim.tip_hash, TALLY_HASH_BYTES) != 0) {
        char message[160];
        snprintf(message, sizeof message,
                 "block %" PRIu64 ": the blocks the node sent end in another block than its status names", claim.height);
        fail_here(&failure, TALLY_CHAIN_ERR_BAD_PREV_HASH, claim.height, message);
        code = TALLY_CHAIN_ERR_BAD_PREV_HASH;
    }
    summary.elapsed_ns = monotonic_ns() - progress.start_ns;
    tally_state_destroy(state);
    if (status != CLI_OK) return status;
    if (code == TALLY_CHAIN_OK && require_final &&
        (source.cosign.unserved || source.cosign.final != source.cosign.blocks)) {
        char message[200];
        uint64_t first = source.cosign.not_final_listed ? source.cosign.not_final[0] : 1;
        if (source.cosign.unserved)
            snprintf(message, sizeof message, "the node serves no co-signatures, and --require-final asks for them");
        else
            snprintf(message, sizeof message,
                     "block %" PRIu64 ": not final (fewer than %" PRIu32 " of the %" PRIu32
                     " validators co-signed it); %" PRIu64 " of %" PRIu64 " blocks are",
                     first, source.cosign.quorum, source.cosign.validator_count, source.cosign.final,
                     source.cosign.blocks);
        fail_here(&failure, TALLY_CHAIN_ERR_NOT_FINAL, source.cosign.unserved ? TALLY_NO_HEIGHT : first, message);
        code = TALLY_CHAIN_ERR_NOT_FINAL;
    }
    if (code != TALLY_CHAIN_OK) return print_failure(ctx, code, &failure, &summary, source_name);
    print_summary(ctx, &summary, source_name, &source.cosign);
    return CLI_OK;
}

/* ------------------------------------------------------------------------ */
/* The command.                                                              */
/* ------------------------------------------------------------------------ */

cli_status cli_cmd_verify(cli_context *ctx, const cli_args *args) {
    const char *data = cli_option_value(args, "--data");
    const char *chain_hex = cli_option_value(args, "--chain-id");
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    if (chain_hex && !cli_client_unhex(chain_hex, chain_id, sizeof chain_id))
        return cli_usage(ctx, args->command, "--chain-id takes the chain id as 64 hex digits");
    if (data && ctx->node_given) return cli_usage(ctx, args->command, "give --data DIR or --node URL, not both");
    if (data && !data[0]) return cli_usage(ctx, args->command, "--data needs a directory");
    const uint8_t *expected = chain_hex ? chain_id : NULL;
    bool full = cli_flag(args, "--full");
    bool require_final = cli_flag(args, "--require-final");
    if (data && require_final)
        return cli_usage(ctx, args->command, "--require-final checks a node's co-signatures: give --node, not --data");
    return data ? cli_verify_data(ctx, data, expected, full) : cli_verify_node(ctx, expected, full, require_final);
}
