/*
 * fb.h — a bounds-checked reader for the flatbuffer tables Ember uses.
 *
 * The verifier (ember_fb_verify) walks the whole model once at load time,
 * driven by the field descriptors generated from schema/schema.fbs, and
 * checks every table, vtable, offset, vector length and string terminator
 * against the buffer before anything else reads it. The accessors below still
 * check bounds (cheaply) so that a reader bug can never turn into an
 * out-of-bounds read; on any inconsistency they behave as "field absent".
 */
#ifndef EMBER_FB_H
#define EMBER_FB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ember_kernel.h"
#include "schema_generated.h"

typedef struct fb_vec {
    const uint8_t *buf;
    size_t size;
    uint32_t pos;               /* position of element 0; 0 when absent */
    uint32_t len;
} fb_vec;

static inline uint32_t fb_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t fb_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Absolute position of a field's bytes, 0 when absent or out of bounds. */
uint32_t fb_field_pos(const ember_fb_table *t, int id, uint32_t width);
int fb_has(const ember_fb_table *t, int id);
int64_t fb_int(const ember_fb_table *t, int id, uint32_t width, int is_signed, int64_t def);
double fb_float(const ember_fb_table *t, int id, uint32_t width, double def);
ember_fb_table fb_table(const ember_fb_table *t, int id);
fb_vec fb_vector(const ember_fb_table *t, int id, uint32_t elem_width);
/* NUL-terminated string inside the buffer, or NULL. */
const char *fb_string(const ember_fb_table *t, int id, uint32_t *len);

ember_fb_table fb_vec_table(const fb_vec *v, uint32_t i);
const char *fb_vec_string(const fb_vec *v, uint32_t i);
int64_t fb_vec_int(const fb_vec *v, uint32_t i, uint32_t width, int is_signed);
float fb_vec_f32(const fb_vec *v, uint32_t i);

/* Root table of a buffer (pos 0 when the buffer is too small). */
ember_fb_table fb_root(const uint8_t *buf, size_t size);

/* Verifies the table of descriptor `table_desc` at t and everything it
 * reaches. Writes a message naming the offending field on failure. */
int ember_fb_verify(const ember_fb_table *t, int table_desc, char *err, size_t errlen);

#endif
