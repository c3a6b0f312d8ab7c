/*
 * commands.c: the table of `tally` commands with their help, the command-line
 * parser and the dispatch (see commands.h). The table is the one place a command
 * is described: the parser checks arguments against it and the help prints it.
 */
#include "cli/commands.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/handlers.h"
#include "cli/output.h"

/* ------------------------------------------------------------------------ */
/* Options.                                                                  */
/* ------------------------------------------------------------------------ */

static const cli_option global_options[] = {
    {"--node", "URL", "the node to talk to (default $TALLY_NODE or " CLI_DEFAULT_NODE ")"},
    {"--key", "NAME", "the key that signs (default $TALLY_KEY, else the only key in the keystore)"},
    {"--json", NULL, "machine-readable output: one JSON document on stdout"},
    {"--help", NULL, "what a command does, its arguments and an example (also -h)"},
    {NULL, NULL, NULL},
};

#define POLICY_OPTIONS                                                                                         \
    {"--default-limit", "AMOUNT", "credit line opened for each member who joins (0: none)"},                  \
        {"--max-limit", "AMOUNT", "the largest credit line an operator may open"},                             \
        {"--cap", "AMOUNT", "no payment takes a balance above this (0: no cap)"},                              \
        {"--fee-bps", "N", "base fee of each payment in basis points (100 = 1%)"},                             \
        {"--risk-fee-bps", "N", "risk fee of automatic lines, on the part of a payment spent on credit"},      \
        {"--period-days", "N", "length of a credit period"},                                                   \
        {"--grace-days", "N", "grace after a period that did not comply, before default"},                     \
        {"--period-seconds", "N", "length of a credit period in seconds (for tests and demos)"},               \
        {"--grace-seconds", "N", "grace in seconds (for tests and demos)"},                                    \
        {"--rule", "RULE", "what a line must do in a period to renew: zero-balance, rebalanced, min-income"},  \
        {"--min-income-bps", "N", "with min-income: income to earn per period, in basis points of the debt"},  \
        {"--no-auto-renew", NULL, "a compliant line expires at the end of its period instead of renewing"},    \
        {"--auto-renew", NULL, "a compliant line renews for another period"},                                  \
        {"--target-rtd-bps", "N", "target reserve-to-debt ratio of the assurance pool, in basis points"},      \
        {"--admitted", NULL, "an operator admits each member"},                                                \
        {"--open", NULL, "anyone may join"},                                                                   \
        {"--max-members", "N", "the most members the network holds at once (default 100000)"},                \
        {"--notice-days", "N", "notice of a higher fee, lower cap or new RTD or peg, 1 to 366 (default 7)"},   \
        {"--notice-seconds", "N", "the notice in seconds, at least 86400"},                                    \
        {"--redeem-cap-bps", "N", "redemptions take at most this share of the pool's primary per day (1000)"},   \
        {"--collateral-ratio-bps", "N", "underwriting: a stake worth V covers V * 10000 / N of credit (15000 = "    \
                                        "150%; 0: no stakes, the default; up to 1000000)"},                        \
        {"--reputation-base", "N", "reputation: every member's starting score, 0 to 1000 (default 200)"},          \
        {"--reputation-age", "W:DAYS", "reputation: up to W points for age, in full at DAYS days (200:365)"},      \
        {"--reputation-volume", "W:AMOUNT", "reputation: up to W points for volume paid and received, in full at " \
                                            "AMOUNT (200:10000 at 2 decimals)"},                                   \
        {"--reputation-streak", "W:PERIODS", "reputation: up to W points for compliant periods in a row (300:12)"}, \
        {"--reputation-reviews", "W:STARS", "reputation: up to W points for net review stars (100:10)"},          \
        {"--reputation-default-penalty", "N", "reputation: points taken for each default, 0 to 1000 (500)"},       \
        {"--algorithmic-limits", NULL, "the chain sets each compliant line's own part at renewal (the --limit-* " \
                                       "rule)"},                                                                   \
        {"--no-algorithmic-limits", NULL, "operators set lines by hand (the default)"},                            \
        {"--limit-base", "AMOUNT", "algorithmic limits: the part every line starts from"},                         \
        {"--limit-per-point", "AMOUNT", "algorithmic limits: added per reputation point"},                         \
        {"--limit-income-bps", "N", "algorithmic limits: added share of the average income of the last two "      \
                                    "periods, 0 to 100000"},                                                       \
        {"--limit-step-max", "AMOUNT", "algorithmic limits: the most a line's part rises at one renewal"},         \
        {"--limit-recovery-periods", "N", "algorithmic limits: compliant periods in a row after a default before " \
                                          "the part is more than 0, 0 to 1000"},                                   \
        {"--demurrage-bps", "N", "charge each charge period this share of a positive balance's part above the "   \
                                 "threshold (0: none)"},                                                           \
        {"--demurrage-threshold", "AMOUNT", "demurrage: the part of a balance that is never charged"},             \
        {"--membership-fee", "AMOUNT", "charged from each active member each charge period; one who cannot pay "  \
                                       "is suspended until it pays (0: none)"},                                    \
        {"--charges-to-pool", NULL, "demurrage and membership fees go to the assurance pool"},                     \
        {"--charges-to-fees", NULL, "demurrage and membership fees go to the fee account (the default)"},          \
        {"--governance", "MODE", "who changes the rules: operators (the default) or members (by vote)"},           \
        {"--vote-weighting", "W", "members' votes count one-member, reputation (the score) or stake (reserve "    \
                                  "staked)"},                                                                      \
        {"--quorum-bps", "N", "a vote counts when this share of the eligible weight voted, 1 to 10000"},           \
        {"--threshold-bps", "N", "a proposal passes when yes is this share of yes + no, 1 to 10000"},              \
        {"--voting-days", "N", "how long a vote lasts (at least an hour, at most 366 days)"},                      \
        {"--voting-seconds", "N", "the vote in seconds, at least 3600"},                                           \
        {"--timelock-days", "N", "the wait between a passed vote and its change"},                                 \
        {"--timelock-seconds", "N", "the timelock in seconds"},                                                    \
        {"--late-quorum-days", "N", "a vote reaching quorum this close to its end is extended once by as much"},   \
        {"--late-quorum-seconds", "N", "the late-quorum extension in seconds (at most the vote's length)"},        \
        {"--operators-may-suspend", NULL, "member governance: operators still suspend and reinstate members"},     \
        {"--operators-may-not-suspend", NULL, "member governance: only a vote suspends"},                          \
        {"--operators-may-freeze", NULL, "member governance: operators still freeze their side of a gateway"},     \
        {"--operators-may-not-freeze", NULL, "member governance: only a vote freezes a gateway"}

static const cli_option network_create_options[] = {
    {"--decimals", "N", "digits after the point of the unit, 0 to 9 (default 2)"},
    POLICY_OPTIONS,
    {NULL, NULL, NULL},
};
static const cli_option network_policy_options[] = {POLICY_OPTIONS, {NULL, NULL, NULL}};

static const cli_option underwrite_list_options[] = {
    {"--member", "WHO", "the stakes behind WHO's line (default: the stakes you made)"},
    {NULL, NULL, NULL},
};
/* Governance (cmd_governance.c): a proposal's action takes the options of the
 * command it stands for; --fee-bps is the policy's or, for a gateway, the side's. */
static const cli_option proposal_create_options[] = {
    POLICY_OPTIONS,
    {"--rate", "A:B", "gateway-propose: A of NET's unit are worth B of the partner's, or `pegs`"},
    {"--partner-fee-bps", "N", "gateway-propose: the partner's fee on what crosses into it"},
    {"--limit", "AMOUNT", "gateway-propose, gateway-update: NET's exposure limit, in its unit"},
    {"--partner-limit", "AMOUNT", "gateway-propose: the partner's exposure limit, in its unit"},
    {"--min-partner-rtd", "BPS", "gateway-propose, gateway-update: NET's rule on the partner's RTD"},
    {"--max-partner-default", "BPS", "gateway-propose, gateway-update: NET's rule on the partner's default rate"},
    {"--partner-min-rtd", "BPS", "gateway-propose: the partner's rule on NET's RTD"},
    {"--partner-max-default", "BPS", "gateway-propose: the partner's rule on NET's default rate"},
    {"--seller-share", "P%", "order-resolve: the seller's share of the disputed order's amount (rounded down)"},
    {"--seller-amount", "AMOUNT", "order-resolve: the seller's part as an amount"},
    {NULL, NULL, NULL},
};
static const cli_option proposal_list_options[] = {
    {"--status", "S", "only proposals of this status: voting, passed, rejected, cancelled, executed"},
    {NULL, NULL, NULL},
};
#define GOVERNANCE_HELP                                                                      \
    "In a network its members govern (its policy's governance mode is members), the\n"   \
    "operators' changes of the policy, the peg, the operators and the gateways are\n"    \
    "refused (GOVERNED_BY_MEMBERS) and become proposals: any active member proposes one\n" \
    "change, the members active when it was made vote on it (yes, no or abstain, once;\n" \
    "members admitted later, suspended or defaulted may not: NOT_ELIGIBLE), each with\n" \
    "the weight of the network's rule (one member one vote, reputation or stake). When\n" \
    "the vote ends it passes if the weight cast reaches the quorum (a share of the\n"     \
    "eligible weight) and yes reaches the threshold (a share of yes + no; abstentions\n" \
    "count for the quorum only). A vote that brings the quorum in the vote's last\n"     \
    "late-quorum period extends it once by that period. A passed proposal applies\n"    \
    "after the timelock, through the action's own rules (an announced change then\n"   \
    "waits its notice); a refusal then is kept as its result. Operators keep what the\n" \
    "rule grants them in an emergency (suspending members, freezing their side of a\n" \
    "gateway) and the day-to-day work (admitting members, lines, fees).\n"

static const cli_option line_open_options[] = {
    {"--period-days", "N", "the line's period (default: the network's)"},
    {"--grace-days", "N", "the line's grace (default: the network's)"},
    {"--period-seconds", "N", "the line's period in seconds (for tests and demos)"},
    {"--grace-seconds", "N", "the line's grace in seconds (for tests and demos)"},
    {"--risk-fee-bps", "N", "risk fee on the part of each payment spent on credit (default 0)"},
    {NULL, NULL, NULL},
};
static const cli_option line_update_options[] = {
    {"--risk-fee-bps", "N", "a new risk fee (default: unchanged)"},
    {NULL, NULL, NULL},
};
static const cli_option pay_cross_options[] = {
    {"--memo", "TEXT", "a note for the payee, up to 256 bytes (a payment within one network only)"},
    {"--max-fee", "AMOUNT", "the most you agree to pay in fees in your network (default: what the path shown costs; "
                            "within one network: the base fee plus your line's risk fee on the part spent on credit)"},
    {"--min-received", "AMOUNT", "across networks: the least the payee must receive, in its unit (default: what "
                                 "the path shown gives it)"},
    {"--path", "ID,ID", "across networks: the gateways to pay over, in order from your network (default: the best "
                        "path the node finds)"},
    {NULL, NULL, NULL},
};
static const cli_option gateway_propose_options[] = {
    {"--rate", "A:B", "A of your network's unit are worth B of the partner's (3:2, 1.50:1), or `pegs`: fixed from "
                      "both networks' pegs at acceptance (both must peg the same reserve asset). Required"},
    {"--fee-bps", "N", "your network's fee on what crosses into it, in basis points (default 0)"},
    {"--partner-fee-bps", "N", "the partner's fee on what crosses into it (default 0)"},
    {"--limit", "AMOUNT", "your network's exposure limit: the most the partner's mirror account may owe in your "
                          "network, in your unit (default 0: nothing crosses into your network on credit)"},
    {"--partner-limit", "AMOUNT", "the partner's exposure limit, in its unit (default 0)"},
    {"--min-partner-rtd", "BPS", "your rule: no new exposure while the partner's reserve-to-debt ratio is below this "
                                 "(basis points; default 0: none)"},
    {"--max-partner-default", "BPS", "your rule: the partner's default rate must stay below this (basis points; "
                                     "default 0: none)"},
    {"--partner-min-rtd", "BPS", "the partner's rule on your network's RTD (default 0: none)"},
    {"--partner-max-default", "BPS", "the partner's rule on your network's default rate (default 0: none)"},
    {NULL, NULL, NULL},
};
static const cli_option gateway_update_options[] = {
    {"--network", "NET", "your side of the gateway (required): only its terms change"},
    {"--limit", "AMOUNT", "a new exposure limit, in NET's unit (below the present exposure: no new exposure until "
                          "it falls under)"},
    {"--fee-bps", "N", "a new fee on what crosses into NET, in basis points"},
    {"--min-partner-rtd", "BPS", "a new minimum RTD of the partner (0: none)"},
    {"--max-partner-default", "BPS", "a new maximum default rate of the partner (0: none)"},
    {NULL, NULL, NULL},
};
static const cli_option gateway_side_options[] = {
    {"--network", "NET", "your side of the gateway (required)"},
    {NULL, NULL, NULL},
};
static const cli_option paths_options[] = {
    {"--path", "ID,ID", "price these gateways only, in order from the payer's network"},
    {NULL, NULL, NULL},
};
static const cli_option clearing_submit_options[] = {
    {"--gateway", "ID:AMOUNT_A:AMOUNT_B...", "one set-off: gateway ID's obligation falls by AMOUNT_A in its first "
                                             "network's unit and AMOUNT_B in its second's (exactly at its rate); "
                                             "give it once per gateway, 1 to 8 times"},
    {NULL, NULL, NULL},
};
static const cli_option pay_batch_options[] = {
    {"--network", "NET", "the network of every line (then a line may name a bare alias or address)"},
    {"--max-fee", "AMOUNT", "the most you agree to pay in fees for all lines together (default: each line's "
                            "base fee plus your line's risk fee, at the balance the lines before it leave)"},
    {NULL, NULL, NULL},
};
static const cli_option key_import_options[] = {
    {"--seed", "-", "read the seed from standard input (the default; a seed written here is refused)"},
    {"--seed-file", "FILE", "read the seed from FILE"},
    {NULL, NULL, NULL},
};
static const cli_option asset_create_options[] = {
    {"--decimals", "N", "digits after the point, 0 to 9 (default 2)"},
    {NULL, NULL, NULL},
};
static const cli_option fees_options[] = {
    {"--to-pool", NULL, "send the fees to the network's assurance pool instead of a member"},
    {NULL, NULL, NULL},
};
static const cli_option chain_approve_options[] = {
    {"--networks", "N", "networks the key may still found (0 to 65536; 0 revokes)"},
    {"--assets", "N", "reserve assets the key may still create (0 to 65536; 0 revokes)"},
    {NULL, NULL, NULL},
};
static const cli_option validator_propose_options[] = {
    {"--add", "ADDRESS...", "a key to make a validator (once per key, up to 16; each takes the next free slot in "
                            "the order given)"},
    {"--retire", "ADDRESS...", "a validator to retire (once per validator; its slot stays, its key never counts "
                               "again)"},
    {NULL, NULL, NULL},
};
static const cli_option prove_options[] = {
    {"--out", "FILE", "save the proof in FILE (default: print it)"},
    {NULL, NULL, NULL},
};
static const cli_option check_proof_options[] = {
    {"--producer", "ADDRESS", "the chain's block producer, as you know it"},
    {"--against", "URL", "another node: it must serve the same header, and names the producer"},
    {NULL, NULL, NULL},
};
static const cli_option history_options[] = {
    {"--limit", "N", "entries to show, 1 to 500 (default 50)"},
    {"--before", "CURSOR", "show the page before this cursor (printed at the end of a page)"},
    {"--from", "DATE", "every entry from this day on (YYYY-MM-DD, UTC)"},
    {"--to", "DATE", "every entry up to the end of this day (YYYY-MM-DD, UTC)"},
    {"--csv", NULL, "every entry (of the range) as CSV, amounts as plain decimal numbers, for a spreadsheet"},
    {"--statement", NULL, "a statement of the range: opening balance, every entry oldest first, what came in, "
                          "went out and was paid in fees, closing balance"},
    {NULL, NULL, NULL},
};
static const cli_option hold_create_options[] = {
    {"--timeout", "DURATION", "how long it is held at most: 30d, 12h, 90m, 45s (up to 366 days)"},
    {"--release", NULL, "at the timeout pay it in full (default: refund it)"},
    {"--resolver", "WHO", "a member (an operator, a marketplace order) who may also post or void it"},
    {"--max-fee", "AMOUNT", "the most you agree to pay in fees (default: the base fee plus your risk fee)"},
    {NULL, NULL, NULL},
};
static const cli_option hold_list_options[] = {
    {"--status", "S", "only holds of this status: open, posted, voided, released, refunded"},
    {"--limit", "N", "holds to show, 1 to 500 (default 50)"},
    {"--before", "ID", "show the page before this number (printed at the end of a page)"},
    {NULL, NULL, NULL},
};
static const cli_option request_list_options[] = {
    {"--status", "S", "only requests of this status: open, paid, cancelled, expired"},
    {"--limit", "N", "requests to show, 1 to 500 (default 50)"},
    {"--before", "ID", "show the page before this number (printed at the end of a page)"},
    {NULL, NULL, NULL},
};
static const cli_option request_create_options[] = {
    {"--memo", "TEXT", "what it is for, up to 256 bytes: the payer sees it, and both histories show it"},
    {"--expires", "DURATION", "how long it may be paid: 30d, 12h, 90m, 45s, up to 366 days (default 30d)"},
    {"--anyone", NULL, "any member of the network may pay it (give NET instead of PAYER@NET)"},
    {NULL, NULL, NULL},
};
static const cli_option request_pay_options[] = {
    {"--max-fee", "AMOUNT", "the most you agree to pay in fees (default: the base fee plus your line's risk fee "
                            "on the part spent on credit, as `tally pay` computes it)"},
    {NULL, NULL, NULL},
};
static const cli_option activity_options[] = {
    {"--limit", "N", "rows to show, 1 to 500 (default 50)"},
    {"--before", "CURSOR", "show the page before this cursor (printed at the end of a page)"},
    {NULL, NULL, NULL},
};
static const cli_option health_options[] = {
    {"--history", "N", "also the last N periods (1 to 500), newest first"},
    {NULL, NULL, NULL},
};
static const cli_option members_options[] = {
    {"--limit", "N", "members to show, 1 to 500 (default 100)"},
    {"--cursor", "C", "go on from the cursor printed after the previous page"},
    {NULL, NULL, NULL},
};
static const cli_option pool_show_options[] = {
    {"--shares", "N", "preview withdrawing N shares (default: all of yours, with --key)"},
    {NULL, NULL, NULL},
};
static const cli_option search_options[] = {
    {"--limit", "N", "matches to show, 1 to 100 (default 20)"},
    {"--cursor", "C", "go on from the cursor printed after the previous page"},
    {NULL, NULL, NULL},
};
static const cli_option verify_options[] = {
    {"--data", "DIR", "verify the block log in this data directory instead of asking a node"},
    {"--chain-id", "HEX", "refuse a chain whose id is not this one (what you learned out of band)"},
    {"--full", NULL, "check every invariant over the whole state after every block, not only where the block "
                     "changed something (slower on a large state; the same verdict)"},
    {"--require-final", NULL, "from a node: fail unless every block is final (co-signed by a quorum of the "
                              "genesis's validators)"},
    {NULL, NULL, NULL},
};

/* The marketplace (cmd_market.c, docs/MARKETPLACE.md). */
#define LISTING_CONTENT_OPTIONS                                                                                 \
    {"--title", "TEXT", "what it is, 1 to 80 bytes (shown in searches)"},                                      \
        {"--text", "TEXT", "more about it, up to 256 bytes (searched too)"},                                   \
        {"--category", "N|NAME", "one of the network's categories (`tally market categories NET`), 0: none"},    \
        {"--price", "AMOUNT|ask", "a unit's price in the network's unit (12.50), or ask: buyers name a price "    \
                                  "and you accept it or not"},                                                 \
        {"--quantity", "N", "units offered or wanted (default 1; an update: the units left)"},                              \
        {"--days", "D", "it stays up D days from now, 1 to 366 (a new listing: 30 unless --expiry)"},            \
        {"--expiry", "TIME", "it stays up until TIME (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC), within a year"},     \
        {"--image-url", "URL", "an http(s) address of a picture (the chain keeps the reference, never the bytes)"}, \
        {"--image-hash", "HEX", "the hash of what the URL serves, 64 hex digits (required with --image-url)"}
static const cli_option market_list_options[] = {
    {"--offer", NULL, "you sell it: members order it"},
    {"--want", NULL, "you look for it: members answer with an offer"},
    LISTING_CONTENT_OPTIONS,
    {NULL, NULL, NULL},
};
static const cli_option market_update_options[] = {
    LISTING_CONTENT_OPTIONS,
    {"--no-image", NULL, "drop the listing's image"},
    {NULL, NULL, NULL},
};
static const cli_option market_search_options[] = {
    {"--category", "N|NAME", "only listings of this category (0: of none)"},
    {"--kind", "offer|want", "only offers or only wants"},
    {"--seller", "WHO", "only the listings of this member (alias or address)"},
    {"--min-price", "AMOUNT", "a unit's price at least this (ask listings match no price range)"},
    {"--max-price", "AMOUNT", "a unit's price at most this"},
    {"--sort", "ORDER", "newest (the default) or cheapest (ask listings last)"},
    {"--all", NULL, "withdrawn and expired listings too (default: open ones only)"},
    {"--limit", "N", "listings a page, 1 to 100 (default 20)"},
    {"--page", "N", "the page to show (default 1; printed after a page with more)"},
    {NULL, NULL, NULL},
};
static const cli_option market_order_options[] = {
    {"--quantity", "N", "units to buy (default 1)"},
    {"--price", "AMOUNT", "a unit's price, the one you saw (default: the listing's now; required for an ask "
                          "listing: the seller's acceptance agrees to it)"},
    {"--max-fee", "AMOUNT", "the most you agree to pay in fees (default: the base fee plus your line's risk fee on "
                            "the part spent on credit, fixed now)"},
    {"--days", "D", "the order's timeout, 1 to 366 days (default 14): unaccepted by then it is refunded, accepted "
                    "and undisputed the seller is paid"},
    {"--memo", "TEXT", "a note for the seller, up to 256 bytes (delivery, a time, a size)"},
    {NULL, NULL, NULL},
};
static const cli_option market_reason_options[] = {
    {"--reason", "TEXT", "why, up to 256 bytes: both sides' histories show it"},
    {NULL, NULL, NULL},
};
static const cli_option market_resolve_options[] = {
    {"--seller-share", "P%", "the seller's share of the order's amount, 0% to 100% (rounded down to the unit)"},
    {"--seller-amount", "AMOUNT", "the seller's part as an amount, 0 to the order's"},
    {"--reason", "TEXT", "why, up to 256 bytes"},
    {NULL, NULL, NULL},
};
static const cli_option market_review_options[] = {
    {"--stars", "N", "your rating, 1 to 5: it adds N - 3 to the other side's review points (reputation)"},
    {"--text", "TEXT", "what you say, up to 256 bytes"},
    {NULL, NULL, NULL},
};
static const cli_option market_orders_options[] = {
    {"--as", "ROLE", "only the orders where you are the buyer or the seller"},
    {"--all", NULL, "ended orders too (default: open ones: placed, accepted, disputed)"},
    {"--page", "N", "100 orders a page, newest first: the page to show (default 1)"},
    {NULL, NULL, NULL},
};
#define MARKET_HELP                                                                         \
    "\nAn order holds quantity x price and its fee from the buyer, as a hold does, until\n" \
    "the order ends; only its steps move the money. The seller accepts (then the\n"        \
    "timeout pays the seller) or declines (a full refund); the buyer cancels before\n"      \
    "acceptance, confirms delivery (the seller is paid, the fee charged) or disputes\n"     \
    "(an operator splits it with `tally market resolve`). Unaccepted at its timeout an\n"   \
    "order is refunded. Once the seller was paid each side reviews the other once.\n"

/* ------------------------------------------------------------------------ */
/* The table.                                                                */
/* ------------------------------------------------------------------------ */

#define WHO_HELP                                                                                          \
    "WHO is an address (tly1...), an alias in the network (bob), or alias@network (bob@greenvale).\n"
#define NET_HELP "NET is a network's name (any case) or its id.\n"
#define WHO_AT_NET_HELP                                                                                   \
    "WHO@NET is alias@network or address@network (bob@greenvale); the network alone\n"                 \
    "(greenvale) means you, the selected key.\n"

const cli_command cli_commands[] = {
    /* keys */
    {"key", "new", "NAME", 1, 1, NULL, "create a key, sealed with a passphrase",
     "Creates a new Ed25519 key pair and stores it in the keystore ($TALLY_HOME/keys or\n"
     "~/.tally/keys), sealed with a passphrase you type twice (or $TALLY_PASSPHRASE).\n"
     "The key never leaves this machine; the node only ever sees signatures.\n"
     "NAME is 1 to 64 of A-Z a-z 0-9 . _ - and names the key file. Prints the address.\n",
     "tally key new alice", cli_cmd_key_new},
    {"key", "list", "", 0, 0, NULL, "list the keys in the keystore",
     "Lists each key's name and address. No passphrase is needed.\n", "tally key list", cli_cmd_key_list},
    {"key", "show", "[NAME]", 0, 1, NULL, "print a key's address",
     "Prints the address of key NAME (default: the selected key), alone on a line so a\n"
     "script can capture it.\n",
     "tally key show alice\n  bob_address=$(tally key show bob)", cli_cmd_key_show},
    {"key", "import", "NAME", 1, 1, key_import_options, "store a key from its seed",
     "Stores the key whose 32-byte seed (64 hex digits) is read from standard input, or\n"
     "from a file with --seed-file (recovery, tests); on a terminal it is asked for without\n"
     "echo. A seed on the command line is refused: other users see it in `ps` and your\n"
     "shell keeps it in its history. Sealed with a passphrase as `tally key new` does.\n"
     "Prints the address.\n",
     "tally key import alice < alice.seed\n  tally key import alice --seed-file alice.seed",
     cli_cmd_key_import},
    {"key", "check", "[NAME]", 0, 1, NULL, "check that the passphrase opens a key",
     "Opens key NAME (default: the selected key) with its passphrase and prints its\n"
     "address: to check a passphrase before you rely on it, or that a key file made by\n"
     "the web wallet (the same sealed format) opens here. Nothing is sent anywhere.\n"
     "A wrong passphrase or a damaged file is refused (exit status 2).\n",
     "tally key check alice\n  TALLY_PASSPHRASE=... tally key check alice", cli_cmd_key_check},

    /* networks */
    {"network", "create", "NAME UNIT", 2, 2, network_create_options, "found a credit network",
     "Creates a network and makes you its first operator. NAME is up to 64 bytes of text;\n"
     "UNIT is its unit code, 1 to 8 of A-Z 0-9. Amounts are typed in the unit with its\n"
     "decimals (12.50). Defaults: no automatic line, lines up to 1000 units, no cap, no\n"
     "fees, periods of 30 days with 10 days of grace, rule rebalanced, auto-renewal on,\n"
     "target RTD 0, open membership, at most 100000 members, a notice of 7 days for\n"
     "changes that touch members' money, redemptions of at most 10% of the pool's\n"
     "primary a day; no underwriting, a reputation from base 200 (age 200 points at 365\n"
     "days, volume 200 at 10000 units, streak 300 at 12 periods, reviews 100 at 10 stars,\n"
     "500 off a default), no algorithmic limits, no demurrage or membership fee, and\n"
     "operators govern. Names are unique on the chain, compared ignoring case. On an open\n"
     "chain a key founds a few networks a day; on an approved chain, as many as a\n"
     "validator approved (`tally chain approve`).\n",
     "tally network create Greenvale GVH --default-limit 100 --max-limit 500 --fee-bps 25",
     cli_cmd_transaction},
    /* The other create defaults are in the help text above; these are the protocol's. */
    {"network", "policy", "NET", 1, 1, network_policy_options, "change a network's policy (operators)",
     "Changes the options given and keeps every other rule of the network as it is\n"
     "(a change already announced included). Changes that touch members' money (a higher\n"
     "fee, a lower cap, a higher redemption cap, a shorter notice, a new target RTD while\n"
     "the pool holds reserve, a higher demurrage or membership fee, a lower demurrage\n"
     "threshold) are announced and take effect after the network's notice; the rest at\n"
     "once (a new collateral ratio changes what later stakes and unstakes cover, never a\n"
     "limit granted). Members' governance (--governance members) needs its vote's rule:\n"
     "--quorum-bps, --threshold-bps and --voting-days at least. `tally network show`\n"
     "lists the rules and what is announced.\n" NET_HELP,
     "tally network policy greenvale --cap 2000 --rule min-income --min-income-bps 1000",
     cli_cmd_transaction},
    {"network", "peg", "NET ASSET RESERVE CREDIT", 2, 4, NULL, "set the pool's reserve asset and peg (operators)",
     "Sets the reserve asset of the network's assurance pool and its peg: RESERVE of the\n"
     "asset are worth CREDIT of the network's unit, both typed with their own decimals.\n"
     "`tally network peg NET none` clears the peg (only while the pool holds no reserve).\n"
     "While the pool holds reserve, a new rate is announced and takes effect after the\n"
     "network's notice, and the asset cannot change.\n"
     NET_HELP "ASSET is an asset's code or id.\n",
     "tally network peg greenvale USD 1.00 1.00", cli_cmd_transaction},
    {"network", "show", "NET", 1, 1, NULL, "a network's policy, figures and pool",
     "Shows the network's unit, operators, policy, members, supply, debt, lost debt, fees\n"
     "and assurance pool.\n" NET_HELP,
     "tally network show greenvale", cli_cmd_network_show},
    {"network", "health", "NET", 1, 1, health_options, "a network's health: the figures other networks trust it by",
     "Shows the network's last completed health period (30 days each, from its creation),\n"
     "as the chain wrote it into the network's record: supply and debt, utilisation\n"
     "(members' debt over their limits), velocity (what members received over supply),\n"
     "the default rate (debt written off over the debt at the period's start), lost debt,\n"
     "RTD (reserve over supply), concentration (the largest debt one member reached over\n"
     "supply), active members, and exposure to and debt owed to partner networks through\n"
     "gateways; then the running period so far. A gateway's health rules read these\n"
     "figures; `tally prove network NET` proves them to anyone. With --history N, the\n"
     "last N periods as the node's index keeps them, newest first.\n" NET_HELP,
     "tally network health greenvale\n  tally network health greenvale --history 12", cli_cmd_network_health},
    {"network", "list", "", 0, 0, NULL, "every network on the node",
     "Lists the networks of the chain with their id, name, unit and members.\n", "tally network list",
     cli_cmd_network_list},
    {"network", "members", "NET", 1, 1, members_options, "the members of a network",
     "Lists the members of a network with their alias, status, balance and limit.\n" NET_HELP,
     "tally network members greenvale --limit 20", cli_cmd_network_members},

    /* operators */
    {"operator", "add", "NET WHO", 2, 2, NULL, "make a key an operator (operators)",
     "Adds WHO to the operators of the network (at most 16).\n" NET_HELP WHO_HELP,
     "tally operator add greenvale tly1...", cli_cmd_transaction},
    {"operator", "remove", "NET WHO", 2, 2, NULL, "remove an operator (operators)",
     "Removes WHO from the operators; a network keeps at least one.\n" NET_HELP WHO_HELP,
     "tally operator remove greenvale carol", cli_cmd_transaction},

    /* members */
    {"member", "join", "NET", 1, 1, NULL, "join an open network",
     "Makes your key a member of the network (networks with --admitted need an operator\n"
     "to `tally member admit` you instead). A network with a default limit opens your\n"
     "credit line at once.\n" NET_HELP,
     "tally member join greenvale", cli_cmd_transaction},
    {"member", "admit", "NET WHO", 2, 2, NULL, "admit a member (operators)",
     "Makes WHO (an address) a member of the network.\n" NET_HELP WHO_HELP,
     "tally member admit greenvale tly1...", cli_cmd_transaction},
    {"member", "suspend", "NET WHO", 2, 2, NULL, "suspend a member (operators)",
     "A suspended member keeps its balance but may not spend on credit.\n" NET_HELP WHO_HELP,
     "tally member suspend greenvale dave", cli_cmd_transaction},
    {"member", "reinstate", "NET WHO", 2, 2, NULL, "lift a suspension or a default (operators)",
     "Makes a suspended or defaulted member active again. A defaulted member's debt was\n"
     "written off and its line closed at limit 0: to lend to it again, reinstate it,\n"
     "then open a line (`tally line open NET WHO LIMIT`).\n" NET_HELP WHO_HELP,
     "tally member reinstate greenvale dave\n  tally line open greenvale dave 50", cli_cmd_transaction},
    {"member", "show", "NET [WHO]", 1, 2, NULL, "a member's standing: account, reputation, line and stakes",
     "Shows WHO's account in NET (default: yours) as `tally account` does, then its\n"
     "reputation (the score 0 to 1000 the chain wrote at its line's last period end,\n"
     "with what it is computed from: age, volume paid and received, compliant periods\n"
     "in a row, defaults, net review stars), its line in two parts (its own part, which\n"
     "operators or the algorithm grant, and the underwritten part its stakes cover), the\n"
     "stakes behind it (underwriter, amount, earned, slashed) and those it made, and any\n"
     "membership fee it owes.\n" NET_HELP WHO_HELP,
     "tally member show greenvale bob\n  tally member show greenvale --json", cli_cmd_member_show},
    {"member", "pay-fee", "NET", 1, 1, NULL, "pay the membership fee you owe (a member suspended for it)",
     "A network with a membership fee (`tally network policy NET --membership-fee AMOUNT`)\n"
     "charges it from each active member at the end of each charge period. A member who\n"
     "cannot pay it then is suspended and owes it (`tally member show` says how much);\n"
     "an operator cannot reinstate it (FEE_OWED). This pays what you owe, within your\n"
     "line as if you were active (your positive balance, then your credit), and makes\n"
     "you active again. Refused with NO_FEE_OWED when you owe nothing, and with what\n"
     "you can spend when your line cannot pay it.\n" NET_HELP,
     "tally member pay-fee greenvale", cli_cmd_transaction},
    {"member", "leave", "NET", 1, 1, NULL, "leave a network (at zero balance)",
     "Ends your membership; your balance must be zero. You may join again later.\n" NET_HELP,
     "tally member leave greenvale", cli_cmd_transaction},

    /* aliases */
    {"alias", "set", "NET ALIAS", 2, 2, NULL, "choose your alias in a network",
     "Sets your alias, unique in the network: 1 to 32 of a-z 0-9 . _ -. Others can then\n"
     "pay alias@network.\n" NET_HELP,
     "tally alias set greenvale alice", cli_cmd_transaction},
    {"alias", "clear", "NET", 1, 1, NULL, "remove your alias in a network",
     "Removes your alias; others then need your address to pay you.\n" NET_HELP,
     "tally alias clear greenvale", cli_cmd_transaction},

    /* credit lines */
    {"line", "open", "NET WHO LIMIT", 3, 3, line_open_options, "open a member's credit line (operators)",
     "Opens a credit line: WHO may then go down to -LIMIT. LIMIT is an amount in the\n"
     "network's unit, at most the network's maximum.\n" NET_HELP WHO_HELP,
     "tally line open greenvale bob 100 --risk-fee-bps 50", cli_cmd_transaction},
    {"line", "update", "NET WHO LIMIT", 3, 3, line_update_options, "change a credit line (operators)",
     "Sets a new limit (never below the member's current debt) and, with --risk-fee-bps,\n"
     "a new risk fee. The period continues.\n" NET_HELP WHO_HELP,
     "tally line update greenvale bob 250", cli_cmd_transaction},
    {"line", "close", "NET WHO", 2, 2, NULL, "close a credit line (operators)",
     "Closes WHO's line; its debt must be repaid first.\n" NET_HELP WHO_HELP, "tally line close greenvale bob",
     cli_cmd_transaction},

    /* underwriting */
    {"underwrite", "stake", "NET MEMBER AMOUNT", 3, 3, NULL, "lock reserve behind a member's line: it can borrow more",
     "Locks AMOUNT of the network's reserve asset (in its units, e.g. 300.00 USD) that you\n"
     "hold behind MEMBER's credit line, in the network's underwriting account. The line\n"
     "then has two parts: its own part (what operators, or the algorithm, grant, at most\n"
     "the network's maximum) and the underwritten part, what all its stakes cover:\n"
     "  cover = stakes' value at the peg * 10000 / the network's collateral_ratio_bps\n"
     "(rounded down; 300.00 USD at a 1:1 peg and a ratio of 150% cover 200.00), which the\n"
     "maximum does not bound. A member without a line gets one. You earn the risk fees\n"
     "its line pays, pro rata to your stake; at a default what the pool's credits do not\n"
     "burn of the lost debt is slashed from the stakes into the pool. You must be a\n"
     "member and not MEMBER; a repeated stake adds to yours. Refused: UNDERWRITING_OFF\n"
     "(the network takes no stakes), INSUFFICIENT_ASSET (you hold less), NO_RESERVE_ASSET,\n"
     "TOO_MANY_STAKES (16 underwriters a line, 1024 stakes an underwriter).\n" NET_HELP
     "MEMBER is an address, an alias in the network or alias@network.\n",
     "tally underwrite stake greenvale bob 300.00", cli_cmd_transaction},
    {"underwrite", "unstake", "NET MEMBER AMOUNT", 3, 3, NULL, "take back reserve you staked behind a line",
     "Takes AMOUNT of your stake behind MEMBER's line back. Only down to what still\n"
     "covers the line's debt above its own part: the stakes left must cover\n"
     "max(0, what it owes - its own part); the refusal (STAKE_COVERS_DEBT) says the most\n"
     "that can come back now. The underwritten part follows the cover down. Refused:\n"
     "STAKE_NOT_FOUND (no stake of yours behind it), STAKE_SHORT (more than your stake).\n"
     NET_HELP "MEMBER is an address, an alias in the network or alias@network.\n",
     "tally underwrite unstake greenvale bob 100.00", cli_cmd_transaction},
    {"underwrite", "list", "[NET]", 0, 1, underwrite_list_options, "stakes you made, or the stakes behind a line",
     "Lists the stakes you (the selected key) made, in NET or in every network you are a\n"
     "member of: whose line, the reserve locked now, what it covers, the risk fees it\n"
     "earned and what was slashed. With --member WHO (and NET) the stakes behind WHO's\n"
     "line instead, with each underwriter. A stake taken back in full stays listed\n"
     "with amount 0.\n" NET_HELP,
     "tally underwrite list greenvale\n  tally underwrite list greenvale --member bob", cli_cmd_underwrite_list},

    /* payments */
    {NULL, "pay", "[FROM@NET] WHO AMOUNT", 2, 3, pay_cross_options, "pay a member, in your network or across gateways",
     "Pays AMOUNT (in the network's unit, e.g. 12.50) to WHO, which names the network:\n"
     "alias@network or address@network (the network by name, any case, or by id).\n"
     "When your balance does not cover it the rest is spent on credit. The network's base\n"
     "fee and your line's risk fee (on the part spent on credit) are added: the most you\n"
     "can be charged is computed from your balance, shown before the passphrase is asked,\n"
     "and signed, so the payment never costs more (set it yourself with --max-fee).\n"
     "\n"
     "Across networks, name yourself first: FROM@NET is you (the selected key) in the\n"
     "network you pay from, AMOUNT is in its unit. The node finds the best path over open\n"
     "gateways (at most 4, never through a network twice; GET /v1/paths), or takes yours\n"
     "(--path); each hop converts at its gateway's rate, rounded down, and the receiving\n"
     "side's fee is deducted. What each hop takes and gives, your fees and what WHO\n"
     "receives are shown before the passphrase is asked, and signed: your fees never more\n"
     "(max_fee) and WHO never less (min_received), or the ledger refuses it and nothing\n"
     "moves. `tally gateway list` shows the gateways.\n",
     "tally pay bob@greenvale 12.50 --memo \"eggs\"\n"
     "  tally pay alice@greenvale bob@riverside 10\n"
     "  tally pay alice@greenvale carol@hilltop 10 --path 1,2",
     cli_cmd_transaction},
    {NULL, "pay-batch", "FILE.csv", 1, 1, pay_batch_options, "pay up to 256 members at once from a CSV file",
     "Pays every line of FILE.csv in one transaction with one signature: all lines or,\n"
     "if any line is refused, none (the refusal names the file's line). One payment a\n"
     "line, payee,amount[,memo]: the payee as alias@network or address@network (after the\n"
     "first line, or with --network, a bare alias or address), the amount in the network's\n"
     "unit (12.50), a memo of up to 64 bytes. Quote a field that holds a comma (\"a, b\");\n"
     "blank lines, lines starting with # and a header line payee,amount,memo are skipped.\n"
     "All lines pay in one network, at most 256 of them; a payee may have several lines.\n"
     "Each line pays the fees a payment of it would pay at that point: the total and the\n"
     "most the fees can be are shown before the passphrase is asked, and signed.\n",
     "tally pay-batch payroll-march.csv", cli_cmd_transaction},

    /* reserve assets */
    {"asset", "create", "CODE NAME", 2, 2, asset_create_options, "create a reserve asset (you issue it)",
     "Creates a fully backed reserve asset that you issue: CODE is 1 to 8 of A-Z 0-9,\n"
     "NAME up to 64 bytes. Issue it when money arrives off-chain, burn it when paying out.\n",
     "tally asset create USD \"Cooperative dollar\"", cli_cmd_transaction},
    {"asset", "issue", "ASSET WHO AMOUNT", 3, 3, NULL, "issue reserve to a holder (issuer)",
     "Issues AMOUNT of ASSET (its code or id) to WHO: an address or alias@network.\n",
     "tally asset issue USD tly1... 500.00", cli_cmd_transaction},
    {"asset", "transfer", "ASSET WHO AMOUNT", 3, 3, NULL, "send reserve you hold",
     "Sends AMOUNT of ASSET (its code or id) to WHO: an address or alias@network.\n",
     "tally asset transfer USD bob@greenvale 20.00", cli_cmd_transaction},
    {"asset", "burn", "ASSET AMOUNT", 2, 2, NULL, "burn reserve (issuer paying out)",
     "Destroys AMOUNT of ASSET you hold, when it is paid out off-chain.\n", "tally asset burn USD 20.00",
     cli_cmd_transaction},
    {"asset", "show", "ASSET", 1, 1, NULL, "a reserve asset: issuer, issued, burned",
     "Shows a reserve asset. ASSET is its code or id.\n", "tally asset show USD", cli_cmd_asset_show},
    {"asset", "list", "", 0, 0, NULL, "every reserve asset on the node", "Lists the reserve assets.\n",
     "tally asset list", cli_cmd_asset_list},

    /* assurance pool */
    {"pool", "show", "NET", 1, 1, pool_show_options, "the pool's parts, your shares and a withdrawal preview",
     "Shows a network's assurance pool: primary (what counts towards the RTD), buffer,\n"
     "excess (what withdrawals are paid from), the RTD and its target, all shares and\n"
     "the pool's credits; with a key (--key) your shares and what they are worth; and\n"
     "what withdrawing --shares N (default: all of yours) pays now, or why it would be\n"
     "refused, before anything is signed.\n" NET_HELP,
     "tally --key bob pool show greenvale\n  tally pool show greenvale --shares 70", cli_cmd_pool_show},
    {"pool", "deposit", "NET AMOUNT", 2, 2, NULL, "deposit reserve into a network's pool",
     "Deposits AMOUNT of the network's reserve asset into its assurance pool: primary up\n"
     "to the target RTD, the rest to excess. You receive pool shares.\n" NET_HELP,
     "tally pool deposit greenvale 200.00", cli_cmd_transaction},
    {"pool", "withdraw", "NET SHARES", 2, 2, NULL, "redeem pool shares for reserve",
     "Redeems SHARES of your pool shares (typed with the reserve asset's decimals) for\n"
     "reserve, paid from the pool's excess only.\n" NET_HELP,
     "tally pool withdraw greenvale 50.00", cli_cmd_transaction},
    {"pool", "repay", "NET AMOUNT", 2, 2, NULL, "repay debt in reserve",
     "Repays AMOUNT of your debt (in the network's unit) with reserve at the peg rate:\n"
     "the reserve goes to the pool's buffer.\n" NET_HELP,
     "tally pool repay greenvale 30.00", cli_cmd_transaction},
    {"pool", "redeem", "NET AMOUNT", 2, 2, NULL, "exchange credits for reserve",
     "Burns AMOUNT of your positive balance against the network's lost debt and pays you\n"
     "reserve at the peg rate, from the pool's buffer then primary.\n" NET_HELP,
     "tally pool redeem greenvale 10.00", cli_cmd_transaction},

    /* proofs */
    /* gateways between networks */
    {"gateway", "propose", "NETWORK PARTNER", 2, 2, gateway_propose_options,
     "propose a gateway between your network and another (operators)",
     "Proposes a gateway from NETWORK (yours: you sign as one of its operators) to\n"
     "PARTNER, with its terms: the rate, each side's fee on what crosses into it, each\n"
     "side's exposure limit (the most the other network's mirror account may owe in it)\n"
     "and health rules. Nothing crosses until an operator of PARTNER accepts the same\n"
     "terms (`tally gateway accept ID`); proposing again replaces a proposal waiting.\n"
     "Accepting opens a mirror account in each network (gw:PARTNER in NETWORK and\n"
     "gw:NETWORK in PARTNER). Amounts are in each network's own unit. Prints the\n"
     "gateway's number.\n" NET_HELP,
     "tally gateway propose greenvale riverside --rate 1:1 --fee-bps 50 --partner-fee-bps 50 \\\n"
     "      --limit 500 --partner-limit 500 --min-partner-rtd 1000",
     cli_cmd_transaction},
    {"gateway", "accept", "ID", 1, 1, NULL, "accept a proposed gateway (operators of the partner)",
     "Fetches gateway ID's terms as proposed, shows them, and accepts exactly those (the\n"
     "ledger refuses with TERMS_CHANGED if the proposal changed since). You sign as an\n"
     "operator of its second network. Then payments cross it both ways, each side within\n"
     "its own limit.\n",
     "tally gateway accept 1", cli_cmd_transaction},
    {"gateway", "update", "ID", 1, 1, gateway_update_options, "change your side's terms of a gateway (operators)",
     "Changes the terms of your side (--network NET, one of the gateway's two networks):\n"
     "its exposure limit, its fee and its health rules. Options not given keep their\n"
     "present value; the partner's side is the partner's to change.\n" NET_HELP,
     "tally gateway update 1 --network riverside --limit 800 --fee-bps 25", cli_cmd_transaction},
    {"gateway", "freeze", "ID", 1, 1, gateway_side_options, "stop new exposure of your network to the partner (operators)",
     "Your side (--network NET) takes no new exposure: payments into NET that would make\n"
     "the partner's mirror account owe more are refused (GATEWAY_FROZEN); payments that\n"
     "reduce what it owes still pass. `tally gateway unfreeze` undoes it.\n" NET_HELP,
     "tally gateway freeze 1 --network riverside", cli_cmd_transaction},
    {"gateway", "unfreeze", "ID", 1, 1, gateway_side_options, "let your side of a gateway take new exposure again",
     "Lifts your side's freeze (--network NET).\n" NET_HELP, "tally gateway unfreeze 1 --network riverside",
     cli_cmd_transaction},
    {"gateway", "close", "ID", 1, 1, NULL, "close a gateway (operators of either side)",
     "Closes gateway ID when both mirror accounts are at zero (GATEWAY_NOT_CLEAR\n"
     "otherwise: clear or settle first); closes a proposal not yet accepted too.\n",
     "tally gateway close 1", cli_cmd_transaction},
    {"gateway", "settle", "ID AMOUNT", 2, 2, gateway_side_options, "pay reserve to lower what your network owes (operators)",
     "Your network (--network NET) pays, from your own holding of the partner's reserve\n"
     "asset, into the partner's assurance pool, so that the partner's exposure to NET\n"
     "falls by AMOUNT (in the partner's unit; whole steps of the gateway's rate). The\n"
     "reserve paid is AMOUNT at the partner's peg, rounded up; NET's own mirror account\n"
     "of the partner falls by the same value, and those credits go to NET's pool.\n"
     "Settle what clearing cannot set off, before a close.\n" NET_HELP,
     "tally gateway settle 1 25.00 --network greenvale", cli_cmd_transaction},
    {"gateway", "list", "[NETWORK]", 0, 1, NULL, "the gateways of the chain, or of one network",
     "Lists the gateways (of NETWORK, when given): number, the two networks, the rate,\n"
     "status, and what each side's partner owes in it (its exposure) against its limit.\n" NET_HELP,
     "tally gateway list\n  tally gateway list riverside", cli_cmd_gateway_list},
    {"gateway", "show", "ID", 1, 1, NULL, "one gateway: terms, status, exposures, limits",
     "Shows gateway ID: its networks and rate, its status and dates, and for each side\n"
     "its fee, exposure limit, health rules, whether it is frozen, and its mirror\n"
     "account's balance: negative is what the partner owes in it (its exposure),\n"
     "positive what it owes the partner; and the room left under its limit.\n",
     "tally gateway show 1", cli_cmd_gateway_show},

    {NULL, "paths", "FROM@NET WHO@NET AMOUNT", 3, 3, paths_options, "the paths a payment across networks can take",
     "Asks the node for the paths from FROM (a member of one network) to WHO in another\n"
     "for AMOUNT (in FROM's unit), priced as the ledger would apply them now: best first\n"
     "(what WHO receives, then fewest hops), each with FROM's fee, what each hop converts\n"
     "and charges, and the most the path takes (its capacity under the exposure limits).\n"
     "Signs nothing: `tally pay FROM WHO AMOUNT` pays over the best. When no path would\n"
     "be applied it says why (NO_PATH, with the refusal of the one that went furthest).\n",
     "tally paths alice@greenvale carol@hilltop 20", cli_cmd_paths},

    /* clearing */
    {"clearing", "submit", "", 0, 0, clearing_submit_options, "submit a clearing of obligations around gateways",
     "Submits a clearing: a set-off per gateway (--gateway ID:AMOUNT_A:AMOUNT_B, 1 to 8)\n"
     "that lowers what its mirror accounts hold by AMOUNT_A in its first network's unit\n"
     "and AMOUNT_B in its second's. The ledger takes it only when every amount pair is\n"
     "exactly at its gateway's rate, every mirror account moves toward zero and never\n"
     "past it, and in every network what is paid equals what is received (BAD_CLEARING\n"
     "otherwise): nothing is created or moved, obligations around a cycle fall. Anyone\n"
     "may submit one; a node's solver finds them. `tally gateway show ID` shows the\n"
     "mirror balances and which network is first.\n",
     "tally clearing submit --gateway 1:40:40 --gateway 2:40:40 --gateway 3:40:40", cli_cmd_transaction},

    {"prove", "member", "NET [WHO]", 1, 2, prove_options, "a member's record (balance, line) with its proof",
     "Fetches WHO's member record in NET (default: yours) with its Merkle path to the\n"
     "state hash of the node's last block and that block's signed header.\n" NET_HELP WHO_HELP,
     "tally prove member greenvale bob --out bob.proof", cli_cmd_prove},
    {"prove", "network", "NET", 1, 1, prove_options, "a network's record (figures, pool) with its proof",
     "Fetches NET's record (supply, debt, policy, the assurance pool, the last completed\n"
     "health period: what a partner's gateway rules read) with its proof.\n" NET_HELP,
     "tally prove network greenvale --out greenvale.proof", cli_cmd_prove},
    {"prove", "shares", "NET [WHO]", 1, 2, prove_options, "pool shares held, with their proof",
     "Fetches WHO's pool shares in NET (default: yours) with their proof.\n" NET_HELP WHO_HELP,
     "tally prove shares greenvale --out shares.proof", cli_cmd_prove},
    {"prove", "account", "[WHO]", 0, 1, prove_options, "an account's record (its next sequence) with its proof",
     "Fetches WHO's account (default: yours) with its proof.\n", "tally prove account", cli_cmd_prove},
    {"prove", "asset", "ASSET", 1, 1, prove_options, "a reserve asset's record (issued, burned) with its proof",
     "Fetches ASSET's record (its code or id) with its proof.\n", "tally prove asset USD", cli_cmd_prove},
    {"prove", "holding", "ASSET [WHO]", 1, 2, prove_options, "reserve held, with its proof",
     "Fetches how much of ASSET WHO holds (default: you) with its proof.\n", "tally prove holding USD",
     cli_cmd_prove},
    {"prove", "stake", "ID", 1, 1, prove_options, "a stake's record (line, underwriter, amount) with its proof",
     "Fetches stake ID's record (whose line it backs, its underwriter, the reserve locked,\n"
     "what it earned and what was slashed) with its proof.\n",
     "tally prove stake 1 --out stake.proof", cli_cmd_prove},
    {"prove", "listing", "ID", 1, 1, prove_options, "a marketplace listing's record (price, units left) with its proof",
     "Fetches listing ID's record (its seller, kind, status, price, units left and sold)\n"
     "with its proof. Its title and text are in the block that published it.\n",
     "tally prove listing 1 --out listing.proof", cli_cmd_prove},
    {"prove", "order", "ID", 1, 1, prove_options, "a marketplace order's record (amount, paid, status) with its proof",
     "Fetches order ID's record (its buyer, seller, amount held, what reached the seller,\n"
     "its status and reviews' stars) with its proof.\n",
     "tally prove order 1 --out order.proof", cli_cmd_prove},
    {NULL, "check-proof", "FILE", 1, 1, check_proof_options, "check a saved proof offline",
     "Checks a proof saved by `tally prove`, trusting nothing the node said: the record\n"
     "leads to the header's state hash, the header is signed by its producer, and that\n"
     "producer is the one you trust (--producer) or the one another node names, which\n"
     "must also serve the same header (--against). Exit status 1 when it does not hold.\n",
     "tally check-proof bob.proof --producer tly1...\n  tally check-proof bob.proof --against http://other:8080",
     cli_cmd_check_proof},

    /* the chain */
    {"chain", "approve", "WHO", 1, 1, chain_approve_options, "let a key found networks or create assets (validators)",
     "On an approved chain only keys a validator approved found networks and create reserve\n"
     "assets; on an open chain approvals come on top of the daily allowance. Sets how many\n"
     "WHO (an address or alias@network) may still found and create; 0 revokes.\n",
     "tally chain approve tly1... --networks 2 --assets 1", cli_cmd_transaction},
    {"chain", "validator-propose", "", 0, 0, validator_propose_options,
     "propose adding or retiring validators (validators)",
     "Proposes a change of the chain's validator set: the keys of --add become validators\n"
     "and the validators of --retire stop being ones. Only a validator of the chain may\n"
     "propose (NOT_VALIDATOR). The change is in force from the next block once a quorum of\n"
     "the validators approved it: n / 2 + 1 of the n validators there are now, your own\n"
     "approval included (1 of 1: on a chain of one validator it is in force at once; 2 of\n"
     "2, 2 of 3, 3 of 4). Prints the change's number, which the others approve with\n"
     "`tally chain validator-approve`. A change not approved within 7 days of block time\n"
     "lapses. One change is open at a time: while another validator's is open, approve\n"
     "it or wait until it lapses (VALIDATOR_CHANGE_OPEN); proposing again while yours is\n"
     "open replaces it under a new number, and its approvals start over.\n"
     "The set has 16 slots for the chain's whole life: a new key takes the next free\n"
     "one, a retired validator keeps its slot, and its key never counts or returns\n"
     "again. A change adds keys that were never validators, retires current ones and\n"
     "leaves at least one (BAD_VALIDATOR_SET). `tally status` lists every slot's key\n"
     "in order, a retired one's too.\n",
     "tally chain validator-propose --add tly1...\n  tally chain validator-propose --add tly1... --retire tly1...",
     cli_cmd_transaction},
    {"chain", "validator-approve", "CHANGE_ID", 1, 1, NULL, "approve the open change of the validator set (validators)",
     "Approves change CHANGE_ID of the validator set, the number `tally chain\n"
     "validator-propose` printed. Only a validator of the chain may approve\n"
     "(NOT_VALIDATOR), each one once (ALREADY_APPROVED; the proposer approved when it\n"
     "proposed). The approval that reaches the quorum, n / 2 + 1 of the n validators,\n"
     "puts the change in force from the next block; until then it prints how many more\n"
     "are needed. Only the one open change may be approved, within 7 days of its\n"
     "proposal (NO_VALIDATOR_CHANGE: none with that number is open, it lapsed, was\n"
     "replaced or is in force already).\n",
     "tally chain validator-approve 2", cli_cmd_transaction},

    /* pending transfers */
    {"hold", "create", "WHO AMOUNT", 2, 2, hold_create_options, "hold money for a member until posted, voided or timed out",
     "Holds AMOUNT and its fee for WHO (alias@network): spent as far as your credit goes,\n"
     "but nothing moves until you (or the resolver) post it with `tally hold post`, the\n"
     "payee (or the resolver) voids it with `tally hold void`, or its timeout comes: then\n"
     "it is refunded, or with --release paid in full. The fee is fixed now and charged\n"
     "pro rata on what is posted. Prints the hold's number.\n",
     "tally hold create bob@greenvale 25 --timeout 7d --resolver op", cli_cmd_transaction},
    {"hold", "post", "NET ID AMOUNT", 3, 3, NULL, "pay a held amount (all of it or part; the rest is released)",
     "Moves AMOUNT (at most what hold ID holds) to its payee; the rest is released. The payer\n"
     "or the hold's resolver may post.\n",
     "tally hold post greenvale 3 25", cli_cmd_transaction},
    {"hold", "void", "ID", 1, 1, NULL, "release a hold without paying",
     "Releases hold ID: nothing is paid. Its payee or its resolver may void it.\n", "tally hold void 3",
     cli_cmd_transaction},
    {"hold", "list", "WHO@NET", 1, 1, hold_list_options, "the holds a member pays, receives or resolves",
     "Lists WHO's holds in NET, newest first: each one's number, status, payer, payee,\n"
     "amount and fee, and its timeout with what happens then (refund: back to the payer;\n"
     "release: paid in full). NET alone lists your own (the selected key's). A hold is\n"
     "open until posted, voided, released or refunded. Your balance shows what open\n"
     "holds keep for you (pending in) and what yours keep spent (pending out).\n" WHO_AT_NET_HELP,
     "tally hold list greenvale\n  tally hold list bob@greenvale --status open", cli_cmd_hold_list},
    {"hold", "show", "ID", 1, 1, NULL, "one hold: who, how much, its status and timeout",
     "Shows hold ID as the chain has it now: payer, payee and resolver, what it holds\n"
     "and its fee, what was posted, its timeout as a date and what happens then, and\n"
     "while it is open who may post or void it.\n",
     "tally hold show 3", cli_cmd_hold_show},

    /* payment requests */
    {"request", "create", "PAYER@NET AMOUNT", 2, 2, request_create_options, "ask a member to pay you (an invoice)",
     "Asks PAYER (alias@network or address@network) to pay you AMOUNT in the network's\n"
     "unit, with a memo saying what for. Nothing moves until the payer pays it with\n"
     "`tally request pay ID` (one payment of AMOUNT to you, its fee on the payer, as\n"
     "`tally pay`); it is paid at most once. You may withdraw it with `tally request\n"
     "cancel ID`; at its expiry (default 30 days) nobody can pay it any more. With\n"
     "--anyone give the network alone (NET AMOUNT): any member may pay it. Prints the\n"
     "request's number and how the payer pays it.\n",
     "tally request create alice@greenvale 12.50 --memo \"eggs, March\"\n"
     "  tally request create greenvale 5 --anyone --memo \"raffle ticket\" --expires 7d",
     cli_cmd_transaction},
    {"request", "pay", "ID", 1, 1, request_pay_options, "pay a payment request",
     "Pays request ID: fetches it, then pays its amount to its maker, as `tally pay`\n"
     "would (the base fee and your line's risk fee; the most it can cost is shown before\n"
     "the passphrase and signed). The ledger refuses a request already paid\n"
     "(REQUEST_PAID), cancelled (REQUEST_CANCELLED), expired (REQUEST_EXPIRED) or\n"
     "asked of another member (NOT_REQUEST_PAYER). `tally request list NET` shows the\n"
     "ones asked of you.\n",
     "tally request pay 7", cli_cmd_transaction},
    {"request", "cancel", "ID", 1, 1, NULL, "withdraw a payment request you made",
     "Cancels request ID, which you made: nobody can pay it any more. A request already\n"
     "paid or expired stays so.\n",
     "tally request cancel 7", cli_cmd_transaction},
    {"request", "list", "WHO@NET", 1, 1, request_list_options, "the payment requests a member made or is asked",
     "Lists the requests WHO made or is asked to pay in NET, newest first: number,\n"
     "status (open, paid, cancelled, expired), who asks, who is asked (anyone: any\n"
     "member), amount, expiry and memo. NET alone lists your own (the selected key's).\n"
     "A request asking any member is listed with its maker's.\n" WHO_AT_NET_HELP,
     "tally request list greenvale --status open\n  tally request list bob@greenvale", cli_cmd_request_list},
    {"request", "show", "ID", 1, 1, NULL, "one payment request: who asks whom, how much, for what",
     "Shows request ID as the chain has it now: who asks and is paid, who is asked,\n"
     "the amount and memo, when it expires, its status and who paid it.\n",
     "tally request show 7", cli_cmd_request_show},

    /* a development chain's clock */
    {"dev", "advance", "DURATION", 1, 1, NULL, "move a dev chain's clock forward (tallyd --dev)",
     "On a development chain (started with tallyd --dev) moves block time forward by\n"
     "DURATION: 30d, 12h, 90m, 45s or plain seconds, up to ten years. The node makes a\n"
     "block at the new time at once, so whatever came due on the way happens: periods\n"
     "end, lines freeze, renew or expire, grace runs out and debt is written off, and\n"
     "history shows it. Only from the machine the node runs on; a real chain refuses\n"
     "with NOT_DEV_CHAIN, since its block time follows the clock.\n",
     "tally dev advance 30d\n  tally dev advance 3600", cli_cmd_dev_advance},

    /* fees */
    {"fees", "distribute", "NET [WHO] AMOUNT", 2, 3, fees_options, "send collected fees (operators)",
     "Moves AMOUNT out of the network's fee account, to the member WHO or, with\n"
     "--to-pool, to the assurance pool (where it burns lost debt at a default).\n" NET_HELP WHO_HELP,
     "tally fees distribute greenvale --to-pool 5.00\n  tally fees distribute greenvale carol 2.50",
     cli_cmd_transaction},

    /* reading */
    {NULL, "status", "", 0, 0, NULL, "the node's chain, height and tip",
     "Shows the node's chain id, producer, height, tip and mempool.\n", "tally status", cli_cmd_status},
    {NULL, "balance", "[NET]", 0, 1, NULL, "your balance, limit and line in each network",
     "Shows, for the selected key, each membership (or only NET): balance, limit,\n"
     "available credit, line status and dates, fees paid and alias; then, where you\n"
     "have holds, what open holds keep for you (pending in: yours once posted) and\n"
     "what your own keep spent (pending out, fees included).\n",
     "tally balance\n  tally balance greenvale --json", cli_cmd_balance},
    {NULL, "account", "NET [WHO]", 1, 2, NULL, "one account in a network",
     "Shows WHO's account in NET (default: yours).\n" NET_HELP WHO_HELP, "tally account greenvale bob",
     cli_cmd_account},
    {NULL, "history", "NET [WHO]", 1, 2, history_options, "transactions of an account, newest first",
     "Lists WHO's transactions in NET (default: yours), newest first, a page at a time.\n"
     "With --from and --to (days, UTC) every entry of that range; with --csv as CSV\n"
     "for a spreadsheet (amounts as plain numbers, the unit in its own column); with\n"
     "--statement the balance at the start and the end of the range and what came in,\n"
     "went out and was paid in fees. What the chain did by itself is there too: lines\n"
     "renewed, expired, frozen or defaulted (with the debt written off), holds released\n"
     "or refunded at their timeout, requests expired. Each step of a hold or payment\n"
     "request names it (hold 3 posted, request 7: 12.50 GVH asked: eggs). An operator of\n"
     "NET who is not a member of it sees the network's whole activity.\n" NET_HELP WHO_HELP,
     "tally history greenvale --limit 20\n  tally history greenvale --from 2026-11-01 --to 2026-11-30 --csv > november.csv\n"
     "  tally history greenvale --from 2026-11-01 --to 2026-11-30 --statement",
     cli_cmd_history},
    {NULL, "activity", "NET", 1, 1, activity_options, "everything that happened in a network, newest first",
     "Lists a network's whole activity, a page at a time: every transaction about it\n"
     "(payments, members admitted and suspended, lines opened and changed, the pool,\n"
     "fees, its operators' own actions) and everything the chain did by itself (lines\n"
     "renewed, expired, frozen or defaulted, lost debt covered, reserve reallocated,\n"
     "announced changes in force). Anyone may read it: a chain is public.\n" NET_HELP,
     "tally activity greenvale --limit 20", cli_cmd_activity},
    {NULL, "block", "HEIGHT", 1, 1, NULL, "one block with its transactions",
     "Shows block HEIGHT (0 is the genesis): its hash, time, transactions and results.\n", "tally block 12",
     cli_cmd_block},
    {"tx", "show", "ID", 1, 1, NULL, "a transaction's status and result",
     "Shows whether transaction ID (hex, printed when it was submitted) is pending,\n"
     "committed (in which block) or refused, and its result.\n",
     "tally tx show 3fa1...", cli_cmd_tx_show},
    {NULL, "search", "NET TEXT", 2, 2, search_options, "find payments by memo and members by alias",
     "Searches a network's payment memos (batch lines included) and members' aliases for\n"
     "TEXT (every word, each as a prefix: 'egg' finds \"eggs\"), newest first. Answered\n"
     "from the node's index, which follows the chain within moments.\n" NET_HELP,
     "tally search greenvale eggs\n  tally search greenvale 'fresh bread' --limit 5", cli_cmd_search},
    {NULL, "verify", "", 0, 0, verify_options, "replay and check a whole chain",
     "Replays the chain from its genesis and checks every hash, signature, result, state\n"
     "commitment and invariant, trusting nothing the node says. With --data it reads a\n"
     "data directory's block log; otherwise it downloads every block from the node\n"
     "(--node). Shows progress on stderr, then a summary; a forged or altered block is\n"
     "reported with its height and exit status 1. The invariants are checked where\n"
     "each block changed the state; --full checks them over the whole state after\n"
     "every block. From a node it also checks each block's co-signatures against the\n"
     "genesis's validators (a bad one fails) and says how many blocks are final;\n"
     "--require-final fails unless all are.\n",
     "tally verify --data ./data\n  tally verify --data ./data --full\n  tally verify --node http://127.0.0.1:8080 --chain-id 9c2e...", cli_cmd_verify},
    /* governance (cmd_governance.c) */
    {"proposal", "create", "NET ACTION [ARGS]", 2, 6, proposal_create_options,
     "propose a change to a network its members govern (members)",
     "Proposes one change of NET, which its members vote on. ACTION and its arguments\n"
     "are those of the operator command it stands for, with the same options:\n"
     "  policy [policy options]          as `tally network policy NET`: the policy in\n"
     "                                   force (or announced) with the options given\n"
     "  peg ASSET RESERVE CREDIT | none  as `tally network peg`\n"
     "  operator-add WHO, operator-remove WHO\n"
     "  gateway-propose PARTNER --rate A:B [terms], as `tally gateway propose`\n"
     "  gateway-accept ID                the terms as proposed to NET\n"
     "  gateway-update ID [--limit] [--fee-bps] [rules]: NET's side\n"
     "  gateway-freeze ID, gateway-unfreeze ID, gateway-close ID\n"
     "  order-resolve ORDER_ID --seller-share P% | --seller-amount AMOUNT: a disputed\n"
     "                                   order's split, as `tally market resolve`\n"
     "Several changes are several proposals, each voted on its own. What is known to\n"
     "fail now is refused now (BAD_ACTION); a network has at most 16 open at once.\n"
     "Prints the proposal's number.\n" GOVERNANCE_HELP NET_HELP,
     "tally proposal create greenvale operator-add dora\n"
     "  tally proposal create greenvale policy --fee-bps 50 --max-members 500\n"
     "  tally proposal create greenvale gateway-propose riverside --rate 1:1 --limit 500",
     cli_cmd_transaction},
    {"proposal", "vote", "ID yes|no|abstain", 2, 2, NULL, "vote on a proposal (members active when it was made)",
     "Votes on proposal ID, once (ALREADY_VOTED), before its vote ends (VOTING_ENDED).\n"
     "Prints the weight your vote counted with.\n" GOVERNANCE_HELP,
     "tally proposal vote 3 yes", cli_cmd_transaction},
    {"proposal", "cancel", "ID", 1, 1, NULL, "withdraw a proposal you made, before its vote ends",
     "Cancels proposal ID, which you made (NOT_PROPOSER otherwise), while it is voted\n"
     "on (VOTING_ENDED after): it is never applied.\n",
     "tally proposal cancel 3", cli_cmd_transaction},
    {"proposal", "list", "NET", 1, 1, proposal_list_options, "a network's proposals, newest first",
     "Lists NET's proposals, newest first: each one's action, status, counts against\n"
     "quorum and threshold, and when its vote ends or it applies.\n" NET_HELP,
     "tally proposal list greenvale --status voting", cli_cmd_proposal_list},
    {"proposal", "show", "ID", 1, 1, NULL, "one proposal: its action, votes, quorum and dates",
     "Shows proposal ID: the action in words (a policy change field by field against\n"
     "the policy in force), the proposer, yes, no and abstain, the eligible weight,\n"
     "whether quorum and threshold are reached, when the vote ends or the proposal\n"
     "applies, its result once applied and, with a key (--key), your own vote.\n" GOVERNANCE_HELP,
     "tally proposal show 3\n  tally --key alice proposal show 3", cli_cmd_proposal_show},
    /* the marketplace (cmd_market.c) */
    {"market", "category", "NET N [NAME]", 2, 3, NULL, "name a category of a network's listings (operators)",
     "Names category N (1 to 32) of NET's marketplace NAME (up to 32 bytes); an empty or\n"
     "missing NAME removes it. Listings name a category that is named (or none); a\n"
     "listing keeps its category when it is removed later. `tally market categories NET`\n"
     "lists them.\n" NET_HELP,
     "tally market category greenvale 1 Food\n  tally market category greenvale 2 \"Tools & repairs\"\n"
     "  tally market category greenvale 2 \"\"", cli_cmd_transaction},
    {"market", "categories", "NET", 1, 1, NULL, "a network's marketplace categories",
     "Lists the categories NET's operators named, by number.\n" NET_HELP, "tally market categories greenvale",
     cli_cmd_market_categories},
    {"market", "list", "NET", 1, 1, market_list_options, "publish a listing: something you offer or want",
     "Publishes a listing in NET: an offer (--offer: members order it) or a want\n"
     "(--want: what you look for; members answer with an offer). It needs a title and a\n"
     "price for a unit: an amount in the network's unit, or `ask` (buyers name a price\n"
     "in their order and your acceptance agrees to it). It stays up 30 days (--days,\n"
     "--expiry; a year at most), then expires by itself. An image is a reference only:\n"
     "its URL and the hash of what it serves. You must be an active member, with at\n"
     "most 1024 listings open. Prints the listing's number.\n" NET_HELP,
     "tally market list greenvale --offer --title \"Fresh eggs\" --price 12.50 --quantity 10 --category food\n"
     "  tally market list greenvale --offer --title \"Bike repair\" --text \"any bike, same day\" --price ask\n"
     "  tally market list greenvale --want --title \"A ladder for a weekend\" --price 5 --days 7",
     cli_cmd_transaction},
    {"market", "update", "LISTING_ID", 1, 1, market_update_options, "change a listing you published",
     "Fetches listing LISTING_ID and publishes it again with what you give replaced:\n"
     "the price, the units left, the title, text, category, expiry or image; the rest\n"
     "stays. Orders already placed keep their price; a new order must name the new one\n"
     "(PRICE_CHANGED says the price now). Refused once it was withdrawn or expired\n"
     "(LISTING_CLOSED) or when it is not yours (NOT_SELLER).\n",
     "tally market update 3 --price 13.00\n  tally market update 3 --quantity 4 --days 30", cli_cmd_transaction},
    {"market", "withdraw", "LISTING_ID", 1, 1, NULL, "take a listing of yours down",
     "Withdraws listing LISTING_ID: nobody can order from it any more. Orders already\n"
     "placed go on.\n",
     "tally market withdraw 3", cli_cmd_transaction},
    {"market", "search", "NET [TEXT]", 1, 2, market_search_options, "find listings: offers and wants",
     "Searches NET's open listings, newest first: TEXT in their titles and texts (every\n"
     "word, each as a prefix: 'egg' finds \"eggs\"), a category, offers or wants, a\n"
     "seller, a price range (in the network's unit; `ask` listings match none), the\n"
     "cheapest first (--sort cheapest), withdrawn and expired ones too (--all). Each\n"
     "line: number, kind, title, a unit's price, units left, seller, category and the\n"
     "seller's rating from its buyers. Answered from the node's index, which follows\n"
     "the chain within moments.\n" NET_HELP,
     "tally market search greenvale eggs\n  tally market search greenvale --category food --max-price 20 --sort cheapest\n"
     "  tally market search greenvale --kind want --page 2",
     cli_cmd_market_search},
    {"market", "show", "LISTING_ID", 1, 1, NULL, "one listing: price, units left, seller, reviews",
     "Shows listing LISTING_ID: its kind and status, title and text, a unit's price\n"
     "(or on asking), units left and sold, category, seller, the seller's rating and\n"
     "the reviews its buyers gave, expiry, revision and image, and how to order it.\n",
     "tally market show 3\n  tally market show 3 --json", cli_cmd_market_show},
    {"market", "order", "LISTING_ID", 1, 1, market_order_options, "buy from an offer: the money is held until you confirm",
     "Orders --quantity units (default 1) of offer LISTING_ID at the price you saw:\n"
     "fetched from the listing unless --price names it (an `ask` listing needs --price:\n"
     "the seller accepts it or not). quantity x price and its fee are held from your\n"
     "account (spent as far as your credit goes) until the order ends; the most the fee\n"
     "can be is shown before the passphrase and signed. A price changed since you looked\n"
     "is refused with PRICE_CHANGED and the price now; more units than are left with\n"
     "QUANTITY_UNAVAILABLE. Prints the order's number.\n" MARKET_HELP,
     "tally market order 3 --quantity 2\n  tally market order 7 --price 30.00 --memo \"Saturday morning\" --days 7",
     cli_cmd_transaction},
    {"market", "accept", "ORDER_ID", 1, 1, NULL, "accept an order of your listing (the seller)",
     "Accepts order ORDER_ID before its timeout: you agree to deliver (for an `ask`\n"
     "listing, at the buyer's price). From then its timeout pays you, unless the buyer\n"
     "disputes.\n" MARKET_HELP,
     "tally market accept 4", cli_cmd_transaction},
    {"market", "decline", "ORDER_ID", 1, 1, market_reason_options, "decline an order: the buyer is refunded (the seller)",
     "Declines order ORDER_ID (placed, accepted or disputed): the buyer gets everything\n"
     "held back and the units return to the listing.\n" MARKET_HELP,
     "tally market decline 4 --reason \"sold out, sorry\"", cli_cmd_transaction},
    {"market", "cancel", "ORDER_ID", 1, 1, NULL, "cancel your order before the seller accepts (the buyer)",
     "Cancels order ORDER_ID while it is placed and before its timeout: everything held\n"
     "is released to you.\n" MARKET_HELP,
     "tally market cancel 4", cli_cmd_transaction},
    {"market", "confirm", "ORDER_ID", 1, 1, NULL, "confirm delivery: the seller is paid (the buyer)",
     "Confirms delivery of order ORDER_ID (accepted or disputed): the seller is paid the\n"
     "amount and the fee held is charged. Refused with the seller's reason when it\n"
     "cannot be paid now (its cap): nothing changes.\n" MARKET_HELP,
     "tally market confirm 4", cli_cmd_transaction},
    {"market", "dispute", "ORDER_ID", 1, 1, market_reason_options, "dispute an accepted order (the buyer)",
     "Disputes order ORDER_ID, accepted and before its timeout: the timeout no longer\n"
     "pays the seller; an operator splits it (`tally market resolve`), or you confirm\n"
     "after all, or the seller declines (a refund).\n" MARKET_HELP,
     "tally market dispute 4 --reason \"only half of it came\"", cli_cmd_transaction},
    {"market", "resolve", "ORDER_ID", 1, 1, market_resolve_options, "split a disputed order (operators)",
     "Ends disputed order ORDER_ID: the seller is paid its part (--seller-share of the\n"
     "amount, rounded down to the unit, or --seller-amount), the fee charged pro rata\n"
     "(rounded up), the rest refunded to the buyer. 0 refunds it all. In a network its\n"
     "members govern they may also split it by a vote: `tally proposal create NET\n"
     "order-resolve ORDER_ID --seller-share P%`.\n" MARKET_HELP,
     "tally market resolve 4 --seller-share 60% --reason \"half delivered, late\"\n"
     "  tally market resolve 4 --seller-amount 15.00", cli_cmd_transaction},
    {"market", "review", "ORDER_ID", 1, 1, market_review_options, "rate the other side of an order (once)",
     "Reviews the other side of order ORDER_ID: the buyer rates the seller, the seller\n"
     "the buyer, once each (ALREADY_REVIEWED), after the seller was paid (completed,\n"
     "released or resolved; NOT_REVIEWABLE before). Each review adds stars - 3 to the\n"
     "reviewed member's review points, which its reputation reads at its next period\n"
     "end.\n",
     "tally market review 4 --stars 5 --text \"lovely eggs, on time\"", cli_cmd_transaction},
    {"market", "orders", "NET", 1, 1, market_orders_options, "your orders, as buyer and as seller",
     "Lists your (the selected key's) open orders in NET (placed, accepted, disputed),\n"
     "with --all the ended ones too, with --as buyer or --as seller one side: number,\n"
     "listing, status, your role, units, amount, the other side and the timeout.\n" NET_HELP,
     "tally market orders greenvale\n  tally --key bob market orders greenvale --as seller --all",
     cli_cmd_market_orders},
    {"market", "order-show", "ORDER_ID", 1, 1, NULL, "one order: amounts, status, steps, what comes next",
     "Shows order ORDER_ID: the listing, buyer and seller, units, price and amount held,\n"
     "what the seller was paid, the timeout and what it does, the memo, each step taken\n"
     "(with its reason) and who may act next.\n",
     "tally market order-show 4", cli_cmd_market_order_show},
    {"market", "reviews", "NET [WHO]", 1, 2, NULL, "the reviews a member received",
     "Lists the reviews WHO (default: you) received in NET, with its review points (the\n"
     "sum of stars - 3) and count, as its reputation reads them.\n" NET_HELP WHO_HELP,
     "tally market reviews greenvale bob", cli_cmd_market_reviews},
};
const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

/* Group summaries for the overview, in help order. */
static const struct {
    const char *name;
    const char *summary;
} groups[] = {
    {"key", "keys in the local keystore"},
    {"network", "create and run credit networks"},
    {"operator", "a network's operators"},
    {"member", "membership"},
    {"alias", "aliases"},
    {"line", "credit lines"},
    {"underwrite", "stakes behind members' lines (underwriting)"},
    {"asset", "reserve assets"},
    {"pool", "the assurance pool"},
    {"fees", "collected fees"},
    {"chain", "the chain's rules (validators)"},
    {"dev", "a development chain's clock"},
    {"hold", "pending transfers (escrow)"},
    {"request", "payment requests (invoices)"},
    {"gateway", "gateways between networks"},
    {"clearing", "clearing obligations around gateways"},
    {"prove", "records with their inclusion proofs"},
    {"tx", "submitted transactions"},
    {"proposal", "proposals a network's members vote on"},
    {"market", "the marketplace: listings, orders, reviews"},
};

/* ------------------------------------------------------------------------ */
/* Help.                                                                     */
/* ------------------------------------------------------------------------ */

static void print_command_name(FILE *out, const cli_command *command) {
    if (command->group) fprintf(out, "tally %s %s", command->group, command->name);
    else fprintf(out, "tally %s", command->name);
}

static void print_usage_line(FILE *out, const cli_command *command) {
    fprintf(out, "usage: ");
    print_command_name(out, command);
    if (command->arguments[0]) fprintf(out, " %s", command->arguments);
    if (command->options) fprintf(out, " [options]");
    fprintf(out, "\n");
}

static void print_options(FILE *out, const cli_option *options) {
    for (const cli_option *option = options; option && option->name; option++) {
        char left[48];
        snprintf(left, sizeof left, "%s%s%s", option->name, option->value_name ? " " : "",
                 option->value_name ? option->value_name : "");
        fprintf(out, "  %-22s %s\n", left, option->help);
    }
}

static bool group_exists(const char *name) {
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(groups[i].name, name) == 0) return true;
    return false;
}

void cli_print_help(FILE *out, const char *group, const cli_command *command) {
    if (command) {
        print_usage_line(out, command);
        fprintf(out, "\n%s", command->description);
        if (command->options) {
            fprintf(out, "\noptions:\n");
            print_options(out, command->options);
        }
        fprintf(out, "\nexample:\n  %s\n", command->example);
        fprintf(out, "\nglobal options: --node URL, --key NAME, --json, --help (see `tally --help`)\n");
        return;
    }
    if (group) {
        fprintf(out, "usage: tally %s COMMAND ...\n\n", group);
        for (size_t i = 0; i < cli_command_count; i++) {
            const cli_command *entry = &cli_commands[i];
            if (!entry->group || strcmp(entry->group, group) != 0) continue;
            char left[64];
            snprintf(left, sizeof left, "%s %s", entry->name, entry->arguments);
            fprintf(out, "  %-30s %s\n", left, entry->summary);
        }
        fprintf(out, "\nrun `tally %s COMMAND --help` for one command's arguments and an example\n", group);
        return;
    }
    fprintf(out,
            "tally: the wallet and operator tool of a Tally mutual-credit ledger.\n"
            "Keys stay on this machine; transactions are signed here and sent to a node.\n\n"
            "usage: tally [--node URL] [--key NAME] [--json] COMMAND [ARGUMENTS] [OPTIONS]\n\n"
            "commands:\n");
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *entry = &cli_commands[i];
        char left[64];
        if (entry->group) snprintf(left, sizeof left, "%s %s %s", entry->group, entry->name, entry->arguments);
        else snprintf(left, sizeof left, "%s %s", entry->name, entry->arguments);
        fprintf(out, "  %-38s %s\n", left, entry->summary);
    }
    fprintf(out, "\nglobal options:\n");
    print_options(out, global_options);
    fprintf(out,
            "\nenvironment: TALLY_NODE, TALLY_KEY, TALLY_HOME (keys in $TALLY_HOME/keys, default\n"
            "~/.tally/keys), TALLY_PASSPHRASE (for scripts; otherwise you are asked), TALLY_KDF\n"
            "(moderate: stronger key sealing than the default interactive; test is refused).\n"
            "exit status: 0 done, 1 refused by the ledger (or verify failed), 2 wrong command\n"
            "line, 3 node unreachable or I/O error.\n"
            "\nrun `tally COMMAND --help` (e.g. `tally pay --help`) for arguments and an example\n");
}

/* ------------------------------------------------------------------------ */
/* Errors.                                                                   */
/* ------------------------------------------------------------------------ */

void cli_hint_start(const cli_context *ctx, char *out, size_t out_size) {
    snprintf(out, out_size, "tally");
    if (ctx->key_name[0]) {
        cli_hint_word(out, out_size, "--key");
        cli_hint_word(out, out_size, ctx->key_name);
    }
    if (ctx->node_given) {
        cli_hint_word(out, out_size, "--node");
        cli_hint_word(out, out_size, ctx->node_url);
    }
}

void cli_hint_word(char *out, size_t out_size, const char *word) {
    size_t used = strlen(out);
    bool plain = word[0] != '\0';
    for (const char *c = word; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("@%+,-./:=_", *c) != NULL;
    char quoted[CLI_HINT_WORD_MAX];
    size_t q = 0;
    if (plain) {
        q = (size_t)snprintf(quoted, sizeof quoted, "%s", word);
    } else {
        quoted[q++] = '\'';
        for (const char *c = word; *c && q + 6 < sizeof quoted; c++) {
            if (*c == '\'') {
                memcpy(quoted + q, "'\\''", 4);
                q += 4;
            } else {
                quoted[q++] = *c;
            }
        }
        quoted[q++] = '\'';
        quoted[q] = '\0';
    }
    if (used < out_size) snprintf(out + used, out_size - used, " %s", quoted);
}

/* A usage error with --json: one JSON document on stdout, as every other answer. */
static void print_usage_json(const cli_context *ctx, const cli_command *command, const char *message) {
    char name[96] = "tally", usage[256] = "", help[128] = "tally --help";
    if (command) {
        if (command->group) snprintf(name, sizeof name, "tally %s %s", command->group, command->name);
        else snprintf(name, sizeof name, "tally %s", command->name);
        snprintf(usage, sizeof usage, "%s%s%s%s", name, command->arguments[0] ? " " : "", command->arguments,
                 command->options ? " [options]" : "");
        snprintf(help, sizeof help, "%s --help", name);
    }
    json_t *document = json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code", "USAGE", "message", message, "usage",
                                 usage, "help", help);
    if (document) cli_out_json(ctx->out, document);
    json_decref(document);
}

cli_status cli_usage(const cli_context *ctx, const cli_command *command, const char *format, ...) {
    char message[600];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof message, format, arguments);
    va_end(arguments);
    if (ctx->json) {
        print_usage_json(ctx, command, message);
        return CLI_USAGE;
    }
    fprintf(ctx->err, "tally: %s\n", message);
    if (command) {
        print_usage_line(ctx->err, command);
        fprintf(ctx->err, "run `");
        print_command_name(ctx->err, command);
        fprintf(ctx->err, " --help` for details and an example\n");
    } else {
        fprintf(ctx->err, "run `tally --help` for the list of commands\n");
    }
    return CLI_USAGE;
}

/* ------------------------------------------------------------------------ */
/* Parsing.                                                                  */
/* ------------------------------------------------------------------------ */

static const cli_command *find_command(const char *group, const char *name) {
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *entry = &cli_commands[i];
        bool same_group = group ? entry->group && strcmp(entry->group, group) == 0 : entry->group == NULL;
        if (same_group && strcmp(entry->name, name) == 0) return &cli_commands[i];
    }
    return NULL;
}

static const cli_option *find_option(const cli_option *options, const char *name, size_t name_length,
                                     size_t *index) {
    for (size_t i = 0; options && options[i].name; i++) {
        if (strlen(options[i].name) == name_length && strncmp(options[i].name, name, name_length) == 0) {
            *index = i;
            return &options[i];
        }
    }
    return NULL;
}

/* "-5" and "-0.5" are arguments (refused later, with a reason); "-" alone too. */
static bool is_option(const char *word) {
    if (word[0] != '-' || word[1] == '\0') return false;
    if (word[1] >= '0' && word[1] <= '9') return false;
    return true;
}

static cli_status unknown_subcommand(const cli_context *ctx, const char *group, const char *name) {
    if (ctx->json) {
        char message[200];
        snprintf(message, sizeof message, "unknown command `tally %s %s`: `tally %s --help` lists what it has", group,
                 name, group);
        print_usage_json(ctx, NULL, message);
        return CLI_USAGE;
    }
    fprintf(ctx->err, "tally: unknown command `tally %s %s`; `tally %s` has:", group, name, group);
    for (size_t i = 0; i < cli_command_count; i++)
        if (cli_commands[i].group && strcmp(cli_commands[i].group, group) == 0)
            fprintf(ctx->err, " %s", cli_commands[i].name);
    fprintf(ctx->err, "\nrun `tally %s --help` for what each does\n", group);
    return CLI_USAGE;
}

static cli_status apply_global(cli_context *ctx, const cli_command *command, const char *name,
                               const char *value) {
    if (strcmp(name, "--node") == 0) {
        if (!cli_set_node_url(ctx, value))
            return cli_usage(ctx, command, "--node needs an http:// or https:// URL, not '%s'", value);
        ctx->node_given = true;
    } else if (strcmp(name, "--key") == 0) {
        if (!keystore_name_is_valid(value))
            return cli_usage(ctx, command, "'%s' is not a key name (1 to 64 of A-Z a-z 0-9 . _ -)", value);
        snprintf(ctx->key_name, sizeof ctx->key_name, "%s", value);
    } else if (strcmp(name, "--json") == 0) {
        ctx->json = true;
    }
    return CLI_OK;
}

/* One option word at argv[*index]; may consume the next word as its value. */
static cli_status parse_option(cli_context *ctx, int argc, char **argv, int *index, cli_args *args) {
    const char *word = argv[*index];
    if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0) {
        args->help = true;
        return CLI_OK;
    }
    const char *equals = strchr(word, '=');
    size_t name_length = equals ? (size_t)(equals - word) : strlen(word);
    size_t option_index = 0;
    const cli_option *option = NULL;
    bool global = false;
    if (args->command) option = find_option(args->command->options, word, name_length, &option_index);
    if (!option) {
        option = find_option(global_options, word, name_length, &option_index);
        global = option != NULL;
    }
    if (!option) {
        if (args->command)
            return cli_usage(ctx, args->command, "unknown option %.*s", (int)name_length, word);
        return cli_usage(ctx, NULL, "unknown option %.*s", (int)name_length, word);
    }
    const char *value = "";
    if (option->value_name) {
        if (equals) {
            value = equals + 1;
        } else if (*index + 1 < argc) {
            value = argv[++*index];
        } else {
            return cli_usage(ctx, args->command, "%s needs a value (%s)", option->name, option->value_name);
        }
    } else if (equals) {
        return cli_usage(ctx, args->command, "%s takes no value", option->name);
    }
    if (global) return apply_global(ctx, args->command, option->name, value);
    assert(option_index < CLI_OPTIONS_MAX);
    size_t value_length = strlen(option->value_name ? option->value_name : "");
    bool repeatable = value_length > 3 && strcmp(option->value_name + value_length - 3, "...") == 0;
    if (repeatable) {
        unsigned given = 0;
        for (unsigned i = 0; i < args->repeat_count; i++) given += args->repeat_option[i] == option_index;
        if (given == CLI_REPEATS_PER_OPTION_MAX || args->repeat_count == CLI_REPEATS_MAX)
            return cli_usage(ctx, args->command, "%s is given more than %u times", option->name,
                             CLI_REPEATS_PER_OPTION_MAX);
        args->repeat_option[args->repeat_count] = (unsigned)option_index;
        args->repeats[args->repeat_count++] = value;
        if (!args->values[option_index]) args->values[option_index] = value;
        return CLI_OK;
    }
    if (args->values[option_index])
        return cli_usage(ctx, args->command, "%s is given twice", option->name);
    args->values[option_index] = value;
    return CLI_OK;
}

/* A positional word: the command's name while it is not known, else an argument. */
static cli_status parse_word(cli_context *ctx, const char *word, const char **group, bool *help_word,
                             cli_args *args) {
    if (!args->command) {
        if (!*group) {
            if (strcmp(word, "help") == 0 && !*help_word) {
                *help_word = true;
                args->help = true;
                return CLI_OK;
            }
            args->command = find_command(NULL, word);
            if (args->command) return CLI_OK;
            if (group_exists(word)) {
                *group = word;
                return CLI_OK;
            }
            return cli_usage(ctx, NULL, "unknown command '%s'", word);
        }
        args->command = find_command(*group, word);
        if (!args->command) {
            if (args->help) return CLI_OK; /* `tally network nonsense --help`: the group's help */
            return unknown_subcommand(ctx, *group, word);
        }
        return CLI_OK;
    }
    if (args->positional_count == args->command->positional_max) {
        if (args->help) return CLI_OK;
        return cli_usage(ctx, args->command, "too many arguments: '%s' is one more than expected", word);
    }
    args->positional[args->positional_count++] = word;
    return CLI_OK;
}

/* The names of the missing arguments: the words of `arguments` from `have` on. */
static void missing_arguments(const cli_command *command, unsigned have, char *out, size_t out_size) {
    out[0] = '\0';
    char copy[128];
    snprintf(copy, sizeof copy, "%s", command->arguments);
    unsigned position = 0;
    size_t used = 0;
    for (char *save = NULL, *token = strtok_r(copy, " ", &save); token; token = strtok_r(NULL, " ", &save)) {
        if (token[0] == '[') continue;
        if (position++ < have) continue;
        int written = snprintf(out + used, out_size - used, "%s%s", used ? " " : "", token);
        if (written < 0 || (size_t)written >= out_size - used) break;
        used += (size_t)written;
    }
}

cli_status cli_parse(cli_context *ctx, int argc, char **argv, cli_args *args) {
    assert(ctx != NULL && argv != NULL && args != NULL && argc >= 1);
    memset(args, 0, sizeof *args);
    const char *group = NULL;
    bool help_word = false, options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        cli_status status;
        if (!options_done && strcmp(word, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && is_option(word)) status = parse_option(ctx, argc, argv, &i, args);
        else status = parse_word(ctx, word, &group, &help_word, args);
        if (status != CLI_OK) return status;
    }
    if (args->command && args->command->group) group = args->command->group;
    args->group = group;
    if (args->help) return CLI_OK;
    if (!args->command) {
        if (group) {
            fprintf(ctx->err, "tally: `tally %s` needs a command:\n", group);
            cli_print_help(ctx->err, group, NULL);
            return CLI_USAGE;
        }
        cli_print_help(ctx->err, NULL, NULL);
        return CLI_USAGE;
    }
    if (args->positional_count < args->command->positional_min) {
        char missing[128];
        missing_arguments(args->command, args->positional_count, missing, sizeof missing);
        return cli_usage(ctx, args->command, "missing %s", missing);
    }
    return CLI_OK;
}

const char *cli_option_value(const cli_args *args, const char *name) {
    size_t index;
    if (!args->command || !find_option(args->command->options, name, strlen(name), &index)) return NULL;
    return args->values[index];
}

unsigned cli_option_repeats(const cli_args *args, const char *name, const char **out, unsigned out_max) {
    size_t index;
    if (!args->command || !find_option(args->command->options, name, strlen(name), &index)) return 0;
    unsigned count = 0;
    for (unsigned i = 0; i < args->repeat_count; i++) {
        if (args->repeat_option[i] != index) continue;
        if (count < out_max) out[count] = args->repeats[i];
        count++;
    }
    return count;
}

bool cli_flag(const cli_args *args, const char *name) { return cli_option_value(args, name) != NULL; }

cli_status cli_run(cli_context *ctx, int argc, char **argv) {
    /* --json anywhere makes even a usage error before it JSON. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0) ctx->json = true;
    cli_args args;
    cli_status status = cli_parse(ctx, argc, argv, &args);
    if (status != CLI_OK) return status;
    if (args.help) {
        cli_print_help(ctx->out, args.group, args.command);
        return CLI_OK;
    }
    return args.command->run(ctx, &args);
}
