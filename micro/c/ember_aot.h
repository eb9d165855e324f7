/*
 * ember_aot.h — the tables `ember micro build --aot` generates (model_aot.c):
 * tensors with their arena offsets baked in, nodes with their decoded options
 * and scratch offsets, and a straight-line invoke. No flatbuffer on the device.
 */
#ifndef EMBER_AOT_H
#define EMBER_AOT_H
#include "ember_kernel.h"

enum { EMBER_AOT_INT = 0, EMBER_AOT_FLOAT = 1, EMBER_AOT_INTS = 2, EMBER_AOT_STRING = 3 };

typedef struct ember_aot_opt {
    int16_t field;              /* EMBER_<Table>_<field> */
    uint8_t kind;               /* EMBER_AOT_* */
    int32_t n;                  /* vector length */
    int64_t i;
    float f;
    const int32_t *v;
    const char *s;
} ember_aot_opt;

typedef struct ember_aot_opts { int32_t n; const ember_aot_opt *items; } ember_aot_opts;

typedef struct ember_aot_tensor {
    int32_t type, ndim;
    int32_t dims[EMBER_MAX_DIMS];
    const void *data;           /* constant data in flash, or NULL */
    int32_t offset;             /* arena offset, -1 when not in the arena */
    ember_quant q;
    const char *name;
} ember_aot_tensor;

typedef struct ember_aot_node {
    const ember_kernel *kernel;
    int32_t op, version, n_inputs, n_outputs;
    const int32_t *inputs, *outputs;
    int32_t options_type;
    const ember_aot_opts *opts;
    int32_t n_scratch;
    int32_t scratch_offset[EMBER_MAX_SCRATCH];
    uint32_t scratch_bytes[EMBER_MAX_SCRATCH];
} ember_aot_node;

/* Activations (RAM, ember_aot_n_ram of them) are described by ember_aot_tensors;
 * constants by ember_aot_consts, ready-made in flash. ember_aot_slot[i] is
 * tensor i's row: r >= 0 in the RAM table, -1-k for constant k. */
extern const ember_aot_tensor ember_aot_tensors[];
extern const ember_tensor ember_aot_consts[];
extern const int16_t ember_aot_slot[];
extern const int32_t ember_aot_n_ram;
extern const ember_aot_node ember_aot_nodes[];
extern const int32_t ember_aot_n_tensors, ember_aot_n_nodes, ember_aot_n_inputs, ember_aot_n_outputs;
extern const int32_t ember_aot_inputs[], ember_aot_outputs[];
extern const uint32_t ember_aot_arena_bytes;

/* Generated: every node's eval, in order, no lookups. */
ember_status ember_aot_invoke(ember_context *ctx);
/* For the generated code: node i, ready to eval (it also becomes the running
 * node that error messages name). Valid until the next call. */
ember_node *ember_aot_node_at(ember_context *ctx, int32_t i);
#endif
