/*
 * cmd_read.c: the commands that only read: status, balance, account, history,
 * networks, members, assets, blocks and transactions. Each asks the node, then
 * prints the answer as a table (output.c) or, with --json, as the node sent it
 * (balance without NET, which gathers several answers, prints its own document).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"

/* Memberships listed by `tally balance`; a key in more networks sees the first ones. */
#define BALANCE_NETWORKS_MAX 256u
/* The node's bounds on a search (docs/openapi.yaml): the text, and a page. */
#define SEARCH_TEXT_MAX 256
#define SEARCH_PAGE_MAX 100

static cli_status get_and_print(cli_context *ctx, const char *path, json_t **json) {
    cli_status status = cli_client_get(ctx, path, json);
    if (status != CLI_OK) {
        json_decref(*json);
        *json = NULL;
        return status;
    }
    if (ctx->json) cli_out_json(ctx->out, *json);
    return CLI_OK;
}

/* A member's account with what it can pay now and the credit left
 * (cli_account_add_spending), printed as JSON with --json. */
static cli_status get_with_spending(cli_context *ctx, const char *path, const cli_network *network, json_t **json) {
    cli_status status = cli_client_get(ctx, path, json);
    if (status != CLI_OK) {
        json_decref(*json);
        *json = NULL;
        return status;
    }
    cli_account_add_spending(*json, network);
    if (ctx->json) cli_out_json(ctx->out, *json);
    return CLI_OK;
}

cli_status cli_cmd_status(cli_context *ctx, const cli_args *args) {
    (void)args;
    json_t *json;
    cli_status status = get_and_print(ctx, "/v1/status", &json);
    if (status == CLI_OK && !ctx->json) cli_out_status(ctx->out, json, ctx->node_url);
    json_decref(json);
    return status;
}

/* WHO of a read command, or the selected key when absent: the address to ask for. */
cli_status cli_member_address(cli_context *ctx, const cli_args *args, unsigned index, const cli_network *network,
                                 char address[TALLY_ADDRESS_LENGTH + 1], char *display, size_t display_size) {
    tally_key key;
    cli_status status;
    if (args->positional_count > index) {
        status = cli_resolve_who(ctx, args->command, args->positional[index], network, &key, NULL, display,
                                 display_size);
    } else {
        cli_wallet_name name;
        status = cli_wallet_selected(ctx, name, &key);
        if (status == CLI_OK) snprintf(display, display_size, "%s", name);
    }
    if (status == CLI_OK) tally_address_encode(&key, address);
    return status;
}

cli_status cli_network_and_member(cli_context *ctx, const cli_args *args, cli_network *network,
                                  char address[TALLY_ADDRESS_LENGTH + 1], char *display, size_t display_size) {
    cli_status status = cli_client_network(ctx, args->positional[0], network);
    if (status == CLI_OK) status = cli_member_address(ctx, args, 1, network, address, display, display_size);
    return status;
}

cli_status cli_cmd_account(cli_context *ctx, const cli_args *args) {
    cli_network network;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160], path[192];
    cli_status status = cli_network_and_member(ctx, args, &network, address, display, sizeof display);
    if (status != CLI_OK) return status;
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network.id, address);
    json_t *json;
    status = get_with_spending(ctx, path, &network, &json);
    if (status == CLI_OK && !ctx->json) {
        cli_asset reserve;
        bool has_reserve = network.reserve_asset_id != 0 &&
                           cli_client_asset_by_id(ctx, network.reserve_asset_id, &reserve) == CLI_OK;
        cli_out_account(ctx->out, json, network.name, &network.unit, has_reserve ? &reserve.unit : NULL);
    }
    json_decref(json);
    return status;
}

/* The network ids of a GET /v1/accounts/{address} page: "memberships" (or
 * "networks") holding ids or objects with "network_id", "network" or "id". */
static size_t membership_ids(const json_t *json, uint32_t *ids, size_t count, size_t max) {
    json_t *list = cli_json_array(json, "memberships");
    if (!list) list = cli_json_array(json, "networks");
    size_t index;
    json_t *entry;
    json_array_foreach(list, index, entry) {
        int64_t id = 0;
        bool found = false;
        if (json_is_integer(entry)) {
            id = (int64_t)json_integer_value(entry);
            found = true;
        } else {
            json_t *network = cli_json_object(entry, "network");
            found = cli_json_i64_any(entry, "network_id", "network", "id", &id) ||
                    (network && cli_json_i64(network, "id", &id));
        }
        if (!found || id <= 0 || id > UINT32_MAX || count == max) continue;
        ids[count++] = (uint32_t)id;
    }
    return count;
}

/* Every page of a key's account: its memberships (the first BALANCE_NETWORKS_MAX)
 * and all its holdings. */
typedef struct {
    uint32_t ids[BALANCE_NETWORKS_MAX];
    size_t count;
    json_t *holdings;
} key_pages;

static bool visit_key_page(void *context, const json_t *page) {
    key_pages *pages = context;
    pages->count = membership_ids(page, pages->ids, pages->count, BALANCE_NETWORKS_MAX);
    json_array_extend(pages->holdings, cli_json_array(page, "holdings"));
    return true;
}

cli_status cli_key_memberships(cli_context *ctx, const char *address, uint32_t *ids, size_t max, size_t *count) {
    char path[128];
    snprintf(path, sizeof path, "/v1/accounts/%s?limit=500", address);
    key_pages *pages = calloc(1, sizeof *pages);
    if (!pages || !(pages->holdings = json_array())) {
        free(pages);
        return cli_fail(ctx, CLI_IO, "out of memory");
    }
    cli_status status = cli_client_pages(ctx, path, visit_key_page, pages);
    *count = 0;
    for (size_t i = 0; status == CLI_OK && i < pages->count && i < max; i++) ids[(*count)++] = pages->ids[i];
    json_decref(pages->holdings);
    free(pages);
    return status;
}

/* Pool shares held in each network of the table, and what they are worth now. */
static void print_pool_shares(cli_context *ctx, const cli_out_balance_row *rows, const cli_network *networks,
                              size_t count) {
    for (size_t i = 0; i < count; i++) {
        int64_t shares = 0, value = 0;
        if (!cli_json_i64(rows[i].account, "pool_shares", &shares) || shares <= 0 ||
            !cli_json_i64(rows[i].account, "pool_shares_value", &value) || networks[i].reserve_asset_id == 0)
            continue;
        cli_asset asset;
        if (cli_client_asset_by_id(ctx, networks[i].reserve_asset_id, &asset) != CLI_OK) continue;
        cli_unit shares_unit = cli_shares_unit(&asset.unit);
        char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX];
        fprintf(ctx->out, "\npool shares in %s: %s, worth %s (`tally pool show %s` for a withdrawal)\n",
                networks[i].name, cli_out_amount(shares, &shares_unit, a), cli_out_amount(value, &asset.unit, b),
                networks[i].name);
    }
}

static cli_status balance_one(cli_context *ctx, const char *network_text, const char *address) {
    cli_network network;
    cli_status status = cli_client_network(ctx, network_text, &network);
    if (status != CLI_OK) return status;
    char path[192];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network.id, address);
    json_t *json;
    status = get_with_spending(ctx, path, &network, &json);
    if (status == CLI_OK && !ctx->json) {
        cli_out_balance_row row = {network.name, json, network.unit};
        cli_out_balances(ctx->out, &row, 1);
        print_pool_shares(ctx, &row, &network, 1);
    }
    json_decref(json);
    return status;
}

/* Reserve assets the key holds, after the table. */
static void print_holdings(cli_context *ctx, const json_t *json) {
    json_t *list = cli_json_array(json, "holdings");
    size_t index;
    json_t *entry;
    json_array_foreach(list, index, entry) {
        int64_t asset_id, amount;
        if (!cli_json_i64_any(entry, "asset_id", "asset", "id", &asset_id) ||
            !cli_json_i64_any(entry, "balance", "amount", NULL, &amount) || asset_id <= 0 || asset_id > UINT32_MAX)
            continue;
        cli_asset asset;
        char text[CLI_AMOUNT_TEXT_MAX];
        if (cli_client_asset_by_id(ctx, (uint32_t)asset_id, &asset) != CLI_OK) continue;
        fprintf(ctx->out, "%s %s\n", index == 0 ? "\nreserve held:" : "             ",
                cli_out_amount(amount, &asset.unit, text));
    }
}

cli_status cli_cmd_balance(cli_context *ctx, const cli_args *args) {
    cli_wallet_name name;
    tally_key key;
    cli_status status = cli_wallet_selected(ctx, name, &key);
    if (status != CLI_OK) return status;
    char address[TALLY_ADDRESS_LENGTH + 1], path[128];
    tally_address_encode(&key, address);
    if (args->positional_count == 1) return balance_one(ctx, args->positional[0], address);

    snprintf(path, sizeof path, "/v1/accounts/%s?limit=500", address);
    key_pages *pages = calloc(1, sizeof *pages);
    json_t *key_json = json_object();
    if (!pages || !key_json) {
        free(pages);
        json_decref(key_json);
        return cli_fail(ctx, CLI_IO, "out of memory");
    }
    pages->holdings = json_array();
    json_object_set_new(key_json, "holdings", pages->holdings);
    status = cli_client_pages(ctx, path, visit_key_page, pages);
    if (status != CLI_OK) {
        free(pages);
        json_decref(key_json);
        return status;
    }
    const uint32_t *ids = pages->ids;
    size_t count = pages->count;
    json_t *accounts = json_array();
    cli_out_balance_row *rows = calloc(count ? count : 1, sizeof *rows);
    cli_network *networks = calloc(count ? count : 1, sizeof *networks);
    size_t row_count = 0;
    for (size_t i = 0; rows && networks && status == CLI_OK && i < count; i++) {
        status = cli_client_network_by_id(ctx, ids[i], &networks[i]);
        if (status != CLI_OK) break;
        snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", ids[i], address);
        json_t *account;
        status = cli_client_get(ctx, path, &account);
        if (status != CLI_OK) {
            json_decref(account);
            break;
        }
        cli_account_add_spending(account, &networks[i]);
        json_object_set_new(account, "network", json_integer(ids[i]));
        json_object_set_new(account, "network_name", json_string(networks[i].name));
        json_array_append_new(accounts, account);
        rows[row_count++] = (cli_out_balance_row){networks[i].name, account, networks[i].unit};
    }
    if (!rows || !networks) status = cli_fail(ctx, CLI_IO, "out of memory");
    if (status == CLI_OK && ctx->json) {
        json_t *document = json_pack("{s:s, s:s, s:O}", "key", name, "address", address, "accounts", accounts);
        json_t *holdings = cli_json_array(key_json, "holdings");
        if (holdings) json_object_set(document, "holdings", holdings);
        cli_out_json(ctx->out, document);
        json_decref(document);
    } else if (status == CLI_OK) {
        fprintf(ctx->out, "%s  %s\n\n", name, address);
        cli_out_balances(ctx->out, rows, row_count);
        print_pool_shares(ctx, rows, networks, row_count);
        print_holdings(ctx, key_json);
    }
    free(rows);
    free(networks);
    free(pages);
    json_decref(accounts);
    json_decref(key_json);
    return status;
}

/* "YYYY-MM-DD" as the Unix time of that day's 00:00 UTC (days from civil: Howard
 * Hinnant's algorithm, so no time zone of the machine is involved). */
static bool parse_date(const char *text, int64_t *seconds) {
    int year, month, day;
    char rest;
    if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%c", &year, &month, &day, &rest) != 3 || year < 1970 ||
        year > 9999 || month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    static const int days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > days_in[month - 1] || (month == 2 && day == 29 && !leap)) return false;
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = y / 400, yoe = y - era * 400;
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *seconds = (era * 146097 + doe - 719468) * 86400;
    return true;
}

enum { HISTORY_RANGE_PAGES_MAX = 400 }; /* of 500 entries: 200,000 entries at most */

/* A statement: the balance at `from`, every entry of the range oldest first, what
 * came in, went out and was paid in fees, and the balance at `to`. An account's
 * balance is the sum of (amount - fee) over all its entries (index.h), so both
 * balances come from the entries themselves: the history is walked to its start. */
typedef struct {
    int64_t opening, received, paid, fees;
} statement_sums;

static void print_statement(cli_context *ctx, const cli_network *network, const char *display, json_t *entries,
                            int64_t from, int64_t to, const statement_sums *sums, const cli_unit *reserve) {
    int64_t closing = sums->opening + sums->received - sums->paid - sums->fees;
    json_t *chronological = json_array();
    for (size_t i = json_array_size(entries); i > 0; i--) json_array_append(chronological, json_array_get(entries, i - 1));
    if (ctx->json) {
        json_t *document = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "account", display, "from",
                                     (json_int_t)from, "to", (json_int_t)(to == INT64_MAX ? 0 : to), "opening_balance",
                                     (json_int_t)sums->opening, "received", (json_int_t)sums->received, "paid",
                                     (json_int_t)sums->paid, "fees", (json_int_t)sums->fees, "entries", chronological);
        if (document) json_object_set_new(document, "closing_balance", json_integer(closing));
        if (document) cli_out_json(ctx->out, document);
        json_decref(document);
        json_decref(chronological);
        return;
    }
    char from_text[CLI_TIME_TEXT_MAX] = "the start", to_text[CLI_TIME_TEXT_MAX] = "now", amount[CLI_AMOUNT_TEXT_MAX];
    if (from > 0) cli_out_time(from, from_text);
    if (to != INT64_MAX) cli_out_time(to, to_text);
    fprintf(ctx->out, "statement of %s, from %s to %s\n", display, from_text, to_text);
    fprintf(ctx->out, "opening balance  %s\n", cli_out_amount(sums->opening, &network->unit, amount));
    json_t *document = json_pack("{s:O}", "entries", chronological);
    if (document) cli_out_history(ctx->out, document, &network->unit, reserve, NULL);
    json_decref(document);
    fprintf(ctx->out, "received         %s\n", cli_out_amount(sums->received, &network->unit, amount));
    fprintf(ctx->out, "paid             %s\n", cli_out_amount(-sums->paid, &network->unit, amount));
    fprintf(ctx->out, "fees             %s\n", cli_out_amount(-sums->fees, &network->unit, amount));
    fprintf(ctx->out, "closing balance  %s\n", cli_out_amount(closing, &network->unit, amount));
    json_decref(chronological);
}

/* history --from/--to/--csv: every entry of the range, newest first, walking the
 * pages from `before` until one is older than `from` (a statement walks to the
 * start: its opening balance is the sum of what came before). */
static cli_status history_range(cli_context *ctx, const cli_args *args, const cli_network *network,
                                const char *address, const char *display, uint64_t before, int64_t from, int64_t to,
                                bool csv, bool statement) {
    json_t *entries = json_array();
    cli_status status = CLI_OK;
    bool done = false;
    statement_sums sums = {0, 0, 0, 0};
    for (int page = 0; status == CLI_OK && !done; page++) {
        if (page == HISTORY_RANGE_PAGES_MAX) {
            status = cli_fail(ctx, CLI_USAGE, "the range holds more than %d entries: give a shorter --from/--to",
                              HISTORY_RANGE_PAGES_MAX * 500);
            break;
        }
        char path[320];
        int written = snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s/history?limit=500",
                               network->id, address);
        if (before && written > 0 && (size_t)written < sizeof path)
            snprintf(path + written, sizeof path - (size_t)written, "&before=%" PRIu64, before);
        json_t *json = NULL;
        status = cli_client_get(ctx, path, &json);
        if (status != CLI_OK) {
            json_decref(json);
            break;
        }
        size_t index;
        json_t *entry;
        json_array_foreach(cli_json_array(json, "entries"), index, entry) {
            int64_t time = 0, amount = 0, fee = 0;
            cli_json_i64(entry, "time", &time);
            cli_json_i64(entry, "amount", &amount);
            cli_json_i64(entry, "fee", &fee);
            if (time < from && !statement) {
                done = true;
                break;
            }
            if (time < from) {
                sums.opening += amount - fee;
            } else if (time < to) {
                json_array_append(entries, entry);
                if (amount > 0) sums.received += amount;
                else sums.paid -= amount;
                sums.fees += fee;
            }
        }
        int64_t next;
        if (!cli_json_i64(json, "next", &next) || next <= 0) done = true;
        else before = (uint64_t)next;
        json_decref(json);
    }
    if (status == CLI_OK) {
        cli_asset reserve;
        bool has_reserve = network->reserve_asset_id != 0 &&
                           cli_client_asset_by_id(ctx, network->reserve_asset_id, &reserve) == CLI_OK;
        if (statement) {
            print_statement(ctx, network, display, entries, from, to, &sums, has_reserve ? &reserve.unit : NULL);
        } else if (csv) {
            cli_out_history_csv(ctx->out, entries, &network->unit, has_reserve ? &reserve.unit : NULL);
        } else if (ctx->json) {
            json_t *document = json_pack("{s:O}", "entries", entries);
            if (document) cli_out_json(ctx->out, document);
            json_decref(document);
        } else {
            json_t *document = json_pack("{s:O}", "entries", entries);
            if (document) cli_out_history(ctx->out, document, &network->unit, has_reserve ? &reserve.unit : NULL, NULL);
            json_decref(document);
        }
    }
    (void)args;
    json_decref(entries);
    return status;
}

/* A network's activity, a page at a time; `intro` (may be NULL) is said first. */
static cli_status activity_page(cli_context *ctx, const cli_args *args, const cli_network *network, uint64_t limit,
                                uint64_t before, const char *intro) {
    char path[160];
    int written = snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/activity?limit=%" PRIu64, network->id, limit);
    if (before && written > 0 && (size_t)written < sizeof path)
        snprintf(path + written, sizeof path - (size_t)written, "&before=%" PRIu64, before);
    json_t *json = NULL;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, json);
    } else {
        if (intro) fprintf(ctx->out, "%s\n", intro);
        char hint[1024], number[24];
        cli_hint_start(ctx, hint, sizeof hint);
        cli_hint_word(hint, sizeof hint, "activity");
        cli_hint_word(hint, sizeof hint, args->positional[0]);
        snprintf(number, sizeof number, "%" PRIu64, limit);
        cli_hint_word(hint, sizeof hint, "--limit");
        cli_hint_word(hint, sizeof hint, number);
        cli_asset reserve;
        bool has_reserve = network->reserve_asset_id != 0 &&
                           cli_client_asset_by_id(ctx, network->reserve_asset_id, &reserve) == CLI_OK;
        cli_out_activity(ctx->out, json, &network->unit, has_reserve ? &reserve.unit : NULL, hint);
    }
    json_decref(json);
    return CLI_OK;
}

static cli_status page_options(cli_context *ctx, const cli_args *args, uint64_t *limit, uint64_t *before) {
    const char *limit_text = cli_option_value(args, "--limit"), *before_text = cli_option_value(args, "--before");
    if (limit_text && (!cli_number_parse(limit_text, 500, limit) || *limit == 0))
        return cli_usage(ctx, args->command, "--limit is 1 to 500, not '%s'", limit_text);
    if (before_text && !cli_number_parse(before_text, INT64_MAX, before))
        return cli_usage(ctx, args->command, "--before takes the cursor printed after a page, not '%s'", before_text);
    return CLI_OK;
}

cli_status cli_cmd_activity(cli_context *ctx, const cli_args *args) {
    uint64_t limit = 50, before = 0;
    cli_status status = page_options(ctx, args, &limit, &before);
    cli_network network;
    if (status == CLI_OK) status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    return activity_page(ctx, args, &network, limit, before, NULL);
}

/* Whether the selected key is one of the network's operators (its name in `name`). */
static bool key_operates(cli_context *ctx, const cli_network *network, cli_wallet_name name) {
    tally_key key;
    if (cli_wallet_selected(ctx, name, &key) != CLI_OK) return false;
    char address[TALLY_ADDRESS_LENGTH + 1], path[64];
    tally_address_encode(&key, address);
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32, network->id);
    json_t *json = NULL;
    bool operates = false;
    if (cli_client_request(ctx, "GET", path, NULL, false, &json) == CLI_OK) {
        size_t index;
        json_t *operator_;
        json_array_foreach(cli_json_array(json, "operators"), index, operator_)
            if (json_is_string(operator_) && strcmp(json_string_value(operator_), address) == 0) operates = true;
    }
    json_decref(json);
    return operates;
}

cli_status cli_cmd_history(cli_context *ctx, const cli_args *args) {
    uint64_t limit = 50, before = 0;
    const char *limit_text = cli_option_value(args, "--limit"), *before_text = cli_option_value(args, "--before");
    if (limit_text && (!cli_number_parse(limit_text, 500, &limit) || limit == 0))
        return cli_usage(ctx, args->command, "--limit is 1 to 500, not '%s'", limit_text);
    if (before_text && !cli_number_parse(before_text, INT64_MAX, &before))
        return cli_usage(ctx, args->command, "--before takes the cursor printed after a page, not '%s'", before_text);
    cli_network network;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160], path[320];
    cli_status status = cli_network_and_member(ctx, args, &network, address, display, sizeof display);
    if (status != CLI_OK) return status;
    const char *from_text = cli_option_value(args, "--from"), *to_text = cli_option_value(args, "--to");
    bool csv = cli_flag(args, "--csv"), statement = cli_flag(args, "--statement");
    if (statement && csv)
        return cli_usage(ctx, args->command, "--statement prints balances and totals; --csv writes the entries alone: "
                                             "choose one");
    if (from_text || to_text || csv || statement) {
        int64_t from = 0, to = INT64_MAX;
        if (from_text && !parse_date(from_text, &from))
            return cli_usage(ctx, args->command, "--from takes a date as YYYY-MM-DD (UTC), not '%s'", from_text);
        if (to_text && !parse_date(to_text, &to))
            return cli_usage(ctx, args->command, "--to takes a date as YYYY-MM-DD (UTC), not '%s'", to_text);
        if (to_text) to += 86400; /* the whole of that day */
        if (to <= from) return cli_usage(ctx, args->command, "--to is before --from");
        if (limit_text) return cli_usage(ctx, args->command, "--limit pages the history; with --from, --to, --csv or "
                                                             "--statement every entry of the range is shown");
        return history_range(ctx, args, &network, address, display, before, from, to, csv, statement);
    }
    int written = snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s/history?limit=%" PRIu64,
                           network.id, address, limit);
    if (before_text && written > 0 && (size_t)written < sizeof path)
        snprintf(path + written, sizeof path - (size_t)written, "&before=%" PRIu64, before);
    json_t *json = NULL;
    status = cli_client_request(ctx, "GET", path, NULL, false, &json);
    if (status == CLI_REFUSED) {
        /* An operator who is no member has no history of its own there: it sees the
         * network's, its own actions included. */
        const char *code = cli_json_string(json, "code");
        cli_wallet_name operator_name;
        bool operates = args->positional_count == 1 && code && strcmp(code, "NOT_MEMBER") == 0 &&
                        key_operates(ctx, &network, operator_name);
        if (!operates) cli_client_report_refusal(ctx, json);
        json_decref(json);
        if (!operates) return status;
        char intro[256];
        snprintf(intro, sizeof intro, "%s operates %s without being a member: the network's whole activity",
                 operator_name, network.name);
        return activity_page(ctx, args, &network, limit, before, intro);
    }
    if (status == CLI_OK && ctx->json) cli_out_json(ctx->out, json);
    if (status == CLI_OK && !ctx->json) {
        char hint[1024], number[24];
        cli_hint_start(ctx, hint, sizeof hint);
        cli_hint_word(hint, sizeof hint, "history");
        for (unsigned i = 0; i < args->positional_count; i++) cli_hint_word(hint, sizeof hint, args->positional[i]);
        snprintf(number, sizeof number, "%" PRIu64, limit);
        cli_hint_word(hint, sizeof hint, "--limit");
        cli_hint_word(hint, sizeof hint, number);
        cli_asset reserve;
        bool has_reserve = network.reserve_asset_id != 0 &&
                           cli_client_asset_by_id(ctx, network.reserve_asset_id, &reserve) == CLI_OK;
        cli_out_history(ctx->out, json, &network.unit, has_reserve ? &reserve.unit : NULL, hint);
    }
    json_decref(json);
    return status;
}

cli_status cli_cmd_network_show(cli_context *ctx, const cli_args *args) {
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    char path[64];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32, network.id);
    json_t *json;
    status = get_and_print(ctx, path, &json);
    if (status == CLI_OK && !ctx->json) {
        cli_asset asset;
        bool has_asset = network.reserve_asset_id != 0 &&
                         cli_client_asset_by_id(ctx, network.reserve_asset_id, &asset) == CLI_OK;
        cli_out_network(ctx->out, json, has_asset ? &asset.unit : NULL);
    }
    json_decref(json);
    return status;
}

cli_status cli_cmd_network_health(cli_context *ctx, const cli_args *args) {
    const char *history_text = cli_option_value(args, "--history");
    uint64_t history = 0;
    if (history_text && (!cli_number_parse(history_text, 500, &history) || history == 0))
        return cli_usage(ctx, args->command, "--history is 1 to 500 periods, not '%s'", history_text);
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    char path[96];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/health?limit=%" PRIu64, network.id, history ? history : 1);
    json_t *json;
    status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) cli_out_json(ctx->out, json);
    else cli_out_network_health(ctx->out, json, history > 0);
    json_decref(json);
    return status;
}

/* What withdrawing `shares` pays now, as the core's pool_withdraw computes it: the
 * shares' part of primary + excess, rounded down, paid from the excess only. *code
 * names the refusal it would meet (NULL: it would pass). */
static int64_t withdrawal_preview(int64_t shares, int64_t owned, bool owned_known, int64_t primary, int64_t excess,
                                  int64_t total, const char **code) {
    *code = NULL;
    if (owned_known && shares > owned) {
        *code = "INSUFFICIENT_SHARES";
        return 0;
    }
    if (total <= 0) {
        *code = "INSUFFICIENT_SHARES";
        return 0;
    }
    __int128 paid = (__int128)shares * ((__int128)primary + excess) / total;
    int64_t pays = paid > INT64_MAX ? INT64_MAX : (int64_t)paid;
    if (pays == 0) *code = "AMOUNT_TOO_SMALL";
    else if (pays > excess) *code = "POOL_EXCESS_SHORT";
    return pays;
}

cli_status cli_cmd_pool_show(cli_context *ctx, const cli_args *args) {
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    if (network.reserve_asset_id == 0)
        return cli_fail(ctx, CLI_REFUSED, "%s has no reserve asset yet, so no pool (an operator sets one with `tally "
                                          "network peg`)",
                        network.name);
    cli_asset asset;
    status = cli_client_asset_by_id(ctx, network.reserve_asset_id, &asset);
    if (status != CLI_OK) return status;
    cli_unit shares_unit = cli_shares_unit(&asset.unit);
    char path[192];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32, network.id);
    json_t *json;
    status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    json_t *pool = cli_json_object(json, "pool");
    int64_t primary = 0, buffer = 0, excess = 0, total = 0, credits = 0, rtd = 0, target = 0;
    cli_json_i64(pool, "primary", &primary);
    cli_json_i64(pool, "buffer", &buffer);
    cli_json_i64(pool, "excess", &excess);
    cli_json_i64(pool, "shares", &total);
    cli_json_i64(pool, "credits", &credits);
    cli_json_i64(pool, "rtd_bps", &rtd);
    cli_json_i64(pool, "target_rtd_bps", &target);
    /* Yours, when a key is named (--key or TALLY_KEY). */
    int64_t owned = 0, owned_value = 0; /* the node's pool_shares and pool_shares_value */
    bool owned_known = false;
    char key_label[80] = "";
    if (ctx->key_name[0]) {
        cli_wallet_name name;
        tally_key key;
        status = cli_wallet_selected(ctx, name, &key);
        if (status != CLI_OK) {
            json_decref(json);
            return status;
        }
        char address[TALLY_ADDRESS_LENGTH + 1], account_path[192];
        tally_address_encode(&key, address);
        snprintf(account_path, sizeof account_path, "/v1/networks/%" PRIu32 "/accounts/%s", network.id, address);
        json_t *account = NULL;
        if (cli_client_request(ctx, "GET", account_path, NULL, false, &account) == CLI_OK) {
            cli_json_i64(account, "pool_shares", &owned);
            cli_json_i64(account, "pool_shares_value", &owned_value);
        }
        json_decref(account);
        owned_known = true; /* not a member: no shares */
        snprintf(key_label, sizeof key_label, "%s", name);
    }
    int64_t shares = owned;
    const char *shares_text = cli_option_value(args, "--shares");
    char why[160];
    if (shares_text && !cli_amount_parse(shares_text, &shares_unit, false, &shares, why, sizeof why)) {
        json_decref(json);
        return cli_usage(ctx, args->command, "--shares: %s", why);
    }
    const char *refusal = NULL;
    int64_t pays = shares > 0 ? withdrawal_preview(shares, owned, owned_known, primary, excess, total, &refusal) : 0;
    if (ctx->json) {
        json_t *document = json_pack("{s:s, s:O}", "network", network.name, "pool", pool ? pool : json_null());
        if (owned_known)
            json_object_set_new(document, "yours", json_pack("{s:I, s:I}", "shares", (json_int_t)owned, "value",
                                                             (json_int_t)owned_value));
        if (shares > 0) {
            json_t *withdrawal = json_pack("{s:I, s:I}", "shares", (json_int_t)shares, "pays", (json_int_t)pays);
            if (withdrawal && refusal) json_object_set_new(withdrawal, "refused", json_string(refusal));
            json_object_set_new(document, "withdrawal", withdrawal);
        }
        cli_out_json(ctx->out, document);
        json_decref(document);
        json_decref(json);
        return CLI_OK;
    }
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX], bps[24], bps2[24];
    fprintf(ctx->out, "pool of %s, in %s\n", network.name, asset.unit.code);
    fprintf(ctx->out, "primary     %14s  (counts towards the RTD)\n", cli_out_amount(primary, &asset.unit, a));
    fprintf(ctx->out, "buffer      %14s  (backs written-off debt repaid in reserve)\n", cli_out_amount(buffer, &asset.unit, a));
    fprintf(ctx->out, "excess      %14s  (what withdrawals are paid from)\n", cli_out_amount(excess, &asset.unit, a));
    fprintf(ctx->out, "RTD         %s (target %s)\n", cli_out_bps(rtd, bps), cli_out_bps(target, bps2));
    fprintf(ctx->out, "shares      %s in all\n", cli_out_amount(total, &shares_unit, a));
    fprintf(ctx->out, "credits     %s\n", cli_out_amount(credits, &network.unit, a));
    if (owned_known)
        fprintf(ctx->out, "yours       %s shares (%s), worth %s\n", cli_out_amount(owned, &shares_unit, a), key_label,
                cli_out_amount(owned_value, &asset.unit, b));
    if (shares > 0) {
        if (!refusal) {
            char hint[512];
            cli_hint_start(ctx, hint, sizeof hint);
            cli_hint_word(hint, sizeof hint, "pool");
            cli_hint_word(hint, sizeof hint, "withdraw");
            cli_hint_word(hint, sizeof hint, network.name);
            cli_hint_word(hint, sizeof hint, cli_out_amount(shares, &shares_unit, c));
            fprintf(ctx->out, "withdraw    %s shares -> %s now; sign it with `%s`\n",
                    cli_out_amount(shares, &shares_unit, a), cli_out_amount(pays, &asset.unit, b), hint);
        }
        else if (strcmp(refusal, "POOL_EXCESS_SHORT") == 0)
            fprintf(ctx->out, "withdraw    %s shares would pay %s, but the excess holds %s: refused now (%s)\n",
                    cli_out_amount(shares, &shares_unit, a), cli_out_amount(pays, &asset.unit, b),
                    cli_out_amount(excess, &asset.unit, c), refusal);
        else
            fprintf(ctx->out, "withdraw    %s shares: refused now (%s)\n", cli_out_amount(shares, &shares_unit, a),
                    refusal);
    }
    json_decref(json);
    return CLI_OK;
}

/* Appends each item to the array `context`. */
static bool collect_item(void *context, const json_t *item) {
    return json_array_append(context, (json_t *)(uintptr_t)item) == 0;
}

/* Every page of a list, as one document {field: [...]} (for --json and the table). */
static cli_status list_all(cli_context *ctx, const char *path, const char *field, json_t **json) {
    json_t *items = json_array();
    *json = json_pack("{s:o}", field, items);
    if (!*json) return cli_fail(ctx, CLI_IO, "out of memory");
    cli_status status = cli_client_list(ctx, path, field, collect_item, items);
    if (status != CLI_OK) {
        json_decref(*json);
        *json = NULL;
        return status;
    }
    json_object_set_new(*json, "total", json_integer((json_int_t)json_array_size(items)));
    if (ctx->json) cli_out_json(ctx->out, *json);
    return CLI_OK;
}

cli_status cli_cmd_network_list(cli_context *ctx, const cli_args *args) {
    (void)args;
    json_t *json;
    cli_status status = list_all(ctx, "/v1/networks?limit=500", "networks", &json);
    if (status == CLI_OK && !ctx->json) cli_out_network_list(ctx->out, json);
    json_decref(json);
    return status;
}

cli_status cli_cmd_search(cli_context *ctx, const cli_args *args) {
    const char *text = args->positional[1];
    uint64_t limit = 20, cursor = 0;
    const char *limit_text = cli_option_value(args, "--limit"), *cursor_text = cli_option_value(args, "--cursor");
    if (limit_text && (!cli_number_parse(limit_text, SEARCH_PAGE_MAX, &limit) || limit == 0))
        return cli_usage(ctx, args->command, "--limit is 1 to %d, not '%s'", SEARCH_PAGE_MAX, limit_text);
    if (cursor_text && (!cli_number_parse(cursor_text, INT64_MAX, &cursor) || cursor == 0))
        return cli_usage(ctx, args->command, "--cursor takes the cursor printed after a page, not '%s'", cursor_text);
    if (strspn(text, " \t") == strlen(text))
        return cli_usage(ctx, args->command, "give the text to search for: a word or more of a memo or an alias");
    char escaped[3 * SEARCH_TEXT_MAX + 1];
    if (strlen(text) > SEARCH_TEXT_MAX || !cli_client_query_escape(text, escaped, sizeof escaped))
        return cli_usage(ctx, args->command, "the text is at most %d bytes", SEARCH_TEXT_MAX);
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    char path[3 * SEARCH_TEXT_MAX + 96];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/search?q=%s&limit=%" PRIu64, network.id, escaped, limit);
    if (cursor) snprintf(path + strlen(path), sizeof path - strlen(path), "&cursor=%" PRIu64, cursor);
    json_t *json;
    status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, json);
    } else {
        cli_out_search(ctx->out, json);
        int64_t next;
        if (cli_json_i64(json, "next", &next)) {
            char hint[2048];
            cli_hint_start(ctx, hint, sizeof hint);
            cli_hint_word(hint, sizeof hint, "search");
            cli_hint_word(hint, sizeof hint, args->positional[0]);
            cli_hint_word(hint, sizeof hint, text);
            fprintf(ctx->out, "more: %s --limit %" PRIu64 " --cursor %" PRId64 "\n", hint, limit, next);
        }
    }
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_network_members(cli_context *ctx, const cli_args *args) {
    uint64_t limit = 100, cursor = 0;
    const char *limit_text = cli_option_value(args, "--limit"), *cursor_text = cli_option_value(args, "--cursor");
    if (limit_text && (!cli_number_parse(limit_text, 500, &limit) || limit == 0))
        return cli_usage(ctx, args->command, "--limit is 1 to 500, not '%s'", limit_text);
    if (cursor_text && !cli_number_parse(cursor_text, UINT32_MAX, &cursor))
        return cli_usage(ctx, args->command, "--cursor takes the cursor printed after a page, not '%s'", cursor_text);
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    /* A page scans a bounded part of the member table, so it may hold fewer than
     * asked: pages are followed, each asking for what is still missing, until
     * `limit` members are in hand or the list ends. */
    json_t *members = json_array();
    int64_t next = (int64_t)cursor, total = -1;
    for (uint32_t page = 0; status == CLI_OK && next >= 0 && json_array_size(members) < limit; page++) {
        if (page == CLI_LIST_PAGES_MAX) {
            status = cli_fail(ctx, CLI_IO, "the node's list of members goes on past %u pages", CLI_LIST_PAGES_MAX);
            break;
        }
        char path[160];
        snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/members?limit=%zu&cursor=%" PRId64, network.id,
                 (size_t)limit - json_array_size(members), next);
        json_t *json;
        status = cli_client_get(ctx, path, &json);
        if (status == CLI_OK) {
            json_array_extend(members, cli_json_array(json, "members"));
            if (!cli_json_i64(json, "next", &next)) next = -1;
            if (!cli_json_i64(json, "total", &total)) total = -1;
        }
        json_decref(json);
    }
    json_t *json = status == CLI_OK ? json_pack("{s:O, s:o}", "members", members, "next",
                                                next >= 0 ? json_integer(next) : json_null())
                                    : NULL;
    json_decref(members);
    if (status != CLI_OK) return status;
    if (!json) return cli_fail(ctx, CLI_IO, "out of memory");
    if (total >= 0) json_object_set_new(json, "total", json_integer(total));
    if (ctx->json) {
        cli_out_json(ctx->out, json);
    } else {
        cli_out_members(ctx->out, json, &network.unit);
        if (next >= 0) {
            char hint[1024];
            cli_hint_start(ctx, hint, sizeof hint);
            cli_hint_word(hint, sizeof hint, "network");
            cli_hint_word(hint, sizeof hint, "members");
            cli_hint_word(hint, sizeof hint, args->positional[0]);
            fprintf(ctx->out, "more: %s --limit %" PRIu64 " --cursor %" PRId64 "\n", hint, limit, next);
        }
    }
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_asset_show(cli_context *ctx, const cli_args *args) {
    cli_asset asset;
    cli_status status = cli_client_asset(ctx, args->positional[0], &asset);
    if (status != CLI_OK) return status;
    char path[64];
    snprintf(path, sizeof path, "/v1/assets/%" PRIu32, asset.id);
    json_t *json;
    status = get_and_print(ctx, path, &json);
    if (status == CLI_OK && !ctx->json) cli_out_asset(ctx->out, json);
    json_decref(json);
    return status;
}

cli_status cli_cmd_asset_list(cli_context *ctx, const cli_args *args) {
    (void)args;
    json_t *json;
    cli_status status = list_all(ctx, "/v1/assets?limit=500", "assets", &json);
    if (status == CLI_OK && !ctx->json) cli_out_asset_list(ctx->out, json);
    json_decref(json);
    return status;
}

/* `block show`: who co-signed the block, as the node says (issue 14; `tally verify
 * --node` checks the signatures against the genesis). Nothing from a node without
 * the route. */
static void block_cosigners(cli_context *ctx, uint64_t height) {
    char path[80];
    snprintf(path, sizeof path, "/v1/blocks/%" PRIu64 "/cosignatures", height);
    json_t *json = NULL;
    if (cli_client_request(ctx, "GET", path, NULL, false, &json) != CLI_OK) {
        json_decref(json);
        return;
    }
    int64_t validators = 0, quorum = 0;
    json_t *list = cli_json_array(json, "cosignatures");
    if (cli_json_i64(json, "validators", &validators) && cli_json_i64(json, "quorum", &quorum) && list) {
        fprintf(ctx->out, "co-signed   by %zu of %" PRId64 " validators (quorum %" PRId64 "): %s\n",
                json_array_size(list), validators, quorum,
                json_is_true(json_object_get(json, "final")) ? "final" : "not final");
        size_t index;
        json_t *entry;
        json_array_foreach(list, index, entry) {
            int64_t validator = -1;
            (void)cli_json_i64(entry, "index", &validator);
            fprintf(ctx->out, "  %3" PRId64 "  %s\n", validator, cli_json_string(entry, "validator") ? cli_json_string(entry, "validator") : "-");
        }
    }
    json_decref(json);
}

cli_status cli_cmd_block(cli_context *ctx, const cli_args *args) {
    uint64_t height;
    if (!cli_number_parse(args->positional[0], INT64_MAX, &height))
        return cli_usage(ctx, args->command, "HEIGHT is a block number (0 is the genesis), not '%s'",
                         args->positional[0]);
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%" PRIu64, height);
    json_t *json;
    cli_status status = get_and_print(ctx, path, &json);
    if (status == CLI_OK && !ctx->json) cli_out_block(ctx->out, json);
    json_decref(json);
    if (status == CLI_OK && !ctx->json) block_cosigners(ctx, height);
    return status;
}

cli_status cli_cmd_tx_show(cli_context *ctx, const cli_args *args) {
    uint8_t id[TALLY_HASH_BYTES];
    if (!cli_client_unhex(args->positional[0], id, sizeof id))
        return cli_usage(ctx, args->command, "ID is a transaction id of 64 hex digits, not '%s'", args->positional[0]);
    char path[128];
    snprintf(path, sizeof path, "/v1/transactions/%s", args->positional[0]);
    json_t *json;
    cli_status status = get_and_print(ctx, path, &json);
    if (status == CLI_OK && !ctx->json) cli_out_tx_status(ctx->out, json);
    json_decref(json);
    return status;
}

/* ---- a development chain's clock ---- */

cli_status cli_cmd_dev_advance(cli_context *ctx, const cli_args *args) {
    uint64_t seconds;
    if (!cli_duration_parse(args->positional[0], &seconds) || seconds > 10ull * 366 * 86400)
        return cli_usage(ctx, args->command,
                         "DURATION is a number of days, hours, minutes or seconds (30d, 12h, 90m, 45s, 3600), "
                         "up to ten years; not '%s'",
                         args->positional[0]);
    char path[96];
    snprintf(path, sizeof path, "/v1/dev/advance?seconds=%" PRIu64, seconds);
    json_t *json;
    cli_status status = cli_client_request(ctx, "POST", path, NULL, true, &json);
    if (status != CLI_OK) {
        json_decref(json);
        return status;
    }
    if (ctx->json) {
        cli_out_json(ctx->out, json);
    } else {
        int64_t block_time = 0, height = 0;
        char when[CLI_TIME_TEXT_MAX];
        cli_json_i64(json, "block_time", &block_time);
        cli_json_i64(json, "height", &height);
        fprintf(ctx->out, "the chain's clock moved %s ahead: block %" PRId64 " at %s\n", args->positional[0], height,
                cli_out_time(block_time, when));
    }
    json_decref(json);
    return CLI_OK;
}
