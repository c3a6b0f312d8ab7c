/*
 * test_simulation_governance.c: the seeded randomized simulation of governance
 * (types 44-46; docs/UNDERWRITING.md section 6), beside the main one of
 * test_simulation.c, whose model of money it does not need. Long random histories
 * over three networks (two governed by their members, weighted one member one vote
 * and by reputation; one by its operators) of proposals (policy changes, operators
 * added and removed, pegs to assets that do not exist), votes, cancellations, joins,
 * leaves, suspensions and operators' direct changes, with time moving by hours and
 * days. After every step every invariant holds and a refusal changed nothing
 * (fixture.c); an independent model of each proposal (its eligible set and weight,
 * its counts, its extension, its end, its outcome and when it applies) must agree
 * with the state's record field by field; the network's max_members is the one the
 * last applied policy proposal asked. At the end the whole history replays to the
 * same state root, and every refusal of the three types was met. A failure prints
 * its seed; TALLY_GOVERNANCE_SEED=N runs one seed, TALLY_GOVERNANCE_STEPS=N longer.
 */
#include "fixture.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETWORKS 3     /* 1 and 2 governed by their members, 3 by its operators */
#define PEOPLE 24      /* actors 1..24 join and leave the networks */
#define PROPOSALS_MAX 4096
#define LOG_MAX 20000

typedef struct {
    uint64_t state;
} rng;

static uint64_t next(rng *r) {
    r->state += 0x9e3779b97f4a7c15ull;
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t below(rng *r, uint32_t n) { return (uint32_t)(next(r) % n); }

/* The model of one proposal. */
typedef struct {
    uint32_t network;
    uint32_t proposer; /* person */
    tally_proposal_action action;
    bool voted[PEOPLE + 1];
    int64_t eligible_weight, yes, no, abstain;
    uint32_t voters;
    uint64_t eligible_join_seq; /* joins in its network when it was made */
    int64_t ends, executes_at;
    bool extended;
    uint8_t status;
    tally_error result; /* expected of its action, once applied */
} model_proposal;

/* One entry of the history, to replay it. */
typedef struct {
    bool is_tx;
    tally_tx tx;
    int64_t time;
} log_entry;

typedef struct {
    rng r;
    uint64_t seed;
    test_world world;
    test_actor op[NETWORKS + 1];
    test_actor people[PEOPLE + 1];
    model_proposal proposals[PROPOSALS_MAX];
    uint32_t proposal_count;
    uint32_t expected_max_members[NETWORKS + 1];
    /* the model's joins (each admission takes the next number) and the operators the
     * votes added (actors 100..107) */
    uint64_t join_count[NETWORKS + 1], join_seq[NETWORKS + 1][PEOPLE + 1];
    bool operator_added[NETWORKS + 1][8];
    uint32_t operator_count[NETWORKS + 1];
    log_entry *log;
    uint32_t log_count;
    bool failed;
    /* coverage */
    uint32_t accepted[3], refused_codes[3][TALLY_ERROR_COUNT];
    uint32_t executed, executed_refused, rejected, cancelled, extended, passed;

} sim;

#define SIM_CHECK(s, cond)                                                                                    \
    do {                                                                                                     \
        if (!(cond) && !(s)->failed) {                                                                       \
            char what_[512];                                                                                 \
            snprintf(what_, sizeof what_, "governance simulation seed %llu (TALLY_GOVERNANCE_SEED=%llu): %s", \
                     (unsigned long long)(s)->seed, (unsigned long long)(s)->seed, #cond);                   \
            test_fail(__FILE__, __LINE__, what_);                                                            \
            (s)->failed = true;                                                                              \
        }                                                                                                    \
    } while (0)

static void record(sim *s, const tally_tx *tx, int64_t time, bool is_tx) {
    if (s->log_count >= LOG_MAX) return;
    log_entry *entry = &s->log[s->log_count++];
    entry->is_tx = is_tx;
    if (is_tx) entry->tx = *tx;
    entry->time = time;
}

static tally_result apply(sim *s, const tally_tx *tx) {
    tally_result result = world_apply(&s->world, tx);
    if (result.code == TALLY_OK) record(s, tx, s->world.time, true);
    return result;
}

static const tally_member *member(const sim *s, uint32_t network, uint32_t person) {
    return tally_state_member(s->world.state, network, &s->people[person].key);
}

static bool is_current(const sim *s, uint32_t network, uint32_t person) {
    const tally_member *m = member(s, network, person);
    return m && m->status != TALLY_MEMBER_LEFT;
}

static bool is_active(const sim *s, uint32_t network, uint32_t person) {
    const tally_member *m = member(s, network, person);
    return m && m->status == TALLY_MEMBER_ACTIVE;
}

static uint8_t weighting_of(uint32_t network) { return network == 2 ? TALLY_WEIGHT_REPUTATION : TALLY_WEIGHT_ONE_MEMBER; }

static int64_t weight_of(const sim *s, uint32_t network, uint32_t person) {
    return weighting_of(network) == TALLY_WEIGHT_REPUTATION ? member(s, network, person)->reputation : 1;
}

static void count_code(sim *s, int kind, tally_error code) {
    if (code == TALLY_OK) s->accepted[kind]++;
    else s->refused_codes[kind][code]++;
}

/* ---- steps ---- */

static tally_proposal_action random_action(sim *s, uint32_t network, bool *well_formed) {
    tally_proposal_action action;
    memset(&action, 0, sizeof action);
    *well_formed = true;
    switch (below(&s->r, 6)) {
    case 0:
    case 1:
    case 2:
        action.type = TALLY_TX_POLICY_UPDATE;
        action.policy = tally_state_network(s->world.state, network)->policy;
        action.policy.max_members = 1000 + below(&s->r, 9000);
        break;
    case 3:
        action.type = TALLY_TX_OPERATOR_ADD;
        action.key = actor(100 + below(&s->r, 8)).key;
        break;
    case 4:
        action.type = TALLY_TX_OPERATOR_REMOVE;
        action.key = actor(100 + below(&s->r, 8)).key; /* often not one: refused when applied */
        break;
    default:
        action.type = TALLY_TX_PEG_SET; /* an asset that does not exist: UNKNOWN_ASSET when applied */
        action.asset_id = 7;
        action.peg_reserve_units = action.peg_credit_units = 1;
        break;
    }
    if (below(&s->r, 20) == 0) {
        action.gateway_id = 5; /* a field the kind does not use */
        *well_formed = action.type == TALLY_TX_GATEWAY_CLOSE;
    }
    return action;
}

/* A proposal in a random network by a random person, or (burst) in network 1 by one
 * of its active members. */
static void step_propose(sim *s, bool burst) {
    uint32_t network = burst ? 1 : 1 + below(&s->r, NETWORKS), person = 1 + below(&s->r, PEOPLE);
    for (uint32_t tries = 0; burst && tries < 32 && !is_active(s, network, person); tries++)
        person = 1 + below(&s->r, PEOPLE);
    bool well_formed;
    tally_proposal_action action = random_action(s, network, &well_formed);
    tally_tx tx = world_tx(&s->world, &s->people[person], TALLY_TX_PROPOSAL_CREATE);
    tx.body.proposal_create.network_id = network;
    tx.body.proposal_create.action = action;
    const tally_network *n = tally_state_network(s->world.state, network);
    tally_error expected = TALLY_OK;
    if (!is_current(s, network, person)) expected = TALLY_ERR_NOT_MEMBER;
    else if (network == 3) expected = TALLY_ERR_NOT_GOVERNED_BY_MEMBERS;
    else if (!is_active(s, network, person)) expected = TALLY_ERR_MEMBER_SUSPENDED;
    else if (!well_formed) expected = TALLY_ERR_BAD_ACTION;
    else if (n->proposals_open >= TALLY_PROPOSALS_OPEN_PER_NETWORK_MAX) expected = TALLY_ERR_TOO_MANY_PROPOSALS;
    /* the model's eligible weight, before the state changes: the active members' */
    model_proposal p;
    memset(&p, 0, sizeof p);
    p.network = network;
    p.proposer = person;
    p.action = action;
    p.eligible_join_seq = s->join_count[network];
    for (uint32_t i = 1; i <= PEOPLE; i++)
        if (is_active(s, network, i)) p.eligible_weight += weight_of(s, network, i);
    tally_result result = apply(s, &tx);
    count_code(s, 0, result.code);
    SIM_CHECK(s, result.code == expected);
    if (result.code != TALLY_OK) return;
    SIM_CHECK(s, s->proposal_count < PROPOSALS_MAX && result.created_id == s->proposal_count + 1);
    p.ends = s->world.time + 7 * DAY;
    p.status = TALLY_PROPOSAL_VOTING;
    s->proposals[s->proposal_count++] = p;
}

static bool has_quorum(const model_proposal *p) {
    int64_t cast = p->yes + p->no + p->abstain;
    return cast > 0 && (__int128)cast * 10000 >= (__int128)p->eligible_weight * 5000;
}

/* A proposal still voting, mostly; else any, or one past the last. */
static uint32_t pick_proposal(sim *s) {
    if (below(&s->r, 100) < 85) {
        uint32_t open[PROPOSALS_MAX], count = 0;
        for (uint32_t i = 0; i < s->proposal_count; i++)
            if (s->proposals[i].status == TALLY_PROPOSAL_VOTING) open[count++] = i + 1;
        if (count > 0) return open[below(&s->r, count)];
    }
    return s->proposal_count ? 1 + below(&s->r, s->proposal_count + 1) : 1;
}

static void step_vote(sim *s) {
    uint32_t id = pick_proposal(s);
    uint32_t person = 1 + below(&s->r, PEOPLE);
    /* mostly a member of its network, so that most votes count */
    if (id <= s->proposal_count && below(&s->r, 100) < 85) {
        for (uint32_t tries = 0; tries < 8 && !is_current(s, s->proposals[id - 1].network, person); tries++)
            person = 1 + below(&s->r, PEOPLE);
    }
    uint8_t choice = (uint8_t)below(&s->r, 3);
    tally_tx tx = world_tx(&s->world, &s->people[person], TALLY_TX_PROPOSAL_VOTE);
    tx.body.proposal_vote = (tally_tx_proposal_vote){id, choice};
    tally_error expected = TALLY_OK;
    model_proposal *p = id <= s->proposal_count ? &s->proposals[id - 1] : NULL;
    if (!p) expected = TALLY_ERR_PROPOSAL_NOT_FOUND;
    else if (p->status != TALLY_PROPOSAL_VOTING || s->world.time >= p->ends) expected = TALLY_ERR_VOTING_ENDED;
    else if (!is_current(s, p->network, person)) expected = TALLY_ERR_NOT_MEMBER;
    /* eligible: joined before it was made (and not left and come back since), active now */
    else if (!is_active(s, p->network, person) || s->join_seq[p->network][person] > p->eligible_join_seq)
        expected = TALLY_ERR_NOT_ELIGIBLE;
    else if (p->voted[person]) expected = TALLY_ERR_ALREADY_VOTED;
    int64_t weight = expected == TALLY_OK ? weight_of(s, p->network, person) : 0;
    tally_result result = apply(s, &tx);
    count_code(s, 1, result.code);
    SIM_CHECK(s, result.code == expected);
    if (result.code != TALLY_OK) return;
    SIM_CHECK(s, result.available == weight);
    bool had = has_quorum(p);
    if (choice == TALLY_VOTE_YES) p->yes += weight;
    else if (choice == TALLY_VOTE_NO) p->no += weight;
    else p->abstain += weight;
    p->voted[person] = true;
    p->voters++;
    if (!had && has_quorum(p) && !p->extended && s->world.time >= p->ends - DAY) {
        p->extended = true;
        p->ends += DAY;
        s->extended++;
    }
}

static void step_cancel(sim *s) {
    if (s->proposal_count == 0) return;
    uint32_t id = pick_proposal(s);
    model_proposal *p = id <= s->proposal_count ? &s->proposals[id - 1] : NULL;
    uint32_t person = p && below(&s->r, 3) == 0 ? p->proposer : 1 + below(&s->r, PEOPLE);
    tally_tx tx = world_tx(&s->world, &s->people[person], TALLY_TX_PROPOSAL_CANCEL);
    tx.body.proposal_vote.proposal_id = id;
    tally_error expected = TALLY_OK;
    if (!p) expected = TALLY_ERR_PROPOSAL_NOT_FOUND;
    else if (p->status != TALLY_PROPOSAL_VOTING || s->world.time >= p->ends) expected = TALLY_ERR_VOTING_ENDED;
    else if (person != p->proposer) expected = TALLY_ERR_NOT_PROPOSER;
    tally_result result = apply(s, &tx);
    count_code(s, 2, result.code);
    SIM_CHECK(s, result.code == expected);
    if (result.code == TALLY_OK) {
        p->status = TALLY_PROPOSAL_CANCELLED;
        s->cancelled++;
    }
}

/* Someone joins (an operator admits it), leaves, or is suspended or reinstated (an
 * emergency power these networks grant); an operator tries a direct change. */
static void step_membership(sim *s) {
    uint32_t network = 1 + below(&s->r, NETWORKS), person = 1 + below(&s->r, PEOPLE);
    const tally_member *m = member(s, network, person);
    tally_tx tx;
    switch (below(&s->r, 4)) {
    case 0:
        if (m && m->status != TALLY_MEMBER_LEFT) return;
        tx = world_tx(&s->world, &s->op[network], TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key = (tally_tx_network_key){network, s->people[person].key};
        SIM_CHECK(s, apply(s, &tx).code == TALLY_OK);
        s->join_seq[network][person] = ++s->join_count[network];
        return;
    case 1:
        if (!m || m->status == TALLY_MEMBER_LEFT) return;
        tx = world_tx(&s->world, &s->people[person], TALLY_TX_MEMBER_LEAVE);
        tx.body.network_only.network_id = network;
        SIM_CHECK(s, apply(s, &tx).code == TALLY_OK);
        return;
    case 2:
        if (!m || m->status == TALLY_MEMBER_LEFT) return;
        tx = world_tx(&s->world, &s->op[network],
                      m->status == TALLY_MEMBER_SUSPENDED ? TALLY_TX_MEMBER_REINSTATE : TALLY_TX_MEMBER_SUSPEND);
        tx.body.network_key = (tally_tx_network_key){network, s->people[person].key};
        SIM_CHECK(s, apply(s, &tx).code == TALLY_OK);
        return;
    default: {
        tx = world_tx(&s->world, &s->op[network], TALLY_TX_POLICY_UPDATE);
        tx.body.policy_update.network_id = network;
        tx.body.policy_update.policy = tally_state_network(s->world.state, network)->policy;
        tx.body.policy_update.policy.max_members = 500 + below(&s->r, 500);
        tally_result result = apply(s, &tx);
        SIM_CHECK(s, result.code == (network == 3 ? TALLY_OK : TALLY_ERR_GOVERNED_BY_MEMBERS));
        if (result.code == TALLY_OK) s->expected_max_members[network] = tx.body.policy_update.policy.max_members;
        return;
    }
    }
}

static bool ledger_like_equal(const tally_key *key, uint32_t n) {
    tally_key other = actor(n).key;
    return memcmp(key->bytes, other.bytes, TALLY_KEY_BYTES) == 0;
}

/* What the chain does by itself up to `time`, in the order of its due heap (time,
 * then the proposal's id). */
typedef struct {
    int64_t at;
    uint32_t index;
    bool execute;
} due;

static int due_order(const void *a, const void *b) {
    const due *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void model_advance(sim *s, int64_t time) {
    for (;;) {
        due next = {INT64_MAX, 0, false};
        for (uint32_t i = 0; i < s->proposal_count; i++) {
            const model_proposal *p = &s->proposals[i];
            due d = {0, i, false};
            if (p->status == TALLY_PROPOSAL_VOTING) d.at = p->ends;
            else if (p->status == TALLY_PROPOSAL_PASSED) d.at = p->executes_at, d.execute = true;
            else continue;
            if (d.at <= time && due_order(&d, &next) < 0) next = d;
        }
        if (next.at == INT64_MAX) return;
        model_proposal *p = &s->proposals[next.index];
        if (!next.execute) {
            bool passes = has_quorum(p) && p->yes > 0 && (__int128)p->yes * 10000 >= (__int128)(p->yes + p->no) * 6000;
            if (!passes) {
                p->status = TALLY_PROPOSAL_REJECTED;
                s->rejected++;
                continue;
            }
            p->status = TALLY_PROPOSAL_PASSED;
            p->executes_at = p->ends + 2 * DAY;
            s->passed++;
            continue;
        }
        p->status = TALLY_PROPOSAL_EXECUTED;
        s->executed++;
        /* the action's own rules, as an operator's transaction would meet them */
        uint32_t n = p->network, which = 0;
        for (uint32_t k = 0; k < 8; k++)
            if (ledger_like_equal(&p->action.key, 100 + k)) which = k;
        switch (p->action.type) {
        case TALLY_TX_POLICY_UPDATE:
            p->result = TALLY_OK;
            s->expected_max_members[n] = p->action.policy.max_members;
            break;
        case TALLY_TX_OPERATOR_ADD:
            p->result = s->operator_added[n][which] ? TALLY_ERR_ALREADY_OPERATOR : TALLY_OK;
            if (p->result == TALLY_OK) s->operator_added[n][which] = true, s->operator_count[n]++;
            break;
        case TALLY_TX_OPERATOR_REMOVE:
            p->result = s->operator_added[n][which] ? TALLY_OK : TALLY_ERR_UNKNOWN_OPERATOR;
            if (p->result == TALLY_OK) s->operator_added[n][which] = false, s->operator_count[n]--;
            break;
        default: p->result = TALLY_ERR_UNKNOWN_ASSET; break; /* the peg to asset 7 */
        }
        if (p->result != TALLY_OK) s->executed_refused++;
    }
}

static void step_time(sim *s) {
    int64_t step = below(&s->r, 8) == 0 ? (int64_t)(1 + below(&s->r, 2)) * DAY : (int64_t)(1 + below(&s->r, 6)) * 3600;
    int64_t time = s->world.time + step;
    model_advance(s, time);
    world_advance_to(&s->world, time);
    record(s, NULL, time, false);
}

/* The state's record of every proposal is the model's. */
static void compare(sim *s) {
    SIM_CHECK(s, tally_state_proposal_count(s->world.state) == s->proposal_count);
    for (uint32_t i = 0; i < s->proposal_count && !s->failed; i++) {
        const model_proposal *p = &s->proposals[i];
        const tally_proposal *q = tally_state_proposal(s->world.state, i + 1);
        SIM_CHECK(s, q && q->network_id == p->network && q->status == p->status && q->yes == p->yes &&
                         q->no == p->no && q->abstain == p->abstain && q->voters == p->voters &&
                         q->eligible_weight == p->eligible_weight && q->voting_ends_at == p->ends &&
                         q->extended == p->extended && q->eligible_join_seq == p->eligible_join_seq);
        if (q && (p->status == TALLY_PROPOSAL_PASSED || p->status == TALLY_PROPOSAL_EXECUTED))
            SIM_CHECK(s, q->executes_at == p->executes_at);
        if (q && p->status == TALLY_PROPOSAL_EXECUTED) SIM_CHECK(s, q->result == p->result);
    }
    for (uint32_t n = 1; n <= 2; n++) {
        const tally_network *network = tally_state_network(s->world.state, n);
        SIM_CHECK(s, network->policy.max_members == s->expected_max_members[n]);
        SIM_CHECK(s, network->operator_count == 1 + s->operator_count[n]);
    }
}

static tally_policy network_policy(uint32_t network) {
    tally_policy policy = policy_default();
    tally_policy defaults;
    tally_policy_defaults(&defaults);
    policy.reputation = defaults.reputation;
    policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy.governance = (tally_governance_rule){network == 3 ? TALLY_GOVERNANCE_OPERATORS : TALLY_GOVERNANCE_MEMBERS,
                                                weighting_of(network), 5000, 6000, 7 * DAY, 2 * DAY, DAY, true, false};
    return policy;
}

static void run(uint64_t seed, uint32_t steps, sim *s) {
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->r.state = seed;
    s->log = calloc(LOG_MAX, sizeof *s->log);
    REQUIRE(s->log != NULL);
    world_init(&s->world);
    for (uint32_t n = 1; n <= NETWORKS; n++) {
        s->op[n] = actor(200 + n);
        tally_policy policy = network_policy(n);
        tally_tx create = world_tx(&s->world, &s->op[n], TALLY_TX_NETWORK_CREATE);
        text_set(&create.body.network_create.name, n == 1 ? "Ayes" : n == 2 ? "Bees" : "Seas");
        text_set(&create.body.network_create.unit_code, "U");
        create.body.network_create.policy = policy;
        SIM_CHECK(s, apply(s, &create).code == TALLY_OK);
        s->expected_max_members[n] = policy.max_members;
    }
    for (uint32_t i = 1; i <= PEOPLE; i++) s->people[i] = actor(i);
    for (uint32_t n = 1; n <= NETWORKS; n++)
        for (uint32_t i = 1; i <= 12; i++) {
            tally_tx admit = world_tx(&s->world, &s->op[n], TALLY_TX_MEMBER_ADMIT);
            uint32_t person = (i + 5 * n) % PEOPLE + 1;
            admit.body.network_key = (tally_tx_network_key){n, s->people[person].key};
            SIM_CHECK(s, apply(s, &admit).code == TALLY_OK);
            s->join_seq[n][person] = ++s->join_count[n];
        }
    for (uint32_t step = 0; step < steps && !s->failed; step++) {
        uint32_t pick = below(&s->r, 100);
        if (pick < 10) {
            /* now and then a burst, up to the 16 a network may have open */
            bool burst = below(&s->r, 40) == 0;
            for (uint32_t k = burst ? 18 : 1; k > 0 && !s->failed; k--) step_propose(s, burst);
        } else if (pick < 70) step_vote(s);
        else if (pick < 73) step_cancel(s);
        else if (pick < 83) step_membership(s);
        else step_time(s);
        compare(s);
    }
    /* The history replays to the same root. */
    test_world again;
    world_init(&again);
    for (uint32_t i = 0; i < s->log_count && !s->failed; i++) {
        const log_entry *e = &s->log[i];
        if (e->is_tx) {
            tally_result result = tally_apply(again.state, &e->tx, e->time);
            SIM_CHECK(s, result.code == TALLY_OK);
        } else {
            (void)tally_end_block(again.state, e->time);
        }
    }
    uint8_t root[TALLY_HASH_BYTES], replayed[TALLY_HASH_BYTES];
    SIM_CHECK(s, s->log_count < LOG_MAX && tally_state_hash(s->world.state, root) && tally_state_hash(again.state, replayed) &&
                     memcmp(root, replayed, sizeof root) == 0);
    world_free(&again);
    printf("  governance seed %llu: %u steps, %u proposals (%u passed, %u applied of which %u refused by their "
           "action's rules, %u rejected, %u cancelled, %u extended); accepted %u proposals, %u votes, %u cancels%s\n",
           (unsigned long long)seed, steps, s->proposal_count, s->passed, s->executed, s->executed_refused, s->rejected,
           s->cancelled, s->extended, s->accepted[0], s->accepted[1], s->accepted[2], s->failed ? " FAILED" : "");
    world_free(&s->world);
    free(s->log);
}

TEST(simulation_governance_random_histories_agree_with_the_model_and_replay) {
    static sim s; /* about 2 MB: off the stack */
    uint32_t steps = 3000;
    const char *steps_text = getenv("TALLY_GOVERNANCE_STEPS");
    if (steps_text) steps = (uint32_t)strtoul(steps_text, NULL, 10);
    const char *seed_text = getenv("TALLY_GOVERNANCE_SEED");
    uint64_t seeds[] = {1, 77, 20260101};
    size_t seed_count = 3;
    if (seed_text) seeds[0] = strtoull(seed_text, NULL, 10), seed_count = 1;
    uint32_t accepted[3] = {0}, refused[3][TALLY_ERROR_COUNT] = {{0}}, extended = 0, rejected = 0, cancelled = 0,
             executed = 0, executed_refused = 0;
    for (size_t k = 0; k < seed_count; k++) {
        run(seeds[k], steps, &s);
        for (int t = 0; t < 3; t++) {
            accepted[t] += s.accepted[t];
            for (int c = 0; c < TALLY_ERROR_COUNT; c++) refused[t][c] += s.refused_codes[t][c];
        }
        extended += s.extended, rejected += s.rejected, cancelled += s.cancelled, executed += s.executed;
        executed_refused += s.executed_refused;
    }
    if (seed_text) return;
    /* every type accepted and every refusal met; every way a proposal ends */
    CHECK(accepted[0] >= 50 && accepted[1] >= 300 && accepted[2] >= 5);
    static const tally_error create_refusals[] = {TALLY_ERR_NOT_MEMBER, TALLY_ERR_NOT_GOVERNED_BY_MEMBERS,
                                                  TALLY_ERR_MEMBER_SUSPENDED, TALLY_ERR_BAD_ACTION,
                                                  TALLY_ERR_TOO_MANY_PROPOSALS};
    static const tally_error vote_refusals[] = {TALLY_ERR_PROPOSAL_NOT_FOUND, TALLY_ERR_VOTING_ENDED, TALLY_ERR_NOT_MEMBER,
                                                TALLY_ERR_NOT_ELIGIBLE, TALLY_ERR_ALREADY_VOTED};
    static const tally_error cancel_refusals[] = {TALLY_ERR_PROPOSAL_NOT_FOUND, TALLY_ERR_VOTING_ENDED,
                                                  TALLY_ERR_NOT_PROPOSER};
    const struct {
        int kind;
        const tally_error *codes;
        size_t count;
    } wanted[] = {{0, create_refusals, 5}, {1, vote_refusals, 5}, {2, cancel_refusals, 3}};
    for (size_t w = 0; w < 3; w++)
        for (size_t k = 0; k < wanted[w].count; k++) {
            uint32_t times = refused[wanted[w].kind][wanted[w].codes[k]];
            if (times == 0) printf("    never refused with %s\n", tally_error_name(wanted[w].codes[k]));
            CHECK(times >= 1);
        }
    CHECK(extended >= 1 && rejected >= 10 && cancelled >= 3 && executed >= 10 && executed_refused >= 3);
}
