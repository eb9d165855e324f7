/* model.c — load and check a .tflite flatbuffer into native descriptions. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "platform.h"

#ifdef EMBER_HOST
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

typedef struct loader {
    ember_model *m;
    char *err;
    size_t errlen;
} loader;

static ember_status bad(loader *L, const char *fmt, ...) {
    if (L->err && L->errlen) {
        int n = ember_pl_snprintf(L->err, L->errlen, "malformed model: ");
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < L->errlen) ember_pl_vsnprintf(L->err + n, L->errlen - n, fmt, ap);
        va_end(ap);
    }
    return EMBER_ERR_MODEL;
}

static void *zalloc(size_t n, size_t size) { return ember_pl_calloc(n ? n : 1, size ? size : 1); }

/* Records a block the model owns (freed with it); returns it, or NULL (and
 * frees it) when even the record cannot be grown. */
static void *own(loader *L, void *p) {
    ember_model *m = L->m;
    if (!p) return NULL;
    void **grown = ember_pl_realloc(m->owned, (size_t)(m->n_owned + 1) * sizeof *grown);
    if (!grown) { ember_pl_free(p); return NULL; }
    m->owned = grown;
    m->owned[m->n_owned++] = p;
    return p;
}

/* The elements of a verified vector of `width`-byte scalars as a native
 * array, when the file's bytes already are one (little-endian host, element
 * aligned); NULL otherwise, and the caller copies. */
static const void *in_place(const fb_vec *v, uint32_t width) {
    if (!EMBER_FB_IN_PLACE || !v->len) return NULL;
    const uint8_t *p = v->buf + v->pos;
    return ((uintptr_t)p % width == 0) ? (const void *)p : NULL;
}

/* Reads an int vector into a fresh int32 array, checking each value is in
 * [lo, hi). Returns NULL and sets *st when out of memory or out of range. */
/* Checks an int vector's values are in [lo, hi) and returns them as int32s:
 * the file's own bytes where possible (no copy), else an owned copy. An empty
 * vector gives NULL with *count 0. Sets *st when out of memory or range. */
static const int32_t *read_indices(loader *L, const ember_fb_table *t, int field, int32_t *count,
                                   int32_t lo, int32_t hi, const char *what, ember_status *st) {
    fb_vec v = fb_vector(t, field, 4);
    *count = (int32_t)v.len;
    if (v.len > INT32_MAX / 4) { *st = bad(L, "%s: too many entries", what); return NULL; }
    for (uint32_t i = 0; i < v.len; i++) {
        int32_t x = (int32_t)fb_vec_int(&v, i, 4, 1);
        if (x < lo || x >= hi) {
            *st = bad(L, "%s[%u] = %d is out of range [%d, %d)", what, i, (int)x, (int)lo, (int)hi);
            return NULL;
        }
    }
    if (!v.len) return NULL;
    const int32_t *direct = in_place(&v, 4);
    if (direct) return direct;
    int32_t *out = own(L, zalloc(v.len, sizeof *out));
    if (!out) { *st = EMBER_ERR_NOMEM; return NULL; }
    for (uint32_t i = 0; i < v.len; i++) out[i] = (int32_t)fb_vec_int(&v, i, 4, 1);
    return out;
}

static size_t align_for(int32_t type) {
    size_t s = ember_type_size(type);
    return s == 0 ? 1 : (s > 8 ? 8 : s);
}

static ember_status load_buffer(loader *L, int32_t index, const void **data, size_t *size) {
    ember_model *m = L->m;
    ember_fb_table root = fb_root(m->buf, m->size);
    fb_vec buffers = fb_vector(&root, EMBER_Model_buffers, 4);
    *data = NULL;
    *size = 0;
    if (index == 0 && buffers.len == 0) return EMBER_OK;
    if (index < 0 || (uint32_t)index >= buffers.len)
        return bad(L, "buffer index %d out of range (%u buffers)", (int)index, buffers.len);
    ember_fb_table b = fb_vec_table(&buffers, (uint32_t)index);
    fb_vec bytes = fb_vector(&b, EMBER_Buffer_data, 1);
    uint64_t off = (uint64_t)fb_int(&b, EMBER_Buffer_offset, 8, 0, 0);
    uint64_t len = (uint64_t)fb_int(&b, EMBER_Buffer_size, 8, 0, 0);
    if (off > 1) {
        /* External data appended after the flatbuffer (large models). */
        if (off > m->size || len > m->size - off)
            return bad(L, "buffer %d: offset %llu + size %llu exceeds the file (%zu bytes)",
                       (int)index, (unsigned long long)off, (unsigned long long)len, m->size);
        *data = m->buf + off;
        *size = (size_t)len;
    } else if (bytes.len) {
        *data = m->buf + bytes.pos;
        *size = bytes.len;
    }
    return EMBER_OK;
}

static ember_status load_quant(loader *L, ember_tensor_def *td, const ember_fb_table *qt,
                               const char *tname) {
    fb_vec sc = fb_vector(qt, EMBER_QuantizationParameters_scale, 4);
    fb_vec zp = fb_vector(qt, EMBER_QuantizationParameters_zero_point, 8);
    if (sc.len == 0) return EMBER_OK;
    if (zp.len != 0 && zp.len != sc.len)
        return bad(L, "tensor '%s': %u scales but %u zero points", tname, sc.len, zp.len);
    int64_t qd = fb_int(qt, EMBER_QuantizationParameters_quantized_dimension, 4, 1, 0);
    if (sc.len > 1) {
        if (qd < 0 || qd >= td->ndim)
            return bad(L, "tensor '%s': quantized_dimension %lld outside rank %d", tname,
                       (long long)qd, (int)td->ndim);
        if ((uint32_t)td->dims[qd] != sc.len)
            return bad(L, "tensor '%s': %u scales for dimension %lld of size %d", tname, sc.len,
                       (long long)qd, (int)td->dims[qd]);
    }
    for (uint32_t i = 0; i < sc.len; i++) {
        float s = fb_vec_f32(&sc, i);
        int64_t z = zp.len ? fb_vec_int(&zp, i, 8, 1) : 0;
        if (!(s >= 0.0f) || s > 3.0e38f)      /* also rejects NaN */
            return bad(L, "tensor '%s': scale[%u] is not a finite non-negative number", tname, i);
        if (z < INT32_MIN || z > INT32_MAX)   /* TFLite keeps zero points as int32 */
            return bad(L, "tensor '%s': zero_point[%u] = %lld is out of int32 range", tname, i,
                       (long long)z);
    }
    /* Per-channel parameters are the bulk of a quantised model's description
     * (12 bytes a channel): read them where they lie in the file. */
    const float *s = in_place(&sc, 4);
    const int64_t *z = zp.len ? in_place(&zp, 8) : NULL;
    if (!s) {
        float *copy = own(L, zalloc(sc.len, sizeof *copy));
        if (!copy) return EMBER_ERR_NOMEM;
        for (uint32_t i = 0; i < sc.len; i++) copy[i] = fb_vec_f32(&sc, i);
        s = copy;
    }
    if (!z) {   /* absent (all zero) or not readable in place */
        int64_t *copy = own(L, zalloc(sc.len, sizeof *copy));
        if (!copy) return EMBER_ERR_NOMEM;
        for (uint32_t i = 0; i < sc.len; i++) copy[i] = zp.len ? fb_vec_int(&zp, i, 8, 1) : 0;
        z = copy;
    }
    td->q.count = (int32_t)sc.len;
    td->q.scale = s;
    td->q.zero_point = z;
    td->q.quantized_dimension = (int32_t)qd;
    return EMBER_OK;
}

static ember_status keep_aligned_copy(loader *L, ember_tensor_def *td) {
    void *copy = NULL;
    if (ember_pl_aligned(&copy, 16, td->data_size ? td->data_size : 1) != 0) return EMBER_ERR_NOMEM;
    if (!own(L, copy)) return EMBER_ERR_NOMEM;
    memcpy(copy, td->data, td->data_size);
    td->data = copy;
    return EMBER_OK;
}

static ember_status load_tensor(loader *L, ember_tensor_def *td, const ember_fb_table *t,
                                int32_t index) {
    uint32_t nlen = 0;
    td->table = *t;
    td->name = fb_string(t, EMBER_Tensor_name, &nlen);
    if (!td->name) td->name = "";
    td->type = (int8_t)fb_int(t, EMBER_Tensor_type, 1, 1, 0);
    td->is_variable = (uint8_t)(fb_int(t, EMBER_Tensor_is_variable, 1, 0, 0) != 0);
    fb_vec shape = fb_vector(t, EMBER_Tensor_shape, 4);
    if (shape.len > EMBER_MAX_DIMS)
        return bad(L, "tensor %d '%s' has %u dimensions (at most %d)", (int)index, td->name,
                   shape.len, EMBER_MAX_DIMS);
    td->ndim = (uint8_t)shape.len;
#ifdef EMBER_MICRO
    td->dims = in_place(&shape, 4);
    if (!td->dims && shape.len) {
        int32_t *copy = own(L, zalloc(shape.len, sizeof *copy));
        if (!copy) return EMBER_ERR_NOMEM;
        for (uint32_t i = 0; i < shape.len; i++) copy[i] = (int32_t)fb_vec_int(&shape, i, 4, 1);
        td->dims = copy;
    }
#endif
    uint64_t count = 1;
    int too_big = 0, has_zero = 0;
    for (uint32_t i = 0; i < shape.len; i++) {
        int64_t d = fb_vec_int(&shape, i, 4, 1);
        if (d < 0)
            return bad(L, "tensor %d '%s' has negative dimension %lld", (int)index, td->name,
                       (long long)d);
#ifndef EMBER_MICRO
        td->dims[i] = (int32_t)d;
#endif
        /* checked before multiplying: count <= 2^40 times d < 2^31 can wrap a
         * uint64 (e.g. [2^20, 2^20, 2^24] -> 0). A zero anywhere: empty. */
        if (d == 0) has_zero = 1;
        else if (!too_big && count > ((uint64_t)1 << 40) / (uint64_t)d) too_big = 1;
        else if (!too_big) count *= (uint64_t)d;
    }
    if (has_zero) count = 0;
    else if (too_big)
        return bad(L, "tensor %d '%s' has too many elements", (int)index, td->name);
    fb_vec sig = fb_vector(t, EMBER_Tensor_shape_signature, 4);
    if (sig.len) {
        if (sig.len != shape.len)
            return bad(L, "tensor %d '%s': shape_signature rank %u != shape rank %u", (int)index,
                       td->name, sig.len, shape.len);
#ifndef EMBER_MICRO     /* only the host's API reports it */
        td->has_signature = 1;
        for (uint32_t i = 0; i < sig.len; i++) td->dims_signature[i] = (int32_t)fb_vec_int(&sig, i, 4, 1);
#endif
    }
    ember_fb_table qt = fb_table(t, EMBER_Tensor_quantization);
    if (qt.pos) EMBER_CHECK(load_quant(L, td, &qt, td->name));

    td->buffer = (int32_t)fb_int(t, EMBER_Tensor_buffer, 4, 0, 0);
    if (td->buffer < 0) return bad(L, "tensor %d '%s': buffer index too large", (int)index, td->name);
    EMBER_CHECK(load_buffer(L, td->buffer, &td->data, &td->data_size));
    if (td->data && td->data_size == 0) td->data = NULL;
    if (!td->data) return EMBER_OK;
    int sparse = fb_has(t, EMBER_Tensor_sparsity);
    size_t esize = ember_type_size(td->type);
    if (!sparse && esize && td->type != EMBER_TensorType_STRING) {
        uint64_t want = count * esize;
        if (want != td->data_size)
            return bad(L, "tensor %d '%s': buffer holds %zu bytes, shape and type need %llu",
                       (int)index, td->name, td->data_size, (unsigned long long)want);
    }
    if (((uintptr_t)td->data) % align_for(td->type) != 0) EMBER_CHECK(keep_aligned_copy(L, td));
    return EMBER_OK;
}

static ember_status load_op(loader *L, ember_subgraph_def *sg, ember_op_def *op,
                            const ember_fb_table *t, int32_t index) {
    ember_status st = EMBER_OK;
    char what[64];
    int64_t opcode = fb_int(t, EMBER_Operator_opcode_index, 4, 0, 0);
    if (opcode >= L->m->n_opcodes)
        return bad(L, "subgraph '%s' node %d: opcode_index %lld out of range (%d opcodes)",
                   sg->name, (int)index, (long long)opcode, (int)L->m->n_opcodes);
    op->opcode = (int32_t)opcode;
    ember_pl_snprintf(what, sizeof what, "node %d inputs", (int)index);
    op->inputs = read_indices(L, t, EMBER_Operator_inputs, &op->n_inputs, -1, sg->n_tensors, what, &st);
    if (st) return st;
    ember_pl_snprintf(what, sizeof what, "node %d outputs", (int)index);
    op->outputs = read_indices(L, t, EMBER_Operator_outputs, &op->n_outputs, 0, sg->n_tensors, what, &st);
    if (st) return st;
    ember_pl_snprintf(what, sizeof what, "node %d intermediates", (int)index);
    op->intermediates = read_indices(L, t, EMBER_Operator_intermediates, &op->n_intermediates, -1,
                                     sg->n_tensors, what, &st);
    if (st) return st;
    for (int32_t o = 0; o < op->n_outputs; o++) {
        int32_t ti = op->outputs[o];
        if (sg->tensors[ti].data)
            return bad(L, "node %d writes constant tensor %d '%s'", (int)index, (int)ti,
                       sg->tensors[ti].name);
        for (int32_t i = 0; i < op->n_inputs; i++)
            if (op->inputs[i] == ti)
                return bad(L, "node %d: tensor %d '%s' is both an input and an output", (int)index,
                           (int)ti, sg->tensors[ti].name);
        for (int32_t j = 0; j < o; j++)
            if (op->outputs[j] == ti)
                return bad(L, "node %d: tensor %d is listed twice as an output", (int)index, (int)ti);
    }
    op->options_type = (int32_t)fb_int(t, EMBER_Operator_builtin_options_type, 1, 0, 0);
    op->options = fb_table(t, EMBER_Operator_builtin_options);
    if (!op->options.pos) op->options_type = 0;
    fb_vec co = fb_vector(t, EMBER_Operator_custom_options, 1);
    if (co.len) {
        op->custom_options = co.buf + co.pos;
        op->custom_options_size = co.len;
    }
    uint64_t loff = (uint64_t)fb_int(t, EMBER_Operator_large_custom_options_offset, 8, 0, 0);
    uint64_t lsize = (uint64_t)fb_int(t, EMBER_Operator_large_custom_options_size, 8, 0, 0);
    if (loff > 1) {
        if (loff > L->m->size || lsize > L->m->size - loff || lsize > UINT32_MAX)
            return bad(L, "node %d: large custom options exceed the file", (int)index);
        op->custom_options = L->m->buf + loff;
        op->custom_options_size = (uint32_t)lsize;
    }
    return EMBER_OK;
}

/* Every tensor a node reads must hold data by then: a constant, a subgraph
 * input, a variable, or an output of an earlier node. Anything else would be
 * read uninitialised (e.g. CONV weights or a RESHAPE shape with no buffer). */
static ember_status check_dataflow(loader *L, ember_subgraph_def *sg) {
    uint8_t *ready = zalloc((size_t)sg->n_tensors, 1);
    if (!ready) return EMBER_ERR_NOMEM;
    for (int32_t t = 0; t < sg->n_tensors; t++) {
        const ember_tensor_def *td = &sg->tensors[t];
        int empty = 0;
        for (int32_t d = 0; d < td->ndim; d++) empty |= td->dims[d] == 0;
        ready[t] = td->data || td->is_variable || empty;
    }
    for (int32_t i = 0; i < sg->n_inputs; i++) ready[sg->inputs[i]] = 1;
    ember_status st = EMBER_OK;
    for (int32_t n = 0; n < sg->n_ops && st == EMBER_OK; n++) {
        const ember_op_def *op = &sg->ops[n];
        for (int32_t k = 0; k < op->n_inputs; k++) {
            int32_t t = op->inputs[k];
            if (t >= 0 && !ready[t]) {
                st = bad(L, "subgraph '%s' node %d input %d: tensor %d '%s' is read but never "
                         "written (not a constant, subgraph input, variable or output of an "
                         "earlier node)", sg->name, (int)n, (int)k, (int)t, sg->tensors[t].name);
                break;
            }
        }
        for (int32_t k = 0; k < op->n_outputs; k++) ready[op->outputs[k]] = 1;
    }
    for (int32_t i = 0; i < sg->n_outputs && st == EMBER_OK; i++) {
        int32_t t = sg->outputs[i];
        if (!ready[t])
            st = bad(L, "subgraph '%s' output %d: tensor %d '%s' is never written", sg->name,
                     (int)i, (int)t, sg->tensors[t].name);
    }
    ember_pl_free(ready);
    return st;
}

static ember_status load_subgraph(loader *L, ember_subgraph_def *sg, const ember_fb_table *t,
                                  int32_t index) {
    ember_status st = EMBER_OK;
    sg->name = fb_string(t, EMBER_SubGraph_name, NULL);
    if (!sg->name) sg->name = index == 0 ? "main" : "";
    fb_vec tensors = fb_vector(t, EMBER_SubGraph_tensors, 4);
    if (tensors.len > (1u << 24)) return bad(L, "subgraph %d: too many tensors", (int)index);
    sg->n_tensors = (int32_t)tensors.len;
    sg->tensors = zalloc(tensors.len, sizeof *sg->tensors);
    if (!sg->tensors) return EMBER_ERR_NOMEM;
    for (uint32_t i = 0; i < tensors.len; i++) {
        ember_fb_table tt = fb_vec_table(&tensors, i);
        EMBER_CHECK(load_tensor(L, &sg->tensors[i], &tt, (int32_t)i));
    }
    sg->inputs = read_indices(L, t, EMBER_SubGraph_inputs, &sg->n_inputs, 0, sg->n_tensors,
                              "subgraph inputs", &st);
    if (st) return st;
    sg->outputs = read_indices(L, t, EMBER_SubGraph_outputs, &sg->n_outputs, 0, sg->n_tensors,
                               "subgraph outputs", &st);
    if (st) return st;
    fb_vec ops = fb_vector(t, EMBER_SubGraph_operators, 4);
    if (ops.len > (1u << 24)) return bad(L, "subgraph %d: too many operators", (int)index);
    sg->n_ops = (int32_t)ops.len;
    sg->ops = zalloc(ops.len, sizeof *sg->ops);
    if (!sg->ops) return EMBER_ERR_NOMEM;
    for (uint32_t i = 0; i < ops.len; i++) {
        ember_fb_table ot = fb_vec_table(&ops, i);
        EMBER_CHECK(load_op(L, sg, &sg->ops[i], &ot, (int32_t)i));
    }
    return check_dataflow(L, sg);
}

static ember_status load_opcodes(loader *L, const ember_fb_table *root) {
    ember_model *m = L->m;
    fb_vec codes = fb_vector(root, EMBER_Model_operator_codes, 4);
    m->n_opcodes = (int32_t)codes.len;
    m->opcodes = zalloc(codes.len, sizeof *m->opcodes);
    if (!m->opcodes) return EMBER_ERR_NOMEM;
    for (uint32_t i = 0; i < codes.len; i++) {
        ember_fb_table c = fb_vec_table(&codes, i);
        int64_t dep = fb_int(&c, EMBER_OperatorCode_deprecated_builtin_code, 1, 1, 0);
        int64_t code = fb_int(&c, EMBER_OperatorCode_builtin_code, 4, 1, 0);
        /* Files from before builtin_code existed carry only the deprecated byte;
         * newer ones set the deprecated byte to 127 for codes beyond it. */
        int64_t op = code > dep ? code : dep;
        if (op < 0) return bad(L, "operator code %u is negative", i);
        m->opcodes[i].builtin = (int32_t)op;
        m->opcodes[i].version = (int32_t)fb_int(&c, EMBER_OperatorCode_version, 4, 1, 1);
        m->opcodes[i].custom_name = fb_string(&c, EMBER_OperatorCode_custom_code, NULL);
        if (op == EMBER_BuiltinOperator_CUSTOM && !m->opcodes[i].custom_name)
            return bad(L, "custom operator code %u has no name", i);
    }
    return EMBER_OK;
}

static ember_status load_signatures(loader *L, const ember_fb_table *root) {
    ember_model *m = L->m;
    fb_vec sigs = fb_vector(root, EMBER_Model_signature_defs, 4);
    m->n_signatures = (int32_t)sigs.len;
    m->signatures = zalloc(sigs.len, sizeof *m->signatures);
    if (!m->signatures) return EMBER_ERR_NOMEM;
    for (uint32_t i = 0; i < sigs.len; i++) {
        ember_fb_table s = fb_vec_table(&sigs, i);
        ember_signature_def *sd = &m->signatures[i];
        sd->key = fb_string(&s, EMBER_SignatureDef_signature_key, NULL);
        if (!sd->key) sd->key = "";
        int64_t sg = fb_int(&s, EMBER_SignatureDef_subgraph_index, 4, 0, 0);
        if (sg >= m->n_subgraphs) return bad(L, "signature '%s': subgraph %lld out of range", sd->key, (long long)sg);
        sd->subgraph = (int32_t)sg;
        int32_t nt = m->subgraphs[sg].n_tensors;
        for (int io = 0; io < 2; io++) {
            fb_vec maps = fb_vector(&s, io ? EMBER_SignatureDef_outputs : EMBER_SignatureDef_inputs, 4);
            ember_sig_tensor *arr = zalloc(maps.len, sizeof *arr);
            if (!arr) return EMBER_ERR_NOMEM;
            if (io) { sd->outputs = arr; sd->n_outputs = (int32_t)maps.len; }
            else { sd->inputs = arr; sd->n_inputs = (int32_t)maps.len; }
            for (uint32_t k = 0; k < maps.len; k++) {
                ember_fb_table tm = fb_vec_table(&maps, k);
                arr[k].name = fb_string(&tm, EMBER_TensorMap_name, NULL);
                if (!arr[k].name) arr[k].name = "";
                int64_t ti = fb_int(&tm, EMBER_TensorMap_tensor_index, 4, 0, 0);
                if (ti >= nt) return bad(L, "signature '%s': tensor %lld out of range", sd->key, (long long)ti);
                arr[k].tensor = (int32_t)ti;
            }
        }
    }
    return EMBER_OK;
}

static ember_status load_metadata(loader *L, const ember_fb_table *root) {
    ember_model *m = L->m;
    fb_vec md = fb_vector(root, EMBER_Model_metadata, 4);
    m->n_metadata = (int32_t)md.len;
    m->metadata = zalloc(md.len, sizeof *m->metadata);
    if (!m->metadata) return EMBER_ERR_NOMEM;
    for (uint32_t i = 0; i < md.len; i++) {
        ember_fb_table e = fb_vec_table(&md, i);
        m->metadata[i].name = fb_string(&e, EMBER_Metadata_name, NULL);
        if (!m->metadata[i].name) m->metadata[i].name = "";
        const void *data;
        size_t size;
        EMBER_CHECK(load_buffer(L, (int32_t)fb_int(&e, EMBER_Metadata_buffer, 4, 0, 0), &data, &size));
        m->metadata[i].data = data;
        m->metadata[i].size = size;
    }
    return EMBER_OK;
}

static ember_status load_all(loader *L) {
    ember_model *m = L->m;
    if (m->size < 8) return bad(L, "file is %zu bytes, too small to be a TFLite model", m->size);
    if (memcmp(m->buf + 4, "TFL3", 4) != 0)
        return bad(L, "no TFL3 identifier: not a TFLite flatbuffer");
    ember_fb_table root = fb_root(m->buf, m->size);
#ifndef EMBER_NO_VERIFY
    /* EMBER_NO_VERIFY: trusted firmware whose model was verified at build
     * time may drop the verifier (its code size is in ember micro's report);
     * the accessors still bounds-check every read. */
    if (!ember_fb_verify(&root, EMBER_FB_TABLE_Model, L->err, L->errlen)) return EMBER_ERR_MODEL;
#endif
    m->version = (uint32_t)fb_int(&root, EMBER_Model_version, 4, 0, 0);
    if (m->version != 3) return bad(L, "schema version %u (Ember reads version 3)", m->version);
    m->description = fb_string(&root, EMBER_Model_description, NULL);
    EMBER_CHECK(load_opcodes(L, &root));
    fb_vec sgs = fb_vector(&root, EMBER_Model_subgraphs, 4);
    if (sgs.len == 0) return bad(L, "model has no subgraphs");
    m->n_subgraphs = (int32_t)sgs.len;
    m->subgraphs = zalloc(sgs.len, sizeof *m->subgraphs);
    if (!m->subgraphs) return EMBER_ERR_NOMEM;
    for (uint32_t i = 0; i < sgs.len; i++) {
        ember_fb_table st = fb_vec_table(&sgs, i);
        EMBER_CHECK(load_subgraph(L, &m->subgraphs[i], &st, (int32_t)i));
    }
    EMBER_CHECK(load_signatures(L, &root));
    return load_metadata(L, &root);
}

ember_status ember_model_load(const void *data, size_t size, ember_model **out, char *err,
                              size_t errlen) {
    *out = NULL;
    if (err && errlen) err[0] = 0;
    ember_model *m = zalloc(1, sizeof *m);
    if (!m) return EMBER_ERR_NOMEM;
    m->buf = data;
    m->size = size;
    loader L = { m, err, errlen };
    ember_status st = data ? load_all(&L) : bad(&L, "no data");
    if (st != EMBER_OK) {
        if (st == EMBER_ERR_NOMEM && err && errlen) ember_pl_snprintf(err, errlen, "out of memory loading model");
        ember_model_free(m);
        return st;
    }
    *out = m;
    return EMBER_OK;
}

#ifdef EMBER_HOST
ember_status ember_model_load_file(const char *path, ember_model **out, char *err, size_t errlen) {
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) { ember_pl_snprintf(err, errlen, "cannot open model file '%s'", path); return EMBER_ERR_ARG; }
    struct stat stt;
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        close(fd);
        ember_pl_snprintf(err, errlen, "'%s' is not a regular file", path);
        return EMBER_ERR_ARG;
    }
    size_t size = (size_t)stt.st_size;
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (size && map == MAP_FAILED) { ember_pl_snprintf(err, errlen, "cannot map '%s'", path); return EMBER_ERR_ARG; }
    ember_status st = ember_model_load(map ? map : "", size, out, err, errlen);
    if (st != EMBER_OK) {
        if (map) munmap(map, size);
        return st;
    }
    (*out)->mapping = map;
    (*out)->mapping_size = size;
    return EMBER_OK;
}
#endif

void ember_model_free(ember_model *m) {
    if (!m) return;
    for (int32_t s = 0; m->subgraphs && s < m->n_subgraphs; s++) {
        ember_subgraph_def *sg = &m->subgraphs[s];
        ember_pl_free(sg->tensors);
        ember_pl_free(sg->ops);
    }
    for (int32_t i = 0; m->signatures && i < m->n_signatures; i++) {
        ember_pl_free(m->signatures[i].inputs);
        ember_pl_free(m->signatures[i].outputs);
    }
    for (int32_t i = 0; i < m->n_owned; i++) ember_pl_free(m->owned[i]);
    ember_pl_free(m->owned);
    ember_pl_free(m->subgraphs);
    ember_pl_free(m->opcodes);
    ember_pl_free(m->signatures);
    ember_pl_free(m->metadata);
#ifdef EMBER_HOST
    if (m->mapping) munmap(m->mapping, m->mapping_size);
#endif
    ember_pl_free(m);
}
