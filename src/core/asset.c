/*
 * asset.c: reserve assets, fully backed tokens (for example USD held by a
 * cooperative bank). The issuer issues when money arrives off-chain and burns from
 * its own holding when paying out; holders transfer them. Holdings are never
 * negative and always sum to issued - burned. System accounts (a pool's reserve)
 * are moved only by the pool's rules, never by a transfer. Creating an asset grows
 * a table every chain shares: it follows the chain's growth rules (a few a day per
 * key, or a validator's approval), and an asset has at most
 * TALLY_HOLDERS_PER_ASSET_MAX holders.
 */
#include "core/ledger.h"

#include <string.h>

/* The asset, marked for the commitment (its caller may change it). */
static tally_asset *find_asset(tally_state *state, uint32_t asset_id) {
    if (asset_id == 0 || asset_id > state->asset_count) return NULL;
    ledger_touch(state, TALLY_TABLE_ASSETS, asset_id - 1);
    return &state->assets[asset_id - 1];
}

tally_result asset_create(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_asset_create *body = &tx->body.asset_create;
    if (!text_is_code(&body->code)) return result_error(TALLY_ERR_BAD_CODE);
    if (!text_is_name(&body->name)) return result_error(TALLY_ERR_BAD_NAME);
    if (body->decimals > TALLY_DECIMALS_MAX) return result_error(TALLY_ERR_BAD_DECIMALS);
    tally_error growth = ledger_growth_check(state, &tx->signer, false, block_time);
    if (growth != TALLY_OK) return result_error(growth);
    if (state->asset_count >= TALLY_ASSETS_MAX) return result_error(TALLY_ERR_STATE_FULL);
    ledger_growth_use(state, &tx->signer, false, block_time);
    tally_asset *asset = &state->assets[state->asset_count];
    ledger_touch(state, TALLY_TABLE_ASSETS, state->asset_count);
    memset(asset, 0, sizeof *asset);
    asset->id = state->asset_count + 1;
    asset->issuer = tx->signer;
    memcpy(asset->code, body->code.bytes, body->code.length);
    memcpy(asset->name, body->name.bytes, body->name.length);
    asset->decimals = body->decimals;
    state->asset_count++;
    tally_result result = result_error(TALLY_OK);
    result.created_id = asset->id;
    return result;
}

static bool is_issuer(const tally_asset *asset, const tally_key *key) {
    return memcmp(asset->issuer.bytes, key->bytes, TALLY_KEY_BYTES) == 0;
}

tally_result asset_issue(tally_state *state, const tally_tx *tx) {
    const tally_tx_asset_move *body = &tx->body.asset_move;
    tally_asset *asset = find_asset(state, body->asset_id);
    if (!asset) return result_error(TALLY_ERR_UNKNOWN_ASSET);
    if (!is_issuer(asset, &tx->signer)) return result_error(TALLY_ERR_NOT_ISSUER);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (tally_key_is_system(&body->to)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    int64_t issued;
    if (!checked_add(asset->issued, body->amount, &issued)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (!ledger_holding_fits(state, asset->id, &body->to)) return result_error(TALLY_ERR_HOLDERS_FULL);
    /* Holdings never exceed issued - burned, so the holder's sum cannot overflow. */
    ledger_holding *holding = ledger_holding_get(state, asset->id, &body->to);
    holding->amount += body->amount;
    asset->issued = issued;
    return result_error(TALLY_OK);
}

tally_result asset_transfer(tally_state *state, const tally_tx *tx) {
    const tally_tx_asset_move *body = &tx->body.asset_move;
    tally_asset *asset = find_asset(state, body->asset_id);
    if (!asset) return result_error(TALLY_ERR_UNKNOWN_ASSET);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (tally_key_is_system(&body->to)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    if (memcmp(body->to.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0)
        return result_error(TALLY_ERR_SELF_TRANSFER);
    ledger_holding *from = ledger_holding_find(state, asset->id, &tx->signer);
    if (!from || from->amount < body->amount) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_ASSET);
        refused.available = from ? from->amount : 0;
        return refused;
    }
    if (!ledger_holding_fits(state, asset->id, &body->to)) return result_error(TALLY_ERR_HOLDERS_FULL);
    ledger_holding *to = ledger_holding_get(state, asset->id, &body->to);
    /* ledger_holding_get may append but never moves entries: room was reserved. */
    from->amount -= body->amount;
    to->amount += body->amount;
    return result_error(TALLY_OK);
}

tally_result asset_burn(tally_state *state, const tally_tx *tx) {
    const tally_tx_asset_burn *body = &tx->body.asset_burn;
    tally_asset *asset = find_asset(state, body->asset_id);
    if (!asset) return result_error(TALLY_ERR_UNKNOWN_ASSET);
    if (!is_issuer(asset, &tx->signer)) return result_error(TALLY_ERR_NOT_ISSUER);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    ledger_holding *holding = ledger_holding_find(state, asset->id, &tx->signer);
    if (!holding || holding->amount < body->amount) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_ASSET);
        refused.available = holding ? holding->amount : 0;
        return refused;
    }
    holding->amount -= body->amount;
    asset->burned += body->amount;
    return result_error(TALLY_OK);
}
