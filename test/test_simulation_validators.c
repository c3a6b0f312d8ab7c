/*
 * test_simulation_validators.c: long seeded random histories of changes of the
 * validator set (VALIDATOR_PROPOSE, VALIDATOR_APPROVE), through the chain's own path:
 * each step is a block built by a random active validator (sometimes by a key that
 * is not one: refused), holding random proposals and approvals by validators,
 * retired validators and strangers, good and bad; time moves on by up to three days
 * a block, so open changes lapse. A model of the roster (slots, retirements, the
 * open change and its approvals) predicts every result; after every block a second
 * state verifies the block (tally_block_apply: producer in the set in force,
 * results, state commitment), both tips and the model agree on the set, and every
 * few blocks the state goes through a snapshot and back to the same root.
 *
 * A failure prints its seed: TALLY_VALIDATORS_SEED=N runs that seed,
 * TALLY_VALIDATORS_STEPS=N longer histories.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_fixture.h"
#include "test.h"

enum { KEYS = 20, GENESIS = 3, TXS_MAX = 4 };

typedef struct {
    uint8_t count;
    int slot_key[TALLY_VALIDATORS_MAX]; /* index into keys */
    uint16_t retired;
    uint32_t changes;
    bool open;
    int add[TALLY_VALIDATORS_MAX];
    uint8_t add_count;
    uint16_t retire;
    uint32_t id;
    int proposer; /* key */
    uint16_t approvals;
    int64_t expires_at;
} set_model;

static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t pick(uint64_t *random, uint32_t below) { return (uint32_t)(next_random(random) % below); }

static int model_slot(const set_model *m, int key) {
    for (int i = 0; i < m->count; i++)
        if (m->slot_key[i] == key) return i;
    return -1;
}

static bool model_active(const set_model *m, int key) {
    int slot = model_slot(m, key);
    return slot >= 0 && !(m->retired >> slot & 1u);
}

static int model_active_count(const set_model *m) {
    int count = 0;
    for (int i = 0; i < m->count; i++) count += !(m->retired >> i & 1u);
    return count;
}

static int bits(uint32_t value) {
    int count = 0;
    for (; value; value &= value - 1) count++;
    return count;
}

/* Approvals counted; at a quorum the change applies. Approvals still needed. */
static int64_t model_approve(set_model *m, int slot) {
    m->approvals |= (uint16_t)(1u << slot);
    int quorum = model_active_count(m) / 2 + 1;
    if (bits(m->approvals) < quorum) return quorum - bits(m->approvals);
    m->retired |= m->retire;
    for (int i = 0; i < m->add_count; i++) m->slot_key[m->count++] = m->add[i];
    m->open = false;
    return 0;
}

static tally_result model_propose(set_model *m, int signer, const int *add, int add_count, uint32_t retire,
                                  int64_t time) {
    tally_result r = {0};
    if (!model_active(m, signer)) return r.code = TALLY_ERR_NOT_VALIDATOR, r;
    bool open = m->open && time < m->expires_at;
    if (open && m->proposer != signer) return r.code = TALLY_ERR_VALIDATOR_CHANGE_OPEN, r.created_id = m->id, r;
    uint16_t active = 0;
    for (int i = 0; i < m->count; i++)
        if (!(m->retired >> i & 1u)) active |= (uint16_t)(1u << i);
    bool fits = !(add_count == 0 && retire == 0) && add_count <= (int)TALLY_VALIDATORS_MAX - m->count &&
                (retire & ~(uint32_t)active) == 0 && bits(active) - bits(retire) + add_count > 0;
    for (int i = 0; fits && i < add_count; i++) {
        if (model_slot(m, add[i]) >= 0) fits = false;
        for (int j = 0; j < i; j++)
            if (add[j] == add[i]) fits = false;
    }
    if (!fits) return r.code = TALLY_ERR_BAD_VALIDATOR_SET, r.available = TALLY_VALIDATORS_MAX - m->count, r;
    m->open = true;
    m->add_count = (uint8_t)add_count;
    memcpy(m->add, add, (size_t)add_count * sizeof *add);
    m->retire = (uint16_t)retire;
    m->id = ++m->changes;
    m->proposer = signer;
    m->approvals = 0;
    m->expires_at = time + TALLY_VALIDATOR_CHANGE_SECONDS;
    r.created_id = m->id;
    r.available = model_approve(m, model_slot(m, signer));
    return r;
}

static tally_result model_approval(set_model *m, int signer, uint32_t id, int64_t time) {
    tally_result r = {0};
    if (!model_active(m, signer)) return r.code = TALLY_ERR_NOT_VALIDATOR, r;
    if (!m->open || time >= m->expires_at || m->id != id) return r.code = TALLY_ERR_NO_VALIDATOR_CHANGE, r;
    int slot = model_slot(m, signer);
    if (m->approvals >> slot & 1u) return r.code = TALLY_ERR_ALREADY_APPROVED, r;
    r.created_id = id;
    r.available = model_approve(m, slot);
    return r;
}

/* The state's rules and a tip say what the model says. */
static bool agrees(const set_model *m, const tally_chain_rules *rules, const tally_chain_tip *tip,
                   const test_actor *keys, char *why, size_t why_size) {
    if (rules->validator_count != m->count || tip->validator_count != m->count || rules->retired != m->retired ||
        tip->retired != m->retired || rules->validator_changes != m->changes)
        return snprintf(why, why_size, "roster: %u slots retired %x changes %u, model %u %x %u", rules->validator_count,
                        rules->retired, rules->validator_changes, m->count, m->retired, m->changes),
               false;
    for (int i = 0; i < m->count; i++)
        if (memcmp(rules->validators[i].bytes, keys[m->slot_key[i]].key.bytes, TALLY_KEY_BYTES) != 0 ||
            memcmp(tip->validators[i].bytes, keys[m->slot_key[i]].key.bytes, TALLY_KEY_BYTES) != 0)
            return snprintf(why, why_size, "slot %d holds another key", i), false;
    /* an open change the model has lapsed may still be stored open: compare what counts */
    if (m->open && (!rules->change.open || rules->change.id != m->id || rules->change.approvals != m->approvals ||
                    rules->change.retire != m->retire || rules->change.expires_at != m->expires_at))
        return snprintf(why, why_size, "the open change %u differs", m->id), false;
    return true;
}

static void run(uint64_t seed, uint32_t steps, uint64_t *accepted, uint64_t *refused, uint32_t *changes_applied) {
    uint64_t random = seed;
    test_actor keys[KEYS];
    for (int i = 0; i < KEYS; i++) keys[i] = actor(600 + (uint32_t)i);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &keys[0].key);
    for (int i = 1; i < GENESIS; i++) rules.validators[i] = keys[i].key;
    rules.validator_count = GENESIS;
    set_model m;
    memset(&m, 0, sizeof m);
    m.count = GENESIS;
    for (int i = 0; i < GENESIS; i++) m.slot_key[i] = i;
    tally_block genesis, block;
    tally_block_init(&genesis);
    tally_block_init(&block);
    int64_t time = CHAIN_GENESIS_TIME;
    REQUIRE(tally_genesis_make(keys[0].secret, time, CHAIN_NAME, strlen(CHAIN_NAME), &rules, &genesis, NULL) ==
            TALLY_CHAIN_OK);
    tally_state *builder = NULL, *verifier = NULL;
    tally_chain_tip tip, verifier_tip;
    REQUIRE(tally_genesis_open(&genesis, &builder, &tip, NULL) == TALLY_CHAIN_OK);
    REQUIRE(tally_genesis_open(&genesis, &verifier, &verifier_tip, NULL) == TALLY_CHAIN_OK);
    char why[700];
    bool failed = false;
    for (uint32_t step = 0; step < steps && !failed; step++) {
        time += pick(&random, 4) == 0 ? (int64_t)pick(&random, 3 * 86400) : (int64_t)pick(&random, 60);
        /* the producer: an active validator, or now and then a key that is none */
        int active_keys[KEYS], active_count = 0;
        for (int k = 0; k < KEYS; k++)
            if (model_active(&m, k)) active_keys[active_count++] = k;
        tally_chain_failure failure;
        if (pick(&random, 10) == 0) {
            int stranger = (int)pick(&random, KEYS);
            if (!model_active(&m, stranger)) {
                tally_chain_tip before = tip;
                if (tally_block_build(builder, &tip, keys[stranger].secret, time, NULL, 0, NULL, &block, &failure) !=
                    TALLY_CHAIN_ERR_WRONG_PRODUCER) {
                    snprintf(why, sizeof why, "key %d, no validator, built a block", stranger);
                    failed = true;
                }
                CHECK(memcmp(&before, &tip, sizeof tip) == 0);
            }
        }
        int producer = active_keys[pick(&random, (uint32_t)active_count)];
        uint32_t count = 1 + pick(&random, TXS_MAX);
        tally_tx txs[TXS_MAX];
        tally_result expected[TXS_MAX], got[TXS_MAX];
        uint64_t sequences[KEYS] = {0};
        set_model trial = m;
        for (uint32_t t = 0; t < count; t++) {
            /* mostly validators sign, sometimes a retired one or a stranger */
            int signer = pick(&random, 4) ? active_keys[pick(&random, (uint32_t)active_count)] : (int)pick(&random, KEYS);
            tally_tx *tx = &txs[t];
            memset(tx, 0, sizeof *tx);
            memcpy(tx->chain_id, tip.chain_id, TALLY_CHAIN_ID_BYTES);
            tx->signer = keys[signer].key;
            if (sequences[signer] == 0) sequences[signer] = tally_state_next_sequence(builder, &tx->signer);
            tx->sequence = sequences[signer];
            bool proposal = !trial.open || time >= trial.expires_at || pick(&random, 5) == 0;
            if (proposal) {
                tx->type = TALLY_TX_VALIDATOR_PROPOSE;
                int add[3], add_count = (int)pick(&random, 3);
                for (int i = 0; i < add_count; i++) {
                    add[i] = (int)pick(&random, KEYS); /* sometimes one of the roster, or twice */
                    for (int tries = 0; tries < 8 && pick(&random, 4) && model_slot(&trial, add[i]) >= 0; tries++)
                        add[i] = (int)pick(&random, KEYS); /* mostly a new one */
                    tx->body.validator_propose.add[i] = keys[add[i]].key;
                }
                tx->body.validator_propose.add_count = (uint8_t)add_count;
                uint32_t retire = pick(&random, 3) == 0 ? 1u << pick(&random, 17) : 0;
                if (pick(&random, 8) == 0) retire |= 1u << pick(&random, 17);
                tx->body.validator_propose.retire = retire;
                expected[t] = model_propose(&trial, signer, add, add_count, retire, time);
            } else {
                tx->type = TALLY_TX_VALIDATOR_APPROVE;
                uint32_t id = pick(&random, 6) == 0 ? trial.id + 1 : trial.id;
                tx->body.validator_approve.change_id = id;
                expected[t] = model_approval(&trial, signer, id, time);
            }
            tally_tx_sign(tx, keys[signer].secret);
            if (expected[t].code == TALLY_OK) sequences[signer]++;
        }
        if (failed) break;
        if (tally_block_build(builder, &tip, keys[producer].secret, time, txs, count, got, &block, &failure) !=
            TALLY_CHAIN_OK) {
            snprintf(why, sizeof why, "the block of validator key %d was not built: %s", producer, failure.message);
            failed = true;
            break;
        }
        for (uint32_t t = 0; t < count && !failed; t++) {
            if (got[t].code != expected[t].code || got[t].available != expected[t].available ||
                got[t].created_id != expected[t].created_id) {
                snprintf(why, sizeof why, "tx %u (%s): %s available %lld id %u, the model %s %lld %u", t,
                         tally_tx_type_name(txs[t].type), tally_error_name(got[t].code), (long long)got[t].available,
                         got[t].created_id, tally_error_name(expected[t].code), (long long)expected[t].available,
                         expected[t].created_id);
                failed = true;
            }
            if (got[t].code == TALLY_OK) (*accepted)++;
            else (*refused)++;
        }
        uint32_t before_changes = m.count + (uint32_t)bits(m.retired);
        m = trial;
        if (m.count + (uint32_t)bits(m.retired) != before_changes) (*changes_applied)++;
        if (!failed && tally_block_apply(verifier, &verifier_tip, &block, &failure) != TALLY_CHAIN_OK) {
            snprintf(why, sizeof why, "the verifier refused block %llu: %s", (unsigned long long)block.header.height,
                     failure.message);
            failed = true;
        }
        if (!failed && memcmp(&verifier_tip, &tip, sizeof tip) != 0)
            snprintf(why, sizeof why, "the verifier's tip differs"), failed = true;
        if (!failed) failed = !agrees(&m, tally_state_chain_rules(builder), &tip, keys, why, sizeof why);
        if (!failed && step % 16 == 0) {
            size_t length = tally_state_serialized_size(builder);
            uint8_t *bytes = malloc(length);
            REQUIRE(bytes && tally_state_serialize(builder, bytes, length) == length);
            tally_error error;
            tally_state *loaded = tally_state_deserialize(bytes, length, &error);
            free(bytes);
            uint8_t root[TALLY_HASH_BYTES];
            if (!loaded || !tally_state_hash(loaded, root) || memcmp(root, tip.state_hash, TALLY_HASH_BYTES) != 0)
                snprintf(why, sizeof why, "the snapshot of block %llu reads back to another root",
                         (unsigned long long)tip.height),
                    failed = true;
            tally_state_destroy(loaded);
        }
        if (failed) {
            char what[900];
            snprintf(what, sizeof what, "validator set simulation seed %llu step %u (TALLY_VALIDATORS_SEED=%llu): %s",
                     (unsigned long long)seed, step, (unsigned long long)seed, why);
            test_fail(__FILE__, __LINE__, what);
        }
    }
    tally_block_release(&block);
    tally_block_release(&genesis);
    tally_state_destroy(builder);
    tally_state_destroy(verifier);
}

TEST(simulation_validator_set_changes_through_blocks_match_the_model) {
    /* A roster of 16 slots fills and a chain retires down to one validator within a
     * few hundred blocks, after which nearly everything is refused: many shorter
     * histories see the whole life of a set again and again. */
    const char *seed_text = getenv("TALLY_VALIDATORS_SEED"), *steps_text = getenv("TALLY_VALIDATORS_STEPS");
    uint32_t steps = steps_text && *steps_text ? (uint32_t)strtoul(steps_text, NULL, 10) : 200;
    uint64_t first = 1, seed_count = 24;
    if (seed_text && *seed_text) first = strtoull(seed_text, NULL, 10), seed_count = 1;
    uint64_t accepted = 0, refused = 0;
    uint32_t applied = 0;
    for (uint64_t s = first; s < first + seed_count; s++) run(s, steps, &accepted, &refused, &applied);
    CHECK(accepted > 100);
    CHECK(refused > 100);
    CHECK(applied > 10);
    printf("    validator set: %llu seeds x %u blocks, %llu changes and approvals accepted, %llu refused, %u sets "
           "changed; every block verified against the set in force\n",
           (unsigned long long)seed_count, steps, (unsigned long long)accepted, (unsigned long long)refused, applied);
}
