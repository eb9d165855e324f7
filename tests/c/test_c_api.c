/* Drives the C API directly: load, register a C custom op, allocate, invoke,
 * and check errors come back as statuses with messages. Built and run by
 * tests/interpreter/test_c_api.py; argv[1] is a model whose node 0 is the
 * custom op "AddOne" on a float tensor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "model.h"

static ember_status add_one_prepare(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y && x->type == EMBER_TensorType_FLOAT32, "AddOne takes one float input");
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status add_one_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    const float *in = x->data;
    float *out = y->data;
    for (size_t i = 0; i < ember_num_elements(x); i++) out[i] = in[i] + 1.0f;
    return EMBER_OK;
}

static const ember_kernel add_one = { "AddOne", NULL, NULL, add_one_prepare, add_one_eval };

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); return 1; } } while (0)

int main(int argc, char **argv) {
    size_t size;
    unsigned char *bytes = argc > 1 ? read_file(argv[1], &size) : NULL;
    CHECK(bytes, "cannot read model");
    char err[256];
    ember_model *model;
    CHECK(ember_model_load(bytes, size, &model, err, sizeof err) == EMBER_OK, "load: %s", err);

    /* without the custom op: refused at allocate, naming it */
    ember_interp *it;
    CHECK(ember_interp_create(model, NULL, &it) == EMBER_OK, "create");
    CHECK(ember_interp_allocate(it) == EMBER_ERR_UNSUPPORTED, "allocate without the op must fail");
    CHECK(strstr(ember_interp_error(it), "AddOne") != NULL, "message names the op: %s", ember_interp_error(it));
    ember_interp_destroy(it);

    ember_interp_options opt = ember_interp_default_options();
    opt.num_threads = 2;
    CHECK(ember_interp_create(model, &opt, &it) == EMBER_OK, "create");
    CHECK(ember_interp_register_custom(it, "AddOne", &add_one) == EMBER_OK, "register");
    CHECK(ember_interp_allocate(it) == EMBER_OK, "allocate: %s", ember_interp_error(it));
    ember_tensor *in = ember_interp_input(it, 0);
    float *x = in->data;
    for (size_t i = 0; i < ember_num_elements(in); i++) x[i] = (float)i;
    CHECK(ember_interp_invoke(it) == EMBER_OK, "invoke: %s", ember_interp_error(it));
    const ember_tensor *out = ember_interp_output(it, 0);
    const float *y = out->data;
    for (size_t i = 0; i < ember_num_elements(out); i++)
        CHECK(fabsf(y[i] - (float)i - 1.0f) < 1e-6f, "y[%zu] = %f", i, y[i]);

    /* resizing the input re-plans; invoking before allocating again is refused */
    int32_t dims[2] = { 3, 5 };
    CHECK(ember_interp_resize_input(it, 0, ember_interp_input_index(it, 0, 0), 2, dims) == EMBER_OK, "resize");
    CHECK(ember_interp_invoke(it) == EMBER_ERR_STATE, "invoke after resize must ask for allocate");
    CHECK(ember_interp_allocate(it) == EMBER_OK, "re-allocate: %s", ember_interp_error(it));
    CHECK(ember_num_elements(ember_interp_output(it, 0)) == 15, "output follows the new shape");
    CHECK(ember_interp_invoke(it) == EMBER_OK, "invoke: %s", ember_interp_error(it));
    ember_interp_destroy(it);
    ember_model_free(model);

    /* a truncated file is an error with a message, not a crash */
    CHECK(ember_model_load(bytes, size / 2, &model, err, sizeof err) == EMBER_ERR_MODEL, "truncated");
    CHECK(strstr(err, "malformed") != NULL, "message: %s", err);
    free(bytes);
    printf("ok\n");
    return 0;
}
