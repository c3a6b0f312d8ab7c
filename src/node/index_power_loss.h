/*
 * index_power_loss.h: routes the query index's SQLite files through the power-loss
 * model of the file layer (store/power_loss.h). Test builds only: elsewhere the
 * install does nothing and says false.
 */
#ifndef TALLY_NODE_INDEX_POWER_LOSS_H
#define TALLY_NODE_INDEX_POWER_LOSS_H

#include <stdbool.h>

/* Makes a reporting VFS SQLite's default; call once, before any database opens. */
bool index_power_loss_install(void);

#endif
