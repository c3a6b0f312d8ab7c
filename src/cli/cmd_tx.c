/*
 * cmd_tx.c: every transaction command, from the key to the committed result:
 * build (txbuild.c), ask the node for the chain id and the signer's next sequence,
 * open the key, sign locally, encode, POST /v1/transactions?wait=commit, and say
 * what happened, in the units of the network or asset involved. The secret key
 * exists in memory only between the passphrase and the last signature.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"

/* A transaction whose sequence was taken by another one of the same key (two
 * terminals, a script) is signed again with the next one, this many times. */
#define SEQUENCE_RETRIES 2

typedef struct {
    cli_status status;
    json_t *outcome; /* the node's TxStatus, or its error object */
    bool bad_sequence;
    int64_t expected_sequence; /* with bad_sequence: the one the node expects (0: not said) */
} submission;

/* BAD_SEQUENCE carries the expected sequence in `available`. */
static void note_sequence(submission *result, const json_t *error) {
    const char *code = cli_json_string(error, "code");
    result->bad_sequence = code && strcmp(code, "BAD_SEQUENCE") == 0;
    if (result->bad_sequence && !cli_json_i64(error, "available", &result->expected_sequence))
        result->expected_sequence = 0;
}

static submission submit_once(cli_context *ctx, const tally_tx *tx) {
    submission result = {CLI_IO, NULL, false, 0};
    uint8_t bytes[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes, sizeof bytes);
    if (length == 0) {
        result.status = cli_fail(ctx, CLI_USAGE, "the transaction cannot be encoded");
        return result;
    }
    char hex[TALLY_TX_ENCODED_MAX * 2 + 1];
    cli_client_hex(bytes, length, hex, sizeof hex);
    json_t *body = json_pack("{s:s}", "tx", hex), *reply = NULL;
    result.status = cli_client_request(ctx, "POST", "/v1/transactions?wait=commit", body, false, &reply);
    json_decref(body);
    if (result.status == CLI_REFUSED) {
        result.outcome = reply;
        note_sequence(&result, reply);
        return result;
    }
    if (result.status != CLI_OK) return result;
    json_t *results = cli_json_array(reply, "results");
    json_t *first = json_array_get(results, 0);
    if (!json_is_object(first)) {
        json_decref(reply);
        result.status = cli_fail(ctx, CLI_IO, "the node's answer to the submission carries no result");
        return result;
    }
    result.outcome = json_incref(first);
    json_decref(reply);
    const char *state = cli_json_string(result.outcome, "status");
    if (state && strcmp(state, "refused") == 0) note_sequence(&result, cli_json_object(result.outcome, "error"));
    return result;
}

/* ------------------------------------------------------------------------ */
/* What happened, in words.                                                  */
/* ------------------------------------------------------------------------ */

static int64_t saturating_sum(int64_t a, int64_t b) {
    int64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? (b > 0 ? INT64_MAX : INT64_MIN) : sum;
}

static int64_t result_field(const json_t *outcome, const char *name) {
    int64_t value = 0;
    cli_json_i64(cli_json_object(outcome, "result"), name, &value);
    return value;
}

/* What to do next after a refused change of the validator set. */
static void say_validator_refusal(cli_context *ctx, const char *code) {
    if (strcmp(code, "VALIDATOR_CHANGE_OPEN") == 0)
        fprintf(ctx->err, "  one change is open at a time: approve the open one (`tally chain validator-approve ID`, "
                          "the number its proposer was given), or propose again once it is in force or lapsed (7 days "
                          "after it was proposed)\n");
    else if (strcmp(code, "NO_VALIDATOR_CHANGE") == 0)
        fprintf(ctx->err, "  the change with this number is not open: it is in force already, was replaced by a new "
                          "proposal or lapsed 7 days after it was proposed\n");
    else if (strcmp(code, "BAD_VALIDATOR_SET") == 0)
        fprintf(ctx->err, "  `tally status` lists the validators (16 slots for the chain's life; a retired key never "
                          "returns)\n");
    else if (strcmp(code, "NOT_VALIDATOR") == 0)
        fprintf(ctx->err, "  only a validator signs this: `tally status` lists them (`tallyd --validator-key` prints a "
                          "node's)\n");
}

static void print_success(cli_context *ctx, const tally_tx *tx, const tx_plan *plan, const json_t *outcome) {
    FILE *out = ctx->out;
    const cli_unit *credit = &plan->network.unit, *reserve = &plan->asset.unit;
    const char *network = plan->network.name, *who = plan->counterparty;
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX], d[CLI_AMOUNT_TEXT_MAX];
    cli_unit shares = plan->asset.unit;
    shares.code[0] = '\0';
    int64_t effective_at = result_field(outcome, "effective_at");
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE:
        fprintf(out, "created network %" PRId64 ": %s (%s, %u decimals); you are its operator\n",
                result_field(outcome, "created_id"), network, credit->code, credit->decimals);
        break;
    case TALLY_TX_POLICY_UPDATE:
        fprintf(out, "changed the policy of %s\n", network);
        if (effective_at) {
            char when[CLI_TIME_TEXT_MAX];
            fprintf(out, "  announced: the changes that touch members' money take effect on %s\n",
                    cli_out_time(effective_at, when));
        }
        break;
    case TALLY_TX_PEG_SET:
        if (tx->body.peg_set.asset_id == 0) fprintf(out, "cleared the peg of %s\n", network);
        else if (effective_at) {
            char when[CLI_TIME_TEXT_MAX];
            fprintf(out, "announced for %s: %s's pool will peg %s to %s\n", cli_out_time(effective_at, when), network,
                    cli_out_amount(tx->body.peg_set.peg_reserve_units, reserve, a),
                    cli_out_amount(tx->body.peg_set.peg_credit_units, credit, b));
        } else
            fprintf(out, "%s's pool now holds %s: %s backs %s\n", network, reserve->code,
                    cli_out_amount(tx->body.peg_set.peg_reserve_units, reserve, a),
                    cli_out_amount(tx->body.peg_set.peg_credit_units, credit, b));
        break;
    case TALLY_TX_OPERATOR_ADD: fprintf(out, "%s is now an operator of %s\n", who, network); break;
    case TALLY_TX_OPERATOR_REMOVE: fprintf(out, "%s is no longer an operator of %s\n", who, network); break;
    case TALLY_TX_MEMBER_JOIN: fprintf(out, "joined %s\n", network); break;
    case TALLY_TX_MEMBER_ADMIT: fprintf(out, "admitted %s to %s\n", who, network); break;
    case TALLY_TX_MEMBER_SUSPEND: fprintf(out, "suspended %s in %s\n", who, network); break;
    case TALLY_TX_MEMBER_REINSTATE: fprintf(out, "reinstated %s in %s\n", who, network); break;
    case TALLY_TX_MEMBER_LEAVE: fprintf(out, "left %s\n", network); break;
    case TALLY_TX_ALIAS_SET:
        if (tx->body.alias_set.alias.length == 0) fprintf(out, "removed your alias in %s\n", network);
        else
            fprintf(out, "you are now %.*s@%s\n", (int)tx->body.alias_set.alias.length,
                    tx->body.alias_set.alias.bytes, network);
        break;
    case TALLY_TX_LINE_OPEN:
        fprintf(out, "opened a credit line of %s for %s\n", cli_out_amount(tx->body.line_open.limit, credit, a), who);
        break;
    case TALLY_TX_LINE_UPDATE:
        fprintf(out, "set %s's credit limit to %s\n", who, cli_out_amount(tx->body.line_update.limit, credit, a));
        break;
    case TALLY_TX_LINE_CLOSE: fprintf(out, "closed %s's credit line\n", who); break;
    case TALLY_TX_TRANSFER: {
        int64_t minted = result_field(outcome, "minted"), burned = result_field(outcome, "burned");
        fprintf(out, "paid %s to %s, fee %s (at most %s signed)\n", cli_out_amount(tx->body.transfer.amount, credit, a),
                who, cli_out_amount(result_field(outcome, "fee"), credit, b),
                cli_out_amount(tx->body.transfer.max_fee, credit, c));
        if (minted > 0) fprintf(out, "  your debt grew by %s (fee included)\n", cli_out_amount(minted, credit, a));
        if (burned > 0) fprintf(out, "  it repaid %s of the payee's debt\n", cli_out_amount(burned, credit, a));
        break;
    }
    case TALLY_TX_ASSET_CREATE:
        fprintf(out, "created asset %" PRId64 ": %s (%s, %u decimals); you issue it\n",
                result_field(outcome, "created_id"), reserve->code, plan->asset.name, reserve->decimals);
        break;
    case TALLY_TX_ASSET_ISSUE:
        fprintf(out, "issued %s to %s\n", cli_out_amount(tx->body.asset_move.amount, reserve, a), who);
        break;
    case TALLY_TX_ASSET_TRANSFER:
        fprintf(out, "sent %s to %s\n", cli_out_amount(tx->body.asset_move.amount, reserve, a), who);
        break;
    case TALLY_TX_ASSET_BURN: fprintf(out, "burned %s\n", cli_out_amount(tx->body.asset_burn.amount, reserve, a)); break;
    case TALLY_TX_POOL_DEPOSIT:
        fprintf(out, "deposited %s into %s's pool (%s to primary, %s to excess) for %s shares\n",
                cli_out_amount(tx->body.pool_amount.amount, reserve, a), network,
                cli_out_amount(result_field(outcome, "to_primary"), reserve, b),
                cli_out_amount(result_field(outcome, "to_excess"), reserve, c),
                cli_out_amount(result_field(outcome, "shares"), &shares, d));
        break;
    case TALLY_TX_POOL_WITHDRAW:
        fprintf(out, "redeemed %s shares of %s's pool for %s\n", cli_out_amount(tx->body.pool_amount.amount, &shares, a),
                network, cli_out_amount(result_field(outcome, "reserve"), reserve, b));
        break;
    case TALLY_TX_POOL_REPAY:
        fprintf(out, "repaid %s of your debt in %s with %s\n", cli_out_amount(tx->body.pool_amount.amount, credit, a),
                network, cli_out_amount(result_field(outcome, "reserve"), reserve, b));
        break;
    case TALLY_TX_POOL_REDEEM:
        fprintf(out, "exchanged %s for %s from %s's pool\n",
                cli_out_amount(result_field(outcome, "burned") ? result_field(outcome, "burned")
                                                               : tx->body.pool_amount.amount,
                               credit, a),
                cli_out_amount(result_field(outcome, "reserve"), reserve, b), network);
        break;
    case TALLY_TX_FEE_DISTRIBUTE:
        fprintf(out, "sent %s of %s's collected fees to %s\n", cli_out_amount(tx->body.fee_distribute.amount, credit, a),
                network, who);
        break;
    case TALLY_TX_CHAIN_APPROVE:
        fprintf(out, "%s may now found %" PRIu32 " networks and create %" PRIu32 " reserve assets\n", who,
                tx->body.chain_approve.networks, tx->body.chain_approve.assets);
        break;
    case TALLY_TX_TRANSFER_BATCH: {
        int64_t total = 0;
        for (uint16_t i = 0; i < tx->body.transfer_batch.line_count; i++)
            total = saturating_sum(total, tx->body.transfer_batch.lines[i].amount);
        int64_t minted = result_field(outcome, "minted"), burned = result_field(outcome, "burned");
        fprintf(out, "paid %s in %u payments in %s, fees %s (at most %s signed)\n", cli_out_amount(total, credit, a),
                (unsigned)tx->body.transfer_batch.line_count, network,
                cli_out_amount(result_field(outcome, "fee"), credit, b),
                cli_out_amount(tx->body.transfer_batch.max_fee, credit, c));
        if (minted > 0) fprintf(out, "  your debt grew by %s (fees included)\n", cli_out_amount(minted, credit, a));
        if (burned > 0) fprintf(out, "  it repaid %s of the payees' debts\n", cli_out_amount(burned, credit, a));
        break;
    }
    case TALLY_TX_PENDING_CREATE:
        fprintf(out, "holding %s for %s in %s as hold %" PRId64 ", fee %s (charged pro rata when posted)\n",
                cli_out_amount(tx->body.pending_create.amount, credit, a), who, network,
                result_field(outcome, "created_id"), cli_out_amount(result_field(outcome, "fee"), credit, b));
        break;
    case TALLY_TX_PENDING_POST:
        fprintf(out, "posted %s of hold %" PRIu32 ", fee %s; the rest is released\n",
                cli_out_amount(tx->body.pending_end.amount, credit, a), tx->body.pending_end.pending_id,
                cli_out_amount(result_field(outcome, "fee"), credit, b));
        break;
    case TALLY_TX_PENDING_VOID: fprintf(out, "voided hold %" PRIu32 ": nothing was paid\n", tx->body.pending_end.pending_id); break;
    case TALLY_TX_REQUEST_CREATE: {
        int64_t id = result_field(outcome, "created_id");
        char when[CLI_TIME_TEXT_MAX];
        fprintf(out, "asked %s of %s in %s as request %" PRId64 "%s%s, until %s\n",
                cli_out_amount(tx->body.request_create.amount, credit, a), who[0] ? who : "any member", network, id,
                plan->request_memo[0] ? ": " : "", plan->request_memo,
                cli_out_time(tx->body.request_create.expiry, when));
        fprintf(out, "  %s%s pays it with: tally request pay %" PRId64 "\n", who[0] ? who : "any member of ",
                who[0] ? "" : network, id);
        break;
    }
    case TALLY_TX_REQUEST_PAY:
        fprintf(out, "paid request %" PRIu32 ": %s to %s%s%s, fee %s (at most %s signed)\n",
                tx->body.request_end.request_id, cli_out_amount(plan->request_amount, credit, c), who,
                plan->request_memo[0] ? " for " : "", plan->request_memo,
                cli_out_amount(result_field(outcome, "fee"), credit, a),
                cli_out_amount(tx->body.request_end.max_fee, credit, b));
        break;
    case TALLY_TX_REQUEST_CANCEL:
        fprintf(out, "cancelled request %" PRIu32 " (%s%s%s): nobody can pay it any more\n",
                tx->body.request_end.request_id, cli_out_amount(plan->request_amount, credit, a),
                plan->request_memo[0] ? ", " : "", plan->request_memo);
        break;
    case TALLY_TX_GATEWAY_PROPOSE: {
        int64_t id = result_field(outcome, "created_id");
        fprintf(out, "proposed gateway %" PRId64 " from %s to %s\n", id, plan->gateway.network[0].name,
                plan->gateway.network[1].name);
        fprintf(out, "  an operator of %s accepts it with: tally gateway accept %" PRId64 "\n",
                plan->gateway.network[1].name, id);
        break;
    }
    case TALLY_TX_GATEWAY_ACCEPT:
        fprintf(out, "accepted gateway %" PRIu32 ": %s and %s are linked; payments cross it both ways\n",
                tx->body.gateway_accept.gateway_id, plan->gateway.network[0].name, plan->gateway.network[1].name);
        break;
    case TALLY_TX_GATEWAY_UPDATE: {
        char fee[24];
        fprintf(out, "changed %s's side of gateway %" PRIu32 ": fee %s, exposure limit %s\n", network,
                tx->body.gateway_update.gateway_id, cli_out_bps(tx->body.gateway_update.side.fee_bps, fee),
                cli_out_amount(tx->body.gateway_update.side.limit, credit, a));
        break;
    }
    case TALLY_TX_GATEWAY_FREEZE:
        if (tx->body.gateway_freeze.frozen)
            fprintf(out, "froze %s's side of gateway %" PRIu32 ": no new exposure to %s\n", network,
                    tx->body.gateway_freeze.gateway_id, plan->gateway.network[1 - plan->side].name);
        else
            fprintf(out, "unfroze %s's side of gateway %" PRIu32 "\n", network, tx->body.gateway_freeze.gateway_id);
        break;
    case TALLY_TX_GATEWAY_CLOSE:
        fprintf(out, "closed gateway %" PRIu32 " between %s and %s\n", tx->body.gateway_end.gateway_id,
                plan->gateway.network[0].name, plan->gateway.network[1].name);
        break;
    case TALLY_TX_CLEARING:
        fprintf(out, "cleared obligations over %u gateways:\n", (unsigned)tx->body.clearing.count);
        for (uint8_t i = 0; i < tx->body.clearing.count; i++) {
            const tally_setoff *setoff = &tx->body.clearing.setoffs[i];
            const cli_gateway *g = &plan->setoff_gateways[i];
            fprintf(out, "  gateway %" PRIu32 ": %s in %s, %s in %s\n", setoff->gateway_id,
                    cli_out_amount(setoff->amount_a, &g->network[0].unit, a), g->network[0].name,
                    cli_out_amount(setoff->amount_b, &g->network[1].unit, b), g->network[1].name);
        }
        break;
    case TALLY_TX_SETTLE:
        fprintf(out, "settled over gateway %" PRIu32 ": %s's exposure to %s fell by %s; paid %s into %s's pool, and %s "
                     "of %s's mirror account went to its own pool\n",
                tx->body.settle.gateway_id, who, network,
                cli_out_amount(tx->body.settle.amount, &plan->payee_network.unit, a),
                cli_out_amount(result_field(outcome, "reserve"), reserve, b), who,
                cli_out_amount(result_field(outcome, "available"), credit, c), network);
        break;
    case TALLY_TX_TRANSFER_CROSS: {
        const tally_tx_transfer_cross *cross = &tx->body.transfer_cross;
        const cli_unit *payee_unit = &plan->payee_network.unit;
        fprintf(out, "paid %s to %s over gateway%s", cli_out_amount(cross->amount, credit, a), who,
                cross->hop_count == 1 ? "" : "s");
        for (uint8_t h = 0; h < cross->hop_count; h++) fprintf(out, "%s%" PRIu32, h ? ", " : " ", cross->gateways[h]);
        fprintf(out, ": %s received %s (at least %s signed), fee %s (at most %s signed)\n", who,
                cli_out_amount(result_field(outcome, "available"), payee_unit, b),
                cli_out_amount(cross->min_received, payee_unit, c), cli_out_amount(result_field(outcome, "fee"), credit, d),
                cli_out_amount(cross->max_fee, credit, a));
        break;
    }
    case TALLY_TX_STAKE:
        fprintf(out, "staked %s behind %s's line in %s: its limit is now %s\n",
                cli_out_amount(tx->body.stake.amount, reserve, a), who, network,
                cli_out_amount(result_field(outcome, "available"), credit, b));
        break;
    case TALLY_TX_UNSTAKE:
        fprintf(out, "took back %s of your stake behind %s's line in %s: its limit is now %s\n",
                cli_out_amount(tx->body.stake.amount, reserve, a), who, network,
                cli_out_amount(result_field(outcome, "available"), credit, b));
        break;
    case TALLY_TX_MEMBER_FEE_PAY:
        fprintf(out, "paid the membership fees you owed in %s (%s): you are active again\n", network,
                cli_out_amount(result_field(outcome, "fee"), credit, a));
        break;
    case TALLY_TX_PROPOSAL_CREATE: {
        const tally_proposal_action *action = &tx->body.proposal_create.action;
        int64_t id = result_field(outcome, "created_id");
        bool names_key = action->type == TALLY_TX_OPERATOR_ADD || action->type == TALLY_TX_OPERATOR_REMOVE;
        fprintf(out, "proposed in %s, as proposal %" PRId64 ", to %s%s%s: its members vote on it\n", network, id,
                cli_proposal_action_words(action->type, action->frozen), names_key && who[0] ? ": " : "",
                names_key ? who : "");
        fprintf(out, "  `tally proposal show %" PRId64 "` shows the vote; a member votes with: tally proposal vote %" PRId64
                     " yes|no|abstain\n", id, id);
        break;
    }
    case TALLY_TX_PROPOSAL_VOTE: {
        static const char *const choices[] = {"no", "yes", "abstain"};
        uint8_t choice = tx->body.proposal_vote.choice;
        fprintf(out, "voted %s on proposal %" PRIu32 " with a weight of %" PRId64 "\n",
                choice < 3 ? choices[choice] : "?", tx->body.proposal_vote.proposal_id,
                result_field(outcome, "available"));
        break;
    }
    case TALLY_TX_PROPOSAL_CANCEL:
        fprintf(out, "cancelled proposal %" PRIu32 " in %s: it will not be applied\n", tx->body.proposal_vote.proposal_id,
                network);
        break;
    /* the marketplace */
    case TALLY_TX_CATEGORY_SET:
        if (tx->body.category_set.name.length == 0)
            fprintf(out, "removed category %u of %s\n", (unsigned)tx->body.category_set.category, network);
        else
            fprintf(out, "category %u of %s is now \"%.*s\"\n", (unsigned)tx->body.category_set.category, network,
                    (int)tx->body.category_set.name.length, tx->body.category_set.name.bytes);
        break;
    case TALLY_TX_LISTING_CREATE:
        fprintf(out, "published listing %" PRId64 " in %s: \"%.*s\", %s\n", result_field(outcome, "created_id"), network,
                (int)tx->body.listing.title.length, tx->body.listing.title.bytes,
                tx->body.listing.price == 0 ? "price on asking" : cli_out_amount(tx->body.listing.price, credit, a));
        break;
    case TALLY_TX_LISTING_UPDATE: fprintf(out, "updated listing %" PRIu32 "\n", tx->body.listing.listing_id); break;
    case TALLY_TX_LISTING_WITHDRAW: fprintf(out, "withdrew listing %" PRIu32 "\n", tx->body.listing.listing_id); break;
    case TALLY_TX_ORDER_CREATE: {
        int64_t amount = 0;
        if (__builtin_mul_overflow(tx->body.order_create.unit_price, (int64_t)tx->body.order_create.quantity, &amount))
            amount = INT64_MAX;
        fprintf(out, "ordered %" PRIu32 " of listing %" PRIu32 " (order %" PRId64 "): %s and a fee of %s held until the "
                     "seller accepts and you confirm delivery\n",
                tx->body.order_create.quantity, tx->body.order_create.listing_id, result_field(outcome, "created_id"),
                cli_out_amount(amount, credit, a), cli_out_amount(result_field(outcome, "fee"), credit, b));
        break;
    }
    case TALLY_TX_ORDER_ACCEPT: fprintf(out, "accepted order %" PRIu32 "\n", tx->body.order_step.order_id); break;
    case TALLY_TX_ORDER_DECLINE:
        fprintf(out, "declined order %" PRIu32 ": the buyer is refunded\n", tx->body.order_step.order_id);
        break;
    case TALLY_TX_ORDER_CANCEL:
        fprintf(out, "cancelled order %" PRIu32 ": your money is released\n", tx->body.order_step.order_id);
        break;
    case TALLY_TX_ORDER_CONFIRM:
        fprintf(out, "confirmed delivery of order %" PRIu32 ": the seller is paid, fee %s\n", tx->body.order_step.order_id,
                cli_out_amount(result_field(outcome, "fee"), credit, a));
        break;
    case TALLY_TX_ORDER_DISPUTE:
        fprintf(out, "disputed order %" PRIu32 ": the money waits for an operator's decision\n",
                tx->body.order_step.order_id);
        break;
    case TALLY_TX_ORDER_RESOLVE:
        fprintf(out, "resolved order %" PRIu32 ": %s to the seller, the rest refunded\n", tx->body.order_step.order_id,
                cli_out_amount(tx->body.order_step.amount, credit, a));
        break;
    case TALLY_TX_REVIEW:
        fprintf(out, "reviewed order %" PRIu32 ": %u of 5\n", tx->body.review.order_id, (unsigned)tx->body.review.rating);
        break;
    case TALLY_TX_VALIDATOR_PROPOSE:
    case TALLY_TX_VALIDATOR_APPROVE: {
        int64_t needed = result_field(outcome, "available"), id = result_field(outcome, "created_id");
        if (needed == 0)
            fprintf(out, "change %" PRId64 " of the validator set is in force from the next block\n", id);
        else
            fprintf(out, "%s change %" PRId64 " of the validator set: %" PRId64 " more approval%s needed\n",
                    tx->type == TALLY_TX_VALIDATOR_PROPOSE ? "proposed" : "approved", id, needed, needed == 1 ? "" : "s");
        break;
    }
    }
}

/* NOT_MEMBER of a payment: the payer (the key signing) or the payee. The rules say
 * only that one of them is not an active member; which one, the node's member
 * records say. */
static void say_who_is_not_a_member(cli_context *ctx, const tally_tx *tx, const tx_plan *plan) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[192];
    tally_address_encode(&tx->signer, address);
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", plan->network.id, address);
    json_t *json = NULL;
    cli_status payer = cli_client_request(ctx, "GET", path, NULL, false, &json);
    const char *status = payer == CLI_OK ? cli_json_string(json, "status") : NULL;
    bool payer_active = status && (strcmp(status, "active") == 0 || strcmp(status, "suspended") == 0);
    json_decref(json);
    if (payer == CLI_REFUSED || (payer == CLI_OK && !payer_active))
        fprintf(ctx->err, "  the payer (you, %s) is not a member of %s%s%s: `tally member join %s` first\n", address,
                plan->network.name, status ? ": its membership is " : "", status ? status : "", plan->network.name);
    else if (payer == CLI_OK)
        fprintf(ctx->err, "  the payee %s is not a member of %s\n", plan->counterparty, plan->network.name);
}

/* The refusals of a payment whose payer's line cannot lend now (not: lends too little). */
static bool line_cannot_lend(const char *code) {
    return strcmp(code, "LINE_FROZEN") == 0 || strcmp(code, "LINE_EXPIRED") == 0 ||
           strcmp(code, "MEMBER_SUSPENDED") == 0 || strcmp(code, "MEMBER_DEFAULTED") == 0;
}

/* A payment refused because the payer's line cannot lend now: why, until when, and
 * what gets it lending again. */
static void say_why_no_credit(cli_context *ctx, const tally_tx *tx, const tx_plan *plan, const char *code) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[192], when[CLI_TIME_TEXT_MAX];
    tally_address_encode(&tx->signer, address);
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", plan->network.id, address);
    json_t *json = NULL;
    if (cli_client_request(ctx, "GET", path, NULL, false, &json) != CLI_OK) {
        json_decref(json);
        return;
    }
    const json_t *line = cli_json_object(json, "line");
    int64_t at = 0;
    if (strcmp(code, "LINE_FROZEN") == 0 && cli_json_i64(line, "grace_end", &at) && at > 0)
        fprintf(ctx->err, "  your line in %s is frozen until %s, the end of grace: it lends again once it complies "
                          "(repay what you owe); at the end of grace its debt is written off\n",
                plan->network.name, cli_out_time(at, when));
    else if (strcmp(code, "LINE_EXPIRED") == 0 && cli_json_i64(line, "period_end", &at))
        fprintf(ctx->err, "  your line in %s expired at %s: an operator renews it (tally line update)\n",
                plan->network.name, cli_out_time(at, when));
    else if (strcmp(code, "MEMBER_SUSPENDED") == 0)
        fprintf(ctx->err, "  you are suspended in %s: you may spend what you hold, not credit, until an operator "
                          "reinstates you\n",
                plan->network.name);
    else if (strcmp(code, "MEMBER_DEFAULTED") == 0)
        fprintf(ctx->err, "  you defaulted in %s: an operator reinstates you (tally member reinstate), then opens a "
                          "new line\n",
                plan->network.name);
    json_decref(json);
}

static cli_status report(cli_context *ctx, const tally_tx *tx, const tx_plan *plan, const submission *done) {
    char id[TALLY_HASH_BYTES * 2 + 1];
    uint8_t hash[TALLY_HASH_BYTES];
    tally_tx_hash(tx, hash);
    cli_client_hex(hash, sizeof hash, id, sizeof id);
    cli_out_units units = {plan->has_network ? &plan->network.unit : NULL, plan->has_asset ? &plan->asset.unit : NULL};
    const json_t *error = done->status == CLI_REFUSED ? done->outcome : cli_json_object(done->outcome, "error");
    const char *state = done->status == CLI_REFUSED ? "refused" : cli_json_string(done->outcome, "status");
    /* A batch's refused line, and the line of the file it came from. */
    int64_t line = 0;
    bool names_line = tx->type == TALLY_TX_TRANSFER_BATCH && cli_json_i64(error, "line", &line) && line >= 1 &&
                      line <= tx->body.transfer_batch.line_count;
    if (ctx->json) {
        json_t *document = done->status == CLI_REFUSED ? json_pack("{s:s, s:s, s:O}", "id", id, "status", "refused",
                                                                   "error", done->outcome)
                                                       : json_deep_copy(done->outcome);
        if (document && !json_object_get(document, "id")) json_object_set_new(document, "id", json_string(id));
        json_t *document_error = done->status == CLI_REFUSED ? json_object_get(document, "error")
                                                             : json_object_get(document, "error");
        if (names_line && json_is_object(document_error)) {
            json_object_set_new(document_error, "file", json_string(plan->batch_file));
            json_object_set_new(document_error, "file_line", json_integer(plan->batch_source_lines[line - 1]));
        }
        cli_out_json(ctx->out, document);
        json_decref(document);
    }
    if (state && strcmp(state, "committed") == 0) {
        if (!ctx->json) {
            print_success(ctx, tx, plan, done->outcome);
            int64_t height;
            if (cli_json_i64(done->outcome, "height", &height))
                fprintf(ctx->out, "tx %s committed in block %" PRId64 "\n", id, height);
            else fprintf(ctx->out, "tx %s committed\n", id);
        }
        return CLI_OK;
    }
    if (state && strcmp(state, "refused") == 0) {
        int64_t available = 0;
        bool has_available = cli_json_i64(error, "available", &available) ||
                             cli_json_i64(error, "fee_required", &available); /* FEE_ABOVE_MAX */
        const char *code = cli_json_string(error, "code");
        bool spends = tx->type == TALLY_TX_TRANSFER || tx->type == TALLY_TX_TRANSFER_BATCH ||
                      tx->type == TALLY_TX_REQUEST_PAY || tx->type == TALLY_TX_PENDING_CREATE ||
                      tx->type == TALLY_TX_TRANSFER_CROSS || tx->type == TALLY_TX_MEMBER_FEE_PAY ||
                      tx->type == TALLY_TX_ORDER_CREATE;
        /* What one may spend is the answer to a payment only: an operator whose line
         * change meets a defaulted member is told what to do instead. */
        if (!spends && code && (line_cannot_lend(code) || strcmp(code, "INSUFFICIENT_CREDIT") == 0))
            has_available = false;
        /* a cross payment's figures past its first leg are in the payee's unit */
        if (tx->type == TALLY_TX_TRANSFER_CROSS && code &&
            (strcmp(code, "CAP_REACHED") == 0 || strcmp(code, "BELOW_MIN_RECEIVED") == 0))
            units.credit = &plan->payee_network.unit;
        cli_out_refusal(ctx->err, code, cli_json_string(error, "message"), has_available, available, &units);
        if (code && strcmp(code, "NOT_MEMBER") == 0 && tx->type == TALLY_TX_TRANSFER && plan->has_network)
            say_who_is_not_a_member(ctx, tx, plan);
        if (code && strcmp(code, "MEMBER_DEFAULTED") == 0 && plan->has_network &&
            (tx->type == TALLY_TX_LINE_OPEN || tx->type == TALLY_TX_LINE_UPDATE))
            fprintf(ctx->err, "  a defaulted member gets credit again in two steps: reinstate it (tally member "
                              "reinstate %s WHO), then open its line\n",
                    plan->network.name);
        if (code && plan->has_network && spends && line_cannot_lend(code)) say_why_no_credit(ctx, tx, plan, code);
        if (code && plan->has_network && strcmp(code, "UNDERWRITING_OFF") == 0)
            fprintf(ctx->err, "  an operator of %s lets it take stakes with `tally network policy %s "
                              "--collateral-ratio-bps N` (15000: a stake covers 2/3 of its value)\n",
                    plan->network.name, plan->network.name);
        if (code && plan->has_network && strcmp(code, "STAKES_OPEN") == 0 && tx->type == TALLY_TX_MEMBER_LEAVE)
            fprintf(ctx->err, "  take back the stakes you made and have the stakes behind your line taken back first: "
                              "`tally underwrite list %s` and `tally member show %s` show them\n",
                    plan->network.name, plan->network.name);
        bool request_refused = code && (strncmp(code, "REQUEST_", 8) == 0 || strcmp(code, "NOT_REQUEST_PAYER") == 0 ||
                                        strcmp(code, "NOT_REQUEST_CREATOR") == 0);
        if (request_refused && (tx->type == TALLY_TX_REQUEST_PAY || tx->type == TALLY_TX_REQUEST_CANCEL))
            fprintf(ctx->err, "  `tally request show %" PRIu32 "` shows who asks whom, its status and expiry\n",
                    tx->body.request_end.request_id);
        bool gateway_refused = code && (strncmp(code, "GATEWAY_", 8) == 0 || strcmp(code, "TERMS_CHANGED") == 0 ||
                                        strcmp(code, "EXPOSURE_LIMIT") == 0 || strcmp(code, "PARTNER_UNHEALTHY") == 0 ||
                                        strcmp(code, "NOT_GATEWAY_SIDE") == 0 || strcmp(code, "BAD_CLEARING") == 0);
        if (gateway_refused && plan->has_gateway && plan->gateway.gateway.id)
            fprintf(ctx->err, "  `tally gateway show %" PRIu32 "` shows its terms, status and what each side owes\n",
                    plan->gateway.gateway.id);
        if (tx->type == TALLY_TX_TRANSFER_CROSS && code &&
            (gateway_refused || strcmp(code, "BELOW_MIN_RECEIVED") == 0 || strcmp(code, "FEE_ABOVE_MAX") == 0))
            fprintf(ctx->err, "  the gateways changed since the path was priced: nothing moved; run the payment again "
                              "for a new path (`tally gateway list` shows them)\n");
        if (code) cli_say_governance_refusal(ctx, code, tx, plan);
        if (code && (tx->type == TALLY_TX_VALIDATOR_PROPOSE || tx->type == TALLY_TX_VALIDATOR_APPROVE))
            say_validator_refusal(ctx, code);
        if (code && ((tx->type >= TALLY_TX_CATEGORY_SET && tx->type <= TALLY_TX_REVIEW) ||
                     strcmp(code, "HELD_BY_ORDER") == 0))
            cli_say_market_refusal(ctx, code, tx, plan);
        if (names_line) {
            char amount[CLI_AMOUNT_TEXT_MAX];
            fprintf(ctx->err, "  the refused payment is %s line %u (line %" PRId64 " of the batch): %s to %s; "
                              "nothing of the batch was paid\n",
                    plan->batch_file, plan->batch_source_lines[line - 1], line,
                    cli_out_amount(tx->body.transfer_batch.lines[line - 1].amount, &plan->network.unit, amount),
                    plan->batch_payee_text[line - 1]);
        }
        return CLI_REFUSED;
    }
    fprintf(ctx->err, "tally: submitted as %s, but it is %s, not committed yet; see `tally tx show %s`\n", id,
            state ? state : "in an unknown state", id);
    return CLI_IO;
}

/* What a batch will sign, before the passphrase: the total, the lines and payees,
 * the most the fees can be (a batch never costs more), and the first lines. */
static void print_batch_preview(cli_context *ctx, const tally_tx *tx, const tx_plan *plan) {
    const tally_tx_transfer_batch *batch = &tx->body.transfer_batch;
    char total[CLI_AMOUNT_TEXT_MAX], fee[CLI_AMOUNT_TEXT_MAX], amount[CLI_AMOUNT_TEXT_MAX];
    fprintf(ctx->err, "paying %s in %u payments to %u payees in %s (%s), fees at most %s\n",
            cli_out_amount(plan->batch_total, &plan->network.unit, total), (unsigned)batch->line_count,
            plan->batch_payees, plan->network.name, plan->batch_file,
            cli_out_amount(batch->max_fee, &plan->network.unit, fee));
    enum { SHOWN = 5 };
    for (uint16_t i = 0; i < batch->line_count && i < SHOWN; i++)
        fprintf(ctx->err, "  line %u: %s to %s%s%.*s\n", plan->batch_source_lines[i],
                cli_out_amount(batch->lines[i].amount, &plan->network.unit, amount), plan->batch_payee_text[i],
                batch->lines[i].memo.length ? ", " : "", (int)batch->lines[i].memo.length, batch->lines[i].memo.bytes);
    if (batch->line_count > SHOWN) fprintf(ctx->err, "  ... and %u more\n", (unsigned)(batch->line_count - SHOWN));
}

/* What a payment across networks will sign, before the passphrase: each hop's
 * figures, the fees at most and what the payee receives at least. */
static void print_cross_preview(cli_context *ctx, const tally_tx *tx, const tx_plan *plan) {
    const tally_tx_transfer_cross *cross = &tx->body.transfer_cross;
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX];
    fprintf(ctx->err, "paying %s from %s to %s over %u gateway%s:\n",
            cli_out_amount(cross->amount, &plan->network.unit, a), plan->payer_text, plan->counterparty,
            (unsigned)cross->hop_count, cross->hop_count == 1 ? "" : "s");
    fprintf(ctx->err, "  in %s: %s to gw:%s, fee %s\n", plan->network.name, cli_out_amount(cross->amount, &plan->network.unit, a),
            plan->cross_hop_count ? plan->cross_hops[0].to.name : "?", cli_out_amount(plan->cross_fee, &plan->network.unit, b));
    for (uint8_t h = 0; h < plan->cross_hop_count; h++) {
        const cli_cross_hop *hop = &plan->cross_hops[h];
        bool last = h + 1 == plan->cross_hop_count;
        fprintf(ctx->err, "  gateway %" PRIu32 " into %s: %s arrive, fee %s, %s %s\n", hop->gateway_id, hop->to.name,
                cli_out_amount(hop->arrived, &hop->to.unit, a), cli_out_amount(hop->fee, &hop->to.unit, b),
                cli_out_amount(hop->passed_on, &hop->to.unit, c), last ? "to the payee" : "pass on");
    }
    fprintf(ctx->err, "fees at most %s; %s receives at least %s\n", cli_out_amount(cross->max_fee, &plan->network.unit, a),
            plan->counterparty, cli_out_amount(cross->min_received, &plan->payee_network.unit, b));
}

static cli_status transaction(cli_context *ctx, const cli_args *args, tally_tx *tx, tx_plan *plan);

cli_status cli_cmd_transaction(cli_context *ctx, const cli_args *args) {
    tally_tx tx;
    /* The plan of a batch holds every line's payee as typed: not for the stack. */
    tx_plan *plan = malloc(sizeof *plan);
    if (!plan) return cli_fail(ctx, CLI_IO, "out of memory");
    memset(&tx, 0, sizeof tx);
    cli_status status = transaction(ctx, args, &tx, plan);
    tally_tx_release(&tx); /* a batch's lines */
    free(plan);
    return status;
}

static cli_status transaction(cli_context *ctx, const cli_args *args, tally_tx *tx, tx_plan *plan) {
    cli_wallet_name name;
    tally_key signer;
    cli_status status = cli_wallet_selected(ctx, name, &signer);
    if (status != CLI_OK) return status;
    status = cli_txbuild(ctx, args, &signer, tx, plan);
    if (status == CLI_OK) status = cli_client_chain_id(ctx, tx->chain_id);
    if (status == CLI_OK) status = cli_client_next_sequence(ctx, &signer, &tx->sequence);
    if (status != CLI_OK) return status;

    /* Before the passphrase is asked, say what it will sign: a payment never costs
     * more than shown here. */
    if (!ctx->passphrase && !ctx->json && tx->type == TALLY_TX_TRANSFER) {
        char amount[CLI_AMOUNT_TEXT_MAX], fee[CLI_AMOUNT_TEXT_MAX];
        fprintf(ctx->err, "paying %s to %s, fees at most %s\n",
                cli_out_amount(tx->body.transfer.amount, &plan->network.unit, amount), plan->counterparty,
                cli_out_amount(tx->body.transfer.max_fee, &plan->network.unit, fee));
    }
    if (!ctx->json && tx->type == TALLY_TX_TRANSFER_BATCH) print_batch_preview(ctx, tx, plan);
    if (!ctx->passphrase && !ctx->json && tx->type == TALLY_TX_TRANSFER_CROSS) print_cross_preview(ctx, tx, plan);
    if (!ctx->json && tx->type == TALLY_TX_GATEWAY_ACCEPT) {
        fprintf(ctx->err, "accepting, as an operator of %s, these terms:\n", plan->gateway.network[1].name);
        cli_out_gateway(ctx->err, &plan->gateway, false);
    }
    if (!ctx->passphrase && !ctx->json && tx->type == TALLY_TX_GATEWAY_PROPOSE) {
        cli_gateway shown = plan->gateway;
        shown.gateway.status = TALLY_GATEWAY_PROPOSED;
        fprintf(ctx->err, "proposing, as an operator of %s:\n", plan->gateway.network[0].name);
        cli_out_gateway(ctx->err, &shown, false);
    }
    if (!ctx->passphrase && !ctx->json && tx->type == TALLY_TX_REQUEST_PAY) {
        char amount[CLI_AMOUNT_TEXT_MAX], fee[CLI_AMOUNT_TEXT_MAX];
        fprintf(ctx->err, "paying request %" PRIu32 ": %s to %s%s%s, fees at most %s\n", tx->body.request_end.request_id,
                cli_out_amount(plan->request_amount, &plan->network.unit, amount), plan->counterparty,
                plan->request_memo[0] ? " for " : "", plan->request_memo,
                cli_out_amount(tx->body.request_end.max_fee, &plan->network.unit, fee));
    }
    if (!ctx->passphrase && !ctx->json && tx->type == TALLY_TX_ORDER_CREATE) cli_market_preview(ctx, tx, plan);
    keystore_keypair pair;
    status = cli_wallet_unlock(ctx, name, &pair);
    if (status != CLI_OK) return status;
    submission done = {CLI_IO, NULL, false, 0};
    for (int attempt = 0; attempt <= SEQUENCE_RETRIES; attempt++) {
        tally_tx_sign(tx, pair.secret_key);
        done = submit_once(ctx, tx);
        if (!done.bad_sequence || attempt == SEQUENCE_RETRIES) break;
        /* The node names the sequence it expects (it counts the key's pending
         * transactions, which the account's next_sequence does not). */
        uint64_t sequence = done.expected_sequence > 0 ? (uint64_t)done.expected_sequence : 0;
        if (sequence == 0 && cli_client_next_sequence(ctx, &signer, &sequence) != CLI_OK) break;
        if (sequence == tx->sequence) break;
        json_decref(done.outcome);
        done.outcome = NULL;
        tx->sequence = sequence;
    }
    keystore_wipe(&pair);
    if (done.status != CLI_OK && done.status != CLI_REFUSED) return done.status;
    status = report(ctx, tx, plan, &done);
    json_decref(done.outcome);
    return status;
}
