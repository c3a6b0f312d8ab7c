/*
 * cmd_market.c: the marketplace (docs/MARKETPLACE.md) on the command line. The
 * writing commands build CATEGORY_SET, LISTING_CREATE/UPDATE/WITHDRAW, ORDER_CREATE,
 * the six order steps and REVIEW (cli_txbuild_market; cmd_tx.c signs, submits and
 * says what happened), amounts typed in the network's unit: `market update` and
 * `market order` fetch the listing first (an update replaces only what is given; an
 * order names the price the buyer sees, so a price changed meanwhile is refused by
 * the ledger with the price now). The reading commands (search, show, categories,
 * orders, order-show, reviews) print the node's marketplace routes in words, or as
 * they came with --json.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/client.h"
#include "cli/handlers.h"
#include "cli/json_fields.h"
#include "cli/output.h"
#include "cli/txbuild.h"
#include "cli/wallet.h"

#define DAY_SECONDS 86400
/* A listing's expiry and an order's timeout: at most a year ahead (market.c's and
 * pending.c's bounds); the defaults when none is given. */
#define MARKET_DAYS_MAX 366u
#define LISTING_DAYS_DEFAULT 30u
#define ORDER_DAYS_DEFAULT 14u
#define SEARCH_LIMIT_DEFAULT 20u
#define SEARCH_LIMIT_MAX 100u
#define SEARCH_PAGE_MAX 100000u

/* ------------------------------------------------------------------------ */
/* Shared pieces.                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    cli_context *ctx;
    const cli_args *args;
    const tally_key *signer;
    tally_tx *tx;
    tx_plan *plan;
} market_build;

static cli_status usage(const market_build *b, const char *format, const char *value) {
    /* the formats are this file's constants; value is the only input */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    char why[400];
    snprintf(why, sizeof why, format, value ? value : "");
#pragma GCC diagnostic pop
    return cli_usage(b->ctx, b->args->command, "%s", why);
}

/* ID as typed: a listing's or an order's number. */
static cli_status id_argument(cli_context *ctx, const cli_args *args, bool order, uint32_t *id) {
    uint64_t value = 0;
    if (!cli_number_parse(args->positional[0], UINT32_MAX, &value) || value == 0)
        return cli_usage(ctx, args->command,
                         order ? "ORDER_ID is the number `tally market order` printed (`tally market orders NET` "
                                 "lists yours), not '%s'"
                               : "LISTING_ID is the number `tally market list` printed (`tally market search NET` "
                                 "shows them), not '%s'",
                         args->positional[0]);
    *id = (uint32_t)value;
    return CLI_OK;
}

/* The chain's tip time, which expiries and timeouts count from (a dev chain's clock
 * included). */
static cli_status tip_time(cli_context *ctx, int64_t *time) {
    json_t *status_json = NULL;
    cli_status status = cli_client_get(ctx, "/v1/status", &status_json);
    if (status != CLI_OK) {
        json_decref(status_json);
        return status;
    }
    bool has_time = cli_json_i64(status_json, "tip_time", time);
    json_decref(status_json);
    return has_time ? CLI_OK : cli_fail(ctx, CLI_IO, "the node did not say its tip time");
}

/* The network a record of the node names in its field "network". */
static cli_status network_of(cli_context *ctx, const json_t *record, const char *what, uint32_t id,
                             cli_network *network) {
    int64_t network_id = 0;
    if (!cli_json_i64(record, "network", &network_id) || network_id <= 0 || network_id > UINT32_MAX)
        return cli_fail(ctx, CLI_IO, "the node's answer for %s %" PRIu32 " names no network", what, id);
    return cli_client_network_by_id(ctx, (uint32_t)network_id, network);
}

/* A listing just published is in the state before the node's index has read its
 * block (texts come from the index): the node says so in its refusal, and a command
 * run right after `market list` waits that moment out, at most this many times 0.2 s. */
#define INDEX_WAIT_TRIES 15

static bool index_trails(const json_t *error) {
    const char *message = cli_json_string(error, "message");
    return message && strncmp(message, "the index has not reached", 25) == 0;
}

/* GET /v1/listings/{id} or /v1/orders/{id} (a refusal, LISTING_NOT_FOUND or
 * ORDER_NOT_FOUND, printed), with the network it is in. */
static cli_status fetch_record(cli_context *ctx, bool order, uint32_t id, json_t **json, cli_network *network) {
    char path[64];
    snprintf(path, sizeof path, "/v1/%s/%" PRIu32, order ? "orders" : "listings", id);
    *json = NULL;
    json_t *answer = NULL;
    cli_status status = cli_client_request(ctx, "GET", path, NULL, false, &answer);
    for (int wait = 0; status == CLI_REFUSED && index_trails(answer) && wait < INDEX_WAIT_TRIES; wait++) {
        json_decref(answer);
        answer = NULL;
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
        status = cli_client_request(ctx, "GET", path, NULL, false, &answer);
    }
    if (status == CLI_REFUSED) cli_client_report_refusal(ctx, answer);
    if (status == CLI_OK && network) status = network_of(ctx, answer, order ? "order" : "listing", id, network);
    if (status == CLI_OK) *json = answer;
    else json_decref(answer);
    return status;
}

/* "alias@Network" when the record names the member's alias, else the address. */
static const char *member_text(const json_t *record, const char *field, const char *network_name, char *out,
                               size_t out_size) {
    char alias_field[48];
    snprintf(alias_field, sizeof alias_field, "%s_alias", field);
    const char *alias = cli_json_string(record, alias_field), *address = cli_json_string(record, field);
    if (alias && alias[0] && network_name) snprintf(out, out_size, "%s@%s", alias, network_name);
    else if (alias && alias[0]) snprintf(out, out_size, "%s", alias);
    else snprintf(out, out_size, "%s", address ? address : "-");
    return out;
}

/* A price in words: "12.50 GVH" or "ask" (null or 0 in the record). */
static const char *price_text(const json_t *record, const char *field, const cli_unit *unit,
                              char out[CLI_AMOUNT_TEXT_MAX]) {
    int64_t price = 0;
    if (!cli_json_i64(record, field, &price) || price == 0) {
        snprintf(out, CLI_AMOUNT_TEXT_MAX, "ask");
        return out;
    }
    return cli_out_amount(price, unit, out);
}

/* The UTF-8 characters of text (a table's width). */
static size_t characters(const char *text) {
    size_t count = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) count += (*c & 0xC0) != 0x80;
    return count;
}

/* text cut to at most `most` characters (never inside one), "..." marking a cut. */
static const char *cut_text(const char *text, size_t most, char *out, size_t out_size) {
    if (!text) text = "";
    if (characters(text) <= most) {
        snprintf(out, out_size, "%s", text);
        return out;
    }
    size_t kept = 0, count = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++, kept++) {
        if ((*c & 0xC0) != 0x80 && ++count > most - 3) break;
    }
    snprintf(out, out_size, "%.*s...", (int)kept, text);
    return out;
}

/* ------------------------------------------------------------------------ */
/* A small table of aligned columns.                                          */
/* ------------------------------------------------------------------------ */

#define MARKET_COLUMNS_MAX 9u
#define MARKET_ROWS_MAX (SEARCH_LIMIT_MAX + 1u)
#define MARKET_CELL_MAX 160u

typedef struct {
    size_t columns, rows;
    bool right[MARKET_COLUMNS_MAX];
    size_t width[MARKET_COLUMNS_MAX];
    char cells[MARKET_ROWS_MAX][MARKET_COLUMNS_MAX][MARKET_CELL_MAX];
} market_table;

static void table_row(market_table *t, const char *const *cells) {
    assert(t->columns > 0 && t->columns <= MARKET_COLUMNS_MAX);
    if (t->rows == MARKET_ROWS_MAX) return; /* bounded by the route's page */
    for (size_t column = 0; column < t->columns; column++) {
        snprintf(t->cells[t->rows][column], MARKET_CELL_MAX, "%s", cells[column] ? cells[column] : "-");
        size_t width = characters(t->cells[t->rows][column]);
        if (width > t->width[column]) t->width[column] = width;
    }
    t->rows++;
}

static void table_print(FILE *out, const market_table *t) {
    for (size_t row = 0; row < t->rows; row++) {
        for (size_t column = 0; column < t->columns; column++) {
            const char *cell = t->cells[row][column];
            bool last = column + 1 == t->columns;
            size_t pad = t->width[column] - characters(cell);
            if (t->right[column]) fprintf(out, "%*s%s", (int)pad, "", cell);
            else if (last) fprintf(out, "%s", cell);
            else fprintf(out, "%s%*s", cell, (int)pad, "");
            if (!last) fprintf(out, "  ");
        }
        fprintf(out, "\n");
    }
}

/* ------------------------------------------------------------------------ */
/* Options of a listing.                                                     */
/* ------------------------------------------------------------------------ */

/* --category N or NAME (0 or "none": no category); a name is looked up among the
 * network's categories (GET /v1/networks/{id}/categories), ignoring case. */
static cli_status category_value(cli_context *ctx, const cli_command *command, const cli_network *network,
                                 const char *text, uint8_t *category) {
    uint64_t number = 0;
    if (strcmp(text, "none") == 0) {
        *category = 0;
        return CLI_OK;
    }
    if (cli_number_parse(text, 255, &number)) {
        if (number > TALLY_MARKET_CATEGORIES_MAX)
            return cli_usage(ctx, command, "a category is 1 to 32 (0: none), not %s", text);
        *category = (uint8_t)number;
        return CLI_OK;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/categories", network->id);
    json_t *json = NULL;
    cli_status status = cli_client_get(ctx, path, &json);
    if (status != CLI_OK) {
        json_decref(json); /* a refusal's error object */
        return status;
    }
    size_t i;
    json_t *item;
    bool found = false;
    json_array_foreach(cli_json_array(json, "categories"), i, item) {
        const char *name = cli_json_string(item, "name");
        int64_t value = 0;
        if (name && strcasecmp(name, text) == 0 && cli_json_i64(item, "category", &value) && value >= 1 &&
            value <= TALLY_MARKET_CATEGORIES_MAX) {
            *category = (uint8_t)value;
            found = true;
            break;
        }
    }
    json_decref(json);
    if (!found)
        return cli_usage(ctx, command, "%s has no category named '%s': `tally market categories %s` lists them",
                         network->name, text, network->name);
    return CLI_OK;
}

/* --price AMOUNT or ask (0: the buyer names a price). */
static cli_status price_option(const market_build *b, const cli_unit *unit, int64_t *price) {
    const char *text = cli_option_value(b->args, "--price");
    if (strcmp(text, "ask") == 0) {
        *price = 0;
        return CLI_OK;
    }
    char reason[200], why[300];
    if (!cli_amount_parse(text, unit, false, price, reason, sizeof reason)) {
        snprintf(why, sizeof why, "--price (a unit's, or `ask` to let buyers name theirs): %s", reason);
        return cli_usage(b->ctx, b->args->command, "%s", why);
    }
    return CLI_OK;
}

/* A time as typed: YYYY-MM-DD (00:00 UTC), YYYY-MM-DDTHH:MM or "YYYY-MM-DD HH:MM"
 * (UTC), or Unix seconds (days from civil: no time zone of the machine is read). */
static bool time_parse(const char *text, int64_t *seconds) {
    uint64_t plain = 0;
    if (cli_number_parse(text, INT64_MAX, &plain)) {
        *seconds = (int64_t)plain;
        return true;
    }
    int year = 0, month = 0, day = 0, hour = 0, minute = 0;
    char separator = 0, rest = 0;
    size_t length = strlen(text);
    if (length == 10) {
        if (sscanf(text, "%4d-%2d-%2d%c", &year, &month, &day, &rest) != 3) return false;
    } else if (length == 16) {
        if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d%c", &year, &month, &day, &separator, &hour, &minute, &rest) != 6 ||
            (separator != 'T' && separator != ' '))
            return false;
    } else {
        return false;
    }
    static const int days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > days_in[month - 1] ||
        (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59)
        return false;
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = y / 400, yoe = y - era * 400;
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *seconds = (era * 146097 + doe - 719468) * DAY_SECONDS + hour * 3600 + minute * 60;
    return true;
}

/* --days D or --expiry TIME (not both) into *expiry; neither keeps *expiry when
 * keep, else D = default_days. */
static cli_status expiry_options(const market_build *b, bool keep, int64_t *expiry) {
    const char *days_text = cli_option_value(b->args, "--days"), *at_text = cli_option_value(b->args, "--expiry");
    if (days_text && at_text) return usage(b, "give --days or --expiry, not both%s", "");
    uint64_t days = LISTING_DAYS_DEFAULT;
    if (days_text && (!cli_number_parse(days_text, MARKET_DAYS_MAX, &days) || days == 0))
        return usage(b, "--days is how long the listing stays up, 1 to 366 days, not '%s'", days_text);
    if (at_text) {
        if (!time_parse(at_text, expiry))
            return usage(b, "--expiry takes a time as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), within a year, not '%s'",
                         at_text);
        return CLI_OK;
    }
    if (keep && !days_text) return CLI_OK;
    int64_t now = 0;
    cli_status status = tip_time(b->ctx, &now);
    if (status == CLI_OK) *expiry = now + (int64_t)days * DAY_SECONDS;
    return status;
}

/* --image-url URL with --image-hash HEX (64 hex digits), both or neither. */
static cli_status image_options(const market_build *b, tally_tx_listing *body, bool *given) {
    const char *url = cli_option_value(b->args, "--image-url"), *hash = cli_option_value(b->args, "--image-hash");
    if (cli_flag(b->args, "--no-image")) { /* an update's: the listing keeps no image */
        if (url || hash) return usage(b, "--no-image drops the image: give it without --image-url and --image-hash%s", "");
        memset(body->image_hash, 0, sizeof body->image_hash);
        body->image_url.length = 0;
        *given = true;
        return CLI_OK;
    }
    *given = url || hash;
    if (!*given) return CLI_OK;
    if (!url || !hash)
        return usage(b, "an image is its URL and the hash of what it serves: give --image-url and --image-hash "
                        "together%s",
                     "");
    if (strlen(hash) != 2 * TALLY_HASH_BYTES || !cli_client_unhex(hash, body->image_hash, TALLY_HASH_BYTES))
        return usage(b, "--image-hash is 64 hex digits (a BLAKE2b-256 or SHA-256 of the image), not '%s'", hash);
    static const uint8_t zero[TALLY_HASH_BYTES];
    bool empty = strlen(url) == 0;
    if (empty && memcmp(body->image_hash, zero, sizeof zero) == 0) { /* an update's way to drop the image */
        body->image_url.length = 0;
        return CLI_OK;
    }
    if (!cli_text_assign(&body->image_url, url, TALLY_IMAGE_URL_MAX) ||
        (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return usage(b, "--image-url is an http:// or https:// address of at most 160 bytes, not '%s'", url);
    return CLI_OK;
}

/* --title, --text: into the body when given. */
static cli_status text_options(const market_build *b, tally_tx_listing *body, bool *given) {
    const char *title = cli_option_value(b->args, "--title"), *text = cli_option_value(b->args, "--text");
    if (title && (!title[0] || !cli_text_assign(&body->title, title, TALLY_LISTING_TITLE_MAX)))
        return usage(b, "--title is what it is, 1 to 80 bytes: '%s' is not", title);
    if (text && !cli_text_assign(&body->text, text, TALLY_LISTING_TEXT_MAX))
        return usage(b, "--text says more, at most 256 bytes: '%s' is longer", text);
    *given = title || text;
    return CLI_OK;
}

static cli_status quantity_option(const market_build *b, uint32_t *quantity) {
    const char *text = cli_option_value(b->args, "--quantity");
    uint64_t value = 0;
    if (!text) return CLI_OK;
    if (!cli_number_parse(text, UINT32_MAX, &value) || value == 0)
        return usage(b, "--quantity is a number of units, at least 1, not '%s'", text);
    *quantity = (uint32_t)value;
    return CLI_OK;
}

/* ------------------------------------------------------------------------ */
/* Building the transactions.                                                */
/* ------------------------------------------------------------------------ */

/* market category NET N [NAME]: an empty or missing name removes it. */
static cli_status build_category(market_build *b) {
    tally_tx_category_set *body = &b->tx->body.category_set;
    uint64_t number = 0;
    if (!cli_number_parse(b->args->positional[1], 255, &number) || number < 1 || number > TALLY_MARKET_CATEGORIES_MAX)
        return usage(b, "N is a category's number, 1 to 32, not '%s'", b->args->positional[1]);
    const char *name = b->args->positional_count > 2 ? b->args->positional[2] : "";
    if (!cli_text_assign(&body->name, name, TALLY_CATEGORY_NAME_MAX))
        return usage(b, "a category's name is at most 32 bytes: '%s' is longer", name);
    cli_status status = cli_client_network(b->ctx, b->args->positional[0], &b->plan->network);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    body->network_id = b->plan->network.id;
    body->category = (uint8_t)number;
    return CLI_OK;
}

/* market list NET --offer|--want --title T --price P|ask [options]. */
static cli_status build_listing_create(market_build *b) {
    tally_tx_listing *body = &b->tx->body.listing;
    bool offer = cli_flag(b->args, "--offer"), want = cli_flag(b->args, "--want");
    if (offer == want)
        return usage(b, "say what it is: --offer (you sell it) or --want (you look for it), one of them%s", "");
    if (!cli_option_value(b->args, "--title"))
        return usage(b, "--title TEXT is required: what it is, 1 to 80 bytes%s", "");
    if (!cli_option_value(b->args, "--price"))
        return usage(b, "--price is required: a unit's price (--price 12.50), or --price ask to let buyers name "
                        "theirs%s",
                     "");
    cli_status status = cli_client_network(b->ctx, b->args->positional[0], &b->plan->network);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    body->network_id = b->plan->network.id;
    body->kind = offer ? TALLY_LISTING_OFFER : TALLY_LISTING_WANT;
    body->quantity = 1;
    bool given;
    const char *category = cli_option_value(b->args, "--category");
    status = text_options(b, body, &given);
    if (status == CLI_OK) status = price_option(b, &b->plan->network.unit, &body->price);
    if (status == CLI_OK) status = quantity_option(b, &body->quantity);
    if (status == CLI_OK) status = image_options(b, body, &given);
    if (status == CLI_OK && category)
        status = category_value(b->ctx, b->args->command, &b->plan->network, category, &body->category);
    if (status == CLI_OK) status = expiry_options(b, false, &body->expiry);
    return status;
}

/* The listing's present content (GET /v1/listings/{id}) into the body: what an
 * update keeps of it. */
static cli_status listing_content(const market_build *b, const json_t *listing, tally_tx_listing *body) {
    int64_t category = 0, price = 0, quantity = 0, expiry = 0;
    cli_json_i64(listing, "category", &category); /* null: none */
    cli_json_i64(listing, "price", &price);       /* null: ask */
    const char *title = cli_json_string(listing, "title"), *text = cli_json_string(listing, "text");
    if (!cli_json_i64(listing, "quantity", &quantity) || !cli_json_i64(listing, "expiry", &expiry) || !title ||
        category < 0 || category > TALLY_MARKET_CATEGORIES_MAX || price < 0 || quantity < 0 || quantity > UINT32_MAX)
        return cli_fail(b->ctx, CLI_IO, "the node's answer for listing %" PRIu32 " is unusable", body->listing_id);
    body->category = (uint8_t)category;
    body->price = price;
    body->quantity = (uint32_t)quantity;
    body->expiry = expiry;
    bool fits = cli_text_assign(&body->title, title, TALLY_LISTING_TITLE_MAX) &&
                cli_text_assign(&body->text, text ? text : "", TALLY_LISTING_TEXT_MAX);
    const json_t *image = cli_json_object(listing, "image");
    const char *hash = cli_json_string(image, "hash"), *url = cli_json_string(image, "url");
    if (hash && url)
        fits = fits && strlen(hash) == 2 * TALLY_HASH_BYTES && cli_client_unhex(hash, body->image_hash, TALLY_HASH_BYTES) &&
               cli_text_assign(&body->image_url, url, TALLY_IMAGE_URL_MAX);
    if (!fits) return cli_fail(b->ctx, CLI_IO, "the node's answer for listing %" PRIu32 " is unusable", body->listing_id);
    return CLI_OK;
}

/* market update ID [options]: the listing as it is, with what is given replaced. */
static cli_status build_listing_update(market_build *b) {
    tally_tx_listing *body = &b->tx->body.listing;
    static const char *const changes[] = {"--title",  "--text",      "--category",   "--price",   "--quantity",
                                          "--days",   "--expiry",    "--image-url",  "--image-hash", "--no-image"};
    bool any = false;
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) any = any || cli_option_value(b->args, changes[i]);
    if (!any)
        return usage(b, "nothing to change: give what is new (--price, --quantity, --title, --text, --category, "
                        "--days or --expiry, --image-url with --image-hash, --no-image)%s",
                     "");
    cli_status status = id_argument(b->ctx, b->args, false, &body->listing_id);
    json_t *listing = NULL;
    if (status == CLI_OK) status = fetch_record(b->ctx, false, body->listing_id, &listing, &b->plan->network);
    if (status == CLI_OK) {
        b->plan->has_network = true;
        status = listing_content(b, listing, body);
    }
    json_decref(listing);
    if (status != CLI_OK) return status;
    bool given = false;
    const char *category = cli_option_value(b->args, "--category");
    status = text_options(b, body, &given);
    if (status == CLI_OK && cli_option_value(b->args, "--price"))
        status = price_option(b, &b->plan->network.unit, &body->price);
    if (status == CLI_OK) status = quantity_option(b, &body->quantity);
    if (status == CLI_OK) status = image_options(b, body, &given);
    if (status == CLI_OK && category)
        status = category_value(b->ctx, b->args->command, &b->plan->network, category, &body->category);
    if (status == CLI_OK) status = expiry_options(b, true, &body->expiry);
    return status;
}

/* market withdraw ID. */
static cli_status build_listing_withdraw(market_build *b) {
    return id_argument(b->ctx, b->args, false, &b->tx->body.listing.listing_id);
}

/* The most an order of `amount` by the signer can cost in fees now: the base fee on
 * the whole amount and the line's risk fee on the part beyond what the signer holds
 * unreserved (balance - pending out), as the hold computes it. A signer who is not a
 * member gets the base fee (the ledger's refusal says why). */
static cli_status order_fee_estimate(market_build *b, int64_t amount, int64_t *max_fee) {
    const cli_network *network = &b->plan->network;
    if (!network->has_policy)
        return cli_fail(b->ctx, CLI_IO, "the node did not send network %s's fee; give --max-fee AMOUNT", network->name);
    char address[TALLY_ADDRESS_LENGTH + 1], path[160], why[256];
    tally_address_encode(b->signer, address);
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s", network->id, address);
    json_t *json = NULL;
    cli_account buyer = {.balance = 0};
    bool credit_allowed = false;
    int64_t pending_out = 0;
    cli_status status = cli_client_request(b->ctx, "GET", path, NULL, false, &json);
    if (status == CLI_OK) {
        if (!cli_client_account_from_json(json, &buyer, why, sizeof why)) {
            json_decref(json);
            return cli_fail(b->ctx, CLI_IO, "the node's answer for your account is unusable: %s", why);
        }
        credit_allowed = strcmp(buyer.line_status, "active") == 0;
        cli_json_i64(json, "pending_out", &pending_out);
    } else if (status != CLI_REFUSED) {
        return status;
    }
    json_decref(json);
    int64_t own = buyer.balance;
    if (__builtin_sub_overflow(buyer.balance, pending_out, &own)) own = INT64_MIN;
    *max_fee = cli_fee_estimate(amount, own, network->policy.fee_bps, buyer.risk_fee_bps, credit_allowed);
    b->plan->max_fee_estimated = true;
    return CLI_OK;
}

/* market order LISTING_ID [--quantity N] [--price P] [--max-fee F] [--days D] [--memo M]. */
static cli_status build_order_create(market_build *b) {
    tally_tx_order_create *body = &b->tx->body.order_create;
    cli_status status = id_argument(b->ctx, b->args, false, &body->listing_id);
    json_t *listing = NULL;
    if (status == CLI_OK) status = fetch_record(b->ctx, false, body->listing_id, &listing, &b->plan->network);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    const cli_unit *unit = &b->plan->network.unit;
    int64_t listed = 0;
    cli_json_i64(listing, "price", &listed); /* null: ask */
    member_text(listing, "seller", b->plan->network.name, b->plan->counterparty, sizeof b->plan->counterparty);
    json_decref(listing);
    body->quantity = 1;
    const char *quantity = cli_option_value(b->args, "--quantity");
    uint64_t value = 0;
    if (quantity && (!cli_number_parse(quantity, UINT32_MAX, &value) || value == 0))
        return usage(b, "--quantity is the number of units you buy, at least 1, not '%s'", quantity);
    if (quantity) body->quantity = (uint32_t)value;
    const char *price = cli_option_value(b->args, "--price");
    char reason[200], why[300];
    if (price) {
        if (!cli_amount_parse(price, unit, false, &body->unit_price, reason, sizeof reason)) {
            snprintf(why, sizeof why, "--price (a unit's): %s", reason);
            return cli_usage(b->ctx, b->args->command, "%s", why);
        }
    } else if (listed > 0) {
        body->unit_price = listed;
    } else {
        char id[16];
        snprintf(id, sizeof id, "%" PRIu32, body->listing_id);
        return usage(b, "listing %s is priced on asking: name your price for a unit with --price AMOUNT (the "
                        "seller's acceptance agrees to it)",
                     id);
    }
    int64_t amount = 0;
    if (__builtin_mul_overflow(body->unit_price, (int64_t)body->quantity, &amount))
        return usage(b, "the units times the price are more than an amount can hold%s", "");
    const char *memo = cli_option_value(b->args, "--memo");
    if (memo && !cli_text_assign(&body->memo, memo, TALLY_MEMO_MAX))
        return usage(b, "the memo is at most 256 bytes: '%s' is longer", memo);
    const char *days_text = cli_option_value(b->args, "--days");
    uint64_t days = ORDER_DAYS_DEFAULT;
    if (days_text && (!cli_number_parse(days_text, MARKET_DAYS_MAX, &days) || days == 0))
        return usage(b, "--days is the order's timeout, 1 to 366 days, not '%s'", days_text);
    int64_t now = 0;
    status = tip_time(b->ctx, &now);
    if (status != CLI_OK) return status;
    body->timeout = now + (int64_t)days * DAY_SECONDS;
    const char *max_fee = cli_option_value(b->args, "--max-fee");
    if (max_fee) {
        if (!cli_amount_parse(max_fee, unit, true, &body->max_fee, reason, sizeof reason)) {
            snprintf(why, sizeof why, "--max-fee: %s", reason);
            return cli_usage(b->ctx, b->args->command, "%s", why);
        }
    } else {
        status = order_fee_estimate(b, amount, &body->max_fee);
    }
    b->plan->max_fee = body->max_fee;
    return status;
}

/* --seller-share P% (0 to 100, two decimals at most) of the order's amount, rounded
 * down to the minor unit (the buyer keeps the fraction), or --seller-amount AMOUNT. */
static cli_status resolve_amount(market_build *b, int64_t order_amount, int64_t *amount) {
    const char *share = cli_option_value(b->args, "--seller-share"), *fixed = cli_option_value(b->args, "--seller-amount");
    if ((share != NULL) == (fixed != NULL))
        return usage(b, "say the seller's part: --seller-share 60%% (of the order's amount) or --seller-amount "
                        "15.00, one of them%s",
                     "");
    char reason[200], why[300];
    if (fixed) {
        if (!cli_amount_parse(fixed, &b->plan->network.unit, true, amount, reason, sizeof reason)) {
            snprintf(why, sizeof why, "--seller-amount: %s", reason);
            return cli_usage(b->ctx, b->args->command, "%s", why);
        }
        return CLI_OK;
    }
    char number[24];
    size_t length = strlen(share);
    if (length > 0 && share[length - 1] == '%') length--;
    snprintf(number, sizeof number, "%.*s", (int)(length < sizeof number ? length : sizeof number - 1), share);
    const cli_unit percent = {2, ""};
    int64_t hundredths = 0; /* basis points */
    if (length == 0 || length >= sizeof number ||
        !cli_amount_parse(number, &percent, true, &hundredths, reason, sizeof reason) || hundredths > 10000)
        return usage(b, "--seller-share is a percentage of the order's amount, 0%% to 100%%, not '%s'", share);
    *amount = (int64_t)((__int128)order_amount * hundredths / 10000); /* rounded down */
    return CLI_OK;
}

/* accept, decline, cancel, confirm, dispute, resolve ORDER_ID [--reason TEXT]:
 * confirm and resolve fetch the order (its network's unit; resolve's share of its
 * amount). */
static cli_status build_order_step(market_build *b) {
    tally_tx_order_step *body = &b->tx->body.order_step;
    cli_status status = id_argument(b->ctx, b->args, true, &body->order_id);
    if (status != CLI_OK) return status;
    const char *reason = cli_option_value(b->args, "--reason");
    if (reason && !cli_text_assign(&body->memo, reason, TALLY_MEMO_MAX))
        return usage(b, "--reason is at most 256 bytes: '%s' is longer", reason);
    uint8_t type = b->tx->type;
    if (type != TALLY_TX_ORDER_CONFIRM && type != TALLY_TX_ORDER_RESOLVE) return CLI_OK;
    json_t *order = NULL;
    status = fetch_record(b->ctx, true, body->order_id, &order, &b->plan->network);
    if (status != CLI_OK) return status;
    b->plan->has_network = true;
    int64_t order_amount = 0;
    bool known = cli_json_i64(order, "amount", &order_amount);
    member_text(order, "seller", b->plan->network.name, b->plan->counterparty, sizeof b->plan->counterparty);
    json_decref(order);
    if (type != TALLY_TX_ORDER_RESOLVE) return CLI_OK;
    if (!known) return cli_fail(b->ctx, CLI_IO, "the node's answer for order %" PRIu32 " has no amount", body->order_id);
    return resolve_amount(b, order_amount, &body->amount);
}

/* review ORDER_ID --stars 1..5 [--text TEXT]. */
static cli_status build_review(market_build *b) {
    tally_tx_review *body = &b->tx->body.review;
    cli_status status = id_argument(b->ctx, b->args, true, &body->order_id);
    if (status != CLI_OK) return status;
    const char *stars = cli_option_value(b->args, "--stars"), *text = cli_option_value(b->args, "--text");
    uint64_t value = 0;
    if (!stars) return usage(b, "--stars is required: your rating, 1 to 5 (3 is neutral for the reputation)%s", "");
    if (!cli_number_parse(stars, 5, &value) || value == 0)
        return usage(b, "--stars is your rating, 1 to 5 (3 is neutral for the reputation), not '%s'", stars);
    body->rating = (uint8_t)value;
    if (text && !cli_text_assign(&body->text, text, TALLY_MEMO_MAX))
        return usage(b, "--text is at most 256 bytes: '%s' is longer", text);
    return CLI_OK;
}

cli_status cli_txbuild_market(cli_context *ctx, const cli_args *args, const tally_key *signer, tally_tx *tx,
                              tx_plan *plan) {
    market_build b = {ctx, args, signer, tx, plan};
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_CATEGORY_SET: return build_category(&b);
    case TALLY_TX_LISTING_CREATE: return build_listing_create(&b);
    case TALLY_TX_LISTING_UPDATE: return build_listing_update(&b);
    case TALLY_TX_LISTING_WITHDRAW: return build_listing_withdraw(&b);
    case TALLY_TX_ORDER_CREATE: return build_order_create(&b);
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE: return build_order_step(&b);
    case TALLY_TX_REVIEW: return build_review(&b);
    default: return cli_fail(ctx, CLI_USAGE, "no marketplace command makes a %s", tally_tx_type_name(tx->type));
    }
}

/* What an order will hold, before the passphrase: it never costs more. */
void cli_market_preview(cli_context *ctx, const tally_tx *tx, const tx_plan *plan) {
    if (tx->type != TALLY_TX_ORDER_CREATE) return;
    const tally_tx_order_create *body = &tx->body.order_create;
    char price[CLI_AMOUNT_TEXT_MAX], total[CLI_AMOUNT_TEXT_MAX], fee[CLI_AMOUNT_TEXT_MAX];
    int64_t amount = 0;
    if (__builtin_mul_overflow(body->unit_price, (int64_t)body->quantity, &amount)) amount = INT64_MAX;
    fprintf(ctx->err, "ordering %" PRIu32 " x %s of listing %" PRIu32 " from %s: %s held, fees at most %s\n",
            body->quantity, cli_out_amount(body->unit_price, &plan->network.unit, price), body->listing_id,
            plan->counterparty, cli_out_amount(amount, &plan->network.unit, total),
            cli_out_amount(body->max_fee, &plan->network.unit, fee));
}

/* ------------------------------------------------------------------------ */
/* After a refusal: where to look, what to type.                              */
/* ------------------------------------------------------------------------ */

void cli_say_market_refusal(cli_context *ctx, const char *code, const tally_tx *tx, const tx_plan *plan) {
    FILE *err = ctx->err;
    uint8_t type = tx->type;
    bool order_step = type >= TALLY_TX_ORDER_ACCEPT && type <= TALLY_TX_ORDER_RESOLVE;
    if (strcmp(code, "HELD_BY_ORDER") == 0) {
        fprintf(err, "  `tally market orders NET --all` lists your orders; `tally market order-show ID` says who may "
                     "accept, decline, confirm or dispute one\n");
        return;
    }
    if (strcmp(code, "ORDER_TIMED_OUT") == 0) {
        fprintf(err, "  its timeout came: the block end settles it (refunded if never accepted, paid to the seller if "
                     "accepted and undisputed)\n");
        return;
    }
    if (type == TALLY_TX_ORDER_CREATE) {
        const tally_tx_order_create *body = &tx->body.order_create;
        if (strcmp(code, "PRICE_CHANGED") == 0)
            fprintf(err, "  `tally market show %" PRIu32 "` shows it as it is now; order again without --price to "
                         "pay the price now\n",
                    body->listing_id);
        else if (strcmp(code, "QUANTITY_UNAVAILABLE") == 0 || strcmp(code, "LISTING_CLOSED") == 0 ||
                 strcmp(code, "NOT_AN_OFFER") == 0)
            fprintf(err, "  `tally market show %" PRIu32 "` shows the listing: its kind, status and units left\n",
                    body->listing_id);
        return;
    }
    if ((type == TALLY_TX_LISTING_UPDATE || type == TALLY_TX_LISTING_WITHDRAW) &&
        (strcmp(code, "NOT_SELLER") == 0 || strcmp(code, "LISTING_CLOSED") == 0))
        fprintf(err, "  `tally market show %" PRIu32 "` shows who published it and its status\n",
                tx->body.listing.listing_id);
    if (strcmp(code, "BAD_CATEGORY") == 0 && plan->has_network)
        fprintf(err, "  `tally market categories %s` lists %s's categories\n", plan->network.name, plan->network.name);
    bool about_order = strcmp(code, "ORDER_STEP_REFUSED") == 0 || strcmp(code, "NOT_BUYER") == 0 ||
                       strcmp(code, "NOT_SELLER") == 0 || strcmp(code, "ORDER_TIMED_OUT") == 0 ||
                       strcmp(code, "NOT_REVIEWABLE") == 0 || strcmp(code, "ALREADY_REVIEWED") == 0 ||
                       strcmp(code, "SPLIT_ABOVE_ORDER") == 0;
    if ((order_step || type == TALLY_TX_REVIEW) && about_order)
        fprintf(err, "  `tally market order-show %" PRIu32 "` shows its status, its steps and who may act next\n",
                type == TALLY_TX_REVIEW ? tx->body.review.order_id : tx->body.order_step.order_id);
}

/* ------------------------------------------------------------------------ */
/* Reading.                                                                  */
/* ------------------------------------------------------------------------ */

/* GETs path: CLI_OK with *json to print in words, or CLI_OK with *json NULL when
 * --json printed it; otherwise what the request gave (a refusal printed). */
static cli_status get_for_words(cli_context *ctx, const char *path, json_t **json) {
    *json = NULL;
    json_t *answer = NULL;
    cli_status status = cli_client_get(ctx, path, &answer);
    if (status == CLI_OK && ctx->json) cli_out_json(ctx->out, answer);
    if (status == CLI_OK && !ctx->json) *json = answer;
    else json_decref(answer);
    return status;
}

/* "4.50 of 5 (2 reviews)", "no reviews yet". */
static const char *rating_text(const json_t *listing, char *out, size_t out_size) {
    const json_t *rating = cli_json_object(listing, "rating");
    int64_t count = 0;
    const char *average = cli_json_string(rating, "average");
    if (!cli_json_i64(rating, "count", &count) || count == 0 || !average) {
        snprintf(out, out_size, "no reviews yet");
        return out;
    }
    snprintf(out, out_size, "%s of 5 (%" PRId64 " review%s)", average, count, count == 1 ? "" : "s");
    return out;
}

static const char *category_text(const json_t *record, char *out, size_t out_size) {
    int64_t category = 0;
    const char *name = cli_json_string(record, "category_name");
    if (!cli_json_i64(record, "category", &category) || category == 0) snprintf(out, out_size, "-");
    else if (name && name[0]) snprintf(out, out_size, "%" PRId64 " %s", category, name);
    else snprintf(out, out_size, "%" PRId64, category);
    return out;
}

static void print_review(FILE *out, const json_t *review, const char *network_name) {
    int64_t stars = 0, order = 0, time = 0;
    char who[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 40], when[CLI_TIME_TEXT_MAX];
    cli_json_i64(review, "rating", &stars);
    cli_json_i64(review, "order", &order);
    cli_json_i64(review, "time", &time);
    const char *text = cli_json_string(review, "text"), *side = cli_json_string(review, "side");
    member_text(review, "by", network_name, who, sizeof who);
    fprintf(out, "  %" PRId64 " of 5 by %s%s%s (order %" PRId64 ", %s)%s%s\n", stars, who, side ? ", its " : "",
            side ? side : "", order, cli_out_time(time, when), text && text[0] ? ": " : "", text && text[0] ? text : "");
}

static void print_listing(cli_context *ctx, const json_t *listing, const cli_network *network) {
    FILE *out = ctx->out;
    const cli_unit *unit = &network->unit;
    int64_t id = 0, quantity = 0, sold = 0, expiry = 0, created = 0, updated = 0, revision = 0;
    cli_json_i64(listing, "id", &id);
    cli_json_i64(listing, "quantity", &quantity);
    cli_json_i64(listing, "sold", &sold);
    cli_json_i64(listing, "expiry", &expiry);
    cli_json_i64(listing, "created_at", &created);
    cli_json_i64(listing, "updated_at", &updated);
    cli_json_i64(listing, "revision", &revision);
    const char *kind = cli_json_string(listing, "kind"), *state = cli_json_string(listing, "status");
    const char *text = cli_json_string(listing, "text");
    bool offer = kind && strcmp(kind, "offer") == 0;
    char price[CLI_AMOUNT_TEXT_MAX], who[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2], category[64], rating[64];
    char when[CLI_TIME_TEXT_MAX], when2[CLI_TIME_TEXT_MAX];
    fprintf(out, "listing %" PRId64 " in %s: %s, %s\n", id, network->name, kind ? kind : "-", state ? state : "-");
    fprintf(out, "title       %s\n", cli_json_string(listing, "title") ? cli_json_string(listing, "title") : "-");
    if (text && text[0]) fprintf(out, "text        %s\n", text);
    price_text(listing, "price", unit, price);
    if (strcmp(price, "ask") == 0)
        fprintf(out, "price       on asking: %s\n", offer ? "the buyer names a price (--price), the seller accepts it or not"
                                                          : "name yours in an offer of your own");
    else fprintf(out, "price       %s a unit\n", price);
    fprintf(out, "units       %" PRId64 " %s, %" PRId64 " sold\n", quantity, offer ? "left" : "wanted", sold);
    fprintf(out, "category    %s\n", category_text(listing, category, sizeof category));
    const char *seller = cli_json_string(listing, "seller");
    member_text(listing, "seller", network->name, who, sizeof who);
    if (strcmp(who, seller ? seller : "-") == 0) fprintf(out, "%-12s%s\n", offer ? "seller" : "wanted by", who);
    else fprintf(out, "%-12s%s (%s)\n", offer ? "seller" : "wanted by", who, seller ? seller : "-");
    fprintf(out, "rating      %s\n", rating_text(listing, rating, sizeof rating));
    fprintf(out, "expires     %s\n", cli_out_time(expiry, when));
    if (revision > 0)
        fprintf(out, "published   %s, updated %s (revision %" PRId64 ")\n", cli_out_time(created, when),
                cli_out_time(updated, when2), revision);
    else fprintf(out, "published   %s\n", cli_out_time(created, when));
    const json_t *image = cli_json_object(listing, "image");
    if (cli_json_string(image, "url"))
        fprintf(out, "image       %s\n            hash %s\n", cli_json_string(image, "url"),
                cli_json_string(image, "hash") ? cli_json_string(image, "hash") : "-");
}

cli_status cli_cmd_market_show(cli_context *ctx, const cli_args *args) {
    uint32_t id = 0;
    cli_status status = id_argument(ctx, args, false, &id);
    json_t *listing = NULL;
    cli_network network;
    if (status == CLI_OK) status = fetch_record(ctx, false, id, &listing, &network);
    if (status != CLI_OK) return status;
    if (ctx->json) {
        cli_out_json(ctx->out, listing);
        json_decref(listing);
        return CLI_OK;
    }
    print_listing(ctx, listing, &network);
    json_t *reviews = cli_json_array(listing, "reviews");
    if (json_array_size(reviews) > 0) {
        fprintf(ctx->out, "\nreviews of the seller from this listing's buyers:\n");
        size_t i;
        json_t *review;
        json_array_foreach(reviews, i, review) print_review(ctx->out, review, network.name);
        int64_t total = 0;
        if (cli_json_i64(listing, "reviews_total", &total) && total > (int64_t)json_array_size(reviews))
            fprintf(ctx->out, "  (the newest %zu of %" PRId64 ")\n", json_array_size(reviews), total);
    }
    const char *kind = cli_json_string(listing, "kind"), *state = cli_json_string(listing, "status");
    int64_t price = 0;
    cli_json_i64(listing, "price", &price);
    if (kind && strcmp(kind, "offer") == 0 && state && strcmp(state, "open") == 0)
        fprintf(ctx->out, "\norder with: tally market order %" PRIu32 " --quantity N%s\n", id,
                price == 0 ? " --price AMOUNT" : "");
    json_decref(listing);
    return CLI_OK;
}

cli_status cli_cmd_market_categories(cli_context *ctx, const cli_args *args) {
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    char path[96];
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/categories", network.id);
    json_t *json = NULL;
    status = get_for_words(ctx, path, &json);
    if (status != CLI_OK || !json) return status;
    json_t *list = cli_json_array(json, "categories");
    if (json_array_size(list) == 0)
        fprintf(ctx->out, "%s has no categories yet: an operator names one with `tally market category %s 1 Food`\n",
                network.name, network.name);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        int64_t number = 0;
        cli_json_i64(item, "category", &number);
        const char *name = cli_json_string(item, "name");
        fprintf(ctx->out, "%3" PRId64 "  %s\n", number, name ? name : "-");
    }
    json_decref(json);
    return CLI_OK;
}

/* The query string of a search from its options, into path. */
static cli_status search_path(cli_context *ctx, const cli_args *args, const cli_network *network, uint64_t *limit,
                              uint64_t *page, char *path, size_t path_size) {
    const cli_command *command = args->command;
    const char *text = args->positional_count > 1 ? args->positional[1] : NULL;
    const char *kind = cli_option_value(args, "--kind"), *sort = cli_option_value(args, "--sort");
    const char *limit_text = cli_option_value(args, "--limit"), *page_text = cli_option_value(args, "--page");
    const char *category = cli_option_value(args, "--category"), *seller = cli_option_value(args, "--seller");
    const char *min_text = cli_option_value(args, "--min-price"), *max_text = cli_option_value(args, "--max-price");
    if (kind && strcmp(kind, "offer") != 0 && strcmp(kind, "want") != 0)
        return cli_usage(ctx, command, "--kind is offer or want, not '%s'", kind);
    if (sort && strcmp(sort, "newest") != 0 && strcmp(sort, "cheapest") != 0)
        return cli_usage(ctx, command, "--sort is newest or cheapest, not '%s'", sort);
    *limit = SEARCH_LIMIT_DEFAULT;
    *page = 1;
    if (limit_text && (!cli_number_parse(limit_text, SEARCH_LIMIT_MAX, limit) || *limit == 0))
        return cli_usage(ctx, command, "--limit is 1 to 100, not '%s'", limit_text);
    if (page_text && (!cli_number_parse(page_text, SEARCH_PAGE_MAX, page) || *page == 0))
        return cli_usage(ctx, command, "--page is 1 or more (the page printed after the last), not '%s'", page_text);
    int64_t min_price = 0, max_price = 0;
    char reason[200];
    if (min_text && !cli_amount_parse(min_text, &network->unit, true, &min_price, reason, sizeof reason))
        return cli_usage(ctx, command, "--min-price: %s", reason);
    if (max_text && !cli_amount_parse(max_text, &network->unit, true, &max_price, reason, sizeof reason))
        return cli_usage(ctx, command, "--max-price: %s", reason);
    uint8_t category_number = 0;
    cli_status status = category ? category_value(ctx, command, network, category, &category_number) : CLI_OK;
    char seller_address[TALLY_ADDRESS_LENGTH + 1] = "";
    if (status == CLI_OK && seller) {
        tally_key key;
        char display[160];
        status = cli_resolve_who(ctx, command, seller, network, &key, NULL, display, sizeof display);
        if (status == CLI_OK) tally_address_encode(&key, seller_address);
    }
    if (status != CLI_OK) return status;
    char escaped[3 * 512 + 1] = "";
    if (text && (strlen(text) > 512 || !cli_client_query_escape(text, escaped, sizeof escaped)))
        return cli_usage(ctx, command, "TEXT is at most 512 bytes%s", "");
    int written = snprintf(path, path_size,
                           "/v1/networks/%" PRIu32 "/listings?limit=%" PRIu64 "&offset=%" PRIu64 "&status=%s", network->id,
                           *limit, (*page - 1) * *limit, cli_flag(args, "--all") ? "all" : "open");
    size_t used = written > 0 ? (size_t)written : 0;
#define APPEND(...)                                                                                             \
    do {                                                                                                        \
        if (used < path_size) {                                                                                 \
            int more = snprintf(path + used, path_size - used, __VA_ARGS__);                                   \
            used += more > 0 ? (size_t)more : 0;                                                                \
        }                                                                                                       \
    } while (0)
    if (text && text[0]) APPEND("&q=%s", escaped);
    if (kind) APPEND("&kind=%s", kind);
    if (sort) APPEND("&sort=%s", sort);
    if (category) APPEND("&category=%u", (unsigned)category_number);
    if (seller) APPEND("&seller=%s", seller_address);
    if (min_text) APPEND("&min_price=%" PRId64, min_price);
    if (max_text) APPEND("&max_price=%" PRId64, max_price);
#undef APPEND
    if (used >= path_size) return cli_usage(ctx, command, "the search is too long%s", "");
    return CLI_OK;
}

/* The same search for the next page. */
static void next_page_hint(cli_context *ctx, const cli_args *args, uint64_t page, char *hint, size_t hint_size) {
    cli_hint_start(ctx, hint, hint_size);
    cli_hint_word(hint, hint_size, "market");
    cli_hint_word(hint, hint_size, "search");
    for (unsigned i = 0; i < args->positional_count; i++) cli_hint_word(hint, hint_size, args->positional[i]);
    static const char *const carried[] = {"--category",  "--kind", "--seller", "--min-price",
                                          "--max-price", "--sort", "--limit"};
    for (size_t i = 0; i < sizeof carried / sizeof carried[0]; i++) {
        const char *value = cli_option_value(args, carried[i]);
        if (!value) continue;
        cli_hint_word(hint, hint_size, carried[i]);
        cli_hint_word(hint, hint_size, value);
    }
    if (cli_flag(args, "--all")) cli_hint_word(hint, hint_size, "--all");
    char number[24];
    snprintf(number, sizeof number, "%" PRIu64, page + 1);
    cli_hint_word(hint, hint_size, "--page");
    cli_hint_word(hint, hint_size, number);
}

cli_status cli_cmd_market_search(cli_context *ctx, const cli_args *args) {
    cli_network network;
    cli_status status = cli_client_network(ctx, args->positional[0], &network);
    if (status != CLI_OK) return status;
    uint64_t limit = 0, page = 0;
    char path[2200];
    status = search_path(ctx, args, &network, &limit, &page, path, sizeof path);
    json_t *json = NULL;
    if (status == CLI_OK) status = get_for_words(ctx, path, &json);
    if (status != CLI_OK || !json) return status;
    json_t *list = cli_json_array(json, "listings");
    int64_t total = 0;
    cli_json_i64(json, "total", &total);
    bool all = cli_flag(args, "--all");
    if (json_array_size(list) == 0) {
        fprintf(ctx->out, "no %slistings match in %s%s\n", all ? "" : "open ", network.name,
                page > 1 ? " on this page" : "");
        json_decref(json);
        return CLI_OK;
    }
    static market_table t; /* about 140 KiB: not for the stack */
    memset(&t, 0, sizeof t);
    t.columns = all ? 9 : 8;
    t.right[0] = t.right[3] = t.right[4] = true;
    const char *header[] = {"ID", "KIND", "TITLE", "PRICE", "UNITS", "SELLER", "CATEGORY", "RATING", "STATUS"};
    table_row(&t, header);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        int64_t id = 0, quantity = 0, count = 0;
        cli_json_i64(item, "id", &id);
        cli_json_i64(item, "quantity", &quantity);
        const json_t *rating = cli_json_object(item, "rating");
        const char *average = cli_json_string(rating, "average");
        cli_json_i64(rating, "count", &count);
        char id_text[16], units[24], title[MARKET_CELL_MAX], price[CLI_AMOUNT_TEXT_MAX], seller[96], category[64],
            stars[32];
        snprintf(id_text, sizeof id_text, "%" PRId64, id);
        snprintf(units, sizeof units, "%" PRId64, quantity);
        cut_text(cli_json_string(item, "title"), 40, title, sizeof title);
        char who[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2];
        member_text(item, "seller", NULL, who, sizeof who);
        cut_text(who, 20, seller, sizeof seller);
        if (count > 0 && average) snprintf(stars, sizeof stars, "%s (%" PRId64 ")", average, count);
        else snprintf(stars, sizeof stars, "-");
        const char *cells[] = {id_text, cli_json_string(item, "kind"), title, price_text(item, "price", &network.unit, price),
                               units, seller, category_text(item, category, sizeof category), stars,
                               cli_json_string(item, "status")};
        table_row(&t, cells);
    }
    table_print(ctx->out, &t);
    uint64_t shown_to = (page - 1) * limit + json_array_size(list);
    fprintf(ctx->out, "%" PRIu64 " to %" PRIu64 " of %" PRId64 "\n", (page - 1) * limit + 1, shown_to, total);
    const json_t *next = json_object_get(json, "next_offset");
    if (next && !json_is_null(next)) {
        char hint[2048];
        next_page_hint(ctx, args, page, hint, sizeof hint);
        fprintf(ctx->out, "more: %s\n", hint);
    }
    fprintf(ctx->out, "`tally market show ID` shows one; `tally market order ID` buys an offer\n");
    json_decref(json);
    return CLI_OK;
}

/* What the order's status leaves to do, and who does it (the reviews: the sides that
 * have not reviewed yet). */
static void print_next_step(FILE *out, const char *status, int64_t id, bool buyer_reviewed, bool seller_reviewed) {
    if (!status) return;
    bool paid = strcmp(status, "completed") == 0 || strcmp(status, "released") == 0 || strcmp(status, "resolved") == 0;
    if (paid && (buyer_reviewed || seller_reviewed)) {
        if (!buyer_reviewed || !seller_reviewed)
            fprintf(out, "next: the %s may review the other side once: tally market review %" PRId64 " --stars 1..5 "
                         "--text TEXT\n",
                    buyer_reviewed ? "seller" : "buyer", id);
        return;
    }
    if (strcmp(status, "placed") == 0)
        fprintf(out, "next: the seller accepts (tally market accept %" PRId64 ") or declines (tally market decline %" PRId64
                     "); until then the buyer may cancel (tally market cancel %" PRId64 ")\n",
                id, id, id);
    else if (strcmp(status, "accepted") == 0)
        fprintf(out, "next: the buyer confirms delivery (tally market confirm %" PRId64 ") or disputes it (tally market "
                     "dispute %" PRId64 " --reason TEXT); at the timeout the seller is paid\n",
                id, id);
    else if (strcmp(status, "disputed") == 0)
        fprintf(out, "next: an operator splits it (tally market resolve %" PRId64 " --seller-share P%%), the buyer may "
                     "still confirm, the seller may decline (a refund)\n",
                id);
    else if (strcmp(status, "completed") == 0 || strcmp(status, "released") == 0 || strcmp(status, "resolved") == 0)
        fprintf(out, "next: each side may review the other once: tally market review %" PRId64 " --stars 1..5 --text "
                     "TEXT\n",
                id);
}

static void print_order(cli_context *ctx, const json_t *order, const cli_network *network) {
    FILE *out = ctx->out;
    const cli_unit *unit = &network->unit;
    int64_t id = 0, listing = 0, quantity = 0, unit_price = 0, amount = 0, fee = 0, paid = 0, timeout = 0,
            created = 0, hold = 0, buyer_rating = 0, seller_rating = 0;
    cli_json_i64(order, "id", &id);
    cli_json_i64(order, "listing", &listing);
    cli_json_i64(order, "quantity", &quantity);
    cli_json_i64(order, "unit_price", &unit_price);
    cli_json_i64(order, "amount", &amount);
    bool has_fee = cli_json_i64(order, "fee", &fee);
    cli_json_i64(order, "paid", &paid);
    cli_json_i64(order, "timeout", &timeout);
    cli_json_i64(order, "created_at", &created);
    bool has_hold = cli_json_i64(order, "hold", &hold);
    cli_json_i64(order, "buyer_rating", &buyer_rating);
    cli_json_i64(order, "seller_rating", &seller_rating);
    const char *status = cli_json_string(order, "status"), *memo = cli_json_string(order, "memo");
    /* the listing's title, when the node still has it */
    char path[64];
    snprintf(path, sizeof path, "/v1/listings/%" PRId64, listing);
    json_t *listing_json = NULL;
    const char *title = NULL;
    if (listing > 0 && cli_client_request(ctx, "GET", path, NULL, false, &listing_json) == CLI_OK)
        title = cli_json_string(listing_json, "title");
    char a[CLI_AMOUNT_TEXT_MAX], b[CLI_AMOUNT_TEXT_MAX], who[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2];
    char when[CLI_TIME_TEXT_MAX];
    fprintf(out, "order %" PRId64 " in %s: %s\n", id, network->name, status ? status : "-");
    if (title) fprintf(out, "listing     %" PRId64 " \"%s\"\n", listing, title);
    else fprintf(out, "listing     %" PRId64 "\n", listing);
    fprintf(out, "buyer       %s\n", member_text(order, "buyer", network->name, who, sizeof who));
    fprintf(out, "seller      %s\n", member_text(order, "seller", network->name, who, sizeof who));
    fprintf(out, "units       %" PRId64 " at %s\n", quantity, cli_out_amount(unit_price, unit, a));
    if (has_fee) fprintf(out, "amount      %s, fee %s\n", cli_out_amount(amount, unit, a), cli_out_amount(fee, unit, b));
    else fprintf(out, "amount      %s\n", cli_out_amount(amount, unit, a));
    if (has_hold) fprintf(out, "held by     hold %" PRId64 " (only the order's steps move it)\n", hold);
    fprintf(out, "paid        %s to the seller\n", cli_out_amount(paid, unit, a));
    fprintf(out, "placed      %s\n", cli_out_time(created, when));
    bool open = status && (strcmp(status, "placed") == 0 || strcmp(status, "accepted") == 0);
    if (open)
        fprintf(out, "timeout     %s: %s\n", cli_out_time(timeout, when),
                strcmp(status, "placed") == 0 ? "refunded unless the seller accepted" : "paid to the seller");
    else fprintf(out, "timeout     %s\n", cli_out_time(timeout, when));
    if (memo && memo[0]) fprintf(out, "memo        %s\n", memo);
    if (buyer_rating || seller_rating) {
        fprintf(out, "reviews     ");
        if (buyer_rating) fprintf(out, "the buyer gave %" PRId64 " of 5%s", buyer_rating, seller_rating ? "; " : "");
        if (seller_rating) fprintf(out, "the seller gave %" PRId64 " of 5", seller_rating);
        fprintf(out, "\n");
    }
    json_t *steps = cli_json_array(order, "steps");
    if (json_array_size(steps) > 0) {
        fprintf(out, "steps:\n");
        size_t i;
        json_t *step;
        json_array_foreach(steps, i, step) {
            int64_t time = 0, figure = 0;
            cli_json_i64(step, "time", &time);
            const char *name = cli_json_string(step, "type"), *step_memo = cli_json_string(step, "memo");
            bool by_chain = false;
            cli_json_bool(step, "by_chain", &by_chain);
            char by[TALLY_ADDRESS_LENGTH + TALLY_NAME_MAX + 2];
            member_text(step, "by", network->name, by, sizeof by);
            fprintf(out, "  %s  %-16s", cli_out_time(time, when), name ? name : "-");
            if (by_chain) fprintf(out, " by the chain (the timeout)");
            else if (strcmp(by, "-") != 0) fprintf(out, " by %s", by);
            if (cli_json_i64(step, "held", &figure)) fprintf(out, ", %s held", cli_out_amount(figure, unit, a));
            if (cli_json_i64(step, "paid", &figure)) fprintf(out, ", %s to the seller", cli_out_amount(figure, unit, a));
            if (cli_json_i64(step, "rating", &figure)) fprintf(out, ", %" PRId64 " of 5", figure);
            if (step_memo && step_memo[0]) fprintf(out, ": %s", step_memo);
            fprintf(out, "\n");
        }
    }
    print_next_step(out, status, id, buyer_rating > 0, seller_rating > 0);
    json_decref(listing_json);
}

cli_status cli_cmd_market_order_show(cli_context *ctx, const cli_args *args) {
    uint32_t id = 0;
    cli_status status = id_argument(ctx, args, true, &id);
    json_t *order = NULL;
    cli_network network;
    if (status == CLI_OK) status = fetch_record(ctx, true, id, &order, &network);
    if (status != CLI_OK) return status;
    if (ctx->json) cli_out_json(ctx->out, order);
    else print_order(ctx, order, &network);
    json_decref(order);
    return CLI_OK;
}

cli_status cli_cmd_market_orders(cli_context *ctx, const cli_args *args) {
    const char *role = cli_option_value(args, "--as");
    if (role && strcmp(role, "buyer") != 0 && strcmp(role, "seller") != 0)
        return cli_usage(ctx, args->command, "--as is buyer or seller, not '%s'", role);
    cli_network network;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160], path[256];
    cli_status status = cli_network_and_member(ctx, args, &network, address, display, sizeof display);
    if (status != CLI_OK) return status;
    bool all = cli_flag(args, "--all");
    const char *page_text = cli_option_value(args, "--page");
    uint64_t page = 1;
    if (page_text && (!cli_number_parse(page_text, SEARCH_PAGE_MAX, &page) || page == 0))
        return cli_usage(ctx, args->command, "--page is 1 or more (the page printed after the last), not '%s'",
                         page_text);
    snprintf(path, sizeof path,
             "/v1/networks/%" PRIu32 "/orders?member=%s&status=%s&limit=%u&offset=%" PRIu64 "%s%s", network.id,
             address, all ? "all" : "open", SEARCH_LIMIT_MAX, (page - 1) * SEARCH_LIMIT_MAX, role ? "&role=" : "",
             role ? role : "");
    json_t *json = NULL;
    status = get_for_words(ctx, path, &json);
    if (status != CLI_OK || !json) return status;
    json_t *list = cli_json_array(json, "orders");
    fprintf(ctx->out, "%s orders of %s in %s%s%s\n", all ? "all" : "open", display, network.name, role ? " as " : "",
            role ? role : "");
    if (json_array_size(list) == 0) {
        fprintf(ctx->out, "none%s\n", all ? "" : " (--all shows the ended ones too)");
        json_decref(json);
        return CLI_OK;
    }
    static market_table t;
    memset(&t, 0, sizeof t);
    t.columns = 8;
    t.right[0] = t.right[1] = t.right[4] = t.right[5] = true;
    const char *header[] = {"ID", "LISTING", "STATUS", "ROLE", "UNITS", "AMOUNT", "WITH", "TIMEOUT"};
    table_row(&t, header);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        int64_t id = 0, listing = 0, quantity = 0, amount = 0, timeout = 0;
        cli_json_i64(item, "id", &id);
        cli_json_i64(item, "listing", &listing);
        cli_json_i64(item, "quantity", &quantity);
        cli_json_i64(item, "amount", &amount);
        cli_json_i64(item, "timeout", &timeout);
        const char *buyer = cli_json_string(item, "buyer");
        bool is_buyer = buyer && strcmp(buyer, address) == 0;
        char id_text[16], listing_text[16], units[24], money[CLI_AMOUNT_TEXT_MAX], who[160], with[64],
            when[CLI_TIME_TEXT_MAX];
        snprintf(id_text, sizeof id_text, "%" PRId64, id);
        snprintf(listing_text, sizeof listing_text, "%" PRId64, listing);
        snprintf(units, sizeof units, "%" PRId64, quantity);
        member_text(item, is_buyer ? "seller" : "buyer", NULL, who, sizeof who);
        cut_text(who, 24, with, sizeof with);
        const char *cells[] = {id_text, listing_text, cli_json_string(item, "status"), is_buyer ? "buyer" : "seller",
                               units, cli_out_amount(amount, &network.unit, money), with,
                               cli_out_time(timeout, when)};
        table_row(&t, cells);
    }
    table_print(ctx->out, &t);
    const json_t *next = json_object_get(json, "next_offset");
    if (next && !json_is_null(next)) {
        char hint[1024], number[24];
        cli_hint_start(ctx, hint, sizeof hint);
        cli_hint_word(hint, sizeof hint, "market");
        cli_hint_word(hint, sizeof hint, "orders");
        cli_hint_word(hint, sizeof hint, args->positional[0]);
        if (role) {
            cli_hint_word(hint, sizeof hint, "--as");
            cli_hint_word(hint, sizeof hint, role);
        }
        if (all) cli_hint_word(hint, sizeof hint, "--all");
        snprintf(number, sizeof number, "%" PRIu64, page + 1);
        cli_hint_word(hint, sizeof hint, "--page");
        cli_hint_word(hint, sizeof hint, number);
        fprintf(ctx->out, "more: %s\n", hint);
    }
    fprintf(ctx->out, "`tally market order-show ID` shows one, with its steps and what comes next\n");
    json_decref(json);
    return CLI_OK;
}

cli_status cli_cmd_market_reviews(cli_context *ctx, const cli_args *args) {
    cli_network network;
    char address[TALLY_ADDRESS_LENGTH + 1], display[160], path[256];
    cli_status status = cli_network_and_member(ctx, args, &network, address, display, sizeof display);
    if (status != CLI_OK) return status;
    snprintf(path, sizeof path, "/v1/networks/%" PRIu32 "/accounts/%s/reviews?limit=%u", network.id, address,
             SEARCH_LIMIT_MAX);
    json_t *json = NULL;
    status = get_for_words(ctx, path, &json);
    if (status != CLI_OK || !json) return status;
    int64_t points = 0, count = 0;
    cli_json_i64(json, "review_points", &points);
    cli_json_i64(json, "review_count", &count);
    fprintf(ctx->out, "reviews of %s: %" PRId64 " review%s, net stars %+" PRId64 " (each review counts its stars - 3)\n",
            display, count, count == 1 ? "" : "s", points);
    size_t i;
    json_t *review;
    json_t *list = cli_json_array(json, "reviews");
    json_array_foreach(list, i, review) print_review(ctx->out, review, network.name);
    int64_t total = 0;
    if (cli_json_i64(json, "total", &total) && total > (int64_t)json_array_size(list))
        fprintf(ctx->out, "(the newest %zu of %" PRId64 " shown)\n", json_array_size(list), total);
    json_decref(json);
    return CLI_OK;
}
