/*
 * huge_pages.h: asking the kernel to back the node's big lookup tables (the recent
 * statuses and verdicts, the mempool's ring and pending table) with 2 MiB pages.
 * Each admitted transaction looks them up at random places of some 150 MB; with
 * 4 KiB pages nearly every lookup also missed the TLB, which on this VM cost more
 * than the lookup's own cache miss (perf: the status table's probe was a third of
 * the producer's time, on one load). Advice only: where the kernel has no huge
 * pages, or transparent huge pages are off, nothing changes.
 */
#ifndef TALLY_NODE_HUGE_PAGES_H
#define TALLY_NODE_HUGE_PAGES_H

#include <stddef.h>

/* Advises huge pages for the 2 MiB-aligned part of [memory, memory + bytes), memory
 * from calloc or malloc (big ones are fresh mappings, not yet touched). NULL and
 * small ranges are ignored. */
void huge_pages_advise(void *memory, size_t bytes);

#endif
