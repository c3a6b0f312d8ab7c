/*
 * huge_pages.c: see huge_pages.h. madvise(MADV_HUGEPAGE) on the aligned interior
 * of an allocation; its failure is harmless and ignored.
 */
#define _GNU_SOURCE /* MADV_HUGEPAGE */
#include "node/huge_pages.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((uintptr_t)2 << 20)

void huge_pages_advise(void *memory, size_t bytes) {
    if (!memory) return;
    uintptr_t start = ((uintptr_t)memory + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
    uintptr_t end = ((uintptr_t)memory + bytes) & ~(HUGE_PAGE_BYTES - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}
