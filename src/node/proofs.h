/*
 * proofs.h: inclusion proofs served by the node (GET /v1/proofs/..., docs/PROOFS.md).
 * A proof is read under the node's lock against the tip: the record's path in the
 * state commitment and the tip's signed header, both copied out, so a client checks
 * the record with the producer's key alone (tally_chain_proof_check).
 */
#ifndef TALLY_NODE_PROOFS_H
#define TALLY_NODE_PROOFS_H

#include <jansson.h>
#include <stdbool.h>

#include "node/node.h"
#include "tally.h"
#include "tally_chain.h"

/* Which record: a network (network_id), a member (network_id, key), pool shares
 * (network_id, key), an account (key), an asset (asset_id), a holding (asset_id, key). */
typedef enum {
    PROOF_NETWORK,
    PROOF_MEMBER,
    PROOF_SHARES,
    PROOF_ACCOUNT,
    PROOF_ASSET,
    PROOF_HOLDING,
    PROOF_PENDING, /* a pending transfer by id */
    PROOF_REQUEST, /* a payment request by id */
    PROOF_STAKE,   /* a stake by id */
    PROOF_LISTING, /* a marketplace listing by id */
    PROOF_ORDER    /* a marketplace order by id */
} proof_kind;

typedef struct {
    proof_kind kind;
    uint32_t id; /* network or asset id */
    tally_key key;
} proof_request;

typedef struct {
    tally_block_header header;
    tally_state_proof proof;
} node_proof;

/* The proof of the record against the tip. false with an HTTP status and an error
 * code in *status / *code (404 NOT_FOUND for a record that does not exist, 503 when
 * the node failed). */
bool node_prove(node *n, const proof_request *request, node_proof *out, unsigned *status, const char **code);

/* The answer: {"header": hex of the 245 header bytes, "proof": hex of the proof's
 * bytes, "height", "state_hash", "table", "index", "record": the record decoded}. */
json_t *view_proof(const node_proof *proof);

#endif
