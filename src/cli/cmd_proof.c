/*
 * cmd_proof.c: `tally prove` fetches a record's inclusion proof from the node and
 * saves it (JSON: the tip's 245 header bytes and the proof's bytes in hex, with the
 * record decoded for people); `tally check-proof FILE` checks one offline, trusting
 * nothing the server said: the record leads to the header's state hash, the header
 * is signed by its producer, and that producer is one the checker trusts (given by
 * --producer, or read from another node with --against, which must also serve the
 * same header at that height). docs/PROOFS.md is the format.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"
#include "tally_chain.h"

/* The path of the proof the command asks for. */
static cli_status proof_path(cli_context *ctx, const cli_args *args, char *path, size_t size) {
    const char *kind = args->command->name, *first = args->positional_count > 0 ? args->positional[0] : NULL;
    const char *who = args->positional_count > 1 ? args->positional[1] : NULL;
    char address[TALLY_ADDRESS_LENGTH + 1];
    tally_key key;
    if (strcmp(kind, "account") == 0) who = first;
    /* records named by their number */
    static const struct {
        const char *kind, *article, *route, *where;
    } numbered[] = {{"stake", "a", "stakes", "`tally underwrite list` shows them"},
                    {"listing", "a", "listings", "`tally market search` shows them"},
                    {"order", "an", "orders", "`tally market orders` shows them"}};
    for (size_t i = 0; i < sizeof numbered / sizeof numbered[0]; i++) {
        if (strcmp(kind, numbered[i].kind) != 0) continue;
        uint64_t id;
        if (!cli_number_parse(first, UINT32_MAX, &id) || id == 0)
            return cli_usage(ctx, args->command, "ID is %s %s's number (%s), not '%s'", numbered[i].article,
                             numbered[i].kind, numbered[i].where, first);
        snprintf(path, size, "/v1/proofs/%s/%" PRIu64, numbered[i].route, id);
        return CLI_OK;
    }
    bool needs_who = strcmp(kind, "network") != 0 && strcmp(kind, "asset") != 0;
    cli_network network = {0};
    cli_asset asset = {0};
    bool in_network = strcmp(kind, "member") == 0 || strcmp(kind, "shares") == 0 || strcmp(kind, "network") == 0;
    cli_status status = CLI_OK;
    if (in_network) status = cli_client_network(ctx, first, &network);
    else if (strcmp(kind, "holding") == 0 || strcmp(kind, "asset") == 0) status = cli_client_asset(ctx, first, &asset);
    if (status != CLI_OK) return status;
    if (needs_who) {
        if (who) {
            char display[160];
            status = cli_resolve_who(ctx, args->command, who, in_network ? &network : NULL, &key, NULL, display,
                                     sizeof display);
        } else {
            cli_wallet_name name;
            status = cli_wallet_selected(ctx, name, &key); /* yours */
        }
        if (status != CLI_OK) return status;
        tally_address_encode(&key, address);
    }
    if (strcmp(kind, "network") == 0) snprintf(path, size, "/v1/proofs/networks/%" PRIu32, network.id);
    else if (strcmp(kind, "member") == 0) snprintf(path, size, "/v1/proofs/networks/%" PRIu32 "/accounts/%s", network.id, address);
    else if (strcmp(kind, "shares") == 0) snprintf(path, size, "/v1/proofs/networks/%" PRIu32 "/shares/%s", network.id, address);
    else if (strcmp(kind, "account") == 0) snprintf(path, size, "/v1/proofs/accounts/%s", address);
    else if (strcmp(kind, "asset") == 0) snprintf(path, size, "/v1/proofs/assets/%" PRIu32, asset.id);
    else snprintf(path, size, "/v1/proofs/assets/%" PRIu32 "/holders/%s", asset.id, address);
    return CLI_OK;
}

cli_status cli_cmd_prove(cli_context *ctx, const cli_args *args) {
    char path[256];
    cli_status status = proof_path(ctx, args, path, sizeof path);
    if (status != CLI_OK) return status;
    json_t *proof = NULL;
    status = cli_client_request(ctx, "GET", path, NULL, true, &proof);
    if (status != CLI_OK) {
        json_decref(proof); /* a refusal's answer */
        return status;
    }
    const char *file = cli_option_value(args, "--out");
    if (file) {
        if (json_dump_file(proof, file, JSON_INDENT(2)) != 0) {
            json_decref(proof);
            return cli_fail(ctx, CLI_IO, "cannot write %s", file);
        }
        int64_t height = 0;
        cli_json_i64(proof, "height", &height);
        if (!ctx->json)
            fprintf(ctx->out,
                    "saved the proof of %s against block %" PRId64 " in %s; check it with `tally check-proof %s "
                    "--producer ADDRESS` (the chain's producer as you know it, not as this node says) or "
                    "`--against URL` (another node)\n",
                    path + strlen("/v1/proofs/"), height, file, file);
    } else {
        cli_out_json(ctx->out, proof);
    }
    json_decref(proof);
    return CLI_OK;
}

/* The header and proof bytes of a saved proof. */
static bool read_proof(const json_t *json, tally_block_header *header, tally_state_proof *proof, char *why,
                       size_t why_size) {
    const char *header_hex = cli_json_string(json, "header"), *proof_hex = cli_json_string(json, "proof");
    uint8_t header_bytes[TALLY_BLOCK_HEADER_BYTES];
    if (!cli_client_unhex(header_hex, header_bytes, sizeof header_bytes) ||
        tally_block_header_decode(header_bytes, sizeof header_bytes, header) != TALLY_CHAIN_OK) {
        snprintf(why, why_size, "its \"header\" is not the hex of a block header (%u bytes)", TALLY_BLOCK_HEADER_BYTES);
        return false;
    }
    size_t length = proof_hex ? strlen(proof_hex) / 2 : 0;
    uint8_t *bytes = malloc(length ? length : 1);
    bool ok = bytes && length > 0 && cli_client_unhex(proof_hex, bytes, length) &&
              tally_state_proof_decode(bytes, length, proof);
    free(bytes);
    if (!ok) snprintf(why, why_size, "its \"proof\" is not the hex of a proof (docs/PROOFS.md)");
    return ok;
}

/* What the record says, in words. */
static void print_record(FILE *out, const tally_state_proof *proof) {
    char address[TALLY_ADDRESS_LENGTH + 1];
    tally_record r;
    if (tally_state_proof_record(proof, &r)) switch ((tally_table)proof->table) {
    case TALLY_TABLE_NETWORKS:
        fprintf(out, "network %" PRIu32 " %s (%s): supply %" PRId64 ", debt %" PRId64 ", pool primary %" PRId64
                     ", buffer %" PRId64 ", excess %" PRId64 " (minor units)\n",
                r.network.id, r.network.name, r.network.unit_code, r.network.supply, r.network.debt,
                r.network.pool_primary, r.network.pool_buffer, r.network.pool_excess);
        if (r.network.health.period == 0) {
            fprintf(out, "  health: no period has ended yet\n");
        } else {
            const tally_health *h = &r.network.health;
            fprintf(out,
                    "  health of period %" PRIu32 " (ended at %" PRId64 "): utilisation %" PRIu32 " bps, velocity %" PRIu32
                    " bps, default rate %" PRIu32 " bps, lost debt %" PRId64 ", RTD %" PRId64 " bps, concentration %" PRIu32
                    " bps, %" PRIu32 " active members, exposure %" PRId64 ", owed %" PRId64 "\n",
                    h->period, h->ended_at, h->utilisation_bps, h->velocity_bps, h->default_rate_bps, h->lost_debt,
                    h->rtd_bps, h->concentration_bps, h->active_members, h->exposure, h->owed);
        }
        return;
    case TALLY_TABLE_ASSETS:
        fprintf(out, "asset %" PRIu32 " %s: issued %" PRId64 ", burned %" PRId64 " (minor units)\n", r.asset.id,
                r.asset.code, r.asset.issued, r.asset.burned);
        return;
    case TALLY_TABLE_MEMBERS:
        tally_address_encode(&r.member.key, address);
        fprintf(out, "member %s of network %" PRIu32 ": balance %" PRId64 ", limit %" PRId64 " (minor units)\n",
                address, r.member.network_id, r.member.balance, r.member.limit);
        return;
    case TALLY_TABLE_ACCOUNTS:
        tally_address_encode(&r.account.key, address);
        fprintf(out, "account %s: next sequence %" PRIu64 "\n", address, r.account.next_sequence);
        return;
    case TALLY_TABLE_PENDINGS:
        tally_address_encode(&r.pending.payer, address);
        fprintf(out, "pending transfer %" PRIu32 " of network %" PRIu32 " from %s: %" PRId64 " held, fee %" PRId64
                     ", %s (minor units)\n",
                r.pending.id, r.pending.network_id, address, r.pending.amount, r.pending.fee,
                tally_pending_status_name(r.pending.status));
        return;
    case TALLY_TABLE_REQUESTS:
        tally_address_encode(&r.request.payee, address);
        fprintf(out, "payment request %" PRIu32 " of network %" PRIu32 " by %s: %" PRId64 " asked, expiry %" PRId64
                     ", %s (minor units)\n",
                r.request.id, r.request.network_id, address, r.request.amount, r.request.expiry,
                tally_request_status_name(r.request.status));
        return;
    case TALLY_TABLE_GATEWAYS:
        fprintf(out, "gateway %" PRIu32 " between networks %" PRIu32 " and %" PRIu32 ": %" PRId64 ":%" PRId64 ", %s\n",
                r.gateway.id, r.gateway.network_a, r.gateway.network_b, r.gateway.terms.rate_a, r.gateway.terms.rate_b,
                tally_gateway_status_name(r.gateway.status));
        return;
    case TALLY_TABLE_STAKES: {
        char underwriter[TALLY_ADDRESS_LENGTH + 1];
        tally_address_encode(&r.stake.member, address);
        tally_address_encode(&r.stake.underwriter, underwriter);
        fprintf(out, "stake %" PRIu32 " in network %" PRIu32 " behind %s by %s: %" PRId64 " locked, %" PRId64
                     " slashed, %" PRId64 " earned (minor units)\n",
                r.stake.id, r.stake.network_id, address, underwriter, r.stake.amount, r.stake.slashed, r.stake.earned);
        return;
    }
    case TALLY_TABLE_PROPOSALS:
        fprintf(out, "proposal %" PRIu32 " in network %" PRIu32 " (%s): %s; yes %" PRId64 ", no %" PRId64
                     ", abstain %" PRId64 " of %" PRId64 " eligible\n",
                r.proposal.id, r.proposal.network_id, tally_tx_type_name(r.proposal.action.type),
                tally_proposal_status_name(r.proposal.status), r.proposal.yes, r.proposal.no, r.proposal.abstain,
                r.proposal.eligible_weight);
        return;
    case TALLY_TABLE_VOTES:
        tally_address_encode(&r.vote.voter, address);
        fprintf(out, "vote of %s on proposal %" PRIu32 ": choice %u, weight %" PRId64 "\n", address,
                r.vote.proposal_id, (unsigned)r.vote.choice, r.vote.weight);
        return;
    case TALLY_TABLE_LISTINGS:
        tally_address_encode(&r.listing.seller, address);
        fprintf(out, "listing %" PRIu32 " in network %" PRIu32 " (%s by %s): %s; price %" PRId64 ", %" PRIu32
                     " left (minor units)\n",
                r.listing.id, r.listing.network_id, tally_listing_kind_name(r.listing.kind), address,
                tally_listing_status_name(r.listing.status), r.listing.price, r.listing.quantity);
        return;
    case TALLY_TABLE_ORDERS:
        tally_address_encode(&r.order.buyer, address);
        fprintf(out, "order %" PRIu32 " in network %" PRIu32 " of listing %" PRIu32 " by %s: %s; %" PRId64
                     " held, %" PRId64 " paid (minor units)\n",
                r.order.id, r.order.network_id, r.order.listing_id, address, tally_order_status_name(r.order.status),
                r.order.amount, r.order.paid);
        return;
    case TALLY_TABLE_HOLDINGS:
        tally_address_encode(&r.holding.key, address);
        fprintf(out, "%s %" PRIu32 " held by %s: %" PRId64 " (minor units)\n",
                r.holding.owner_id & TALLY_HOLDING_SHARES ? "pool shares of network" : "asset",
                r.holding.owner_id & ~TALLY_HOLDING_SHARES, address, r.holding.amount);
        return;
    case TALLY_TABLE_COUNT: break;
    }
    fprintf(out, "a record of table %u that does not decode\n", proof->table);
}

/* The header at `height` from another node, to anchor the producer and the header. */
static cli_status header_from(cli_context *ctx, const char *url, uint64_t height, tally_block_header *header) {
    char saved[CLI_URL_MAX];
    snprintf(saved, sizeof saved, "%s", ctx->node_url);
    snprintf(ctx->node_url, sizeof ctx->node_url, "%s", url);
    size_t length = strlen(ctx->node_url);
    while (length > 0 && ctx->node_url[length - 1] == '/') ctx->node_url[--length] = '\0';
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%" PRIu64 "/raw", height);
    cli_http_response response = {0};
    char error[256] = "";
    char url_text[CLI_URL_MAX + 64];
    snprintf(url_text, sizeof url_text, "%s%s", ctx->node_url, path);
    bool answered = ctx->transport->request(ctx->transport, "GET", url_text, NULL, 0, TALLY_BLOCK_ENCODED_MAX,
                                            &response, error, sizeof error);
    snprintf(ctx->node_url, sizeof ctx->node_url, "%s", saved);
    if (!answered) return cli_fail(ctx, CLI_IO, "%s did not answer: %s", url, error);
    cli_status status = CLI_OK;
    if (response.status != 200 || response.length < TALLY_BLOCK_HEADER_BYTES ||
        tally_block_header_decode((const uint8_t *)response.body, TALLY_BLOCK_HEADER_BYTES, header) != TALLY_CHAIN_OK)
        status = cli_fail(ctx, CLI_IO, "%s has no block %" PRIu64 " to compare with (HTTP %ld)", url, height,
                          response.status);
    free(response.body);
    return status;
}

cli_status cli_cmd_check_proof(cli_context *ctx, const cli_args *args) {
    const char *file = args->positional[0], *producer_text = cli_option_value(args, "--producer");
    const char *against = cli_option_value(args, "--against");
    if (!producer_text && !against)
        return cli_usage(ctx, args->command,
                         "say whom you trust: --producer ADDRESS (the chain's block producer) or --against URL "
                         "(another node, which must serve the same header)");
    json_error_t parse_error;
    json_t *json = json_load_file(file, 0, &parse_error);
    if (!json) return cli_fail(ctx, CLI_IO, "cannot read %s: %s", file, parse_error.text);
    tally_block_header header;
    tally_state_proof *proof = malloc(sizeof *proof);
    char why[256];
    if (!proof || !read_proof(json, &header, proof, why, sizeof why)) {
        json_decref(json);
        free(proof);
        return cli_fail(ctx, CLI_REFUSED, "%s is not a proof: %s", file, proof ? why : "out of memory");
    }
    json_decref(json);
    tally_key producer;
    cli_status status = CLI_OK;
    if (producer_text && !tally_address_decode(producer_text, &producer))
        status = cli_usage(ctx, args->command, "--producer takes an address (tly1...), not '%s'", producer_text);
    if (status == CLI_OK && against) {
        tally_block_header theirs;
        status = header_from(ctx, against, header.height, &theirs);
        uint8_t ours_hash[TALLY_HASH_BYTES], theirs_hash[TALLY_HASH_BYTES];
        tally_block_hash(&header, ours_hash);
        tally_block_hash(&theirs, theirs_hash);
        if (status == CLI_OK && sodium_memcmp(ours_hash, theirs_hash, TALLY_HASH_BYTES) != 0)
            status = cli_fail(ctx, CLI_REFUSED, "refused: %s serves another block %" PRIu64 " than the proof's header",
                              against, header.height);
        if (status == CLI_OK && !producer_text) producer = theirs.producer;
    }
    tally_chain_failure failure;
    if (status == CLI_OK && tally_chain_proof_check(proof, &header, &producer, NULL, &failure) != TALLY_CHAIN_OK)
        status = cli_fail(ctx, CLI_REFUSED, "refused: %s", failure.message);
    if (status == CLI_OK) {
        char state_hash[2 * TALLY_HASH_BYTES + 1];
        cli_client_hex(header.state_hash, TALLY_HASH_BYTES, state_hash, sizeof state_hash);
        if (ctx->json) {
            json_t *view = json_pack("{s:b, s:I, s:s, s:i, s:I}", "ok", 1, "height", (json_int_t)header.height,
                                     "state_hash", state_hash, "table", (int)proof->table, "index",
                                     (json_int_t)proof->index);
            cli_out_json(ctx->out, view);
            json_decref(view);
        } else {
            fprintf(ctx->out, "proof holds: block %" PRIu64 " (state %s), signed by its producer\n", header.height,
                    state_hash);
            print_record(ctx->out, proof);
        }
    }
    free(proof);
    return status;
}
