/*
 * test_events.c: what the end of a block does by itself, as events (tally_event):
 * the core reports each with exact figures, at most TALLY_BLOCK_DUES_MAX due entries
 * a block; a block records them, its results_root commits to them, its decoder is
 * strict about them, and replay refuses a block whose events are not what its end
 * did. The index's side (history entries of each event) is in test_index.c.
 */
#include <stdlib.h>
#include <string.h>

#include "chain_fixture.h"
#include "test.h"

enum { NET = 1 };

#define EVENTS_SEEN_MAX 16u

typedef struct {
    tally_event events[EVENTS_SEEN_MAX];
    uint32_t count; /* all reported, even past EVENTS_SEEN_MAX */
} event_log;

static void log_event(void *context, const tally_event *event) {
    event_log *log = context;
    if (log->count < EVENTS_SEEN_MAX) log->events[log->count] = *event;
    log->count++;
}

static event_log advance_logged(test_world *world, int64_t time, tally_block_summary *summary) {
    event_log log;
    memset(&log, 0, sizeof log);
    world->time = time;
    tally_block_summary made = tally_end_block_events(world->state, time, log_event, &log);
    if (summary) *summary = made;
    char why[256];
    CHECK(tally_check_invariants(world->state, why, sizeof why));
    return log;
}

static void check_event(const tally_event *event, tally_event_kind kind, const tally_key *member, int64_t amount,
                        int64_t time) {
    CHECK_EQ(event->kind, kind);
    CHECK_EQ(event->network_id, NET);
    tally_key zero;
    memset(&zero, 0, sizeof zero);
    CHECK(memcmp(event->member.bytes, (member ? member : &zero)->bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(event->amount, amount);
    CHECK_EQ(event->time, time);
}

/* Network 1 of policy, founded by actor 0, with actors 1 and 2 admitted. */
static void two_members(test_world *world, const tally_policy *policy) {
    world_init(world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_create_network(world, &op, policy).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(world, &op, NET, &bob).code, TALLY_OK);
}

TEST(events_a_default_reports_the_freeze_the_write_off_and_the_pool_cover) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 1000;
    two_members(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 10 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 500, 50).code, TALLY_OK); /* alice -550 */
    tally_tx tx = world_tx(&world, &op, TALLY_TX_FEE_DISTRIBUTE);
    tx.body.fee_distribute.network_id = NET;
    tx.body.fee_distribute.to_pool = true;
    tx.body.fee_distribute.amount = 40;
    tx.body.fee_distribute.to = bob.key; /* unused when to the pool: refused unless zero */
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_DECODE_BAD_VALUE);
    memset(&tx.body.fee_distribute.to, 0, sizeof tx.body.fee_distribute.to);
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);

    event_log log = advance_logged(&world, WORLD_START_TIME + 10 * DAY - 1, NULL);
    CHECK_EQ(log.count, 0);
    log = advance_logged(&world, WORLD_START_TIME + 10 * DAY, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_LINE_FROZEN, &alice.key, -550, WORLD_START_TIME + 15 * DAY);

    tally_block_summary summary;
    log = advance_logged(&world, WORLD_START_TIME + 15 * DAY + 7, &summary);
    CHECK_EQ(log.count, 2);
    check_event(&log.events[0], TALLY_EVENT_LINE_DEFAULTED, &alice.key, 550, WORLD_START_TIME + 15 * DAY);
    check_event(&log.events[1], TALLY_EVENT_LOST_DEBT_COVERED, NULL, 40, 0);
    /* the events and the summary tell the same story */
    CHECK_EQ(summary.debt_written_off, 550);
    CHECK_EQ(summary.lost_debt_burned, 40);
    /* then nothing but the network's first health period, which saw the write-off */
    log = advance_logged(&world, WORLD_START_TIME + 30 * DAY, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_HEALTH_RECORDED, NULL, 1, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(tally_state_network(world.state, NET)->health.written_off, 550);
    world_free(&world);
}

TEST(events_renewal_and_expiry_carry_the_new_period_and_the_balance) {
    test_world world;
    tally_policy policy = policy_default();
    policy.auto_renew = true;
    two_members(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    /* compliant (never in debt): renewed for 30 days from the old end */
    /* (the network's first health period ends at the same second: lines come first) */
    event_log log = advance_logged(&world, WORLD_START_TIME + 30 * DAY + 60, NULL);
    CHECK_EQ(log.count, 2);
    check_event(&log.events[0], TALLY_EVENT_LINE_RENEWED, &alice.key, 1000, WORLD_START_TIME + 60 * DAY);
    check_event(&log.events[1], TALLY_EVENT_HEALTH_RECORDED, NULL, 1, WORLD_START_TIME + 30 * DAY);
    world_free(&world);

    policy.auto_renew = false;
    two_members(&world, &policy);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &bob, 1000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 125, 0).code, TALLY_OK); /* alice +125, bob -125 */
    log = advance_logged(&world, WORLD_START_TIME + 30 * DAY, NULL);
    /* both due at the same second: in the order they were queued (member index) */
    CHECK_EQ(log.count, 3);
    check_event(&log.events[0], TALLY_EVENT_LINE_EXPIRED, &alice.key, 125, WORLD_START_TIME + 30 * DAY);
    check_event(&log.events[1], TALLY_EVENT_LINE_FROZEN, &bob.key, -125, WORLD_START_TIME + 35 * DAY);
    check_event(&log.events[2], TALLY_EVENT_HEALTH_RECORDED, NULL, 1, WORLD_START_TIME + 30 * DAY);
    world_free(&world);
}

TEST(events_reallocation_is_reported_with_the_reserve_moved) {
    test_world world;
    tally_policy policy = policy_default();
    policy.target_rtd_bps = 2000;
    two_members(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), bank = actor(10);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 365 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_create_asset(&world, &bank, "USD").code, TALLY_OK);
    CHECK_CODE(do_issue(&world, &bank, 1, &bank, 1000).code, TALLY_OK);
    CHECK_CODE(do_set_peg(&world, &op, NET, 1, 1, 1).code, TALLY_OK);
    CHECK_CODE(do_pool(&world, &bank, TALLY_TX_POOL_DEPOSIT, NET, 100).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 400, 0).code, TALLY_OK); /* needs 80 in primary */
    int64_t primary = tally_state_network(world.state, NET)->pool_primary;
    event_log log = advance_logged(&world, world.time + 1, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_RESERVE_REALLOCATED, NULL, 80 - primary, 0);
    CHECK_EQ(tally_state_network(world.state, NET)->pool_primary, 80);
    CHECK_EQ(advance_logged(&world, world.time + 1, NULL).count, 0);
    world_free(&world);
}

/* 65,537 lines end at the same second: one block's end takes 65,536 of them, the
 * next block takes the last, at its own time (the rule is the same on every node). */
TEST(events_a_block_end_processes_at_most_its_bound_of_due_entries) {
    test_world world;
    tally_policy policy = policy_default();
    policy.default_credit_limit = 10;
    policy.max_members = TALLY_BLOCK_DUES_MAX + 16;
    policy.auto_renew = true;
    world_init(&world);
    test_actor op = actor(0);
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    const uint32_t members = TALLY_BLOCK_DUES_MAX + 1;
    for (uint32_t i = 1; i <= members; i++) {
        test_actor member = actor(1000 + i);
        tally_tx tx = world_tx(&world, &op, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = NET;
        tx.body.network_key.key = member.key;
        /* not world_apply: its whole-state checks per transaction would take minutes */
        tally_result result = tally_apply(world.state, &tx, world.time);
        if (result.code != TALLY_OK) {
            CHECK_CODE(result.code, TALLY_OK);
            break;
        }
    }
    int64_t due = WORLD_START_TIME + policy.period_seconds;
    CHECK_EQ(tally_state_next_due(world.state), due);
    event_log log = advance_logged(&world, due, NULL);
    CHECK_EQ(log.count, TALLY_BLOCK_DUES_MAX);
    CHECK_EQ(tally_state_next_due(world.state), due); /* one is left: still due */
    test_actor last = actor(1000 + members);
    log = advance_logged(&world, due + 5, NULL);
    CHECK_EQ(log.count, 1 + (due == WORLD_START_TIME + TALLY_HEALTH_PERIOD_SECONDS)); /* and the health period's end */
    /* renewed from the block that took it, as a stalled chain's line is */
    check_event(&log.events[0], TALLY_EVENT_LINE_RENEWED, &last.key, 10, due + policy.period_seconds);
    CHECK_EQ(member_of(&world, NET, &last)->period_end, due + policy.period_seconds);
    world_free(&world);
}

/* ------------------------------------------------------------------------ */
/* Blocks record them.                                                       */
/* ------------------------------------------------------------------------ */

/* The block of the scripted history whose end wrote alice's debt off. */
static uint32_t default_block(const test_chain *chain, tally_block *block) {
    for (uint32_t height = 1; height < chain->count; height++) {
        chain_block(chain, height, block);
        for (uint32_t i = 0; i < block->event_count; i++)
            if (block->events[i].kind == TALLY_EVENT_LINE_DEFAULTED) return height;
    }
    return 0;
}

TEST(events_a_block_records_its_end_and_replays_only_when_they_agree) {
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    uint32_t height = default_block(&chain, &block);
    CHECK(height > 0);
    test_actor alice = actor(ALICE);
    const tally_event *defaulted = NULL;
    for (uint32_t i = 0; i < block.event_count; i++)
        if (block.events[i].kind == TALLY_EVENT_LINE_DEFAULTED) defaulted = &block.events[i];
    CHECK(defaulted != NULL && memcmp(defaulted->member.bytes, alice.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(defaulted != NULL && defaulted->amount > 0);
    /* the freeze is in the block of day 11 */
    tally_block frozen;
    tally_block_init(&frozen);
    chain_block(&chain, height - 1, &frozen);
    CHECK_EQ(frozen.event_count, 1);
    CHECK_EQ(frozen.events[0].kind, TALLY_EVENT_LINE_FROZEN);
    tally_block_release(&frozen);

    /* the root commits to them: without them it is another root */
    uint8_t root[TALLY_HASH_BYTES];
    tally_block_results_root(block.results, block.header.tx_count, NULL, 0, root);
    CHECK(memcmp(root, block.header.results_root, TALLY_HASH_BYTES) != 0);

    /* replaying up to the block, then a forged copy of it, resealed by the producer */
    tally_state *state = NULL;
    tally_chain_tip tip;
    tally_block earlier;
    tally_block_init(&earlier);
    chain_block(&chain, 0, &earlier);
    tally_chain_failure failure;
    CHECK_EQ(tally_genesis_open(&earlier, &state, &tip, &failure), TALLY_CHAIN_OK);
    for (uint32_t h = 1; h < height; h++) {
        chain_block(&chain, h, &earlier);
        CHECK_EQ(tally_block_apply(state, &tip, &earlier, &failure), TALLY_CHAIN_OK);
    }
    tally_block_release(&earlier);
    size_t length = tally_state_serialized_size(state);
    uint8_t *saved = malloc(length);
    CHECK(saved && tally_state_serialize(state, saved, length) == length);

    const int64_t written_off = defaulted ? defaulted->amount : 0;
    block.events[0].amount = written_off - 1; /* a producer who writes off less */
    block_reseal(&block, chain.producer.secret);
    tally_chain_tip forged_tip = tip;
    CHECK_EQ(tally_block_apply(state, &forged_tip, &block, &failure), TALLY_CHAIN_ERR_EVENTS_MISMATCH);
    CHECK(strstr(failure.message, "event 0") != NULL);

    /* a producer who leaves the default out */
    tally_error load_error;
    tally_state *fresh = tally_state_deserialize(saved, length, &load_error);
    CHECK(fresh != NULL);
    block.events[0].amount = written_off;
    block.event_count = 0;
    block_reseal(&block, chain.producer.secret);
    forged_tip = tip;
    CHECK_EQ(tally_block_apply(fresh, &forged_tip, &block, &failure), TALLY_CHAIN_ERR_EVENTS_MISMATCH);
    CHECK(strstr(failure.message, "records 0") != NULL);
    tally_state_destroy(fresh);

    /* the true block, resealed as it was, still applies */
    fresh = tally_state_deserialize(saved, length, &load_error);
    CHECK(fresh != NULL);
    chain_block(&chain, height, &block);
    forged_tip = tip;
    CHECK_EQ(tally_block_apply(fresh, &forged_tip, &block, &failure), TALLY_CHAIN_OK);
    tally_state_destroy(fresh);
    tally_state_destroy(state);
    free(saved);
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(events_the_decoder_refuses_unknown_kinds_stray_members_and_short_lists) {
    test_chain chain;
    chain_history(&chain);
    tally_block block;
    tally_block_init(&block);
    uint32_t height = default_block(&chain, &block);
    CHECK(height > 0);
    size_t length;
    uint8_t *bytes = block_bytes(&block, &length);
    /* where the events start: after the header, the txs and the results */
    size_t events_at = length - 4u - (size_t)block.event_count * TALLY_EVENT_BYTES;
    CHECK_EQ(bytes[events_at] | bytes[events_at + 1] << 8, block.event_count);
    tally_block decoded;
    tally_block_init(&decoded);
    tally_chain_failure failure;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(decoded.event_count, block.event_count);

    uint8_t *first = bytes + events_at + 4;
    uint8_t kind = first[0];
    first[0] = 0;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_BAD_EVENT);
    first[0] = TALLY_EVENT_KIND_LAST + 1;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_BAD_EVENT);
    CHECK_EQ(decoded.event_count, 0); /* a refused block claims nothing */
    /* a network's event that names a member: two encodings of one event */
    first[0] = TALLY_EVENT_POLICY_CHANGED;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_BAD_EVENT);
    first[0] = kind;
    /* network 0 */
    uint8_t network = first[1];
    first[1] = 0;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_BAD_EVENT);
    first[1] = network;
    /* a count the bytes cannot hold, and one above the bound */
    bytes[events_at] = (uint8_t)(block.event_count + 1);
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_TRUNCATED);
    bytes[events_at] = 0xff;
    bytes[events_at + 1] = 0xff;
    bytes[events_at + 2] = 0xff;
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_BAD_EVENT);
    bytes[events_at] = (uint8_t)block.event_count;
    bytes[events_at + 1] = bytes[events_at + 2] = 0;
    /* cut inside the list */
    CHECK_EQ(tally_block_decode(bytes, length - 1, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_TRUNCATED);
    /* one byte more */
    CHECK_EQ(tally_block_decode(bytes, length + 1, &decoded, &failure), TALLY_CHAIN_ERR_DECODE_TRAILING_BYTES);
    CHECK_EQ(tally_block_decode(bytes, length, &decoded, &failure), TALLY_CHAIN_OK);
    free(bytes);
    tally_block_release(&decoded);
    tally_block_release(&block);
    chain_free(&chain);
}

TEST(events_kind_names_are_the_documented_ones) {
    const char *names[] = {NULL,           "line_renewed",        "line_expired",  "line_frozen",
                           "line_unfrozen", "line_defaulted",     "lost_debt_covered",
                           "reserve_reallocated", "policy_changed", "peg_changed", "pending_released", "pending_refunded",
                           "request_expired", "health_recorded", "stake_slashed", "limit_set", "demurrage_charged",
                           "membership_fee_charged", "fee_suspended", "proposal_passed", "proposal_rejected",
                           "proposal_executed", "listing_expired", "order_released", "order_expired", "order_held"};
    _Static_assert(sizeof names / sizeof names[0] == TALLY_EVENT_KIND_LAST + 1, "a name for every kind");
    for (uint8_t kind = TALLY_EVENT_KIND_FIRST; kind <= TALLY_EVENT_KIND_LAST; kind++)
        CHECK(strcmp(tally_event_kind_name(kind), names[kind]) == 0);
    CHECK(tally_event_kind_name(0) == NULL && tally_event_kind_name(TALLY_EVENT_KIND_LAST + 1) == NULL);
    CHECK(tally_event_kind_has_member(TALLY_EVENT_LINE_DEFAULTED));
    CHECK(!tally_event_kind_has_member(TALLY_EVENT_LOST_DEBT_COVERED));
    CHECK(tally_event_kind_has_member(TALLY_EVENT_REQUEST_EXPIRED));
    CHECK(!tally_event_kind_has_member(TALLY_EVENT_HEALTH_RECORDED));
    for (uint8_t kind = TALLY_EVENT_STAKE_SLASHED; kind <= TALLY_EVENT_PROPOSAL_EXECUTED; kind++)
        CHECK(tally_event_kind_has_member(kind));
    /* the marketplace's: the seller (listing expired, order released or held) or the
     * buyer (order expired) */
    for (uint8_t kind = TALLY_EVENT_LISTING_EXPIRED; kind <= TALLY_EVENT_ORDER_HELD; kind++)
        CHECK(tally_event_kind_has_member(kind));
}

/* The marketplace's events (docs/MARKETPLACE.md): at its timeout a placed order is
 * refunded (order_expired: the buyer, what was held), an accepted one pays the seller
 * (order_released: the seller, what it was paid), or, the seller at its cap, waits
 * disputed (order_held: the seller, the order's amount); at its expiry a listing
 * ends (listing_expired: the seller, 0). `time` is the order's or listing's id. */
TEST(events_the_marketplace_reports_orders_and_listings_ended_at_their_times) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 100;
    policy.positive_cap = 400;
    policy.period_seconds = 60 * DAY;
    two_members(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &bob, 100000, 0, 0, 0).code, TALLY_OK);
    const int64_t start = world.time;
    tally_tx tx = world_tx(&world, &alice, TALLY_TX_LISTING_CREATE);
    tx.body.listing = (tally_tx_listing){.network_id = NET, .kind = TALLY_LISTING_OFFER, .price = 250, .quantity = 10,
                                         .expiry = start + 20 * DAY};
    text_set(&tx.body.listing.title, "Eggs");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    tx = world_tx(&world, &alice, TALLY_TX_LISTING_CREATE);
    tx.body.listing = (tally_tx_listing){.network_id = NET, .kind = TALLY_LISTING_WANT, .quantity = 1,
                                         .expiry = start + 3 * DAY};
    text_set(&tx.body.listing.title, "A ladder");
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    static const struct {
        uint32_t quantity;
        int64_t days;
        bool accept;
    } orders[] = {{2, 2, false}, {1, 4, true}, {1, 5, true}};
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        tx = world_tx(&world, &bob, TALLY_TX_ORDER_CREATE);
        tx.body.order_create = (tally_tx_order_create){.listing_id = 1, .quantity = orders[i].quantity,
                                                       .unit_price = 250, .max_fee = 100,
                                                       .timeout = start + orders[i].days * DAY};
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
        if (!orders[i].accept) continue;
        tx = world_tx(&world, &alice, TALLY_TX_ORDER_ACCEPT);
        tx.body.order_step.order_id = (uint32_t)i + 1;
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    }
    event_log log = advance_logged(&world, start + 2 * DAY - 1, NULL);
    CHECK_EQ(log.count, 0);
    log = advance_logged(&world, start + 2 * DAY, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_ORDER_EXPIRED, &bob.key, 500, 1);
    log = advance_logged(&world, start + 3 * DAY, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_LISTING_EXPIRED, &alice.key, 0, 2);
    log = advance_logged(&world, start + 4 * DAY + 30, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_ORDER_RELEASED, &alice.key, 250, 2);
    CHECK_EQ(balance_of(&world, NET, &alice), 250);
    /* 250 more would take alice past her cap of 400: the order waits, disputed */
    log = advance_logged(&world, start + 5 * DAY, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_ORDER_HELD, &alice.key, 250, 3);
    CHECK_EQ(tally_state_order(world.state, 3)->status, TALLY_ORDER_DISPUTED);
    CHECK_EQ(balance_of(&world, NET, &alice), 250);
    log = advance_logged(&world, start + 20 * DAY, NULL);
    CHECK_EQ(log.count, 1);
    check_event(&log.events[0], TALLY_EVENT_LISTING_EXPIRED, &alice.key, 0, 1);
    CHECK_EQ(tally_state_order(world.state, 1)->status, TALLY_ORDER_EXPIRED);
    CHECK_EQ(tally_state_order(world.state, 2)->status, TALLY_ORDER_RELEASED);
    CHECK_EQ(tally_state_listing(world.state, 1)->status, TALLY_LISTING_EXPIRED);
    world_free(&world);
}
