/* fb.c — bounds-checked flatbuffer accessors and the schema-driven verifier. */

#include "fb.h"
#include "platform.h"

#define FB_MAX_DEPTH 64
#define FB_MAX_TABLES 4000000u

/* vtable of a table, or 0 when it does not fit the buffer. */
static uint32_t vtable_of(const ember_fb_table *t, uint16_t *vt_size, uint16_t *tbl_size) {
    if (!t->buf || t->pos == 0 || (uint64_t)t->pos + 4 > t->size) return 0;
    int32_t soff;
    memcpy(&soff, t->buf + t->pos, 4);
    int64_t vt = (int64_t)t->pos - soff;
    if (vt < 0 || vt + 4 > (int64_t)t->size) return 0;
    *vt_size = fb_u16(t->buf + vt);
    *tbl_size = fb_u16(t->buf + vt + 2);
    if (*vt_size < 4 || (*vt_size & 1) || vt + *vt_size > (int64_t)t->size) return 0;
    if (*tbl_size < 4 || (uint64_t)t->pos + *tbl_size > t->size) return 0;
    return (uint32_t)vt;
}

uint32_t fb_field_pos(const ember_fb_table *t, int id, uint32_t width) {
    uint16_t vts, tbs;
    uint32_t vt = vtable_of(t, &vts, &tbs);
    if (!vt) return 0;
    if (id < 0 || (uint32_t)(4 + 2 * id + 2) > vts) return 0;
    uint16_t off = fb_u16(t->buf + vt + 4 + 2 * id);
    if (off == 0 || (uint32_t)off + width > tbs) return 0;
    return t->pos + off;
}

int fb_has(const ember_fb_table *t, int id) { return fb_field_pos(t, id, 1) != 0; }

static int64_t load_int(const uint8_t *p, uint32_t width, int is_signed) {
    switch (width) {
    case 1: return is_signed ? (int64_t)(int8_t)p[0] : (int64_t)p[0];
    case 2: { uint16_t v = fb_u16(p); return is_signed ? (int64_t)(int16_t)v : (int64_t)v; }
    case 4: { uint32_t v = fb_u32(p); return is_signed ? (int64_t)(int32_t)v : (int64_t)v; }
    case 8: { int64_t v; memcpy(&v, p, 8); return v; }
    default: return 0;
    }
}

int64_t fb_int(const ember_fb_table *t, int id, uint32_t width, int is_signed, int64_t def) {
    uint32_t p = fb_field_pos(t, id, width);
    return p ? load_int(t->buf + p, width, is_signed) : def;
}

double fb_float(const ember_fb_table *t, int id, uint32_t width, double def) {
    uint32_t p = fb_field_pos(t, id, width);
    if (!p) return def;
    if (width == 4) { float f; memcpy(&f, t->buf + p, 4); return f; }
    if (width == 8) { double d; memcpy(&d, t->buf + p, 8); return d; }
    return def;
}

/* Follows the uoffset stored at absolute position p. */
static uint32_t deref(const uint8_t *buf, size_t size, uint32_t p) {
    if (!p || (uint64_t)p + 4 > size) return 0;
    uint64_t target = (uint64_t)p + fb_u32(buf + p);
    return target < size ? (uint32_t)target : 0;
}

ember_fb_table fb_table(const ember_fb_table *t, int id) {
    ember_fb_table r = { t->buf, t->size, 0 };
    r.pos = deref(t->buf, t->size, fb_field_pos(t, id, 4));
    return r;
}

fb_vec fb_vector(const ember_fb_table *t, int id, uint32_t elem_width) {
    fb_vec v = { t->buf, t->size, 0, 0 };
    uint32_t at = deref(t->buf, t->size, fb_field_pos(t, id, 4));
    if (!at || (uint64_t)at + 4 > t->size) return v;
    uint32_t len = fb_u32(t->buf + at);
    if ((uint64_t)at + 4 + (uint64_t)len * elem_width > t->size) return v;
    v.pos = at + 4;
    v.len = len;
    return v;
}

static const char *string_at(const uint8_t *buf, size_t size, uint32_t at, uint32_t *len) {
    if (!at || (uint64_t)at + 4 > size) return NULL;
    uint32_t n = fb_u32(buf + at);
    if ((uint64_t)at + 4 + n + 1 > size || buf[at + 4 + n] != 0) return NULL;
    if (len) *len = n;
    return (const char *)buf + at + 4;
}

const char *fb_string(const ember_fb_table *t, int id, uint32_t *len) {
    return string_at(t->buf, t->size, deref(t->buf, t->size, fb_field_pos(t, id, 4)), len);
}

ember_fb_table fb_vec_table(const fb_vec *v, uint32_t i) {
    ember_fb_table r = { v->buf, v->size, 0 };
    if (i < v->len) r.pos = deref(v->buf, v->size, v->pos + 4 * i);
    return r;
}

const char *fb_vec_string(const fb_vec *v, uint32_t i) {
    if (i >= v->len) return NULL;
    return string_at(v->buf, v->size, deref(v->buf, v->size, v->pos + 4 * i), NULL);
}

int64_t fb_vec_int(const fb_vec *v, uint32_t i, uint32_t width, int is_signed) {
    if (i >= v->len) return 0;
    return load_int(v->buf + v->pos + (size_t)i * width, width, is_signed);
}

float fb_vec_f32(const fb_vec *v, uint32_t i) {
    float f = 0.0f;
    if (i < v->len) memcpy(&f, v->buf + v->pos + (size_t)i * 4, 4);
    return f;
}

ember_fb_table fb_root(const uint8_t *buf, size_t size) {
    ember_fb_table r = { buf, size, 0 };
    if (size >= 8) {
        uint32_t root = fb_u32(buf);
        r.pos = root < size ? root : 0;
    }
    return r;
}

/* ---- verifier ---------------------------------------------------------- */

typedef struct verifier {
    const uint8_t *buf;
    size_t size;
    uint32_t tables;
    char *err;
    size_t errlen;
} verifier;

static int fail(verifier *v, const char *table, const char *field, const char *what) {
    if (v->err && v->errlen)
        ember_pl_snprintf(v->err, v->errlen, "malformed model: %s.%s: %s", table, field ? field : "", what);
    return 0;
}

static int verify_table(verifier *v, uint32_t pos, int desc, int depth);

/* Flatbuffer strings are UTF-8; names end up in Python strings and error
 * messages, so anything else is refused here. */
static int valid_utf8(const uint8_t *s, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t len, cp;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return 0;
        if (n - i < len) return 0;
        for (uint32_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static int verify_string(verifier *v, uint32_t at, const char *table, const char *field) {
    uint32_t n = 0;
    const char *s = string_at(v->buf, v->size, at, &n);
    if (!s) return fail(v, table, field, "string out of bounds or unterminated");
    if (!valid_utf8((const uint8_t *)s, n)) return fail(v, table, field, "string is not valid UTF-8");
    return 1;
}

static int verify_vector(verifier *v, uint32_t at, uint32_t width, uint32_t *len) {
    if (!at || (uint64_t)at + 4 > v->size) return 0;
    *len = fb_u32(v->buf + at);
    return (uint64_t)at + 4 + (uint64_t)(*len) * width <= v->size;
}

static int verify_field(verifier *v, const ember_fb_table *t, const ember_fb_table_desc *td,
                        const ember_fb_field_desc *f, int depth) {
    uint32_t width = f->kind == EMBER_FB_SCALAR || f->kind == EMBER_FB_STRUCT ||
                     f->kind == EMBER_FB_UNION_TYPE ? f->width : 4;
    uint16_t vts, tbs;
    uint32_t vt = vtable_of(t, &vts, &tbs);
    if ((uint32_t)(4 + 2 * f->id + 2) > vts) return 1;           /* not in vtable: absent */
    uint16_t off = fb_u16(v->buf + vt + 4 + 2 * f->id);
    if (off == 0) return 1;
    if ((uint32_t)off + width > tbs) return fail(v, td->name, f->name, "field outside its table");
    uint32_t p = t->pos + off, target = 0, len = 0;
    if (f->kind != EMBER_FB_SCALAR && f->kind != EMBER_FB_STRUCT && f->kind != EMBER_FB_UNION_TYPE) {
        target = deref(v->buf, v->size, p);
        if (!target) return fail(v, td->name, f->name, "offset points outside the file");
    }
    switch (f->kind) {
    case EMBER_FB_SCALAR: case EMBER_FB_STRUCT: case EMBER_FB_UNION_TYPE:
        return 1;
    case EMBER_FB_STRING:
        return verify_string(v, target, td->name, f->name);
    case EMBER_FB_TABLE:
        return verify_table(v, target, f->ref, depth + 1);
    case EMBER_FB_UNION: {
        /* the type tag is the field with id - 1 */
        ember_fb_table tt = *t;
        int64_t type = fb_int(&tt, f->id - 1, 1, 0, 0);
        const ember_fb_union_desc *u = &ember_fb_unions[f->ref];
        if (type <= 0 || type >= u->n_members || u->member_table[type] < 0)
            return 1;                                   /* unknown member: never read */
        return verify_table(v, target, u->member_table[type], depth + 1);
    }
    case EMBER_FB_VEC_SCALAR: case EMBER_FB_VEC_STRUCT:
        if (!verify_vector(v, target, f->width, &len))
            return fail(v, td->name, f->name, "vector runs past the end of the file");
        return 1;
    case EMBER_FB_VEC_STRING: case EMBER_FB_VEC_TABLE: case EMBER_FB_VEC_UNION:
        if (!verify_vector(v, target, 4, &len))
            return fail(v, td->name, f->name, "vector runs past the end of the file");
        for (uint32_t i = 0; i < len; i++) {
            uint32_t el = deref(v->buf, v->size, target + 4 + 4 * i);
            if (!el) return fail(v, td->name, f->name, "vector element points outside the file");
            if (f->kind == EMBER_FB_VEC_STRING) {
                if (!verify_string(v, el, td->name, f->name)) return 0;
            } else if (f->kind == EMBER_FB_VEC_TABLE) {
                if (!verify_table(v, el, f->ref, depth + 1)) return 0;
            }
            /* vectors of unions are not used by Ember: elements are never read */
        }
        return 1;
    default:
        return 1;
    }
}

static int verify_table(verifier *v, uint32_t pos, int desc, int depth) {
    const ember_fb_table_desc *td = &ember_fb_tables[desc];
    if (depth > FB_MAX_DEPTH) return fail(v, td->name, NULL, "tables nested too deeply");
    if (++v->tables > FB_MAX_TABLES) return fail(v, td->name, NULL, "too many tables");
    ember_fb_table t = { v->buf, v->size, pos };
    uint16_t vts, tbs;
    if (!vtable_of(&t, &vts, &tbs)) return fail(v, td->name, NULL, "table or vtable out of bounds");
    for (uint16_t i = 0; i < td->n_fields; i++)
        if (!verify_field(v, &t, td, &td->fields[i], depth)) return 0;
    return 1;
}

int ember_fb_verify(const ember_fb_table *t, int table_desc, char *err, size_t errlen) {
    verifier v = { t->buf, t->size, 0, err, errlen };
    if (!t->pos) return fail(&v, ember_fb_tables[table_desc].name, NULL, "no root table");
    return verify_table(&v, t->pos, table_desc, 0);
}
