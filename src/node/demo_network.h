/*
 * demo_network.h: the demo network a node creates on its first start under
 * `make run` (see demo_network.c).
 */
#ifndef TALLY_DEMO_NETWORK_H
#define TALLY_DEMO_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

#include "node/node.h"

/* The passphrase of the demo's key files: a demo, not a secret. */
#define DEMO_PASSPHRASE "demo-passphrase"

/* Creates the demo's keys in wallet_dir/keys and its network on the running node,
 * waiting for each transaction's commit. false with a reason in `why`. */
bool demo_network_create(node *n, const char *wallet_dir, char *why, size_t why_size);

#endif
