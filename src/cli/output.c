/*
 * output.c: human and JSON output of the CLI (see output.h). Tables are built in
 * memory and printed with columns as wide as their widest cell. Missing fields in
 * the node's answers print as "-" rather than as a made-up zero.
 */
#include "cli/output.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/json_fields.h"

/* ------------------------------------------------------------------------ */
/* Values.                                                                   */
/* ------------------------------------------------------------------------ */

const char *cli_out_amount(int64_t amount, const cli_unit *unit, char out[CLI_AMOUNT_TEXT_MAX]) {
    uint8_t decimals = unit && unit->decimals <= TALLY_DECIMALS_MAX ? unit->decimals : 0;
    size_t length = tally_amount_format(amount, decimals, out, CLI_AMOUNT_TEXT_MAX);
    if (unit && unit->code[0]) snprintf(out + length, CLI_AMOUNT_TEXT_MAX - length, " %s", unit->code);
    return out;
}

const char *cli_out_time(int64_t unix_seconds, char out[CLI_TIME_TEXT_MAX]) {
    struct tm parts;
    time_t seconds = (time_t)unix_seconds;
    if (unix_seconds <= 0 || !gmtime_r(&seconds, &parts) ||
        strftime(out, CLI_TIME_TEXT_MAX, "%Y-%m-%d %H:%M UTC", &parts) == 0)
        snprintf(out, CLI_TIME_TEXT_MAX, "-");
    return out;
}

cli_unit cli_shares_unit(const cli_unit *reserve) {
    cli_unit shares = *reserve;
    shares.code[0] = '\0';
    return shares;
}

const char *cli_out_bps(int64_t bps, char out[24]) {
    int64_t magnitude = bps < 0 ? -bps : bps;
    snprintf(out, 24, "%s%" PRId64 ".%02" PRId64 "%%", bps < 0 ? "-" : "", magnitude / 100, magnitude % 100);
    return out;
}

const char *cli_out_duration(int64_t seconds, char out[32]) {
    if (seconds > 0 && seconds % 86400 == 0)
        snprintf(out, 32, "%" PRId64 " day%s", seconds / 86400, seconds == 86400 ? "" : "s");
    else if (seconds > 0 && seconds % 3600 == 0) snprintf(out, 32, "%" PRId64 " h", seconds / 3600);
    else snprintf(out, 32, "%" PRId64 " s", seconds);
    return out;
}

void cli_out_json(FILE *out, const json_t *value) {
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (text) {
        fprintf(out, "%s\n", text);
        free(text);
    }
}

/* The unit an object carries ("decimals", "unit"), else the fallback. */
static cli_unit unit_of(const json_t *object, const cli_unit *fallback) {
    cli_unit unit = {2, ""};
    if (fallback) unit = *fallback;
    int64_t decimals;
    if (cli_json_i64(object, "decimals", &decimals) && decimals >= 0 && decimals <= TALLY_DECIMALS_MAX)
        unit.decimals = (uint8_t)decimals;
    const char *code = cli_json_string(object, "unit");
    if (code && strlen(code) <= TALLY_CODE_MAX) snprintf(unit.code, sizeof unit.code, "%s", code);
    return unit;
}

/* An amount field in human form, or "-" when absent. */
static const char *amount_field(const json_t *object, const char *name, const cli_unit *unit,
                                char out[CLI_AMOUNT_TEXT_MAX]) {
    int64_t value;
    if (!cli_json_i64(object, name, &value)) {
        snprintf(out, CLI_AMOUNT_TEXT_MAX, "-");
        return out;
    }
    return cli_out_amount(value, unit, out);
}

static const char *string_or_dash(const char *text) { return text && text[0] ? text : "-"; }

/* A long address shortened for a table cell: tly1abcdefgh...wxyz. */
static const char *short_key(const char *text, char out[24]) {
    if (!text) return "-";
    size_t length = strlen(text);
    if (length <= 20) return text;
    snprintf(out, 24, "%.12s...%s", text, text + length - 4);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Tables.                                                                   */
/* ------------------------------------------------------------------------ */

#define TABLE_COLUMNS_MAX 10u

typedef struct {
    size_t columns;
    size_t rows;
    size_t capacity; /* rows */
    char **cells;
    bool right[TABLE_COLUMNS_MAX]; /* right-aligned (numbers) */
    size_t width[TABLE_COLUMNS_MAX];
} table;

static void table_row(table *t, const char *const *cells) {
    assert(t->columns > 0 && t->columns <= TABLE_COLUMNS_MAX);
    if (t->rows == t->capacity) {
        size_t capacity = t->capacity ? t->capacity * 2 : 16;
        char **grown = realloc(t->cells, capacity * t->columns * sizeof *grown);
        if (!grown) return; /* out of memory: the row is dropped, never written past */
        t->cells = grown;
        t->capacity = capacity;
    }
    for (size_t column = 0; column < t->columns; column++) {
        const char *text = cells[column] ? cells[column] : "-";
        char *copy = strdup(text);
        t->cells[t->rows * t->columns + column] = copy;
        size_t length = copy ? strlen(copy) : 0;
        if (length > t->width[column]) t->width[column] = length;
    }
    t->rows++;
}

static void table_print(FILE *out, table *t) {
    for (size_t row = 0; row < t->rows; row++) {
        for (size_t column = 0; column < t->columns; column++) {
            const char *cell = t->cells[row * t->columns + column];
            cell = cell ? cell : "";
            bool last = column + 1 == t->columns;
            int width = (int)t->width[column];
            if (t->right[column]) fprintf(out, "%*s", width, cell);
            else if (last) fprintf(out, "%s", cell);
            else fprintf(out, "%-*s", width, cell);
            if (!last) fprintf(out, "  ");
        }
        fprintf(out, "\n");
    }
}

static void table_free(table *t) {
    for (size_t i = 0; i < t->rows * t->columns; i++) free(t->cells[i]);
    free(t->cells);
}

/* ------------------------------------------------------------------------ */
/* Refusals.                                                                 */
/* ------------------------------------------------------------------------ */

typedef enum { UNIT_NONE, UNIT_CREDIT, UNIT_RESERVE, UNIT_SHARES } figure_unit;

static const struct {
    const char *code;
    figure_unit unit;
    const char *sentence; /* %s is the figure */
} figures[] = {
    {"INSUFFICIENT_CREDIT", UNIT_CREDIT, "you can spend at most %s (fees included)"},
    {"LINE_FROZEN", UNIT_CREDIT, "you can spend at most %s (fees included), your positive balance"},
    {"LINE_EXPIRED", UNIT_CREDIT, "you can spend at most %s (fees included), your positive balance"},
    {"MEMBER_SUSPENDED", UNIT_CREDIT, "you can spend at most %s (fees included), your positive balance"},
    {"MEMBER_DEFAULTED", UNIT_CREDIT, "you can spend at most %s (fees included), your positive balance"},
    {"CAP_REACHED", UNIT_CREDIT, "the payee can receive at most %s more"},
    {"FEE_ABOVE_MAX", UNIT_CREDIT, "the fee would be %s: allow it with --max-fee"},
    {"LIMIT_ABOVE_MAX", UNIT_CREDIT, "the network's maximum limit is %s"},
    {"LIMIT_BELOW_DEBT", UNIT_CREDIT, "the member's debt is %s"},
    {"DEBT_NOT_ZERO", UNIT_CREDIT, "the debt still to repay is %s"},
    {"BALANCE_NOT_ZERO", UNIT_CREDIT, "the balance is %s"},
    {"NOT_IN_DEBT", UNIT_CREDIT, "the debt is %s"},
    {"NO_LOST_DEBT", UNIT_CREDIT, "the lost debt to redeem against is %s"},
    {"INSUFFICIENT_BALANCE", UNIT_CREDIT, "the balance available is %s"},
    {"INSUFFICIENT_ASSET", UNIT_RESERVE, "the balance held is %s"},
    {"INSUFFICIENT_SHARES", UNIT_SHARES, "you own %s pool shares"},
    {"POOL_EXCESS_SHORT", UNIT_RESERVE, "the pool's excess holds %s"},
    {"POOL_RESERVE_SHORT", UNIT_RESERVE, "the pool can pay at most %s"},
    {"BAD_SEQUENCE", UNIT_NONE, "the node expects sequence number %s"},
    {"STAKE_SHORT", UNIT_RESERVE, "your stake behind this line is %s"},
    {"STAKE_COVERS_DEBT", UNIT_RESERVE, "at most %s can come back now"},
    {"STAKES_OPEN", UNIT_RESERVE, "%s is still staked (by it and behind its line)"},
    {"FEE_OWED", UNIT_CREDIT, "it owes %s: it pays with `tally member pay-fee`"},
    /* a payment across gateways: the payee's unit (the caller's `credit`) */
    {"BELOW_MIN_RECEIVED", UNIT_CREDIT, "the payee would receive %s now, less than signed"},
    {"EXPOSURE_LIMIT", UNIT_NONE, "%s minor units (of the network the refusing hop enters) are left under its limit"},
    /* the marketplace */
    {"PRICE_CHANGED", UNIT_CREDIT, "the price is now %s a unit"},
    {"QUANTITY_UNAVAILABLE", UNIT_NONE, "units left: %s"},
    {"SPLIT_ABOVE_ORDER", UNIT_CREDIT, "the order's amount is %s"},
};

bool cli_out_available_sentence(const char *code, int64_t available, const cli_out_units *units, char *out,
                               size_t out_size) {
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
        if (strcmp(figures[i].code, code) != 0) continue;
        char figure[CLI_AMOUNT_TEXT_MAX];
        const cli_unit *unit = NULL;
        cli_unit shares;
        switch (figures[i].unit) {
        case UNIT_CREDIT: unit = units ? units->credit : NULL; break;
        case UNIT_RESERVE: unit = units ? units->reserve : NULL; break;
        case UNIT_SHARES:
            if (units && units->reserve) {
                shares = *units->reserve;
                shares.code[0] = '\0';
                unit = &shares;
            }
            break;
        case UNIT_NONE: break;
        }
        if (unit) cli_out_amount(available, unit, figure);
        else snprintf(figure, sizeof figure, "%" PRId64, available);
        /* The sentences are constants of this file; the figure is the only input. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(out, out_size, figures[i].sentence, figure);
#pragma GCC diagnostic pop
        return true;
    }
    return false;
}

void cli_out_refusal(FILE *out, const char *code, const char *message, bool has_available, int64_t available,
                    const cli_out_units *units) {
    fprintf(out, "refused: %s (%s)\n", message && message[0] ? message : "no reason given", code ? code : "?");
    char sentence[160];
    if (has_available && code && cli_out_available_sentence(code, available, units, sentence, sizeof sentence))
        fprintf(out, "  %s\n", sentence);
}

/* ------------------------------------------------------------------------ */
/* Accounts.                                                                 */
/* ------------------------------------------------------------------------ */

static void line_summary(const json_t *line, char *out, size_t out_size) {
    const char *status = cli_json_string(line, "status");
    int64_t risk;
    char bps[24];
    if (!status) {
        snprintf(out, out_size, "-");
    } else if (cli_json_i64(line, "risk_fee_bps", &risk) && risk > 0) {
        snprintf(out, out_size, "%s, risk fee %s", status, cli_out_bps(risk, bps));
    } else {
        snprintf(out, out_size, "%s", status);
    }
}

/* When the line's current period or grace ends, for a table cell. */
static const char *line_due(const json_t *line, char out[48]) {
    const char *status = cli_json_string(line, "status");
    int64_t when;
    char time_text[CLI_TIME_TEXT_MAX];
    if (status && strcmp(status, "frozen") == 0 && cli_json_i64(line, "grace_end", &when) && when > 0) {
        snprintf(out, 48, "grace to %s", cli_out_time(when, time_text));
    } else if (status && (strcmp(status, "active") == 0 || strcmp(status, "expired") == 0) &&
               cli_json_i64(line, "period_end", &when) && when > 0) {
        snprintf(out, 48, "%s", cli_out_time(when, time_text));
    } else {
        snprintf(out, 48, "-");
    }
    return out;
}

/* An account's holds, when it has any: "pending in" (open holds for it, its money
 * once posted) and "pending out" (what its own open holds keep spent). With a
 * network name (`tally balance`, the key's own accounts) the lines name it. */
static void print_pending(FILE *out, const json_t *account, const cli_unit *unit, const char *network_name) {
    int64_t in = 0, held = 0;
    char amount[CLI_AMOUNT_TEXT_MAX], where[TALLY_NAME_MAX + 2] = "";
    if (network_name) snprintf(where, sizeof where, "%s ", network_name);
    if (cli_json_i64(account, "pending_in", &in) && in > 0)
        fprintf(out, "pending in  %s%s (%s)\n", where, cli_out_amount(in, unit, amount),
                network_name ? "open holds for you: yours once posted" : "open holds for it: its money once posted");
    if (cli_json_i64(account, "pending_out", &held) && held > 0)
        fprintf(out, "pending out %s%s (%s open holds, fees included: spent until posted or released)\n", where,
                cli_out_amount(held, unit, amount), network_name ? "held by your" : "held by its");
}

void cli_out_account(FILE *out, const json_t *account, const char *network_name, const cli_unit *fallback,
                     const cli_unit *reserve) {
    cli_unit unit = unit_of(account, fallback);
    const char *alias = cli_json_string(account, "alias");
    const char *address = cli_json_string(account, "address");
    char amount[CLI_AMOUNT_TEXT_MAX], line_text[96], time_a[CLI_TIME_TEXT_MAX], time_b[CLI_TIME_TEXT_MAX];
    if (alias && alias[0] && network_name) fprintf(out, "account     %s@%s\n", alias, network_name);
    else if (network_name) fprintf(out, "network     %s\n", network_name);
    fprintf(out, "address     %s\n", string_or_dash(address));
    fprintf(out, "alias       %s\n", string_or_dash(alias));
    fprintf(out, "status      %s\n", string_or_dash(cli_json_string(account, "status")));
    fprintf(out, "balance     %s\n", amount_field(account, "balance", &unit, amount));
    fprintf(out, "limit       %s\n", amount_field(account, "limit", &unit, amount));
    fprintf(out, "can pay now %s (fees included)\n", amount_field(account, "can_pay_now", &unit, amount));
    fprintf(out, "credit left %s\n", amount_field(account, "credit_left", &unit, amount));
    const json_t *line = cli_json_object(account, "line");
    line_summary(line, line_text, sizeof line_text);
    fprintf(out, "line        %s\n", line_text);
    int64_t start = 0, end = 0, grace = 0;
    if (cli_json_i64(line, "period_start", &start) && cli_json_i64(line, "period_end", &end) && end > 0)
        fprintf(out, "period      %s to %s\n", cli_out_time(start, time_a), cli_out_time(end, time_b));
    const char *status = cli_json_string(line, "status");
    if (status && strcmp(status, "frozen") == 0 && cli_json_i64(line, "grace_end", &grace) && grace > 0)
        fprintf(out, "grace ends  %s\n", cli_out_time(grace, time_a));
    print_pending(out, account, &unit, NULL);
    fprintf(out, "fees paid   %s\n", amount_field(account, "fees_paid", &unit, amount));
    int64_t owed = 0;
    if (cli_json_i64(account, "fee_owed", &owed) && owed > 0)
        fprintf(out, "fee owed    %s (suspended until paid: `tally member pay-fee %s`)\n",
                cli_out_amount(owed, &unit, amount), network_name ? network_name : "NET");
    int64_t shares = 0, value = 0;
    if (reserve && cli_json_i64(account, "pool_shares", &shares) && shares > 0 &&
        cli_json_i64(account, "pool_shares_value", &value)) {
        cli_unit shares_unit = cli_shares_unit(reserve);
        char worth[CLI_AMOUNT_TEXT_MAX];
        fprintf(out, "pool shares %s, worth %s\n", cli_out_amount(shares, &shares_unit, amount),
                cli_out_amount(value, reserve, worth));
    }
}

void cli_out_balances(FILE *out, const cli_out_balance_row *rows, size_t count) {
    if (count == 0) {
        fprintf(out, "no memberships: join a network with `tally member join NET`\n");
        return;
    }
    table t = {.columns = 9, .right = {false, false, true, true, true, true, false, false, true}};
    const char *header[] = {"NETWORK", "ALIAS",       "BALANCE",     "LIMIT",    "CAN PAY NOW",
                            "CREDIT LEFT", "LINE", "PERIOD ENDS", "FEES PAID"};
    table_row(&t, header);
    for (size_t i = 0; i < count; i++) {
        const json_t *account = rows[i].account;
        cli_unit unit = unit_of(account, &rows[i].unit);
        char balance[CLI_AMOUNT_TEXT_MAX], limit[CLI_AMOUNT_TEXT_MAX], can_pay[CLI_AMOUNT_TEXT_MAX],
            credit_left[CLI_AMOUNT_TEXT_MAX], fees[CLI_AMOUNT_TEXT_MAX], line_text[96], due[48];
        line_summary(cli_json_object(account, "line"), line_text, sizeof line_text);
        const char *status = cli_json_string(account, "status");
        int64_t owed = 0;
        char owed_text[CLI_AMOUNT_TEXT_MAX];
        if (status && strcmp(status, "active") != 0) {
            size_t used = strlen(line_text);
            bool fee = cli_json_i64(account, "fee_owed", &owed) && owed > 0;
            snprintf(line_text + used, sizeof line_text - used, " (member %s%s%s)", status, fee ? ": fee owed " : "",
                     fee ? cli_out_amount(owed, &unit, owed_text) : "");
        }
        const char *cells[] = {rows[i].network_name,
                               string_or_dash(cli_json_string(account, "alias")),
                               amount_field(account, "balance", &unit, balance),
                               amount_field(account, "limit", &unit, limit),
                               amount_field(account, "can_pay_now", &unit, can_pay),
                               amount_field(account, "credit_left", &unit, credit_left),
                               line_text,
                               line_due(cli_json_object(account, "line"), due),
                               amount_field(account, "fees_paid", &unit, fees)};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
    bool said = false;
    for (size_t i = 0; i < count; i++) {
        int64_t in = 0, held = 0;
        cli_json_i64(rows[i].account, "pending_in", &in);
        cli_json_i64(rows[i].account, "pending_out", &held);
        if (in <= 0 && held <= 0) continue;
        if (!said) fprintf(out, "\n");
        said = true;
        cli_unit unit = unit_of(rows[i].account, &rows[i].unit);
        print_pending(out, rows[i].account, &unit, rows[i].network_name);
    }
}

void cli_out_members(FILE *out, const json_t *members, const cli_unit *fallback) {
    json_t *list = cli_json_array(members, "members");
    table t = {.columns = 6, .right = {false, false, false, true, true, false}};
    const char *header[] = {"ALIAS", "ADDRESS", "STATUS", "BALANCE", "LIMIT", "LINE"};
    table_row(&t, header);
    size_t index;
    json_t *member;
    json_array_foreach(list, index, member) {
        cli_unit unit = unit_of(member, fallback);
        char balance[CLI_AMOUNT_TEXT_MAX], limit[CLI_AMOUNT_TEXT_MAX];
        const char *cells[] = {string_or_dash(cli_json_string(member, "alias")),
                               string_or_dash(cli_json_string(member, "address")),
                               string_or_dash(cli_json_string(member, "status")),
                               amount_field(member, "balance", &unit, balance),
                               amount_field(member, "limit", &unit, limit),
                               string_or_dash(cli_json_string(cli_json_object(member, "line"), "status"))};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
    int64_t total;
    if (cli_json_i64(members, "total", &total))
        fprintf(out, "%zu shown of %" PRId64 " members\n", json_array_size(list), total);
}

/* ------------------------------------------------------------------------ */
/* History.                                                                  */
/* ------------------------------------------------------------------------ */

static void csv_field(FILE *out, const char *text, bool is_text, bool last) {
    if (!text) text = "";
    bool formula = is_text && strchr("=+-@", text[0]) != NULL && text[0] != '\0';
    bool quoted = strpbrk(text, ",\"\r\n") != NULL;
    if (quoted) fputc('"', out);
    if (formula) fputc('\'', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"') fputc('"', out);
        fputc(*c, out);
    }
    if (quoted) fputc('"', out);
    fputs(last ? "\r\n" : ",", out);
}

/* A record's id field (a hold's, a request's), 0 when absent. */
static int64_t json_id(const json_t *entry, const char *field) {
    int64_t id = 0;
    return cli_json_i64(entry, field, &id) ? id : 0;
}

/* What an event of a block's end did, in words, for the memo column: "" for an
 * entry that is a transaction's. */
static const char *event_text(const json_t *entry, const cli_unit *unit, const cli_unit *reserve, char *out,
                              size_t size) {
    out[0] = '\0';
    if (!json_is_true(json_object_get(entry, "by_chain"))) return out;
    const char *type = cli_json_string(entry, "type");
    char when[CLI_TIME_TEXT_MAX] = "", figure[CLI_AMOUNT_TEXT_MAX] = "";
    int64_t value;
    const char *times[] = {"period_end", "grace_end", "effective_at"};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        if (cli_json_i64(entry, times[i], &value)) cli_out_time(value, when);
    if (!type) return out;
    if (strcmp(type, "line_renewed") == 0 && cli_json_i64(entry, "limit", &value))
        snprintf(out, size, "line renewed to %s, limit %s", when, cli_out_amount(value, unit, figure));
    else if (strcmp(type, "line_expired") == 0 && cli_json_i64(entry, "balance", &value))
        snprintf(out, size, "line expired at %s, balance %s", when, cli_out_amount(value, unit, figure));
    else if (strcmp(type, "line_frozen") == 0 && cli_json_i64(entry, "balance", &value))
        snprintf(out, size, "line frozen until %s: balance %s", when, cli_out_amount(value, unit, figure));
    else if (strcmp(type, "line_unfrozen") == 0)
        snprintf(out, size, "line unfrozen, period to %s", when);
    else if (strcmp(type, "line_defaulted") == 0 && cli_json_i64(entry, "written_off", &value))
        snprintf(out, size, "defaulted: %s of debt written off", cli_out_amount(value, unit, figure));
    else if (strcmp(type, "lost_debt_covered") == 0 && cli_json_i64(entry, "covered", &value))
        snprintf(out, size, "pool credits cover %s of lost debt", cli_out_amount(value, unit, figure));
    else if (strcmp(type, "reserve_reallocated") == 0 && cli_json_i64(entry, "reserve_moved", &value))
        snprintf(out, size, "%s of reserve moved from excess to primary",
                 cli_out_amount(value, reserve ? reserve : &(cli_unit){0, ""}, figure));
    else if (strcmp(type, "policy_changed") == 0)
        snprintf(out, size, "announced policy in force from %s", when);
    else if (strcmp(type, "peg_changed") == 0)
        snprintf(out, size, "announced peg in force from %s", when);
    else if (strcmp(type, "pending_released") == 0 && cli_json_i64(entry, "posted", &value))
        snprintf(out, size, "hold %" PRId64 " released at its timeout: %s paid in full", json_id(entry, "hold"),
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "pending_refunded") == 0 && cli_json_i64(entry, "released", &value))
        snprintf(out, size, "hold %" PRId64 " refunded at its timeout: %s back to the payer", json_id(entry, "hold"),
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "request_expired") == 0 && cli_json_i64(entry, "asked", &value))
        snprintf(out, size, "request %" PRId64 " expired unpaid (%s asked)", json_id(entry, "request"),
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "stake_slashed") == 0 && cli_json_i64(entry, "reserve_slashed", &value))
        snprintf(out, size, "stake %" PRId64 " slashed: %s into the pool at the line's default", json_id(entry, "stake"),
                 cli_out_amount(value, reserve ? reserve : &(cli_unit){0, ""}, figure));
    else if (strcmp(type, "limit_set") == 0 && cli_json_i64(entry, "limit", &value))
        snprintf(out, size, "limit set to %s by the algorithm, from reputation %" PRId64,
                 cli_out_amount(value, unit, figure), json_id(entry, "reputation"));
    else if (strcmp(type, "demurrage_charged") == 0 && cli_json_i64(entry, "demurrage", &value))
        snprintf(out, size, "demurrage: %s charged", cli_out_amount(value, unit, figure));
    else if (strcmp(type, "membership_fee_charged") == 0 && cli_json_i64(entry, "membership_fee", &value))
        snprintf(out, size, "membership fee: %s charged", cli_out_amount(value, unit, figure));
    else if (strcmp(type, "fee_suspended") == 0 && cli_json_i64(entry, "owed", &value))
        snprintf(out, size, "suspended: %s of membership fee owed (tally member pay-fee)",
                 cli_out_amount(value, unit, figure));
    /* the marketplace's timeouts */
    else if (strcmp(type, "listing_expired") == 0)
        snprintf(out, size, "listing %" PRId64 " expired", json_id(entry, "listing"));
    else if (strcmp(type, "order_released") == 0 && cli_json_i64(entry, "paid", &value))
        snprintf(out, size, "order %" PRId64 " released at its timeout: %s to the seller", json_id(entry, "order"),
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "order_expired") == 0 && cli_json_i64(entry, "refunded", &value))
        snprintf(out, size, "order %" PRId64 " unaccepted at its timeout: %s refunded", json_id(entry, "order"),
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "order_held") == 0 && cli_json_i64(entry, "held", &value))
        snprintf(out, size, "order %" PRId64 " held at its timeout: the seller cannot be paid %s now (disputed)",
                 json_id(entry, "order"), cli_out_amount(value, unit, figure));
    return out;
}

/* A marketplace entry in words: the listing or order it is about, what it held or
 * paid, a review's stars; its memo (a reason, a review's text) after a colon. */
static void market_text(const json_t *entry, const char *type, const cli_unit *unit, char *out, size_t size) {
    const char *memo = cli_json_string(entry, "memo");
    bool has_memo = memo && memo[0];
    char figure[CLI_AMOUNT_TEXT_MAX], what[96];
    int64_t order = json_id(entry, "order"), listing = json_id(entry, "listing"), value = 0;
    /* a history names the order and what it held or paid; the activity the listing
     * ordered and the amount */
    bool held = cli_json_i64(entry, "held", &value) || cli_json_i64(entry, "amount", &value);
    if (strcmp(type, "order_create") == 0 && held && order)
        snprintf(what, sizeof what, "order %" PRId64 ": %s held", order, cli_out_amount(value, unit, figure));
    else if (strcmp(type, "order_create") == 0 && held && listing)
        snprintf(what, sizeof what, "listing %" PRId64 " ordered: %s held", listing, cli_out_amount(value, unit, figure));
    else if ((strcmp(type, "order_confirm") == 0 || strcmp(type, "order_resolve") == 0) && order &&
             (cli_json_i64(entry, "paid", &value) || cli_json_i64(entry, "amount", &value)))
        snprintf(what, sizeof what, "order %" PRId64 " %s: %s to the seller", order,
                 type[6] == 'c' ? "confirmed" : "resolved", cli_out_amount(value, unit, figure));
    else if (strcmp(type, "order_confirm") == 0 && order)
        snprintf(what, sizeof what, "order %" PRId64 " confirmed: the seller is paid", order);
    else if (strcmp(type, "review") == 0 && cli_json_i64(entry, "rating", &value))
        snprintf(what, sizeof what, "order %" PRId64 " reviewed: %" PRId64 " of 5", order, value);
    else if (order && (strcmp(type, "order_accept") == 0 || strcmp(type, "order_decline") == 0 ||
                       strcmp(type, "order_cancel") == 0 || strcmp(type, "order_dispute") == 0))
        snprintf(what, sizeof what, "order %" PRId64 " %s", order,
                 type[6] == 'a' ? "accepted" : type[6] == 'd' && type[7] == 'e' ? "declined: refunded"
                 : type[6] == 'c' ? "cancelled: refunded" : "disputed");
    else if (listing && strncmp(type, "listing_", 8) == 0)
        snprintf(what, sizeof what, "listing %" PRId64 " %s", listing,
                 strcmp(type, "listing_create") == 0 ? "published" : strcmp(type, "listing_update") == 0 ? "updated"
                                                                                                          : "withdrawn");
    else
        return;
    snprintf(out, size, "%s%s%s", what, has_memo ? ": " : "", has_memo ? memo : "");
}

/* What a step of a hold or a payment request did, in words (its memo after a
 * colon), or a stake put behind a line or taken back: "" for any other entry. */
static const char *escrow_text(const json_t *entry, const cli_unit *unit, const cli_unit *reserve, char *out,
                               size_t size) {
    out[0] = '\0';
    const char *type = cli_json_string(entry, "type"), *memo = cli_json_string(entry, "memo");
    if (!type || json_is_true(json_object_get(entry, "by_chain"))) return out;
    bool has_memo = memo && memo[0];
    char figure[CLI_AMOUNT_TEXT_MAX];
    int64_t hold = json_id(entry, "hold"), request = json_id(entry, "request"), value = 0;
    if (strcmp(type, "pending_create") == 0 && hold && cli_json_i64(entry, "held", &value))
        snprintf(out, size, "hold %" PRId64 ": %s held until posted, voided or timed out", hold,
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "pending_post") == 0 && hold && cli_json_i64(entry, "posted", &value))
        snprintf(out, size, "hold %" PRId64 " posted: %s paid, the rest released", hold,
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "pending_void") == 0 && hold && cli_json_i64(entry, "held", &value))
        snprintf(out, size, "hold %" PRId64 " voided: nothing paid, %s released", hold,
                 cli_out_amount(value, unit, figure));
    else if (strcmp(type, "request_create") == 0 && request && cli_json_i64(entry, "asked", &value))
        snprintf(out, size, "request %" PRId64 ": %s asked%s%s", request, cli_out_amount(value, unit, figure),
                 has_memo ? ": " : "", has_memo ? memo : "");
    else if (strcmp(type, "request_pay") == 0 && request)
        snprintf(out, size, "paid request %" PRId64 "%s%s", request, has_memo ? ": " : "", has_memo ? memo : "");
    else if (strcmp(type, "request_cancel") == 0 && request && cli_json_i64(entry, "asked", &value))
        snprintf(out, size, "request %" PRId64 " cancelled (%s asked)%s%s", request,
                 cli_out_amount(value, unit, figure), has_memo ? ": " : "", has_memo ? memo : "");
    else if ((strcmp(type, "stake") == 0 || strcmp(type, "unstake") == 0) && cli_json_i64(entry, "staked", &value))
        snprintf(out, size, "%s %s behind the line", value >= 0 ? "staked" : "took back",
                 cli_out_amount(value >= 0 ? value : -value, reserve ? reserve : &(cli_unit){0, ""}, figure));
    else if (strcmp(type, "member_fee_pay") == 0)
        snprintf(out, size, "membership fee paid: active again");
    else if (strncmp(type, "order_", 6) == 0 || strcmp(type, "review") == 0 || strncmp(type, "listing_", 8) == 0)
        market_text(entry, type, unit, out, size);
    return out;
}

void cli_out_history_csv(FILE *out, const json_t *entries, const cli_unit *unit, const cli_unit *reserve) {
    fputs("date,height,type,line,counterparty,counterparty_name,amount,fee,unit,reserve,reserve_unit,shares,memo,tx\r\n",
          out);
    cli_unit plain = *unit, plain_reserve = reserve ? *reserve : (cli_unit){0, ""};
    plain.code[0] = plain_reserve.code[0] = '\0';
    size_t index;
    json_t *entry;
    json_array_foreach(entries, index, entry) {
        char date[32] = "", height[24] = "", line[24] = "", amount[CLI_AMOUNT_TEXT_MAX] = "",
             fee[CLI_AMOUNT_TEXT_MAX] = "", reserve_text[CLI_AMOUNT_TEXT_MAX] = "", shares_text[CLI_AMOUNT_TEXT_MAX] = "";
        int64_t value;
        if (cli_json_i64(entry, "time", &value) && value > 0) {
            struct tm parts;
            time_t seconds = (time_t)value;
            if (gmtime_r(&seconds, &parts)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &parts);
        }
        if (cli_json_i64(entry, "height", &value)) snprintf(height, sizeof height, "%" PRId64, value);
        if (cli_json_i64(entry, "line", &value) && value > 0) snprintf(line, sizeof line, "%" PRId64, value);
        if (cli_json_i64(entry, "amount", &value)) cli_out_amount(value, &plain, amount);
        if (cli_json_i64(entry, "fee", &value)) cli_out_amount(value, &plain, fee);
        bool has_reserve = reserve && cli_json_i64(entry, "reserve", &value);
        if (has_reserve) cli_out_amount(value, &plain_reserve, reserve_text);
        if (reserve && cli_json_i64(entry, "shares", &value)) cli_out_amount(value, &plain_reserve, shares_text);
        char event[160];
        event_text(entry, unit, reserve, event, sizeof event);
        csv_field(out, date, false, false);
        csv_field(out, height, false, false);
        csv_field(out, cli_json_string(entry, "type"), false, false);
        csv_field(out, line, false, false);
        csv_field(out, cli_json_string(entry, "counterparty"), false, false);
        csv_field(out, cli_json_string(entry, "counterparty_name"), true, false);
        csv_field(out, amount, false, false);
        csv_field(out, fee, false, false);
        csv_field(out, unit->code, false, false);
        csv_field(out, reserve_text, false, false);
        csv_field(out, has_reserve ? reserve->code : "", false, false);
        csv_field(out, shares_text, false, false);
        csv_field(out, event[0] ? event : cli_json_string(entry, "memo"), true, false);
        csv_field(out, cli_json_string(entry, "tx"), false, true);
    }
}

void cli_out_history(FILE *out, const json_t *history, const cli_unit *unit, const cli_unit *reserve,
                     const char *next_hint) {
    json_t *entries = cli_json_array(history, "entries");
    if (json_array_size(entries) == 0) {
        fprintf(out, "no transactions\n");
    } else {
        table t = {.columns = 7, .right = {true, false, false, false, true, true, false}};
        const char *header[] = {"HEIGHT", "TIME", "TYPE", "COUNTERPARTY", "AMOUNT", "FEE", "MEMO"};
        table_row(&t, header);
        size_t index;
        json_t *entry;
        json_array_foreach(entries, index, entry) {
            char height[24] = "-", when[CLI_TIME_TEXT_MAX] = "-", amount[CLI_AMOUNT_TEXT_MAX],
                 fee[CLI_AMOUNT_TEXT_MAX], party[24], type[48];
            int64_t value;
            if (cli_json_i64(entry, "height", &value)) snprintf(height, sizeof height, "%" PRId64, value);
            if (cli_json_i64(entry, "time", &value)) cli_out_time(value, when);
            int64_t fee_value = 0;
            bool has_fee = cli_json_i64(entry, "fee", &fee_value) && fee_value != 0;
            /* A batch payment's line says which: "transfer_batch:3". */
            snprintf(type, sizeof type, "%s", string_or_dash(cli_json_string(entry, "type")));
            if (cli_json_i64(entry, "line", &value) && value > 0)
                snprintf(type + strlen(type), sizeof type - strlen(type), ":%" PRId64, value);
            /* A pool entry: the reserve it moved, and the shares. */
            int64_t reserve_value = 0, shares = 0;
            bool is_pool = reserve && cli_json_i64(entry, "reserve", &reserve_value);
            char pool_memo[96] = "";
            if (is_pool && cli_json_i64(entry, "shares", &shares)) {
                cli_unit shares_unit = cli_shares_unit(reserve);
                char count[CLI_AMOUNT_TEXT_MAX];
                snprintf(pool_memo, sizeof pool_memo, "%s%s shares", shares > 0 ? "+" : "",
                         cli_out_amount(shares, &shares_unit, count));
            }
            char event[160], escrow[TALLY_MEMO_MAX + 96];
            event_text(entry, unit, reserve, event, sizeof event);
            escrow_text(entry, unit, reserve, escrow, sizeof escrow);
            const char *cells[] = {height,
                                   when,
                                   type,
                                   cli_json_string(entry, "counterparty_name")
                                       ? cli_json_string(entry, "counterparty_name")
                                       : short_key(cli_json_string(entry, "counterparty"), party),
                                   is_pool ? cli_out_amount(reserve_value, reserve, amount)
                                           : amount_field(entry, "amount", unit, amount),
                                   has_fee ? cli_out_amount(fee_value, unit, fee) : "",
                                   event[0]                          ? event
                                   : escrow[0]                       ? escrow
                                   : pool_memo[0]                    ? pool_memo
                                   : cli_json_string(entry, "memo") ? cli_json_string(entry, "memo")
                                                                     : ""};
            table_row(&t, cells);
        }
        table_print(out, &t);
        table_free(&t);
    }
    int64_t next;
    if (next_hint && cli_json_i64(history, "next", &next))
        fprintf(out, "more: %s --before %" PRId64 "\n", next_hint, next);
}

/* A name, else a short address, else "-". */
static const char *who_cell(const json_t *entry, const char *name_field, const char *address_field, char out[24]) {
    const char *name = cli_json_string(entry, name_field);
    if (name && name[0]) return name;
    return short_key(cli_json_string(entry, address_field), out);
}

void cli_out_activity(FILE *out, const json_t *activity, const cli_unit *unit, const cli_unit *reserve,
                      const char *next_hint) {
    json_t *entries = cli_json_array(activity, "entries");
    if (json_array_size(entries) == 0) {
        fprintf(out, "no activity\n");
    } else {
        table t = {.columns = 7, .right = {true, false, false, false, false, true, false}};
        const char *header[] = {"HEIGHT", "TIME", "TYPE", "BY", "TO / MEMBER", "AMOUNT", "DETAIL"};
        table_row(&t, header);
        size_t index;
        json_t *entry;
        json_array_foreach(entries, index, entry) {
            char height[24] = "-", when[CLI_TIME_TEXT_MAX] = "-", amount[CLI_AMOUNT_TEXT_MAX] = "", by[24], other[24],
                 detail[TALLY_MEMO_MAX + 96] = "";
            int64_t value;
            if (cli_json_i64(entry, "height", &value)) snprintf(height, sizeof height, "%" PRId64, value);
            if (cli_json_i64(entry, "time", &value)) cli_out_time(value, when);
            bool by_chain = json_is_true(json_object_get(entry, "by_chain"));
            if (by_chain) {
                event_text(entry, unit, reserve, detail, sizeof detail);
            } else if (escrow_text(entry, unit, reserve, detail, sizeof detail)[0]) {
                int64_t fee = 0;
                if (cli_json_i64(entry, "fee", &fee) && fee > 0) {
                    char fee_text[CLI_AMOUNT_TEXT_MAX];
                    snprintf(detail + strlen(detail), sizeof detail - strlen(detail), ", fee %s",
                             cli_out_amount(fee, unit, fee_text));
                }
            } else {
                if (cli_json_i64(entry, "amount", &value)) cli_out_amount(value, unit, amount);
                const char *memo = cli_json_string(entry, "memo"), *alias = cli_json_string(entry, "alias");
                int64_t fee = 0, lines = 0;
                if (cli_json_i64(entry, "lines", &lines)) snprintf(detail, sizeof detail, "%" PRId64 " lines", lines);
                else if (memo && memo[0]) snprintf(detail, sizeof detail, "%s", memo);
                else if (alias) snprintf(detail, sizeof detail, "alias %s", alias[0] ? alias : "cleared");
                else if (json_is_true(json_object_get(entry, "to_pool"))) snprintf(detail, sizeof detail, "to the pool");
                if (cli_json_i64(entry, "fee", &fee) && fee > 0) {
                    char fee_text[CLI_AMOUNT_TEXT_MAX];
                    snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%sfee %s", detail[0] ? ", " : "",
                             cli_out_amount(fee, unit, fee_text));
                }
            }
            const char *cells[] = {height,
                                   when,
                                   string_or_dash(cli_json_string(entry, "type")),
                                   by_chain ? "chain" : who_cell(entry, "by_name", "by", by),
                                   cli_json_string(entry, "to") ? who_cell(entry, "to_name", "to", other)
                                                                : who_cell(entry, "member_name", "member", other),
                                   amount,
                                   detail};
            table_row(&t, cells);
        }
        table_print(out, &t);
        table_free(&t);
    }
    int64_t next;
    if (next_hint && cli_json_i64(activity, "next", &next))
        fprintf(out, "more: %s --before %" PRId64 "\n", next_hint, next);
}

void cli_out_search(FILE *out, const json_t *search) {
    json_t *matches = cli_json_array(search, "matches");
    if (json_array_size(matches) == 0) {
        fprintf(out, "no matches\n");
        return;
    }
    table t = {.columns = 5, .right = {true, false, false, false, false}};
    const char *header[] = {"HEIGHT", "KIND", "WHO", "COUNTERPARTY", "TEXT"};
    table_row(&t, header);
    size_t index;
    json_t *match;
    json_array_foreach(matches, index, match) {
        char height[24] = "-", who[24], party[24];
        int64_t value;
        if (cli_json_i64(match, "height", &value)) snprintf(height, sizeof height, "%" PRId64, value);
        const char *cells[] = {height, string_or_dash(cli_json_string(match, "kind")),
                               short_key(cli_json_string(match, "address"), who),
                               short_key(cli_json_string(match, "counterparty"), party),
                               string_or_dash(cli_json_string(match, "text"))};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
}

/* ------------------------------------------------------------------------ */
/* Networks.                                                                 */
/* ------------------------------------------------------------------------ */

static const char *rule_name(const json_t *policy, char out[24]) {
    int64_t number;
    const char *text = cli_json_string(policy, "compliance_rule");
    if (text) {
        snprintf(out, 24, "%s", text);
    } else if (cli_json_i64(policy, "compliance_rule", &number)) {
        static const char *names[] = {"zero-balance", "rebalanced", "min-income"};
        snprintf(out, 24, "%s", number >= 0 && number < 3 ? names[number] : "?");
    } else {
        snprintf(out, 24, "-");
    }
    for (char *c = out; *c; c++)
        if (*c == '_') *c = '-';
    return out;
}

static const char *mode_name(const json_t *policy) {
    int64_t number;
    const char *text = cli_json_string(policy, "membership_mode");
    if (text) return text;
    if (cli_json_i64(policy, "membership_mode", &number)) return number == 1 ? "admitted" : "open";
    return "-";
}

static int64_t field_or_zero(const json_t *object, const char *name) {
    int64_t value = 0;
    cli_json_i64(object, name, &value);
    return value;
}

/* Underwriting, reputation, algorithmic limits, charges and governance (issue 12). */
static void print_policy_rules(FILE *out, const json_t *policy, const cli_unit *unit) {
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX], bps[24], d1[32], d2[32], d3[32];
    int64_t ratio = field_or_zero(policy, "collateral_ratio_bps");
    if (ratio > 0)
        fprintf(out, "            underwriting: stakes cover their value * 10000 / %" PRId64 " (collateral %s)\n", ratio,
                cli_out_bps(ratio, bps));
    else fprintf(out, "            underwriting: none (no stakes)\n");
    const json_t *r = cli_json_object(policy, "reputation");
    if (r) {
        cli_unit volume_unit = *unit;
        fprintf(out,
                "            reputation: base %" PRId64 ", age %" PRId64 " at %" PRId64 " days, volume %" PRId64
                " at %s, streak %" PRId64 " at %" PRId64 " periods, reviews %" PRId64 " at %" PRId64
                " stars, -%" PRId64 " a default\n",
                field_or_zero(r, "base"), field_or_zero(r, "age_weight"), field_or_zero(r, "age_full_days"),
                field_or_zero(r, "volume_weight"), amount_field(r, "volume_full", &volume_unit, a),
                field_or_zero(r, "streak_weight"), field_or_zero(r, "streak_full"), field_or_zero(r, "review_weight"),
                field_or_zero(r, "review_full"), field_or_zero(r, "default_penalty"));
    }
    const json_t *l = cli_json_object(policy, "algorithmic_limits");
    bool enabled = false;
    if (l && cli_json_bool(l, "enabled", &enabled) && enabled)
        fprintf(out,
                "            algorithmic limits: %s + %s a point + %s of income, up %s a renewal at most, "
                "%" PRId64 " compliant periods after a default\n",
                amount_field(l, "base", unit, a), amount_field(l, "per_point", unit, b),
                cli_out_bps(field_or_zero(l, "income_bps"), bps), amount_field(l, "step_max", unit, c),
                field_or_zero(l, "recovery_periods"));
    else if (l) fprintf(out, "            algorithmic limits: off (operators set lines)\n");
    int64_t demurrage = field_or_zero(policy, "demurrage_bps"), fee = field_or_zero(policy, "membership_fee");
    bool to_pool = false;
    cli_json_bool(policy, "charges_to_pool", &to_pool);
    if (demurrage > 0 || fee > 0)
        fprintf(out, "            charges each period: demurrage %s above %s, membership fee %s, to the %s\n",
                cli_out_bps(demurrage, bps), amount_field(policy, "demurrage_threshold", unit, a),
                fee > 0 ? cli_out_amount(fee, unit, b) : "none", to_pool ? "pool" : "fee account");
    else if (cli_json_object(policy, "governance")) fprintf(out, "            charges: none\n");
    const json_t *g = cli_json_object(policy, "governance");
    const char *mode = cli_json_string(g, "mode");
    if (mode && strcmp(mode, "members") == 0) {
        bool suspend = false, freeze = false;
        cli_json_bool(g, "operators_may_suspend", &suspend);
        cli_json_bool(g, "operators_may_freeze", &freeze);
        char quorum[24], threshold[24];
        fprintf(out,
                "            governance: members vote (%s), quorum %s, threshold %s, voting %s, timelock %s, late "
                "quorum +%s; operators may %s\n",
                string_or_dash(cli_json_string(g, "weighting")), cli_out_bps(field_or_zero(g, "quorum_bps"), quorum),
                cli_out_bps(field_or_zero(g, "threshold_bps"), threshold),
                cli_out_duration(field_or_zero(g, "voting_seconds"), d1),
                cli_out_duration(field_or_zero(g, "timelock_seconds"), d2),
                cli_out_duration(field_or_zero(g, "late_quorum_seconds"), d3),
                suspend && freeze ? "suspend members and freeze gateways"
                : suspend         ? "suspend members"
                : freeze          ? "freeze gateways"
                                  : "do neither");
    } else if (g) {
        fprintf(out, "            governance: operators\n");
    }
}

static void print_policy(FILE *out, const json_t *policy, const cli_unit *unit) {
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX], bps[24], bps2[24], bps3[24],
        period[32], grace[32], rule[24];
    int64_t cap = 0, fee = 0, risk = 0, target = 0, min_income = 0, period_s = 0, grace_s = 0;
    bool renew = true;
    bool has_cap = cli_json_i64(policy, "positive_cap", &cap);
    cli_json_i64(policy, "fee_bps", &fee);
    cli_json_i64(policy, "default_risk_fee_bps", &risk);
    cli_json_i64(policy, "target_rtd_bps", &target);
    cli_json_i64(policy, "min_income_bps", &min_income);
    cli_json_i64(policy, "period_seconds", &period_s);
    cli_json_i64(policy, "grace_seconds", &grace_s);
    cli_json_bool(policy, "auto_renew", &renew);
    fprintf(out, "policy      default limit %s, max limit %s, cap %s\n",
            amount_field(policy, "default_credit_limit", unit, a), amount_field(policy, "max_credit_limit", unit, b),
            has_cap && cap > 0 ? cli_out_amount(cap, unit, c) : "none");
    fprintf(out, "            fee %s, risk fee of automatic lines %s, target RTD %s\n", cli_out_bps(fee, bps),
            cli_out_bps(risk, bps2), cli_out_bps(target, bps3));
    fprintf(out, "            period %s, grace %s, rule %s", cli_out_duration(period_s, period),
            cli_out_duration(grace_s, grace), rule_name(policy, rule));
    if (strcmp(rule, "min-income") == 0) fprintf(out, " (%s of the debt)", cli_out_bps(min_income, bps));
    fprintf(out, ", auto-renew %s, membership %s\n", renew ? "on" : "off", mode_name(policy));
    int64_t max_members = 0, notice = 0, redeem_cap = 0;
    char notice_text[32];
    if (cli_json_i64(policy, "max_members", &max_members) && cli_json_i64(policy, "notice_seconds", &notice) &&
        cli_json_i64(policy, "redeem_cap_bps", &redeem_cap))
        fprintf(out, "            at most %" PRId64 " members, notice %s, redemptions at most %s of primary a day\n",
                max_members, cli_out_duration(notice, notice_text), cli_out_bps(redeem_cap, bps));
    print_policy_rules(out, policy, unit);
}

/* What is announced and not yet in force, field by field against the policy. */
static void print_announced(FILE *out, const json_t *network, const cli_unit *unit, const cli_unit *reserve) {
    const json_t *announced = cli_json_object(network, "announced");
    const json_t *now = cli_json_object(network, "policy"), *asked = cli_json_object(announced, "policy");
    char when[CLI_TIME_TEXT_MAX], a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX];
    int64_t at = 0;
    if (asked && now && cli_json_i64(asked, "at", &at)) {
        fprintf(out, "announced   from %s:", cli_out_time(at, when));
        static const struct {
            const char *field, *name;
            bool bps, amount, duration;
        } fields[] = {{"fee_bps", "fee", true, false, false},
                      {"default_risk_fee_bps", "risk fee of automatic lines", true, false, false},
                      {"positive_cap", "cap", false, true, false},
                      {"target_rtd_bps", "target RTD", true, false, false},
                      {"notice_seconds", "notice", false, false, true},
                      {"redeem_cap_bps", "redemption cap", true, false, false},
                      {"demurrage_bps", "demurrage", true, false, false},
                      {"demurrage_threshold", "demurrage threshold", false, true, false},
                      {"membership_fee", "membership fee", false, true, false}};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            int64_t from = 0, to = 0;
            if (!cli_json_i64(now, fields[i].field, &from) || !cli_json_i64(asked, fields[i].field, &to) || from == to)
                continue;
            if (fields[i].bps) fprintf(out, " %s %s -> %s", fields[i].name, cli_out_bps(from, a), cli_out_bps(to, b));
            else if (fields[i].duration)
                fprintf(out, " %s %s -> %s", fields[i].name, cli_out_duration(from, a), cli_out_duration(to, b));
            else
                fprintf(out, " %s %s -> %s", fields[i].name, from ? cli_out_amount(from, unit, a) : "none",
                        to ? cli_out_amount(to, unit, b) : "none");
        }
        fprintf(out, "\n");
    }
    const json_t *peg = cli_json_object(announced, "peg");
    if (peg && cli_json_i64(peg, "at", &at)) {
        cli_unit reserve_unit = reserve ? *reserve : (cli_unit){0, ""};
        fprintf(out, "announced   from %s: the pool's peg becomes %s backs %s\n", cli_out_time(at, when),
                amount_field(peg, "peg_reserve_units", &reserve_unit, a), amount_field(peg, "peg_credit_units", unit, b));
    }
}

void cli_out_network(FILE *out, const json_t *network, const cli_unit *reserve) {
    cli_unit unit = unit_of(network, NULL);
    int64_t id = 0, members = 0;
    char amount[CLI_AMOUNT_TEXT_MAX];
    cli_json_i64(network, "id", &id);
    fprintf(out, "network     %" PRId64 "  %s\n", id, string_or_dash(cli_json_string(network, "name")));
    fprintf(out, "unit        %s (%u decimals)\n", string_or_dash(unit.code), unit.decimals);
    json_t *operators = cli_json_array(network, "operators");
    size_t index;
    json_t *operator_;
    json_array_foreach(operators, index, operator_) {
        fprintf(out, "%s %s\n", index == 0 ? "operators  " : "           ",
                json_is_string(operator_) ? json_string_value(operator_) : "?");
    }
    if (cli_json_i64(network, "members", &members)) fprintf(out, "members     %" PRId64 "\n", members);
    fprintf(out, "supply      %s\n", amount_field(network, "supply", &unit, amount));
    fprintf(out, "debt        %s\n", amount_field(network, "debt", &unit, amount));
    fprintf(out, "lost debt   %s\n", amount_field(network, "lost_debt", &unit, amount));
    fprintf(out, "fees        %s\n", amount_field(network, "fees", &unit, amount));
    const json_t *policy = cli_json_object(network, "policy");
    if (policy) print_policy(out, policy, &unit);
    print_announced(out, network, &unit, reserve);
    const json_t *pool = cli_json_object(network, "pool");
    int64_t asset = 0;
    if (!pool || !cli_json_i64(pool, "asset", &asset) || asset == 0) {
        fprintf(out, "pool        no reserve asset (set one with `tally network peg`)\n");
        return;
    }
    cli_unit reserve_unit = reserve ? *reserve : (cli_unit){0, ""};
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX], bps[24], bps2[24];
    int64_t rtd = 0, target = 0;
    cli_json_i64(pool, "rtd_bps", &rtd);
    cli_json_i64(pool, "target_rtd_bps", &target);
    fprintf(out, "pool        asset %" PRId64 ": %s backs %s\n", asset,
            amount_field(pool, "peg_reserve_units", &reserve_unit, a),
            amount_field(pool, "peg_credit_units", &unit, b));
    fprintf(out, "            primary %s, buffer %s, excess %s\n", amount_field(pool, "primary", &reserve_unit, a),
            amount_field(pool, "buffer", &reserve_unit, b), amount_field(pool, "excess", &reserve_unit, c));
    cli_unit shares_unit = cli_shares_unit(&reserve_unit);
    fprintf(out, "            shares %s, credits %s, RTD %s (target %s)\n",
            amount_field(pool, "shares", &shares_unit, a), amount_field(pool, "credits", &unit, b),
            cli_out_bps(rtd, bps), cli_out_bps(target, bps2));
    if (cli_json_object(pool, "redeem_allowance_today") || json_object_get(pool, "redeem_allowance_today"))
        fprintf(out, "            redemptions may still take %s from primary today (the buffer is not capped)\n",
                amount_field(pool, "redeem_allowance_today", &reserve_unit, a));
}

/* A table of health periods, newest first. */
static void print_health_history(FILE *out, const json_t *periods, const cli_unit *unit) {
    table t = {.columns = 10, .right = {true, false, true, true, true, true, true, true, true, true}};
    const char *header[] = {"PERIOD", "ENDED", "SUPPLY", "MEMBERS OWE", "UTILISATION", "VELOCITY", "DEFAULTS",
                            "RTD", "ACTIVE", "EXPOSURE"};
    table_row(&t, header);
    size_t index;
    json_t *row;
    json_array_foreach(periods, index, row) {
        char period[24] = "-", ended[CLI_TIME_TEXT_MAX] = "-", supply[CLI_AMOUNT_TEXT_MAX] = "-",
             owe[CLI_AMOUNT_TEXT_MAX] = "-", util[24] = "-", velocity[24] = "-", defaults[24] = "-", rtd[24] = "-",
             active[24] = "-", exposure[CLI_AMOUNT_TEXT_MAX] = "-";
        int64_t value = 0;
        if (cli_json_i64(row, "period", &value)) snprintf(period, sizeof period, "%" PRId64, value);
        if (cli_json_i64(row, "ended_at", &value)) cli_out_time(value, ended);
        if (json_is_true(json_object_get(row, "known"))) {
            amount_field(row, "supply", unit, supply);
            amount_field(row, "member_debt", unit, owe);
            if (cli_json_i64(row, "utilisation_bps", &value)) cli_out_bps(value, util);
            if (cli_json_i64(row, "velocity_bps", &value)) cli_out_bps(value, velocity);
            if (cli_json_i64(row, "default_rate_bps", &value)) cli_out_bps(value, defaults);
            if (cli_json_i64(row, "rtd_bps", &value)) cli_out_bps(value, rtd);
            if (cli_json_i64(row, "active_members", &value)) snprintf(active, sizeof active, "%" PRId64, value);
            amount_field(row, "exposure", unit, exposure);
        } else {
            snprintf(supply, sizeof supply, "(not indexed)");
        }
        const char *cells[] = {period, ended, supply, owe, util, velocity, defaults, rtd, active, exposure};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
}

void cli_out_network_health(FILE *out, const json_t *network, bool history) {
    cli_unit unit = unit_of(network, NULL);
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX], bps[24], bps2[24];
    fprintf(out, "network     %s (%s)\n", string_or_dash(cli_json_string(network, "name")), string_or_dash(unit.code));
    const json_t *h = cli_json_object(network, "last");
    int64_t period = 0, ended = 0, active = 0, value = 0, other = 0;
    if (!h || !cli_json_i64(h, "period", &period)) {
        fprintf(out, "health      no period has ended yet (a period is 30 days from the network's creation)\n");
    } else {
        cli_json_i64(h, "ended_at", &ended);
        char when[CLI_TIME_TEXT_MAX];
        fprintf(out, "period      %" PRId64 ", ended %s (periods are 30 days)\n", period, cli_out_time(ended, when));
        fprintf(out, "supply      %s   debt %s (members' own %s)\n", amount_field(h, "supply", &unit, a),
                amount_field(h, "debt", &unit, b), amount_field(h, "member_debt", &unit, c));
        cli_json_i64(h, "utilisation_bps", &value);
        fprintf(out, "utilisation %s of %s of limits\n", cli_out_bps(value, bps), amount_field(h, "limits", &unit, a));
        cli_json_i64(h, "velocity_bps", &value);
        fprintf(out, "velocity    %s (members received %s)\n", cli_out_bps(value, bps),
                amount_field(h, "volume", &unit, a));
        cli_json_i64(h, "default_rate_bps", &value);
        fprintf(out, "defaults    %s of %s owed at the start: %s written off\n", cli_out_bps(value, bps),
                amount_field(h, "debt_at_start", &unit, a), amount_field(h, "written_off", &unit, b));
        fprintf(out, "lost debt   %s\n", amount_field(h, "lost_debt", &unit, a));
        cli_json_i64(h, "rtd_bps", &value);
        cli_json_i64(h, "concentration_bps", &other);
        fprintf(out, "RTD         %s   concentration %s (largest debt %s)\n", cli_out_bps(value, bps),
                cli_out_bps(other, bps2), amount_field(h, "largest_debt", &unit, a));
        cli_json_i64(h, "active_members", &active);
        fprintf(out, "active      %" PRId64 " members\n", active);
        fprintf(out, "gateways    exposure %s (minted against partners), owed %s\n", amount_field(h, "exposure", &unit, a),
                amount_field(h, "owed", &unit, b));
    }
    const json_t *running = cli_json_object(network, "running");
    int64_t ends = 0;
    if (running && cli_json_i64(running, "period", &period) && cli_json_i64(running, "ends_at", &ends)) {
        cli_json_i64(running, "active_members", &active);
        char until[CLI_TIME_TEXT_MAX];
        fprintf(out, "now         period %" PRId64 " until %s: members received %s, %" PRId64
                     " active; exposure %s, owed %s\n",
                period, cli_out_time(ends, until), amount_field(running, "volume", &unit, a), active,
                amount_field(running, "exposure", &unit, b), amount_field(running, "owed", &unit, c));
    }
    const json_t *periods = cli_json_array(network, "history");
    if (!history) return;
    if (json_array_size(periods) == 0) {
        fprintf(out, "history     none yet\n");
        return;
    }
    fprintf(out, "\n");
    print_health_history(out, periods, &unit);
    int64_t next = 0;
    if (cli_json_i64(network, "next", &next))
        fprintf(out, "older periods: before period %" PRId64 " (GET /v1/networks/{id}/health?before=%" PRId64 ")\n", next,
                next);
}

void cli_out_network_list(FILE *out, const json_t *list) {
    json_t *networks = cli_json_array(list, "networks");
    if (json_array_size(networks) == 0) {
        fprintf(out, "no networks yet: found one with `tally network create NAME UNIT`\n");
        return;
    }
    table t = {.columns = 6, .right = {true, false, false, true, true, true}};
    const char *header[] = {"ID", "NAME", "UNIT", "MEMBERS", "SUPPLY", "LOST DEBT"};
    table_row(&t, header);
    size_t index;
    json_t *network;
    json_array_foreach(networks, index, network) {
        cli_unit unit = unit_of(network, NULL);
        char id[24] = "-", members[24] = "-", supply[CLI_AMOUNT_TEXT_MAX], lost[CLI_AMOUNT_TEXT_MAX];
        int64_t value;
        if (cli_json_i64(network, "id", &value)) snprintf(id, sizeof id, "%" PRId64, value);
        if (cli_json_i64(network, "members", &value)) snprintf(members, sizeof members, "%" PRId64, value);
        const char *cells[] = {id, string_or_dash(cli_json_string(network, "name")), string_or_dash(unit.code),
                               members, amount_field(network, "supply", &unit, supply),
                               amount_field(network, "lost_debt", &unit, lost)};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
}

/* ------------------------------------------------------------------------ */
/* Node, assets, blocks, transactions.                                       */
/* ------------------------------------------------------------------------ */

void cli_out_status(FILE *out, const json_t *status, const char *node_url) {
    int64_t value;
    char when[CLI_TIME_TEXT_MAX];
    const char *version = cli_json_string(status, "version");
    fprintf(out, "node        %s%s%s%s\n", node_url, version ? " (version " : "", version ? version : "",
            version ? ")" : "");
    fprintf(out, "chain       %s\n", string_or_dash(cli_json_string(status, "chain_id")));
    fprintf(out, "producer    %s\n", string_or_dash(cli_json_string(status, "producer")));
    if (cli_json_i64(status, "height", &value)) fprintf(out, "height      %" PRId64 "\n", value);
    fprintf(out, "tip         %s\n", string_or_dash(cli_json_string(status, "tip_hash")));
    if (cli_json_i64(status, "tip_time", &value)) fprintf(out, "tip time    %s\n", cli_out_time(value, when));
    if (cli_json_i64(status, "mempool", &value))
        fprintf(out, "mempool     %" PRId64 " transaction%s waiting\n", value, value == 1 ? "" : "s");
    const json_t *rules = cli_json_object(status, "rules");
    const char *growth = cli_json_string(rules, "growth_mode");
    int64_t networks = 0, assets = 0;
    if (growth && strcmp(growth, "approved") == 0)
        fprintf(out, "growth      approved: keys found networks and create assets as a validator approves\n");
    else if (growth && cli_json_i64(rules, "networks_per_key_per_day", &networks) &&
             cli_json_i64(rules, "assets_per_key_per_day", &assets))
        fprintf(out, "growth      open: a key founds %" PRId64 " networks and creates %" PRId64 " assets a day\n",
                networks, assets);
    if (json_is_true(json_object_get(rules, "dev_chain")))
        fprintf(out, "dev chain   yes: its operator moves block time at will (tally dev advance 30d)\n");
    json_t *validators = cli_json_array(rules, "validators");
    size_t index;
    json_t *validator;
    json_array_foreach(validators, index, validator) {
        fprintf(out, "%s %s\n", index == 0 ? "validators " : "           ",
                json_is_string(validator) ? json_string_value(validator) : "?");
    }
}

static cli_unit asset_unit(const json_t *asset) {
    cli_unit unit = {2, ""};
    int64_t decimals;
    if (cli_json_i64(asset, "decimals", &decimals) && decimals >= 0 && decimals <= TALLY_DECIMALS_MAX)
        unit.decimals = (uint8_t)decimals;
    const char *code = cli_json_string(asset, "code");
    if (code && strlen(code) <= TALLY_CODE_MAX) snprintf(unit.code, sizeof unit.code, "%s", code);
    return unit;
}

void cli_out_asset(FILE *out, const json_t *asset) {
    cli_unit unit = asset_unit(asset);
    int64_t id = 0, issued = 0, burned = 0;
    char amount[CLI_AMOUNT_TEXT_MAX];
    cli_json_i64(asset, "id", &id);
    fprintf(out, "asset       %" PRId64 "  %s (%s, %u decimals)\n", id, string_or_dash(unit.code),
            string_or_dash(cli_json_string(asset, "name")), unit.decimals);
    fprintf(out, "issuer      %s\n", string_or_dash(cli_json_string(asset, "issuer")));
    bool has_issued = cli_json_i64(asset, "issued", &issued), has_burned = cli_json_i64(asset, "burned", &burned);
    fprintf(out, "issued      %s\n", amount_field(asset, "issued", &unit, amount));
    fprintf(out, "burned      %s\n", amount_field(asset, "burned", &unit, amount));
    if (has_issued && has_burned && issued >= burned)
        fprintf(out, "outstanding %s\n", cli_out_amount(issued - burned, &unit, amount));
}

void cli_out_asset_list(FILE *out, const json_t *list) {
    json_t *assets = cli_json_array(list, "assets");
    if (json_array_size(assets) == 0) {
        fprintf(out, "no reserve assets yet\n");
        return;
    }
    table t = {.columns = 5, .right = {true, false, false, true, false}};
    const char *header[] = {"ID", "CODE", "NAME", "OUTSTANDING", "ISSUER"};
    table_row(&t, header);
    size_t index;
    json_t *asset;
    json_array_foreach(assets, index, asset) {
        cli_unit unit = asset_unit(asset);
        char id[24] = "-", outstanding[CLI_AMOUNT_TEXT_MAX] = "-";
        int64_t value, issued, burned;
        if (cli_json_i64(asset, "id", &value)) snprintf(id, sizeof id, "%" PRId64, value);
        if (cli_json_i64(asset, "issued", &issued) && cli_json_i64(asset, "burned", &burned) && issued >= burned)
            cli_out_amount(issued - burned, &unit, outstanding);
        const char *cells[] = {id, string_or_dash(unit.code), string_or_dash(cli_json_string(asset, "name")),
                               outstanding, string_or_dash(cli_json_string(asset, "issuer"))};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
}

void cli_out_block(FILE *out, const json_t *block) {
    /* The block JSON is loosely specified: print the header fields found, then a
     * line per transaction. */
    int64_t value;
    char when[CLI_TIME_TEXT_MAX];
    if (cli_json_i64(block, "height", &value)) fprintf(out, "block       %" PRId64 "\n", value);
    const char *text;
    if ((text = cli_json_string(block, "hash"))) fprintf(out, "hash        %s\n", text);
    if ((text = cli_json_string(block, "prev_hash"))) fprintf(out, "previous    %s\n", text);
    if (cli_json_i64_any(block, "block_time", "time", NULL, &value))
        fprintf(out, "time        %s\n", cli_out_time(value, when));
    if ((text = cli_json_string(block, "state_hash"))) fprintf(out, "state hash  %s\n", text);
    if ((text = cli_json_string(block, "producer"))) fprintf(out, "producer    %s\n", text);
    json_t *txs = cli_json_array(block, "txs");
    if (!txs) txs = cli_json_array(block, "transactions");
    if (cli_json_i64(block, "tx_count", &value) || (txs && ((value = (int64_t)json_array_size(txs)), true)))
        fprintf(out, "transactions %" PRId64 "\n", value);
    size_t index;
    json_t *tx;
    json_array_foreach(txs, index, tx) {
        char signer[24];
        const char *id = cli_json_string(tx, "id");
        fprintf(out, "  %3zu  %-16s %-22s %s\n", index, string_or_dash(cli_json_string(tx, "type")),
                short_key(cli_json_string(tx, "signer"), signer), string_or_dash(id));
    }
}

void cli_out_tx_status(FILE *out, const json_t *status) {
    const char *state = cli_json_string(status, "status");
    int64_t height;
    fprintf(out, "tx          %s\n", string_or_dash(cli_json_string(status, "id")));
    fprintf(out, "status      %s\n", string_or_dash(state));
    if (cli_json_i64(status, "height", &height)) fprintf(out, "block       %" PRId64 "\n", height);
    const json_t *error = cli_json_object(status, "error");
    if (error)
        fprintf(out, "refused     %s (%s)\n", string_or_dash(cli_json_string(error, "message")),
                string_or_dash(cli_json_string(error, "code")));
    json_t *result = cli_json_object(status, "result");
    const char *key;
    json_t *value;
    json_object_foreach(result, key, value) {
        if (json_is_integer(value) && json_integer_value(value) != 0)
            fprintf(out, "%-11s %" JSON_INTEGER_FORMAT "\n", key, json_integer_value(value));
    }
}

/* ------------------------------------------------------------------------ */
/* Holds (pending transfers) and payment requests.                           */
/* ------------------------------------------------------------------------ */

/* "carol  tly1...", "tly1..." or `none` when the key is null or absent. */
static const char *key_line(const json_t *object, const char *field, const char *none, char *out, size_t size) {
    char name_field[32];
    snprintf(name_field, sizeof name_field, "%s_name", field);
    const char *address = cli_json_string(object, field), *name = cli_json_string(object, name_field);
    if (!address) snprintf(out, size, "%s", none);
    else if (name && name[0]) snprintf(out, size, "%s  %s", name, address);
    else snprintf(out, size, "%s", address);
    return out;
}

/* The `next` of a page, as the command that shows it. */
static void print_more(FILE *out, const json_t *page, const char *next_hint) {
    int64_t next;
    if (next_hint && cli_json_i64(page, "next", &next) && next > 0)
        fprintf(out, "more: %s --before %" PRId64 "\n", next_hint, next);
}

void cli_out_holds(FILE *out, const json_t *page, const cli_unit *fallback, const char *next_hint) {
    json_t *holds = cli_json_array(page, "holds");
    if (json_array_size(holds) == 0) {
        fprintf(out, "no holds\n");
    } else {
        table t = {.columns = 7, .right = {true, false, false, false, true, true, false}};
        const char *header[] = {"ID", "STATUS", "PAYER", "PAYEE", "AMOUNT", "FEE", "TIMEOUT"};
        table_row(&t, header);
        size_t index;
        json_t *hold;
        json_array_foreach(holds, index, hold) {
            cli_unit unit = unit_of(hold, fallback);
            char id[24] = "-", payer[24], payee[24], amount[CLI_AMOUNT_TEXT_MAX], fee[CLI_AMOUNT_TEXT_MAX],
                 when[CLI_TIME_TEXT_MAX] = "-", timeout[64];
            int64_t value;
            if (cli_json_i64(hold, "id", &value)) snprintf(id, sizeof id, "%" PRId64, value);
            if (cli_json_i64(hold, "timeout", &value)) cli_out_time(value, when);
            snprintf(timeout, sizeof timeout, "%s, then %s", when,
                     string_or_dash(cli_json_string(hold, "outcome")));
            const char *cells[] = {id,
                                   string_or_dash(cli_json_string(hold, "status")),
                                   who_cell(hold, "payer_name", "payer", payer),
                                   who_cell(hold, "payee_name", "payee", payee),
                                   amount_field(hold, "amount", &unit, amount),
                                   amount_field(hold, "fee", &unit, fee),
                                   timeout};
            table_row(&t, cells);
        }
        table_print(out, &t);
        table_free(&t);
    }
    print_more(out, page, next_hint);
}

void cli_out_hold(FILE *out, const json_t *hold, const char *network_name) {
    cli_unit unit = unit_of(hold, NULL);
    char amount[CLI_AMOUNT_TEXT_MAX], fee[CLI_AMOUNT_TEXT_MAX], when[CLI_TIME_TEXT_MAX], key[160];
    int64_t id = 0, value = 0;
    cli_json_i64(hold, "id", &id);
    const char *status = string_or_dash(cli_json_string(hold, "status"));
    const char *outcome = cli_json_string(hold, "outcome");
    fprintf(out, "hold        %" PRId64 "%s%s\n", id, network_name ? " in " : "", network_name ? network_name : "");
    fprintf(out, "status      %s\n", status);
    fprintf(out, "payer       %s\n", key_line(hold, "payer", "-", key, sizeof key));
    fprintf(out, "payee       %s\n", key_line(hold, "payee", "-", key, sizeof key));
    fprintf(out, "resolver    %s\n", key_line(hold, "resolver", "none", key, sizeof key));
    fprintf(out, "held        %s and its fee %s\n", amount_field(hold, "amount", &unit, amount),
            amount_field(hold, "fee", &unit, fee));
    if (cli_json_i64(hold, "posted", &value) && value > 0)
        fprintf(out, "posted      %s reached the payee\n", cli_out_amount(value, &unit, amount));
    cli_json_i64(hold, "timeout", &value);
    fprintf(out, "timeout     %s: %s\n", cli_out_time(value, when),
            outcome && strcmp(outcome, "release") == 0 ? "then paid in full to the payee (release)"
                                                       : "then given back to the payer (refund)");
    if (cli_json_i64(hold, "created_at", &value)) fprintf(out, "created     %s\n", cli_out_time(value, when));
    if (strcmp(status, "open") == 0)
        fprintf(out, "next        the payer or the resolver posts it (tally hold post %s %" PRId64
                     " AMOUNT), the payee or the resolver voids it (tally hold void %" PRId64 ")\n",
                network_name ? network_name : "NET", id, id);
}

void cli_out_requests(FILE *out, const json_t *page, const cli_unit *fallback, const char *next_hint) {
    json_t *requests = cli_json_array(page, "requests");
    if (json_array_size(requests) == 0) {
        fprintf(out, "no payment requests\n");
    } else {
        table t = {.columns = 7, .right = {true, false, false, false, true, false, false}};
        const char *header[] = {"ID", "STATUS", "PAYEE", "PAYER", "AMOUNT", "EXPIRES", "MEMO"};
        table_row(&t, header);
        size_t index;
        json_t *request;
        json_array_foreach(requests, index, request) {
            cli_unit unit = unit_of(request, fallback);
            char id[24] = "-", payee[24], payer[24], amount[CLI_AMOUNT_TEXT_MAX], when[CLI_TIME_TEXT_MAX] = "-";
            int64_t value;
            if (cli_json_i64(request, "id", &value)) snprintf(id, sizeof id, "%" PRId64, value);
            if (cli_json_i64(request, "expiry", &value)) cli_out_time(value, when);
            const char *memo = cli_json_string(request, "memo");
            const char *cells[] = {id,
                                   string_or_dash(cli_json_string(request, "status")),
                                   who_cell(request, "payee_name", "payee", payee),
                                   cli_json_string(request, "payer") ? who_cell(request, "payer_name", "payer", payer)
                                                                     : "anyone",
                                   amount_field(request, "amount", &unit, amount),
                                   when,
                                   memo ? memo : ""};
            table_row(&t, cells);
        }
        table_print(out, &t);
        table_free(&t);
    }
    print_more(out, page, next_hint);
}

void cli_out_request(FILE *out, const json_t *request, const char *network_name) {
    cli_unit unit = unit_of(request, NULL);
    char amount[CLI_AMOUNT_TEXT_MAX], when[CLI_TIME_TEXT_MAX], key[160], anyone[96];
    int64_t id = 0, value = 0;
    cli_json_i64(request, "id", &id);
    const char *status = string_or_dash(cli_json_string(request, "status"));
    const char *memo = cli_json_string(request, "memo");
    snprintf(anyone, sizeof anyone, "anyone%s%s", network_name ? " in " : "", network_name ? network_name : "");
    fprintf(out, "request     %" PRId64 "%s%s\n", id, network_name ? " in " : "", network_name ? network_name : "");
    fprintf(out, "status      %s\n", status);
    fprintf(out, "payee       %s\n", key_line(request, "payee", "-", key, sizeof key));
    fprintf(out, "payer       %s\n", key_line(request, "payer", anyone, key, sizeof key));
    fprintf(out, "amount      %s\n", amount_field(request, "amount", &unit, amount));
    fprintf(out, "memo        %s\n", memo ? memo : "-");
    cli_json_i64(request, "expiry", &value);
    fprintf(out, "expires     %s\n", cli_out_time(value, when));
    if (cli_json_i64(request, "created_at", &value)) fprintf(out, "created     %s\n", cli_out_time(value, when));
    if (cli_json_string(request, "paid_by"))
        fprintf(out, "paid by     %s\n", key_line(request, "paid_by", "-", key, sizeof key));
    if (strcmp(status, "open") == 0)
        fprintf(out, "next        the payer pays it with: tally request pay %" PRId64
                     "; its maker withdraws it with: tally request cancel %" PRId64 "\n",
                id, id);
}

/* ------------------------------------------------------------------------ */
/* Underwriting and reputation.                                              */
/* ------------------------------------------------------------------------ */

void cli_out_member_standing(FILE *out, const json_t *account, const cli_unit *fallback, const cli_unit *reserve) {
    cli_unit unit = unit_of(account, fallback);
    cli_unit reserve_unit = reserve ? *reserve : (cli_unit){0, ""};
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], c[CLI_AMOUNT_TEXT_MAX];
    const json_t *r = cli_json_object(account, "reputation");
    if (r) {
        int64_t given = field_or_zero(r, "volume_given"), received = field_or_zero(r, "volume_received");
        int64_t volume = given > INT64_MAX - received ? INT64_MAX : given + received;
        int64_t points = field_or_zero(r, "review_points");
        char joined[CLI_TIME_TEXT_MAX];
        fprintf(out, "reputation  %" PRId64 " of 1000 (as the chain wrote it at the line's last period end)\n",
                field_or_zero(r, "score"));
        fprintf(out, "            from: joined %s, volume %s (paid %s, received %s), %" PRId64
                     " compliant periods in a row, %" PRId64 " defaults, net review stars %s%" PRId64 " (%" PRId64
                     " reviews)\n",
                cli_out_time(field_or_zero(account, "joined_at"), joined), cli_out_amount(volume, &unit, a),
                cli_out_amount(given, &unit, b), cli_out_amount(received, &unit, c), field_or_zero(r, "compliant_streak"),
                field_or_zero(r, "defaults"), points > 0 ? "+" : "", points, field_or_zero(r, "review_count"));
    }
    const json_t *u = cli_json_object(account, "underwriting");
    if (u && (field_or_zero(account, "limit") > 0 || field_or_zero(u, "staked_behind") > 0)) {
        fprintf(out, "own part    %s of the limit (granted by operators or the algorithm)\n",
                amount_field(u, "own_limit", &unit, a));
        fprintf(out, "by stakes   %s of the limit, covered by %s staked behind the line (%" PRId64 " underwriter%s)\n",
                amount_field(u, "underwritten_limit", &unit, a), amount_field(u, "staked_behind", &reserve_unit, b),
                field_or_zero(u, "stake_count"), field_or_zero(u, "stake_count") == 1 ? "" : "s");
    }
    if (u) {
        if (field_or_zero(u, "stakes_made") > 0)
            fprintf(out, "stakes made %" PRId64 ", %s staked now behind others' lines\n", field_or_zero(u, "stakes_made"),
                    amount_field(u, "staked_total", &reserve_unit, a));
    }
}

void cli_out_stakes(FILE *out, const json_t *stakes, bool by_underwriter, const char *empty) {
    if (json_array_size(stakes) == 0) {
        fprintf(out, "%s\n", empty);
        return;
    }
    table t = {.columns = 7, .right = {true, false, false, true, true, true, true}};
    const char *header[] = {"ID", "NETWORK", by_underwriter ? "UNDERWRITER" : "LINE OF", "STAKED", "COVERS",
                            "EARNED", "SLASHED"};
    table_row(&t, header);
    size_t index;
    json_t *stake;
    json_array_foreach(stakes, index, stake) {
        cli_unit unit = unit_of(stake, NULL);
        cli_unit reserve = {0, ""};
        int64_t decimals = 0;
        if (cli_json_i64(stake, "reserve_decimals", &decimals) && decimals >= 0 && decimals <= TALLY_DECIMALS_MAX)
            reserve.decimals = (uint8_t)decimals;
        const char *code = cli_json_string(stake, "reserve_code");
        if (code && strlen(code) <= TALLY_CODE_MAX) snprintf(reserve.code, sizeof reserve.code, "%s", code);
        const char *who = by_underwriter ? "underwriter" : "member";
        char name_field[32], id[24], network[24], key[24], staked[CLI_AMOUNT_TEXT_MAX], covers[CLI_AMOUNT_TEXT_MAX],
            earned[CLI_AMOUNT_TEXT_MAX], slashed[CLI_AMOUNT_TEXT_MAX];
        snprintf(name_field, sizeof name_field, "%s_name", who);
        snprintf(id, sizeof id, "%" PRId64, field_or_zero(stake, "id"));
        snprintf(network, sizeof network, "%" PRId64, field_or_zero(stake, "network"));
        const char *name = cli_json_string(stake, name_field), *network_name = cli_json_string(stake, "network_name");
        const char *cells[] = {id,
                               network_name && network_name[0] ? network_name : network,
                               name && name[0] ? name : short_key(cli_json_string(stake, who), key),
                               amount_field(stake, "amount", &reserve, staked),
                               amount_field(stake, "cover", &unit, covers),
                               amount_field(stake, "earned", &unit, earned),
                               amount_field(stake, "slashed", &reserve, slashed)};
        table_row(&t, cells);
    }
    table_print(out, &t);
    table_free(&t);
}
