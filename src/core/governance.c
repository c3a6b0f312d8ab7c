/*
 * governance.c: members who govern their network (docs/UNDERWRITING.md section 6,
 * DESIGN.md "Governance"). In a network whose policy says MEMBERS, the changes its
 * operators would otherwise sign (policy, peg, operators, gateways) are proposals: an
 * active member proposes one action, the members active at that moment vote on it
 * (weighted one member one vote, by reputation or by stake), and when the vote ends
 * the chain counts: it passes with quorum (weight cast, of the weight eligible when it
 * was made) and threshold (yes, of yes + no), waits the timelock, and applies the
 * action at block end as the network's governance, with the action's own rules (a
 * refused action is recorded with its code). A vote that brings quorum in the vote's
 * last late_quorum_seconds extends it once; the proposer may cancel before the end.
 * Operators keep only the emergency powers the policy grants (suspension, freezing
 * their side of a gateway).
 *
 * Weights are taken when each vote is cast; the eligible weight (the quorum's base)
 * when the proposal is made, by walking the network's members once.
 */
#include "core/ledger.h"

tally_key governance_key(uint32_t network_id) { return tally_system_key(network_id, TALLY_SYSTEM_GOVERNANCE); }

tally_proposal *ledger_proposal_at(const tally_state *state, uint32_t index) {
    assert(index < state->proposal_count);
    ledger_touch(state, TALLY_TABLE_PROPOSALS, index);
    return &state->proposals[index];
}

const tally_proposal *tally_state_proposal(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->proposal_count ? &state->proposals[id - 1] : NULL;
}

uint32_t tally_state_proposal_count(const tally_state *state) { return state->proposal_count; }

const tally_vote *tally_state_vote(const tally_state *state, uint32_t proposal_id, const tally_key *voter) {
    return ledger_vote_find(state, proposal_id, voter);
}

uint32_t tally_state_vote_count(const tally_state *state) { return state->vote_count; }

const tally_vote *tally_state_vote_at(const tally_state *state, uint32_t index) {
    return index < state->vote_count ? &state->votes[index] : NULL;
}

const char *tally_proposal_status_name(uint8_t status) {
    switch ((tally_proposal_status)status) {
    case TALLY_PROPOSAL_VOTING: return "voting";
    case TALLY_PROPOSAL_PASSED: return "passed";
    case TALLY_PROPOSAL_REJECTED: return "rejected";
    case TALLY_PROPOSAL_CANCELLED: return "cancelled";
    case TALLY_PROPOSAL_EXECUTED: return "executed";
    case TALLY_PROPOSAL_STATUS_COUNT: break;
    }
    return NULL;
}

static bool governed_by_members(const tally_network *network) {
    return network && network->policy.governance.mode == TALLY_GOVERNANCE_MEMBERS;
}

/* ---- who may sign a change directly ---- */

static const tally_network *network_of(const tally_state *state, uint32_t id) { return tally_state_network(state, id); }

tally_error governance_refusal(const tally_state *state, const tally_tx *tx) {
    const tally_network *network = NULL;
    bool emergency = false; /* a power the policy may leave with operators */
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_POLICY_UPDATE: network = network_of(state, tx->body.policy_update.network_id); break;
    case TALLY_TX_PEG_SET: network = network_of(state, tx->body.peg_set.network_id); break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE: network = network_of(state, tx->body.network_key.network_id); break;
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
        network = network_of(state, tx->body.network_key.network_id);
        emergency = network && network->policy.governance.operators_may_suspend;
        break;
    case TALLY_TX_GATEWAY_PROPOSE: network = network_of(state, tx->body.gateway_propose.network_a); break;
    case TALLY_TX_GATEWAY_UPDATE: network = network_of(state, tx->body.gateway_update.network_id); break;
    case TALLY_TX_GATEWAY_FREEZE:
        network = network_of(state, tx->body.gateway_freeze.network_id);
        emergency = network && network->policy.governance.operators_may_freeze;
        break;
    case TALLY_TX_GATEWAY_ACCEPT: {
        const tally_gateway *gateway = tally_state_gateway(state, tx->body.gateway_accept.gateway_id);
        if (gateway) network = network_of(state, gateway->network_b);
        break;
    }
    case TALLY_TX_GATEWAY_CLOSE: {
        /* either side closes: refused only when every side the signer operates is
         * governed by its members */
        const tally_gateway *gateway = tally_state_gateway(state, tx->body.gateway_end.gateway_id);
        if (!gateway) return TALLY_OK;
        const tally_network *a = network_of(state, gateway->network_a), *b = network_of(state, gateway->network_b);
        bool free_a = a && network_is_operator(a, &tx->signer) && !governed_by_members(a);
        bool free_b = b && network_is_operator(b, &tx->signer) && !governed_by_members(b);
        bool operates = (a && network_is_operator(a, &tx->signer)) || (b && network_is_operator(b, &tx->signer));
        return operates && !free_a && !free_b ? TALLY_ERR_GOVERNED_BY_MEMBERS : TALLY_OK;
    }
    default: return TALLY_OK;
    }
    if (!governed_by_members(network) || emergency) return TALLY_OK;
    /* the network's governance itself, executing a proposal, is its operator */
    tally_key governance = governance_key(network->id);
    if (ledger_keys_equal(&tx->signer, &governance)) return TALLY_OK;
    /* only an operator's change is the members' to make: a stranger gets NOT_OPERATOR */
    return network_is_operator(network, &tx->signer) ? TALLY_ERR_GOVERNED_BY_MEMBERS : TALLY_OK;
}

/* ---- actions ---- */

/* The operator transaction an action stands for, signed by the network's governance. */
static tally_tx action_tx(const tally_state *state, uint32_t network_id, const tally_proposal_action *action) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = action->type;
    memcpy(tx.chain_id, state->chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = governance_key(network_id);
    switch ((tally_tx_type)action->type) {
    case TALLY_TX_POLICY_UPDATE: tx.body.policy_update = (tally_tx_policy_update){network_id, action->policy}; break;
    case TALLY_TX_PEG_SET:
        tx.body.peg_set = (tally_tx_peg_set){network_id, action->asset_id, action->peg_reserve_units,
                                             action->peg_credit_units};
        break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE: tx.body.network_key = (tally_tx_network_key){network_id, action->key}; break;
    case TALLY_TX_GATEWAY_PROPOSE:
        tx.body.gateway_propose = (tally_tx_gateway_propose){network_id, action->partner_id, action->terms};
        break;
    case TALLY_TX_GATEWAY_ACCEPT: tx.body.gateway_accept = (tally_tx_gateway_accept){action->gateway_id, action->terms}; break;
    case TALLY_TX_GATEWAY_UPDATE:
        tx.body.gateway_update = (tally_tx_gateway_update){action->gateway_id, network_id, action->terms.side[0]};
        break;
    case TALLY_TX_GATEWAY_FREEZE:
        tx.body.gateway_freeze = (tally_tx_gateway_freeze){action->gateway_id, network_id, action->frozen};
        break;
    case TALLY_TX_GATEWAY_CLOSE: tx.body.gateway_end = (tally_tx_gateway_end){action->gateway_id}; break;
    case TALLY_TX_ORDER_RESOLVE:
        tx.body.order_step = (tally_tx_order_step){.order_id = action->order_id, .amount = action->amount};
        break;
    default: break;
    }
    return tx;
}

/* Whether the action is a kind a proposal may carry, with every field its kind does
 * not use zero: one action, one form. */
bool governance_action_well_formed(const tally_proposal_action *action) {
    tally_proposal_action used;
    memset(&used, 0, sizeof used);
    used.type = action->type;
    switch ((tally_tx_type)action->type) {
    case TALLY_TX_POLICY_UPDATE: used.policy = action->policy; break;
    case TALLY_TX_PEG_SET:
        used.asset_id = action->asset_id;
        used.peg_reserve_units = action->peg_reserve_units;
        used.peg_credit_units = action->peg_credit_units;
        break;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE: used.key = action->key; break;
    case TALLY_TX_GATEWAY_PROPOSE:
        used.partner_id = action->partner_id;
        used.terms = action->terms;
        break;
    case TALLY_TX_GATEWAY_ACCEPT:
        used.gateway_id = action->gateway_id;
        used.terms = action->terms;
        break;
    case TALLY_TX_GATEWAY_UPDATE:
        used.gateway_id = action->gateway_id;
        used.terms.side[0] = action->terms.side[0];
        break;
    case TALLY_TX_GATEWAY_FREEZE:
        used.gateway_id = action->gateway_id;
        used.frozen = action->frozen;
        break;
    case TALLY_TX_GATEWAY_CLOSE: used.gateway_id = action->gateway_id; break;
    case TALLY_TX_ORDER_RESOLVE:
        used.order_id = action->order_id;
        used.amount = action->amount;
        break;
    default: return false;
    }
    /* field by field: the struct's padding is no field */
    return memcmp(&used.policy, &action->policy, sizeof used.policy) == 0 && used.asset_id == action->asset_id &&
           used.peg_reserve_units == action->peg_reserve_units && used.peg_credit_units == action->peg_credit_units &&
           ledger_keys_equal(&used.key, &action->key) && used.gateway_id == action->gateway_id &&
           used.partner_id == action->partner_id && memcmp(&used.terms, &action->terms, sizeof used.terms) == 0 &&
           used.frozen == action->frozen && used.order_id == action->order_id && used.amount == action->amount;
}


/* ---- weights ---- */

static int64_t weight_of(const tally_member *member, uint8_t weighting) {
    switch ((tally_vote_weighting)weighting) {
    case TALLY_WEIGHT_ONE_MEMBER: return 1;
    case TALLY_WEIGHT_REPUTATION: return member->reputation;
    case TALLY_WEIGHT_STAKE: return member->staked_total;
    case TALLY_WEIGHT_COUNT: break;
    }
    return 0;
}

static bool may_vote(const tally_member *member) {
    return member->status == TALLY_MEMBER_ACTIVE && member->system_kind == TALLY_SYSTEM_NONE;
}

/* The weight of every active member of the network now. */
static int64_t eligible_weight(const tally_state *state, const tally_network *network, uint8_t weighting) {
    int64_t total = 0;
    for (uint32_t at = network->first_member; at != 0; at = state->members[at - 1].next_in_network) {
        const tally_member *member = &state->members[at - 1];
        if (may_vote(member)) total = saturating_add(total, weight_of(member, weighting));
    }
    return total;
}

/* ---- transactions ---- */

tally_result governance_propose(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_proposal_create *body = &tx->body.proposal_create;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    tally_member *proposer = ledger_current_member(state, network->id, &tx->signer);
    if (!proposer) return result_error(TALLY_ERR_NOT_MEMBER);
    if (!governed_by_members(network)) return result_error(TALLY_ERR_NOT_GOVERNED_BY_MEMBERS);
    if (proposer->status != TALLY_MEMBER_ACTIVE) return result_error(credit_refusal(proposer));
    if (!governance_action_well_formed(&body->action)) return result_error(TALLY_ERR_BAD_ACTION);
    /* What can be known to fail now is refused now. */
    if (body->action.type == TALLY_TX_POLICY_UPDATE) {
        tally_error bad = policy_validate(&body->action.policy);
        if (bad != TALLY_OK) return result_error(bad);
    }
    if ((body->action.type == TALLY_TX_OPERATOR_ADD || body->action.type == TALLY_TX_OPERATOR_REMOVE ||
         body->action.type == TALLY_TX_MEMBER_SUSPEND || body->action.type == TALLY_TX_MEMBER_REINSTATE) &&
        tally_key_is_system(&body->action.key))
        return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    if (network->proposals_open >= TALLY_PROPOSALS_OPEN_PER_NETWORK_MAX || state->proposal_count >= TALLY_PROPOSALS_MAX)
        return result_error(TALLY_ERR_TOO_MANY_PROPOSALS);
    const tally_governance_rule *rule = &network->policy.governance;
    int64_t ends;
    if (!checked_add(block_time, rule->voting_seconds, &ends)) ends = INT64_MAX;
    uint32_t index = state->proposal_count++;
    tally_proposal *proposal = ledger_proposal_at(state, index);
    memset(proposal, 0, sizeof *proposal);
    proposal->id = index + 1;
    proposal->network_id = network->id;
    proposal->proposer = tx->signer;
    proposal->action = body->action;
    proposal->weighting = rule->weighting;
    proposal->quorum_bps = rule->quorum_bps;
    proposal->threshold_bps = rule->threshold_bps;
    proposal->late_quorum_seconds = rule->late_quorum_seconds;
    proposal->timelock_seconds = rule->timelock_seconds;
    proposal->eligible_join_seq = network->join_count;
    proposal->eligible_weight = eligible_weight(state, network, rule->weighting);
    proposal->created_at = block_time;
    proposal->voting_ends_at = ends;
    proposal->status = TALLY_PROPOSAL_VOTING;
    network->proposals_open++;
    ledger_due_push(state, ends, DUE_PROPOSAL, index);
    tally_result result = result_error(TALLY_OK);
    result.created_id = proposal->id;
    return result;
}

/* The quorum: weight cast at least quorum_bps of the eligible weight (rounded up). */
bool tally_proposal_quorum_reached(const tally_proposal *p) {
    assert(p != NULL);
    __extension__ __int128 cast = (__int128)p->yes + p->no + p->abstain;
    return cast * TALLY_BPS_ONE >= (__int128)p->eligible_weight * p->quorum_bps && cast > 0;
}

bool tally_proposal_threshold_reached(const tally_proposal *p) {
    assert(p != NULL);
    __extension__ __int128 decided = (__int128)p->yes + p->no;
    return p->yes > 0 && (__int128)p->yes * TALLY_BPS_ONE >= decided * p->threshold_bps;
}


/* The open proposal a vote or a cancel names, read only; or why there is none. */
static tally_error voting_proposal(const tally_state *state, uint32_t id, int64_t block_time,
                                   const tally_proposal **out) {
    const tally_proposal *proposal = tally_state_proposal(state, id);
    if (!proposal) return TALLY_ERR_PROPOSAL_NOT_FOUND;
    /* The vote ends at voting_ends_at (its block end counts): from then on, too late. */
    if (proposal->status != TALLY_PROPOSAL_VOTING || block_time >= proposal->voting_ends_at)
        return TALLY_ERR_VOTING_ENDED;
    *out = proposal;
    return TALLY_OK;
}

tally_result governance_vote(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_proposal_vote *body = &tx->body.proposal_vote;
    if (body->choice >= TALLY_VOTE_CHOICE_COUNT) return result_error(TALLY_ERR_DECODE_BAD_VALUE);
    const tally_proposal *read;
    tally_error error = voting_proposal(state, body->proposal_id, block_time, &read);
    if (error != TALLY_OK) return result_error(error);
    const tally_member *voter = ledger_current_member_read(state, read->network_id, &tx->signer);
    if (!voter) return result_error(TALLY_ERR_NOT_MEMBER);
    if (!may_vote(voter) || voter->join_seq > read->eligible_join_seq) return result_error(TALLY_ERR_NOT_ELIGIBLE);
    if (ledger_vote_find(state, read->id, &tx->signer)) return result_error(TALLY_ERR_ALREADY_VOTED);
    if (state->vote_count >= TALLY_VOTES_MAX) return result_error(TALLY_ERR_STATE_FULL);
    int64_t weight = weight_of(voter, read->weighting);
    tally_proposal *proposal = ledger_proposal_at(state, body->proposal_id - 1);
    bool had_quorum = tally_proposal_quorum_reached(proposal);
    int64_t *tally = body->choice == TALLY_VOTE_YES ? &proposal->yes
                     : body->choice == TALLY_VOTE_NO ? &proposal->no
                                                     : &proposal->abstain;
    *tally = saturating_add(*tally, weight);
    proposal->voters++;
    tally_vote *vote = ledger_vote_add(state, proposal->id, &tx->signer);
    vote->choice = body->choice;
    vote->weight = weight;
    /* Quorum reached in the vote's last hours: once, the vote runs longer. */
    if (!had_quorum && tally_proposal_quorum_reached(proposal) && !proposal->extended &&
        proposal->late_quorum_seconds > 0 &&
        block_time >= proposal->voting_ends_at - proposal->late_quorum_seconds) {
        proposal->extended = true;
        if (!checked_add(proposal->voting_ends_at, proposal->late_quorum_seconds, &proposal->voting_ends_at))
            proposal->voting_ends_at = INT64_MAX;
        ledger_due_push(state, proposal->voting_ends_at, DUE_PROPOSAL, proposal->id - 1);
    }
    tally_result result = result_error(TALLY_OK);
    result.available = weight;
    return result;
}

tally_result governance_cancel(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_proposal *read;
    tally_error error = voting_proposal(state, tx->body.proposal_vote.proposal_id, block_time, &read);
    if (error != TALLY_OK) return result_error(error);
    if (tx->body.proposal_vote.choice != 0) return result_error(TALLY_ERR_DECODE_BAD_VALUE);
    if (!ledger_keys_equal(&read->proposer, &tx->signer)) return result_error(TALLY_ERR_NOT_PROPOSER);
    tally_proposal *proposal = ledger_proposal_at(state, read->id - 1);
    proposal->status = TALLY_PROPOSAL_CANCELLED;
    ledger_network(state, proposal->network_id)->proposals_open--;
    return result_error(TALLY_OK);
}

/* ---- the chain's own steps ---- */

static void execute(tally_state *state, tally_proposal *proposal, int64_t block_time, ledger_block_end *end) {
    tally_tx tx = action_tx(state, proposal->network_id, &proposal->action);
    tally_result result;
    /* The action may grow tables (a gateway, its mirror accounts, a due entry): room
     * is made here, at block end, as a transaction would make it. */
    if (!ledger_reserve(state, &tx, true)) result = result_error(TALLY_ERR_STATE_FULL); /* it has no account to make */
    else result = ledger_dispatch(state, &tx, block_time);
    proposal = ledger_proposal_at(state, proposal->id - 1); /* the tables may have moved */
    proposal->status = TALLY_PROPOSAL_EXECUTED;
    proposal->result = (uint16_t)result.code;
    ledger_network(state, proposal->network_id)->proposals_open--;
    ledger_event(end, TALLY_EVENT_PROPOSAL_EXECUTED, proposal->network_id, &proposal->proposer, result.code,
                 proposal->id);
}

bool governance_due(tally_state *state, uint32_t proposal_index, int64_t due_time, int64_t block_time,
                    ledger_block_end *end) {
    const tally_proposal *seen = &state->proposals[proposal_index];
    bool voting_ends = seen->status == TALLY_PROPOSAL_VOTING && seen->voting_ends_at == due_time;
    if (!voting_ends && !(seen->status == TALLY_PROPOSAL_PASSED && seen->executes_at == due_time))
        return false; /* stale: cancelled, or an extension moved its end */
    tally_proposal *proposal = ledger_proposal_at(state, proposal_index);
    if (voting_ends) {
        if (!(tally_proposal_quorum_reached(proposal) && tally_proposal_threshold_reached(proposal))) {
            proposal->status = TALLY_PROPOSAL_REJECTED;
            ledger_network(state, proposal->network_id)->proposals_open--;
            ledger_event(end, TALLY_EVENT_PROPOSAL_REJECTED, proposal->network_id, &proposal->proposer, 0, proposal->id);
            return true;
        }
        proposal->status = TALLY_PROPOSAL_PASSED;
        if (!checked_add(due_time, proposal->timelock_seconds, &proposal->executes_at)) proposal->executes_at = INT64_MAX;
        ledger_event(end, TALLY_EVENT_PROPOSAL_PASSED, proposal->network_id, &proposal->proposer,
                     proposal->executes_at, proposal->id);
        if (proposal->executes_at > block_time) {
            ledger_due_push(state, proposal->executes_at, DUE_PROPOSAL, proposal_index);
            return true;
        }
        /* no timelock left: at once */
    }
    execute(state, proposal, block_time, end);
    return true;
}
