/* planner.c — greedy-by-size arena planning (see planner.h). */
#include "planner.h"

static size_t round_up(size_t x) { return (x + EMBER_ARENA_ALIGN - 1) & ~(size_t)(EMBER_ARENA_ALIGN - 1); }

size_t ember_plan(ember_plan_buffer *bufs, int32_t n, int32_t *order) {
    /* insertion sort by size, descending (ties: earlier first use first) */
    for (int32_t i = 0; i < n; i++) {
        int32_t j = i, b = i;
        while (j > 0) {
            const ember_plan_buffer *p = &bufs[order[j - 1]], *q = &bufs[b];
            if (p->size > q->size || (p->size == q->size && p->first <= q->first)) break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = b;
    }
    size_t arena = 0;
    for (int32_t k = 0; k < n; k++) {
        ember_plan_buffer *b = &bufs[order[k]];
        size_t need = round_up(b->size), offset = 0;
        /* Try candidate offsets: 0 and the end of every placed, overlapping
         * buffer; take the lowest that collides with nothing. */
        for (;;) {
            size_t bump = 0;
            for (int32_t m = 0; m < k; m++) {
                const ember_plan_buffer *o = &bufs[order[m]];
                if (o->last < b->first || o->first > b->last) continue;
                size_t oend = o->offset + round_up(o->size);
                if (offset < oend && o->offset < offset + need && oend > bump) bump = oend;
            }
            if (!bump) break;
            offset = bump;
        }
        b->offset = offset;
        if (offset + need > arena) arena = offset + need;
    }
    return arena;
}
