/*
 * model.h — a verified, read-only view of a .tflite file.
 *
 * ember_model_load verifies the flatbuffer, checks every index, shape and
 * quantisation parameter, and describes it in native structs. Vectors are
 * not copied: constants, quantisation scales and zero points, operator and
 * subgraph indices (and, on devices, shapes) point into the file, unless
 * misaligned for their type or on a big-endian host; then an aligned copy
 * is made and owned by the model.
 */
#ifndef EMBER_MODEL_H
#define EMBER_MODEL_H

#include "ember_kernel.h"
#include "fb.h"

typedef struct ember_sparsity ember_sparsity_def;

/* Vectors of the file are read in place wherever the format lets them be:
 * a flatbuffer vector of 4- or 8-byte scalars is aligned to its element size
 * and stored little-endian, which is what these pointers need. Where a file
 * breaks that (a hand-made buffer, a big-endian host) the loader keeps an
 * aligned copy instead (ember_model.owned), so readers never care. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EMBER_FB_IN_PLACE 1
#else
#define EMBER_FB_IN_PLACE 0
#endif

#ifdef EMBER_MICRO
/* A device build keeps a tensor's description to what the runtime reads
 * (about 50 bytes instead of 124 on a 32-bit core): the shape points into
 * the flatbuffer and the host-only shape signature is left out. */
typedef struct ember_tensor_def {
    int8_t type;                    /* TensorType is a byte in the schema */
    uint8_t ndim;                   /* <= EMBER_MAX_DIMS */
    uint8_t is_variable;
    const int32_t *dims;            /* ndim entries; NULL when ndim is 0 */
    int32_t buffer;                 /* index into model buffers; 0 = none */
    const void *data;               /* constant data (aligned), NULL if none */
    size_t data_size;
    const char *name;
    ember_quant q;
    ember_fb_table table;           /* the Tensor table (sparsity etc.) */
} ember_tensor_def;
#else
typedef struct ember_tensor_def {
    int32_t type;
    int32_t ndim;
    int32_t dims[EMBER_MAX_DIMS];
    int32_t has_signature;
    int32_t dims_signature[EMBER_MAX_DIMS];
    int32_t buffer;                 /* index into model buffers; 0 = none */
    const void *data;               /* constant data (aligned), NULL if none */
    size_t data_size;
    const char *name;
    ember_quant q;                  /* scale/zero_point: in place or in owned */
    uint8_t is_variable;
    ember_fb_table table;           /* the Tensor table (sparsity etc.) */
} ember_tensor_def;
#endif

typedef struct ember_op_def {
    int32_t opcode;                 /* index into model opcodes */
    int32_t n_inputs, n_outputs, n_intermediates;
    const int32_t *inputs, *outputs, *intermediates;   /* in place or in owned */
    int32_t options_type;
    ember_fb_table options;
    const uint8_t *custom_options;
    uint32_t custom_options_size;
} ember_op_def;

typedef struct ember_subgraph_def {
    const char *name;
    int32_t n_tensors, n_inputs, n_outputs, n_ops;
    ember_tensor_def *tensors;
    const int32_t *inputs, *outputs;   /* in place or in owned */
    ember_op_def *ops;
} ember_subgraph_def;

typedef struct ember_opcode_def {
    int32_t builtin;                /* resolved BuiltinOperator */
    int32_t version;
    const char *custom_name;
} ember_opcode_def;

typedef struct ember_sig_tensor { const char *name; int32_t tensor; } ember_sig_tensor;

typedef struct ember_signature_def {
    const char *key;
    int32_t subgraph;
    int32_t n_inputs, n_outputs;
    ember_sig_tensor *inputs, *outputs;
} ember_signature_def;

typedef struct ember_metadata_def { const char *name; const uint8_t *data; size_t size; } ember_metadata_def;

typedef struct ember_model {
    const uint8_t *buf;
    size_t size;
    void *mapping;                  /* mmap'd file, if loaded from a path */
    size_t mapping_size;
    uint32_t version;
    const char *description;
    int32_t n_opcodes, n_subgraphs, n_signatures, n_metadata;
    ember_opcode_def *opcodes;
    ember_subgraph_def *subgraphs;
    ember_signature_def *signatures;
    ember_metadata_def *metadata;
    void **owned;                   /* copies made where a vector could not be read in place */
    int32_t n_owned;
} ember_model;

ember_status ember_model_load(const void *data, size_t size, ember_model **out,
                              char *err, size_t errlen);
#ifdef EMBER_HOST
ember_status ember_model_load_file(const char *path, ember_model **out, char *err, size_t errlen);
#endif
void ember_model_free(ember_model *m);

#endif
