/*
 * paths.h: payment paths across gateways (docs/GATEWAYS.md section 6). Given a payer
 * in one network, a payee in another and an amount in the payer's unit, the paths
 * over open gateways of 1 to TALLY_PATH_HOPS_MAX hops that never visit a network
 * twice, each priced as the core's TRANSFER_CROSS prices it (transfer.c): the first
 * leg's base and risk fee in the payer's network, at each hop the value converted at
 * the gateway's rate rounded down and the receiving side's fee (rounded up)
 * deducted; new exposure refused on a frozen side, past the exposure limit, or when
 * the partner fails the side's minimum RTD; the payee's cap. Reads the state only
 * (the caller holds the node's read lock); no allocation but the caller's.
 */
#ifndef TALLY_NODE_PATHS_H
#define TALLY_NODE_PATHS_H

#include <stdbool.h>
#include <stdint.h>

#include "tally.h"

/* At most this many paths are returned, and this many partial paths kept and
 * candidates priced (bounds on the breadth-first search, which holds the node's
 * read lock: 64 gateways per network make 64^4 paths of 4 hops in the worst case;
 * breadth first, the shortest are priced before the bound). */
#define PATHS_RESULTS_MAX 8u
#define PATHS_CANDIDATES_MAX 4096u

/* One hop as the core would make it, in the network it enters. */
typedef struct {
    uint32_t gateway_id;
    uint32_t from, to;   /* network ids */
    int64_t arrived;     /* the value converted into `to`, rounded down */
    int64_t fee;         /* the receiving side's fee on it, rounded up */
    int64_t passed_on;   /* arrived - fee: to the next hop, or to the payee */
    int64_t room;        /* what may still arrive before the side's exposure limit (or
                            frozen/unhealthy rules) stops it, in `to`'s unit */
    bool exposure_grows; /* this hop takes the mirror account deeper into debt */
} path_hop;

typedef struct {
    uint8_t hop_count;
    path_hop hops[TALLY_PATH_HOPS_MAX];
    int64_t amount;   /* paid by the payer to the first mirror account (payer's unit) */
    int64_t fee;      /* the first leg's fee (payer's unit): its max_fee */
    int64_t received; /* what the payee receives (payee's unit): its min_received */
    int64_t capacity; /* the largest amount (payer's unit) every hop and the payee's cap
                         still take; 0 when none */
    /* TALLY_OK when the core would apply it now; else the refusal it would give,
     * with the hop it happened at (0-based; -1: before the hops) and its figure. */
    tally_error refusal;
    int refused_hop;
    int64_t refused_available;
} path_quote;

/*
 * Prices the path `gateways[0..hop_count)` for a payment of amount by payer (a
 * member of from_network) to payee, exactly as transfer_cross_apply would apply
 * it to `state` now: out->refusal is the code it would refuse with (checked in the
 * core's order), TALLY_OK otherwise. Also computes the path's capacity. Returns
 * false only for arguments out of range (hop_count 0 or above the bound).
 */
bool paths_price(const tally_state *state, uint32_t from_network, const tally_key *payer, const tally_key *payee,
                 int64_t amount, const uint32_t *gateways, uint8_t hop_count, path_quote *out);

typedef struct {
    path_quote paths[PATHS_RESULTS_MAX]; /* feasible ones, best first */
    uint32_t count;
    uint32_t candidates; /* paths from the payer's network to the payee's priced */
    /* The best refused candidate (most hops reached), when count is 0 and candidates > 0. */
    path_quote refused;
    bool truncated; /* the search stopped at PATHS_CANDIDATES_MAX (or memory was short) */
} path_list;

/*
 * The paths from from_network to to_network (different networks), breadth first up
 * to TALLY_PATH_HOPS_MAX hops over open gateways, each network at most once; those
 * the core would apply now sorted by what the payee receives (most first), then
 * fewest hops, then the gateway ids; at most PATHS_RESULTS_MAX of them.
 */
void paths_find(const tally_state *state, uint32_t from_network, const tally_key *payer, uint32_t to_network,
                const tally_key *payee, int64_t amount, path_list *out);

#endif
