/*
 * cmd_governance.c: proposals in a network its members govern (docs/UNDERWRITING.md
 * section 6). `tally proposal create NET ACTION ...` builds the action with the
 * builder of the operator command it stands for (a policy change is built as
 * `tally network policy` builds it, a gateway proposal as `tally gateway propose`),
 * so a proposal and a direct change of an operators network are the same bytes;
 * `vote` and `cancel` name a proposal; `list` and `show` read them, the action in
 * words, the counts against quorum and threshold, and when it ends or applies.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/output.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"

/* ------------------------------------------------------------------------ */
/* Building PROPOSAL_CREATE, PROPOSAL_VOTE and PROPOSAL_CANCEL.              */
/* ------------------------------------------------------------------------ */

/* Each ACTION word, the operator command whose builder makes its body, and how
 * many words follow ACTION (NET is given to the command where it takes one). */
typedef struct {
    const char *word;
    const char *group, *name;
    unsigned words_min, words_max; /* after ACTION */
    bool takes_net;                /* the command's first argument is NET */
    bool side_option;              /* the command's --network is NET */
    const char *usage;
} action_kind;

static const action_kind action_kinds[] = {
    {"policy", "network", "policy", 0, 0, true, false, "policy [policy options]"},
    {"peg", "network", "peg", 1, 3, true, false, "peg ASSET RESERVE CREDIT (or peg none)"},
    {"operator-add", "operator", "add", 1, 1, true, false, "operator-add WHO"},
    {"operator-remove", "operator", "remove", 1, 1, true, false, "operator-remove WHO"},
    {"gateway-propose", "gateway", "propose", 1, 1, true, false, "gateway-propose PARTNER --rate A:B [terms]"},
    {"gateway-accept", "gateway", "accept", 1, 1, false, false, "gateway-accept ID"},
    {"gateway-update", "gateway", "update", 1, 1, false, true, "gateway-update ID [--limit] [--fee-bps] [rules]"},
    {"gateway-freeze", "gateway", "freeze", 1, 1, false, true, "gateway-freeze ID"},
    {"gateway-unfreeze", "gateway", "unfreeze", 1, 1, false, true, "gateway-unfreeze ID"},
    {"gateway-close", "gateway", "close", 1, 1, false, false, "gateway-close ID"},
    {"member-suspend", "member", "suspend", 1, 1, true, false, "member-suspend WHO"},
    {"member-reinstate", "member", "reinstate", 1, 1, true, false, "member-reinstate WHO"},
    {"order-resolve", "market", "resolve", 1, 1, false, false,
     "order-resolve ORDER_ID --seller-share P% | --seller-amount AMOUNT"},
};
#define ACTION_KIND_COUNT (sizeof action_kinds / sizeof action_kinds[0])

static const cli_command *find_command(const char *group, const char *name) {
    for (size_t i = 0; i < cli_command_count; i++)
        if (cli_commands[i].group && strcmp(cli_commands[i].group, group) == 0 &&
            strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

static cli_status proposal_usage(cli_context *ctx, const cli_args *args, const char *action) {
    char kinds[600] = "";
    size_t used = 0;
    for (size_t k = 0; k < ACTION_KIND_COUNT && used < sizeof kinds; k++) {
        int written = snprintf(kinds + used, sizeof kinds - used, "\n    %s", action_kinds[k].usage);
        if (written > 0) used += (size_t)written;
    }
    if (action)
        return cli_usage(ctx, args->command, "'%s' is no action a proposal may carry; ACTION is one of:%s", action,
                         kinds);
    return cli_usage(ctx, args->command, "ACTION is one of:%s", kinds);
}

/* The arguments of the operator command: the words after ACTION (with NET first
 * where it takes one) and the options given that it knows. */
static void sub_arguments(const cli_args *args, const action_kind *kind, const cli_command *command, cli_args *sub) {
    memset(sub, 0, sizeof *sub);
    sub->command = command;
    if (kind->takes_net) sub->positional[sub->positional_count++] = args->positional[0];
    for (unsigned i = 2; i < args->positional_count && sub->positional_count < CLI_POSITIONAL_MAX; i++)
        sub->positional[sub->positional_count++] = args->positional[i];
    for (size_t i = 0; command->options && command->options[i].name && i < CLI_OPTIONS_MAX; i++) {
        if (kind->side_option && strcmp(command->options[i].name, "--network") == 0)
            sub->values[i] = args->positional[0];
        else
            sub->values[i] = cli_option_value(args, command->options[i].name);
    }
}

static cli_status build_create(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                               tx_plan *plan) {
    if (args->positional_count < 2) return proposal_usage(ctx, args, NULL);
    const char *word = args->positional[1];
    const action_kind *kind = NULL;
    for (size_t k = 0; k < ACTION_KIND_COUNT; k++)
        if (strcmp(action_kinds[k].word, word) == 0) kind = &action_kinds[k];
    if (!kind) return proposal_usage(ctx, args, word);
    unsigned words = args->positional_count - 2;
    if (words < kind->words_min || words > kind->words_max)
        return cli_usage(ctx, args->command, "a proposal of %s is: tally proposal create NET %s", kind->word,
                         kind->usage);
    const cli_command *command = find_command(kind->group, kind->name);
    if (!command)
        return cli_fail(ctx, CLI_USAGE, "no command `tally %s %s` to build the action with", kind->group, kind->name);
    /* an option the action does not take would be dropped without a word: refused */
    for (size_t i = 0; args->command->options[i].name && i < CLI_OPTIONS_MAX; i++) {
        const char *name = args->command->options[i].name;
        bool known = false;
        for (size_t j = 0; command->options && command->options[j].name; j++)
            known |= strcmp(command->options[j].name, name) == 0;
        if (args->values[i] && !known)
            return cli_usage(ctx, args->command,
                             "%s is no option of a proposal of %s (`tally %s %s --help` lists its options)", name,
                             kind->word, kind->group, kind->name);
    }
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    cli_args sub;
    sub_arguments(args, kind, command, &sub);
    tally_tx action_tx;
    status = cli_txbuild(ctx, &sub, signer, &action_tx, plan);
    tally_tx_release(&action_tx);          /* no action allocates: nothing read below is freed */
    if (status == CLI_USAGE && !ctx->json) /* the usage printed is the operator command's */
        fprintf(ctx->err, "in a proposal, the same arguments after NET %s: tally proposal create NET %s\n", kind->word,
                kind->usage);
    if (status != CLI_OK) return status;
    tally_proposal_action *action = &tx->body.proposal_create.action;
    memset(action, 0, sizeof *action);
    action->type = action_tx.type;
    switch ((tally_tx_type)action_tx.type) {
    case TALLY_TX_POLICY_UPDATE: action->policy = action_tx.body.policy_update.policy; break;
    case TALLY_TX_PEG_SET:
        action->asset_id = action_tx.body.peg_set.asset_id;
        action->peg_reserve_units = action_tx.body.peg_set.peg_reserve_units;
        action->peg_credit_units = action_tx.body.peg_set.peg_credit_units;
        break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE: action->key = action_tx.body.network_key.key; break;
    case TALLY_TX_GATEWAY_PROPOSE:
        action->partner_id = action_tx.body.gateway_propose.network_b;
        action->terms = action_tx.body.gateway_propose.terms;
        break;
    case TALLY_TX_GATEWAY_ACCEPT:
        if (plan->gateway.gateway.network_b != network.id)
            return cli_usage(ctx, args->command,
                             "gateway %" PRIu32 " was proposed by %s to %s: only %s accepts it, not %s",
                             plan->gateway.gateway.id, plan->gateway.network[0].name, plan->gateway.network[1].name,
                             plan->gateway.network[1].name, network.name);
        action->gateway_id = action_tx.body.gateway_accept.gateway_id;
        action->terms = action_tx.body.gateway_accept.terms;
        break;
    case TALLY_TX_GATEWAY_UPDATE:
        action->gateway_id = action_tx.body.gateway_update.gateway_id;
        action->terms.side[0] = action_tx.body.gateway_update.side;
        break;
    case TALLY_TX_GATEWAY_FREEZE:
        action->gateway_id = action_tx.body.gateway_freeze.gateway_id;
        action->frozen = action_tx.body.gateway_freeze.frozen;
        break;
    case TALLY_TX_GATEWAY_CLOSE:
        if (plan->gateway.gateway.network_a != network.id && plan->gateway.gateway.network_b != network.id)
            return cli_usage(ctx, args->command, "gateway %" PRIu32 " links %s and %s, not %s",
                             plan->gateway.gateway.id, plan->gateway.network[0].name, plan->gateway.network[1].name,
                             network.name);
        action->gateway_id = action_tx.body.gateway_end.gateway_id;
        break;
    case TALLY_TX_ORDER_RESOLVE: /* the split as `market resolve` computes it from the order */
        if (plan->network.id != network.id)
            return cli_usage(ctx, args->command, "order %" PRIu32 " is in %s, not %s",
                             action_tx.body.order_step.order_id, plan->network.name, network.name);
        action->order_id = action_tx.body.order_step.order_id;
        action->amount = action_tx.body.order_step.amount;
        break;
    default: return cli_fail(ctx, CLI_USAGE, "no proposal carries a %s", tally_tx_type_name(action_tx.type));
    }
    tx->body.proposal_create.network_id = network.id;
    plan->has_network = true;
    plan->network = network;
    return CLI_OK;
}

/* The proposal named by ID, for the messages after a vote or cancel. */
static cli_status build_vote(cli_context *ctx, const cli_args *args, tally_tx *tx, tx_plan *plan) {
    uint64_t id;
    if (!cli_number_parse(args->positional[0], UINT32_MAX, &id) || id == 0)
        return cli_usage(ctx, args->command,
                         "ID is a proposal's number (`tally proposal list NET` shows them), not '%s'",
                         args->positional[0]);
    tx->body.proposal_vote.proposal_id = (uint32_t)id;
    if (tx->type == TALLY_TX_PROPOSAL_VOTE) {
        static const char *const choices[] = {"no", "yes", "abstain"};
        const char *choice = args->positional_count > 1 ? args->positional[1] : "";
        bool known = false;
        for (uint8_t c = 0; c < TALLY_VOTE_CHOICE_COUNT; c++)
            if (strcmp(choice, choices[c]) == 0) tx->body.proposal_vote.choice = c, known = true;
        if (!known) return cli_usage(ctx, args->command, "a vote is yes, no or abstain, not '%s'", choice);
    }
    char path[48];
    snprintf(path, sizeof path, "/v1/proposals/%" PRIu32 "?votes_limit=1", (uint32_t)id);
    json_t *json = NULL;
    cli_status status = cli_client_get(ctx, path, &json);
    int64_t network_id = 0;
    if (status == CLI_OK && (!cli_json_i64(json, "network", &network_id) || network_id <= 0 || network_id > UINT32_MAX))
        status = cli_fail(ctx, CLI_IO, "the node's answer for proposal %" PRIu32 " is unusable", (uint32_t)id);
    json_decref(json);
    if (status == CLI_OK) status = cli_client_network_by_id(ctx, (uint32_t)network_id, &plan->network);
    if (status == CLI_OK) plan->has_network = true;
    return status;
}

cli_status cli_txbuild_proposal(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                                tx_plan *plan) {
    if (tx->type == TALLY_TX_PROPOSAL_CREATE) return build_create(ctx, args, signer, tx, plan);
    return build_vote(ctx, args, tx, plan);
}

const char *cli_proposal_action_words(uint8_t type, bool frozen) {
    switch ((tally_tx_type)type) {
    case TALLY_TX_POLICY_UPDATE: return "change the policy";
    case TALLY_TX_PEG_SET: return "set the pool's peg";
    case TALLY_TX_OPERATOR_ADD: return "add an operator";
    case TALLY_TX_OPERATOR_REMOVE: return "remove an operator";
    case TALLY_TX_MEMBER_SUSPEND: return "suspend a member";
    case TALLY_TX_MEMBER_REINSTATE: return "reinstate a member";
    case TALLY_TX_GATEWAY_PROPOSE: return "propose a gateway";
    case TALLY_TX_GATEWAY_ACCEPT: return "accept a gateway";
    case TALLY_TX_GATEWAY_UPDATE: return "change this network's side of a gateway";
    case TALLY_TX_GATEWAY_FREEZE:
        return frozen ? "freeze this network's side of a gateway" : "unfreeze this network's side of a gateway";
    case TALLY_TX_GATEWAY_CLOSE: return "close a gateway";
    case TALLY_TX_ORDER_RESOLVE: return "resolve a disputed order";
    default: return "do something no proposal carries";
    }
}

/* ------------------------------------------------------------------------ */
/* Reading: proposal list and proposal show.                                 */
/* ------------------------------------------------------------------------ */

static cli_unit unit_of_proposal(const json_t *proposal) {
    cli_unit unit = {0, ""};
    int64_t decimals = 0;
    const char *code = cli_json_string(proposal, "unit");
    if (cli_json_i64(proposal, "decimals", &decimals) && decimals >= 0 && decimals <= TALLY_DECIMALS_MAX)
        unit.decimals = (uint8_t)decimals;
    snprintf(unit.code, sizeof unit.code, "%s", code ? code : "");
    return unit;
}

static const char *name_of(const json_t *proposal) {
    const char *name = cli_json_string(proposal, "network_name");
    return name ? name : "?";
}

/* One policy field's value in words, by the name's kind. */
static const char *policy_value(const char *name, const json_t *value, const cli_unit *unit, char *out, size_t size) {
    size_t length = strlen(name);
    bool bps = length > 4 && strcmp(name + length - 4, "_bps") == 0;
    bool seconds = length > 8 && strcmp(name + length - 8, "_seconds") == 0;
    bool amount = strstr(name, "limit") || strstr(name, "cap") || strstr(name, "threshold") || strstr(name, "fee") ||
                  strstr(name, "step");
    if (json_is_integer(value)) {
        int64_t v = json_integer_value(value);
        char text[CLI_AMOUNT_TEXT_MAX];
        if (bps)
            snprintf(out, size, "%s", cli_out_bps(v, text));
        else if (seconds)
            snprintf(out, size, "%s", cli_out_duration(v, text));
        else if (amount && strcmp(name, "positive_cap") == 0 && v == 0)
            snprintf(out, size, "none");
        else if (amount)
            snprintf(out, size, "%s", cli_out_amount(v, unit, text));
        else
            snprintf(out, size, "%" PRId64, v);
    } else if (json_is_string(value)) {
        snprintf(out, size, "%s", json_string_value(value));
    } else if (json_is_boolean(value)) {
        snprintf(out, size, "%s", json_is_true(value) ? "yes" : "no");
    } else {
        char *text = json_dumps(value, JSON_COMPACT);
        snprintf(out, size, "%s", text ? text : "?");
        free(text);
    }
    return out;
}

/* The fields of `asked` that differ from `now` (both policy objects), prefix.name for
 * nested objects (the governance rule, the reputation weights). */
static unsigned print_policy_changes(FILE *out, const char *prefix, const json_t *now, json_t *asked,
                                     const cli_unit *unit) {
    unsigned changes = 0;
    const char *name;
    json_t *value;
    json_object_foreach(asked, name, value) {
        const json_t *before = json_object_get(now, name);
        char full[96];
        snprintf(full, sizeof full, "%s%s%s", prefix, prefix[0] ? "." : "", name);
        if (json_is_object(value)) {
            changes += print_policy_changes(out, full, json_is_object(before) ? before : NULL, value, unit);
            continue;
        }
        if (before && json_equal(before, value)) continue;
        char from[96], to[96];
        fprintf(out, "    %s: %s -> %s\n", full,
                before ? policy_value(name, before, unit, from, sizeof from) : "(none)",
                policy_value(name, value, unit, to, sizeof to));
        changes++;
    }
    return changes;
}

static void print_terms_side(FILE *out, const char *label, const json_t *side, const cli_unit *unit) {
    int64_t fee = 0, limit = 0, rtd = 0, defaults = 0;
    cli_json_i64(side, "fee_bps", &fee);
    cli_json_i64(side, "limit", &limit);
    cli_json_i64(side, "min_partner_rtd_bps", &rtd);
    cli_json_i64(side, "max_partner_default_bps", &defaults);
    char a[24], b[CLI_AMOUNT_TEXT_MAX], c[24], d[24];
    fprintf(out, "    %s: fee %s, exposure limit %s", label, cli_out_bps(fee, a), cli_out_amount(limit, unit, b));
    if (rtd || defaults)
        fprintf(out, ", rules: RTD at least %s, default rate below %s", rtd ? cli_out_bps(rtd, c) : "(none)",
                defaults ? cli_out_bps(defaults, d) : "(none)");
    fprintf(out, "\n");
}

/* The action in words (details: the fields that say what changes). */
static void print_action(cli_context *ctx, const json_t *proposal, bool details) {
    FILE *out = ctx->out;
    const json_t *action = cli_json_object(proposal, "action");
    const char *type = cli_json_string(action, "type");
    cli_unit unit = unit_of_proposal(proposal);
    bool frozen = false;
    cli_json_bool(action, "frozen", &frozen);
    tally_tx_type kind = 0;
    for (uint8_t t = 1; type && t <= TALLY_TX_TYPE_LAST; t++)
        if (tally_tx_type_name(t) && strcmp(tally_tx_type_name(t), type) == 0) kind = (tally_tx_type)t;
    int64_t gateway_id = 0, partner_id = 0;
    cli_json_i64(action, "gateway", &gateway_id);
    cli_json_i64(action, "partner", &partner_id);
    const char *key = cli_json_string(action, "key"), *key_name = cli_json_string(action, "key_name");
    fprintf(out, "%s", cli_proposal_action_words((uint8_t)kind, frozen));
    if (kind == TALLY_TX_OPERATOR_ADD || kind == TALLY_TX_OPERATOR_REMOVE)
        fprintf(out, ": %s%s%s%s", key ? key : "?", key_name ? " (" : "", key_name ? key_name : "",
                key_name ? ")" : "");
    if (gateway_id) fprintf(out, " %" PRId64, gateway_id);
    if (kind == TALLY_TX_GATEWAY_PROPOSE) fprintf(out, " to network %" PRId64, partner_id);
    fprintf(out, "\n");
    if (!details) return;
    if (kind == TALLY_TX_POLICY_UPDATE) {
        int64_t network_id = 0;
        cli_json_i64(proposal, "network", &network_id);
        char path[48];
        snprintf(path, sizeof path, "/v1/networks/%" PRId64, network_id);
        json_t *network = NULL;
        const json_t *now = NULL;
        if (cli_client_request(ctx, "GET", path, NULL, false, &network) == CLI_OK)
            now = cli_json_object(network, "policy");
        fprintf(out, "  changes (against the policy in force now):\n");
        if (print_policy_changes(out, "", now, cli_json_object(action, "policy"), &unit) == 0)
            fprintf(out, "    none: the policy asked is the one in force now\n");
        json_decref(network);
    } else if (kind == TALLY_TX_PEG_SET) {
        int64_t asset = 0, reserve = 0, credit = 0;
        cli_json_i64(action, "asset", &asset);
        cli_json_i64(action, "peg_reserve_units", &reserve);
        cli_json_i64(action, "peg_credit_units", &credit);
        cli_asset reserve_asset;
        char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX];
        if (asset == 0)
            fprintf(out, "  clear the peg\n");
        else if (asset <= UINT32_MAX && cli_client_asset_by_id(ctx, (uint32_t)asset, &reserve_asset) == CLI_OK)
            fprintf(out, "  the pool holds %s: %s backs %s\n", reserve_asset.unit.code,
                    cli_out_amount(reserve, &reserve_asset.unit, a), cli_out_amount(credit, &unit, b));
        else
            fprintf(out, "  asset %" PRId64 ": %" PRId64 " of its minor units back %s\n", asset, reserve,
                    cli_out_amount(credit, &unit, b));
    } else if (kind == TALLY_TX_GATEWAY_PROPOSE || kind == TALLY_TX_GATEWAY_ACCEPT) {
        /* side a is the proposing network's: this one's for a proposal to propose, the
         * partner's for one to accept */
        int64_t rate_a = 0, rate_b = 0, network_id = 0;
        cli_json_i64(action, "rate_a", &rate_a);
        cli_json_i64(action, "rate_b", &rate_b);
        cli_json_i64(proposal, "network", &network_id);
        cli_network partner;
        memset(&partner, 0, sizeof partner);
        snprintf(partner.name, sizeof partner.name, "the partner");
        if (kind == TALLY_TX_GATEWAY_PROPOSE && partner_id > 0 && partner_id <= UINT32_MAX)
            cli_client_network_by_id(ctx, (uint32_t)partner_id, &partner);
        cli_gateway known;
        if (kind == TALLY_TX_GATEWAY_ACCEPT && gateway_id > 0 && gateway_id <= UINT32_MAX &&
            cli_client_gateway(ctx, (uint32_t)gateway_id, &known, NULL) == CLI_OK)
            partner = known.network[0];
        cli_network self = {.id = (uint32_t)network_id, .unit = unit};
        snprintf(self.name, sizeof self.name, "%s", name_of(proposal));
        const cli_network *a = kind == TALLY_TX_GATEWAY_PROPOSE ? &self : &partner;
        const cli_network *b = kind == TALLY_TX_GATEWAY_PROPOSE ? &partner : &self;
        cli_gateway shown;
        memset(&shown, 0, sizeof shown);
        shown.gateway.terms.rate_a = rate_a, shown.gateway.terms.rate_b = rate_b;
        shown.network[0] = *a, shown.network[1] = *b;
        char rate[160];
        if (rate_a == 0)
            fprintf(out, "  rate: from both networks' pegs at acceptance\n");
        else
            fprintf(out, "  rate: %s\n", cli_gateway_rate_text(&shown, rate, sizeof rate));
        print_terms_side(out, a->name, cli_json_object(action, "side_a"), &a->unit);
        print_terms_side(out, b->name, cli_json_object(action, "side_b"), &b->unit);
    } else if (kind == TALLY_TX_GATEWAY_UPDATE) {
        print_terms_side(out, "this network's side", cli_json_object(action, "side"), &unit);
    } else if (kind == TALLY_TX_ORDER_RESOLVE) {
        int64_t order = 0, seller_amount = 0, amount = 0;
        cli_json_i64(action, "order", &order);
        cli_json_i64(action, "seller_amount", &seller_amount);
        char path[48], a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX];
        snprintf(path, sizeof path, "/v1/orders/%" PRId64, order);
        json_t *known = NULL;
        if (cli_client_request(ctx, "GET", path, NULL, false, &known) == CLI_OK && cli_json_i64(known, "amount", &amount))
            fprintf(out, "  order %" PRId64 ": %s of its %s to the seller, the rest refunded to the buyer (now %s)\n",
                    order, cli_out_amount(seller_amount, &unit, a), cli_out_amount(amount, &unit, b),
                    cli_json_string(known, "status") ? cli_json_string(known, "status") : "?");
        else
            fprintf(out, "  order %" PRId64 ": %s to the seller, the rest refunded to the buyer\n", order,
                    cli_out_amount(seller_amount, &unit, a));
        json_decref(known);
    }
}

/* Counts, quorum, threshold and dates; with `mine`, the selected key's vote. */
static void print_proposal(cli_context *ctx, const json_t *p, bool details) {
    FILE *out = ctx->out;
    int64_t id = 0, yes = 0, no = 0, abstain = 0, cast = 0, eligible = 0, voters = 0, quorum = 0, threshold = 0;
    int64_t ends = 0, executes = 0, created = 0, timelock = 0, late = 0;
    cli_json_i64(p, "id", &id);
    cli_json_i64(p, "yes", &yes), cli_json_i64(p, "no", &no), cli_json_i64(p, "abstain", &abstain);
    cli_json_i64(p, "cast", &cast), cli_json_i64(p, "eligible_weight", &eligible), cli_json_i64(p, "voters", &voters);
    cli_json_i64(p, "quorum_bps", &quorum), cli_json_i64(p, "threshold_bps", &threshold);
    cli_json_i64(p, "voting_ends_at", &ends), cli_json_i64(p, "executes_at", &executes);
    cli_json_i64(p, "created_at", &created), cli_json_i64(p, "timelock_seconds", &timelock);
    cli_json_i64(p, "late_quorum_seconds", &late);
    bool quorum_reached = false, threshold_reached = false, extended = false;
    cli_json_bool(p, "quorum_reached", &quorum_reached);
    cli_json_bool(p, "threshold_reached", &threshold_reached);
    cli_json_bool(p, "extended", &extended);
    const char *status = cli_json_string(p, "status"), *network = cli_json_string(p, "network_name");
    const char *proposer = cli_json_string(p, "proposer"), *proposer_name = cli_json_string(p, "proposer_name");
    const char *weighting = cli_json_string(p, "weighting");
    char when[CLI_TIME_TEXT_MAX], a[24], b[24], duration[32];
    fprintf(out, "proposal %" PRId64 " in %s: %s\n", id, network ? network : "?", status ? status : "?");
    fprintf(out, "  action      ");
    print_action(ctx, p, details);
    fprintf(out, "  proposer    %s%s%s%s\n", proposer ? proposer : "?", proposer_name ? " (" : "",
            proposer_name ? proposer_name : "", proposer_name ? ")" : "");
    fprintf(out,
            "  votes       yes %" PRId64 ", no %" PRId64 ", abstain %" PRId64 " (%" PRId64 " voters), weighed by %s\n",
            yes, no, abstain, voters, weighting ? weighting : "?");
    fprintf(out, "  quorum      %s of the eligible weight %" PRId64 " must be cast: %" PRId64 " cast, %s\n",
            cli_out_bps(quorum, a), eligible, cast, quorum_reached ? "reached" : "not reached");
    fprintf(out, "  threshold   %s of yes + no must be yes: %s\n", cli_out_bps(threshold, b),
            threshold_reached ? "reached" : "not reached");
    if (status && strcmp(status, "voting") == 0) {
        fprintf(out, "  vote ends   %s%s\n", cli_out_time(ends, when),
                extended ? " (extended once by a late quorum)" : "");
        if (late && !extended)
            fprintf(out, "              a vote that brings quorum in its last %s extends it once by as much\n",
                    cli_out_duration(late, duration));
        fprintf(out, "  then        if it passes, it applies %s after the vote ends\n",
                timelock ? cli_out_duration(timelock, duration) : "at once");
    } else {
        fprintf(out, "  vote ended  %s%s\n", cli_out_time(ends, when),
                extended ? " (extended once by a late quorum)" : "");
    }
    if (status && strcmp(status, "passed") == 0)
        fprintf(out, "  applies     %s (its timelock)\n", cli_out_time(executes, when));
    const json_t *result = cli_json_object(p, "result");
    if (result) {
        const char *code = cli_json_string(result, "code"), *message = cli_json_string(result, "message");
        if (code && strcmp(code, "OK") == 0)
            fprintf(out, "  result      applied at %s: OK\n", cli_out_time(executes, when));
        else
            fprintf(out, "  result      refused when applied: %s (%s)\n", message ? message : "?", code ? code : "?");
    }
}

/* The selected key's vote on proposal id, in words (nothing when no key is named). */
static void print_own_vote(cli_context *ctx, int64_t id) {
    if (!ctx->key_name[0]) return;
    cli_wallet_name name;
    tally_key key;
    if (cli_wallet_selected(ctx, name, &key) != CLI_OK) return;
    char address[TALLY_ADDRESS_LENGTH + 1], path[160];
    tally_address_encode(&key, address);
    snprintf(path, sizeof path, "/v1/proposals/%" PRId64 "/votes/%s", id, address);
    json_t *vote = NULL;
    cli_status status = cli_client_request(ctx, "GET", path, NULL, false, &vote);
    int64_t weight = 0;
    if (status == CLI_OK && cli_json_i64(vote, "weight", &weight))
        fprintf(ctx->out, "  your vote   %s (weight %" PRId64 ")\n", cli_json_string(vote, "choice"), weight);
    else if (status == CLI_REFUSED)
        fprintf(ctx->out, "  your vote   none yet (%s)\n", name);
    json_decref(vote);
}

static cli_status proposal_id_argument(cli_context *ctx, const cli_args *args, uint32_t *id) {
    uint64_t value = 0;
    if (!cli_number_parse(args->positional[0], UINT32_MAX, &value) || value == 0)
        return cli_usage(ctx, args->command,
                         "ID is a proposal's number (`tally proposal list NET` shows them), not '%s'",
                         args->positional[0]);
    *id = (uint32_t)value;
    return CLI_OK;
}

/* GETs path: CLI_OK with *json to print in words, or CLI_OK with *json NULL when
 * --json printed it; otherwise what the request gave (a refusal printed). */
static cli_status get_for_words(cli_context *ctx, const char *path, json_t **json) {
    *json = NULL;
    json_t *answer = NULL;
    cli_status status = cli_client_get(ctx, path, &answer);
    if (status == CLI_OK && ctx->json) cli_out_json(ctx->out, answer);
    if (status == CLI_OK && !ctx->json)
        *json = answer;
    else
        json_decref(answer); /* printed, or a refusal's error object */
    return status;
}

cli_status cli_cmd_proposal_show(cli_context *ctx, const cli_args *args) {
    uint32_t id = 0;
    cli_status status = proposal_id_argument(ctx, args, &id);
    if (status != CLI_OK) return status;
    char path[48];
    snprintf(path, sizeof path, "/v1/proposals/%" PRIu32, id);
    json_t *json = NULL;
    status = get_for_words(ctx, path, &json);
    if (status != CLI_OK || !json) return status;
    print_proposal(ctx, json, true);
    print_own_vote(ctx, id);
    const char *state = cli_json_string(json, "status");
    if (state && strcmp(state, "voting") == 0)
        fprintf(ctx->out, "vote with: tally proposal vote %" PRIu32 " yes|no|abstain\n", id);
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_proposal_list(cli_context *ctx, const cli_args *args) {
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    const char *wanted = cli_option_value(args, "--status");
    if (wanted) {
        bool known = false;
        for (uint8_t s = 0; s < TALLY_PROPOSAL_STATUS_COUNT; s++)
            known |= strcmp(tally_proposal_status_name(s), wanted) == 0;
        if (!known)
            return cli_usage(ctx, args->command,
                             "--status is voting, passed, rejected, cancelled or executed, not '%s'", wanted);
    }
    char path[128];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/proposals?limit=500%s%s", network.id,
             wanted ? "&status=" : "", wanted ? wanted : "");
    json_t *json = NULL;
    status = get_for_words(ctx, path, &json);
    if (status != CLI_OK || !json) return status;
    json_t *list = cli_json_array(json, "proposals");
    if (json_array_size(list) == 0)
        fprintf(ctx->out, "no proposals%s%s in %s yet: `tally proposal create %s ACTION ...` makes one\n",
                wanted ? " " : "", wanted ? wanted : "", network.name, network.name);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (i) fprintf(ctx->out, "\n");
        print_proposal(ctx, item, false);
    }
    if (!json_is_null(json_object_get(json, "next")) && json_object_get(json, "next"))
        fprintf(ctx->out, "(older proposals not shown: the node answers 500 at most)\n");
    json_decref(json);
    return CLI_OK;
}

/* ------------------------------------------------------------------------ */
/* After a refusal: what to do instead.                                      */
/* ------------------------------------------------------------------------ */

/* The ACTION words of `proposal create` for an operator transaction ("" when no
 * proposal carries it). */
static const char *action_word(const tally_tx *tx) {
    for (size_t k = 0; k < ACTION_KIND_COUNT; k++) {
        const cli_command *command = find_command(action_kinds[k].group, action_kinds[k].name);
        tally_tx_type type;
        if (!command || !cli_command_tx_type(command, &type) || type != tx->type) continue;
        if (type == TALLY_TX_GATEWAY_FREEZE &&
            tx->body.gateway_freeze.frozen != (strcmp(action_kinds[k].name, "freeze") == 0))
            continue;
        return action_kinds[k].word;
    }
    return "";
}

void cli_say_governance_refusal(cli_context *ctx, const char *code, const tally_tx *tx, const tx_plan *plan) {
    FILE *err = ctx->err;
    const char *network = plan->has_network ? plan->network.name : "NET";
    if (strcmp(code, "GOVERNED_BY_MEMBERS") == 0) {
        const char *word = action_word(tx);
        if (tx->type == TALLY_TX_MEMBER_SUSPEND || tx->type == TALLY_TX_MEMBER_REINSTATE)
            fprintf(err, "  the members of %s govern it, and its rule keeps this power from its operators\n", network);
        if (!word[0]) {
            fprintf(err,
                    "  the members of %s govern it, and its rule keeps this power from its operators "
                    "(`tally network show %s` shows the rule)\n",
                    network, network);
            return;
        }
        char what[200] = "";
        switch ((tally_tx_type)tx->type) {
        case TALLY_TX_POLICY_UPDATE: snprintf(what, sizeof what, " [the same policy options]"); break;
        case TALLY_TX_PEG_SET: snprintf(what, sizeof what, " ASSET RESERVE CREDIT"); break;
        case TALLY_TX_OPERATOR_ADD:
        case TALLY_TX_OPERATOR_REMOVE:
        case TALLY_TX_MEMBER_SUSPEND:
        case TALLY_TX_MEMBER_REINSTATE:
            snprintf(what, sizeof what, " %s", plan->counterparty[0] ? plan->counterparty : "WHO");
            break;
        case TALLY_TX_GATEWAY_PROPOSE:
            snprintf(what, sizeof what, " %s [the same terms]", plan->gateway.network[1].name);
            break;
        case TALLY_TX_GATEWAY_UPDATE:
            snprintf(what, sizeof what, " %" PRIu32 " [the same options]", tx->body.gateway_update.gateway_id);
            break;
        case TALLY_TX_GATEWAY_ACCEPT:
            snprintf(what, sizeof what, " %" PRIu32, tx->body.gateway_accept.gateway_id);
            break;
        case TALLY_TX_GATEWAY_FREEZE:
            snprintf(what, sizeof what, " %" PRIu32, tx->body.gateway_freeze.gateway_id);
            break;
        case TALLY_TX_GATEWAY_CLOSE: snprintf(what, sizeof what, " %" PRIu32, tx->body.gateway_end.gateway_id); break;
        default: break;
        }
        fprintf(err,
                "  the members of %s govern it: a member proposes it and the members vote on it: propose it: "
                "tally proposal create %s %s%s\n",
                network, network, word, what);
    } else if (strcmp(code, "NOT_GOVERNED_BY_MEMBERS") == 0) {
        fprintf(err,
                "  the operators of %s make such changes themselves (tally network policy, tally operator add, "
                "...): it takes no proposals\n",
                network);
    } else if (strcmp(code, "TOO_MANY_PROPOSALS") == 0) {
        fprintf(err,
                "  `tally proposal list %s --status voting` shows the open ones; a passed one waiting for its "
                "timelock counts too\n",
                network);
    } else if (tx->type == TALLY_TX_PROPOSAL_VOTE || tx->type == TALLY_TX_PROPOSAL_CANCEL) {
        bool about_it = strcmp(code, "VOTING_ENDED") == 0 || strcmp(code, "NOT_ELIGIBLE") == 0 ||
                        strcmp(code, "ALREADY_VOTED") == 0 || strcmp(code, "NOT_PROPOSER") == 0 ||
                        strcmp(code, "PROPOSAL_NOT_FOUND") == 0;
        if (about_it)
            fprintf(err,
                    "  `tally proposal show %" PRIu32 "` shows its status, who proposed it, the votes and when "
                    "its vote ends\n",
                    tx->body.proposal_vote.proposal_id);
    }
}
