/*
 * fuzz_model.c — libFuzzer harness for the whole load → allocate → invoke path.
 *
 * Each input is a candidate .tflite file: it is loaded (verifier + loader), an
 * interpreter is created, allocated, every non-constant input zero-filled and
 * the model invoked. Any outcome other than a clean status is a bug: ASan/UBSan
 * report memory errors and undefined behaviour, libFuzzer reports crashes,
 * hangs (-timeout) and runaway memory (-rss_limit_mb).
 *
 *   make fuzz                      # builds with clang, seeds, runs FUZZ_TIME seconds
 *   build/fuzz/fuzz_model crash-…  # replays one input
 *
 * Built with -DEMBER_FUZZ_STANDALONE it has a main() that replays files given
 * on the command line, for compilers without libFuzzer (gcc -fsanitize=...).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "model.h"

/* Refuse single tensors/arenas beyond this (the harness's own budget, not an
 * Ember limit): keeps libFuzzer's -rss_limit_mb for genuine leaks/runaways. */
#define FUZZ_MAX_ARENA ((size_t)1 << 30)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The model borrows its bytes; give it a private, 16-byte aligned copy so a
     * misaligned fuzzer buffer exercises the loader's aligned-copy path too. */
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, 16, size ? size : 1) != 0) return 0;
    if (size) memcpy(buf, data, size);

    char err[512];
    ember_model *model = NULL;
    if (ember_model_load(buf, size, &model, err, sizeof err) != EMBER_OK) {
        if (!err[0]) __builtin_trap();         /* every refusal must say why */
        free(buf);
        return 0;
    }
    ember_interp_options opt = ember_interp_default_options();
    ember_interp *it = NULL;
    if (ember_interp_create(model, &opt, &it) == EMBER_OK && ember_interp_allocate(it) == EMBER_OK &&
        ember_interp_arena_size(it, 0) <= FUZZ_MAX_ARENA) {
        for (int32_t i = 0; i < ember_interp_num_inputs(it, 0); i++) {
            ember_tensor *t = ember_interp_input(it, i);
            if (t && t->data && t->mem != EMBER_MEM_CONST) memset(t->data, 0, t->bytes);
        }
        if (ember_interp_invoke(it) != EMBER_OK && !ember_interp_error(it)[0]) __builtin_trap();
        /* a second invoke exercises state kept between runs (variables, CALL_ONCE) */
        ember_interp_invoke(it);
    }
    ember_interp_destroy(it);
    ember_model_free(model);
    free(buf);
    return 0;
}

#ifdef EMBER_FUZZ_STANDALONE
int main(int argc, char **argv) {
    for (int a = 1; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        if (!f) { perror(argv[a]); return 2; }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *d = malloc(n > 0 ? (size_t)n : 1);
        if (!d || fread(d, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(d); return 2; }
        fclose(f);
        LLVMFuzzerTestOneInput(d, (size_t)n);
        free(d);
        printf("%s: ok\n", argv[a]);
    }
    return 0;
}
#endif
