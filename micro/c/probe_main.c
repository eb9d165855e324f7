/*
 * probe_main.c — a host program built from the very sources a device build
 * uses (EMBER_MICRO: reference kernels, the bump allocator), so the memory
 * plan it prints is the one the device will make. Pointer-sized bookkeeping
 * is larger on a 64-bit host, so its "used" figure bounds the device's from
 * above. Prints JSON: arenas, persistent bytes, every planned tensor and
 * every node's scratch buffers with their arena offsets.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "runtime.h"

void ember_pl_init(void *mem, size_t bytes);
size_t ember_pl_used_peak(void);

static void json_str(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: probe MODEL\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", argv[1]); return 2; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = aligned_alloc(16, (size_t)(n + 16));
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read\n"); return 2; }
    fclose(f);
    size_t cap = (size_t)1 << 30;
    void *arena = malloc(cap);
    ember_pl_init(arena, cap);
    char err[512] = "";
    ember_model *m = NULL;
    ember_interp *it = NULL;
    int st = ember_model_load(buf, (size_t)n, &m, err, sizeof err);
    if (st == EMBER_OK) {
        ember_interp_options o = ember_interp_default_options();
        st = ember_interp_create(m, &o, &it);
        if (st == EMBER_OK) st = ember_interp_allocate(it);
        if (st != EMBER_OK) snprintf(err, sizeof err, "%s", it ? ember_interp_error(it) : "out of memory");
    }
    printf("{\"status\": %d, \"error\": ", st);
    json_str(err);
    if (st != EMBER_OK) { printf("}\n"); return 0; }
    printf(", \"used_peak\": %zu, \"persistent\": %zu, \"subgraphs\": [", ember_pl_used_peak(),
           ember_interp_persistent_bytes(it));
    for (int32_t s = 0; s < it->n_subgraphs; s++) {
        ember_context *c = &it->subgraphs[s];
        printf("%s{\"arena\": %zu, \"prepared\": %d, \"tensors\": [", s ? ", " : "", c->arena_size, c->prepared);
        int first = 1;
        for (int32_t t = 0; t < c->n_tensors; t++) {
            ember_tensor *x = &c->tensors[t];
            printf("%s{\"index\": %d, \"mem\": %d, \"bytes\": %zu, \"offset\": %lld, \"ndim\": %d, \"dims\": [",
                   first ? "" : ", ", (int)t, (int)x->mem, x->bytes,
                   x->mem == EMBER_MEM_ARENA ? (long long)((uint8_t *)x->data - c->arena) : -1LL, (int)x->ndim);
            for (int d = 0; d < x->ndim; d++) printf("%s%d", d ? ", " : "", (int)x->dims[d]);
            printf("]}");
            first = 0;
        }
        printf("], \"nodes\": [");
        for (int32_t i = 0; i < c->n_nodes; i++) {
            ember_node *nd = &c->nodes[i];
            printf("%s{\"op\": %d, \"scratch\": [", i ? ", " : "", (int)nd->op);
            for (int k = 0; k < nd->n_scratch; k++)
                printf("%s[%lld, %zu]", k ? ", " : "",
                       nd->scratch[k] ? (long long)((uint8_t *)nd->scratch[k] - c->arena) : -1LL,
                       nd->scratch_bytes[k]);
            printf("]}");
        }
        printf("]}");
    }
    printf("]}\n");
    return 0;
}
