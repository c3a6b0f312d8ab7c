/*
 * sim_internal.h: what economy.c and simulate.c share: the simulated world (the
 * core's state, the actors who sign its transactions, the networks), the seeded
 * random numbers, and applying a transaction on an actor's behalf.
 */
#ifndef TALLY_SIM_INTERNAL_H
#define TALLY_SIM_INTERNAL_H

#include "sim/sim.h"

/* splitmix64: a small, fast generator with a 64-bit state whose sequence is the
 * same on every machine (the report's repeatability rests on it). Not for keys. */
typedef struct {
    uint64_t state;
} sim_rng;
uint64_t sim_rng_next(sim_rng *rng);
/* Uniform in [0, bound) (bound > 0), by the high half of a 128-bit product. */
uint64_t sim_rng_below(sim_rng *rng, uint64_t bound);
/* Whether an event of probability bps / 10000 happens. */
bool sim_rng_chance(sim_rng *rng, uint32_t bps);

enum {
    SIM_ACTOR_DILIGENT = 1u << 0,     /* keeps its line compliant before each period end */
    SIM_ACTOR_GONE = 1u << 1,         /* walked away (a shock): trades no more */
    SIM_ACTOR_MEMBER = 1u << 2,       /* a trading member (not an operator, bank or underwriter) */
    SIM_ACTOR_UNDERWRITTEN = 1u << 3, /* a stake is behind its line */
};

typedef struct {
    tally_key key;
    uint64_t next_sequence;
    uint32_t net;          /* index into world.nets (0: the network under test) */
    uint32_t member_index; /* its record in the state's member table (members only) */
    uint32_t position;     /* its place among its network's members */
    uint8_t sector;
    uint8_t flags;
} sim_actor;

typedef struct {
    uint32_t id;           /* the network's id */
    uint32_t first_member; /* actors [first_member, first_member + member_count) */
    uint32_t member_count;
    uint32_t operator_actor;
    uint32_t underwriter_actor;
    bool collapsed;        /* a partner whose members stopped trading */
} sim_net;

/* A gateway between nets[a] and nets[b] (network_a is nets[a]). */
typedef struct {
    uint32_t id;
    uint32_t a, b;
} sim_gateway;

/* A payment back to whom a diligent member earned its compliance from, made the
 * day after a zero-balance period end (so that the line is at zero at the end). */
typedef struct {
    uint32_t payer, payee;
    int64_t amount;
} sim_payback;

typedef struct {
    const sim_policy *policy;
    const sim_scenario *scenario;
    sim_result *result;
    tally_state *state;
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    int64_t time;
    uint32_t day;
    sim_rng rng;
    sim_actor *actors;
    uint32_t actor_count, actor_capacity;
    sim_net nets[1 + SIM_PARTNERS_MAX];
    uint32_t net_count;
    sim_gateway gateways[1 + SIM_PARTNERS_MAX];
    uint32_t gateway_count;
    uint32_t bank; /* the reserve asset's issuer, depositor of the pools */
    uint32_t asset_id;
    /* Behaviour in force. */
    bool run;                           /* holders redeem as much as they can */
    uint32_t dry_until[SIM_SECTORS_MAX]; /* a sector sells nothing before this day */
    sim_payback *paybacks;
    uint32_t payback_count, payback_capacity;
    /* The day's block-end events of the network under test, and totals so far. */
    uint32_t defaults;
    int64_t written_off, covered_by_pool_credits, covered_by_underwriters, redeemed, clearing_removed;
    int64_t volume_days[30]; /* members' receipts of each of the last 30 days */
    int64_t volume_before;   /* the network's health_volume counter... see simulate.c */
} sim_world;

/* Applies tx on actor's behalf at the world's time (chain id, signer and sequence
 * filled in), counting it; returns the core's result. */
tally_result sim_apply(sim_world *world, uint32_t actor, tally_tx *tx);
tally_tx sim_tx(uint8_t type);

/* economy.c: makes the networks, the asset, the members with their habits, the
 * opening position, pools, stakes and gateways on day 0. false with why. */
bool sim_economy_make(sim_world *world, char *why, size_t why_size);
void sim_economy_free(sim_world *world);
const tally_member *sim_member(const sim_world *world, uint32_t actor);

#endif
