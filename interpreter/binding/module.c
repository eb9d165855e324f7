/*
 * module.c — ember._ember, the CPython binding of the C core.
 *
 * Built against the stable ABI (Py_LIMITED_API 3.9) so one abi3 file serves
 * every CPython >= 3.9, and without numpy's C API: tensor memory is handed to
 * Python as memoryviews, which numpy wraps with np.frombuffer (zero-copy).
 * Models and interpreters travel as capsules; ember/interpreter.py holds the
 * Python API on top.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "model.h"
#include "registry.h"

/* Part of the stable ABI since 3.3 (PyMemoryView_FromMemory's flags), but only
 * declared by the limited-API headers from 3.11 on. */
#ifndef PyBUF_READ
#define PyBUF_READ 0x100
#define PyBUF_WRITE 0x200
#endif

static PyObject *EmberError;
static PyObject *NotReadyError;   /* EMBER_ERR_STATE: also a RuntimeError, like LiteRT's */

typedef struct py_model {
    ember_model *model;
    PyObject *owner;        /* bytes object the model borrows (NULL for mmap) */
} py_model;

typedef struct py_interp {
    ember_interp *it;
    PyObject *model;        /* the model capsule, kept alive */
    PyObject *py_ops;       /* list of Python custom-op kernels (kept alive) */
} py_interp;

static void model_destructor(PyObject *cap) {
    py_model *pm = PyCapsule_GetPointer(cap, "ember.model");
    if (!pm) return;
    ember_model_free(pm->model);
    Py_XDECREF(pm->owner);
    free(pm);
}

static void interp_destructor(PyObject *cap) {
    py_interp *pi = PyCapsule_GetPointer(cap, "ember.interp");
    if (!pi) return;
    ember_interp_destroy(pi->it);
    Py_XDECREF(pi->model);
    Py_XDECREF(pi->py_ops);
    free(pi);
}

static py_model *get_model(PyObject *cap) { return PyCapsule_GetPointer(cap, "ember.model"); }
static py_interp *get_interp(PyObject *cap) { return PyCapsule_GetPointer(cap, "ember.interp"); }

static PyObject *raise_status(ember_status st, const char *msg) {
    if (st == EMBER_ERR_NOMEM) return PyErr_NoMemory();
    /* "replace": a message cut at its buffer's end may split a UTF-8 sequence */
    const char *m = msg && msg[0] ? msg : "Ember error";
    PyObject *text = PyUnicode_DecodeUTF8(m, (Py_ssize_t)strlen(m), "replace");
    if (text) {
        PyErr_SetObject(st == EMBER_ERR_STATE ? NotReadyError : EmberError, text);
        Py_DECREF(text);
    }
    return NULL;
}

static PyObject *wrap_model(ember_model *m, PyObject *owner) {
    py_model *pm = calloc(1, sizeof *pm);
    if (!pm) { ember_model_free(m); return PyErr_NoMemory(); }
    pm->model = m;
    pm->owner = owner;
    Py_XINCREF(owner);
    PyObject *cap = PyCapsule_New(pm, "ember.model", model_destructor);
    if (!cap) { ember_model_free(m); Py_XDECREF(owner); free(pm); }
    return cap;
}

/* load_model(data: bytes) -> capsule; the bytes are borrowed, not copied. */
static PyObject *py_load_model(PyObject *self, PyObject *args) {
    PyObject *data;
    if (!PyArg_ParseTuple(args, "O!", &PyBytes_Type, &data)) return NULL;
    char *buf;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(data, &buf, &n) < 0) return NULL;
    char err[512];
    ember_model *m;
    ember_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ember_model_load(buf, (size_t)n, &m, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != EMBER_OK) return raise_status(st, err);
    return wrap_model(m, data);
}

static PyObject *py_load_model_file(PyObject *self, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path)) return NULL;
    char err[512];
    ember_model *m;
    ember_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ember_model_load_file(path, &m, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st == EMBER_ERR_ARG) { PyErr_SetString(PyExc_ValueError, err); return NULL; }
    if (st != EMBER_OK) return raise_status(st, err);
    return wrap_model(m, NULL);
}

static PyObject *int_tuple(const int32_t *v, int n) {
    PyObject *t = PyTuple_New(n);
    if (!t) return NULL;
    for (int i = 0; i < n; i++) PyTuple_SetItem(t, i, PyLong_FromLong(v[i]));
    return t;
}

static PyObject *str_or_empty(const char *s) {
    return PyUnicode_DecodeUTF8(s ? s : "", (Py_ssize_t)strlen(s ? s : ""), "replace");
}

/* model_info(model) -> dict: version, description, subgraphs, signatures, metadata */
static PyObject *py_model_info(PyObject *self, PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O", &cap)) return NULL;
    py_model *pm = get_model(cap);
    if (!pm) return NULL;
    const ember_model *m = pm->model;
    PyObject *sgs = PyList_New(0), *sigs = PyList_New(0), *meta = PyList_New(0);
    for (int32_t s = 0; s < m->n_subgraphs; s++) {
        const ember_subgraph_def *sg = &m->subgraphs[s];
        PyObject *item = Py_BuildValue("{s:N,s:N,s:N,s:i,s:i}", "name", str_or_empty(sg->name),
                                       "inputs", int_tuple(sg->inputs, sg->n_inputs), "outputs",
                                       int_tuple(sg->outputs, sg->n_outputs), "tensors",
                                       (int)sg->n_tensors, "operators", (int)sg->n_ops);
        PyList_Append(sgs, item);
        Py_XDECREF(item);
    }
    for (int32_t i = 0; i < m->n_signatures; i++) {
        const ember_signature_def *sd = &m->signatures[i];
        PyObject *ins = PyList_New(0), *outs = PyList_New(0);
        for (int32_t k = 0; k < sd->n_inputs; k++) {
            PyObject *p = Py_BuildValue("(Ni)", str_or_empty(sd->inputs[k].name), (int)sd->inputs[k].tensor);
            PyList_Append(ins, p);
            Py_XDECREF(p);
        }
        for (int32_t k = 0; k < sd->n_outputs; k++) {
            PyObject *p = Py_BuildValue("(Ni)", str_or_empty(sd->outputs[k].name), (int)sd->outputs[k].tensor);
            PyList_Append(outs, p);
            Py_XDECREF(p);
        }
        PyObject *item = Py_BuildValue("{s:N,s:i,s:N,s:N}", "key", str_or_empty(sd->key),
                                       "subgraph", (int)sd->subgraph, "inputs", ins, "outputs", outs);
        PyList_Append(sigs, item);
        Py_XDECREF(item);
    }
    for (int32_t i = 0; i < m->n_metadata; i++) {
        PyObject *item = Py_BuildValue("(Ny#)", str_or_empty(m->metadata[i].name),
                                       (const char *)m->metadata[i].data, (Py_ssize_t)m->metadata[i].size);
        PyList_Append(meta, item);
        Py_XDECREF(item);
    }
    return Py_BuildValue("{s:I,s:N,s:N,s:N,s:N}", "version", (unsigned)m->version, "description",
                         str_or_empty(m->description), "subgraphs", sgs, "signatures", sigs,
                         "metadata", meta);
}

/* create(model, num_threads, preserve_all) -> interpreter capsule */
static PyObject *py_create(PyObject *self, PyObject *args) {
    PyObject *mcap;
    int threads = 1, preserve = 0;
    if (!PyArg_ParseTuple(args, "Oii", &mcap, &threads, &preserve)) return NULL;
    py_model *pm = get_model(mcap);
    if (!pm) return NULL;
    ember_interp_options o = ember_interp_default_options();
    o.num_threads = threads;
    o.preserve_all_tensors = preserve;
    ember_interp *it;
    ember_status st = ember_interp_create(pm->model, &o, &it);
    if (st != EMBER_OK) {
        PyObject *r = raise_status(st, it ? ember_interp_error(it) : "cannot create interpreter");
        ember_interp_destroy(it);
        return r;
    }
    py_interp *pi = calloc(1, sizeof *pi);
    if (!pi) { ember_interp_destroy(it); return PyErr_NoMemory(); }
    pi->it = it;
    pi->model = mcap;
    Py_INCREF(mcap);
    pi->py_ops = PyList_New(0);
    PyObject *cap = PyCapsule_New(pi, "ember.interp", interp_destructor);
    if (!cap) { interp_destructor(NULL); ember_interp_destroy(it); Py_DECREF(mcap); free(pi); }
    return cap;
}

static PyObject *py_allocate(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg = 0;
    if (!PyArg_ParseTuple(args, "O|i", &cap, &sg)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_status st;
    Py_BEGIN_ALLOW_THREADS
    st = sg == 0 ? ember_interp_allocate(pi->it) : ember_interp_allocate_subgraph(pi->it, sg);
    Py_END_ALLOW_THREADS
    if (PyErr_Occurred()) return NULL;     /* raised by a Python custom op */
    if (st != EMBER_OK) return raise_status(st, ember_interp_error(pi->it));
    Py_RETURN_NONE;
}

static PyObject *py_invoke(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg = 0;
    if (!PyArg_ParseTuple(args, "O|i", &cap, &sg)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ember_interp_invoke_subgraph(pi->it, sg);
    Py_END_ALLOW_THREADS
    if (PyErr_Occurred()) return NULL;
    if (st != EMBER_OK) return raise_status(st, ember_interp_error(pi->it));
    Py_RETURN_NONE;
}

static PyObject *py_resize_input(PyObject *self, PyObject *args) {
    PyObject *cap, *dims;
    int sg, tensor;
    if (!PyArg_ParseTuple(args, "OiiO!", &cap, &sg, &tensor, &PyTuple_Type, &dims)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    Py_ssize_t n = PyTuple_Size(dims);
    if (n > EMBER_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "at most %d dimensions", EMBER_MAX_DIMS);
        return NULL;
    }
    int32_t d[EMBER_MAX_DIMS];
    for (Py_ssize_t i = 0; i < n; i++) {
        long v = PyLong_AsLong(PyTuple_GetItem(dims, i));
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (v < 0 || v > INT32_MAX) {
            PyErr_Format(PyExc_ValueError, "dimension %ld is out of range", v);
            return NULL;
        }
        d[i] = (int32_t)v;
    }
    ember_status st = ember_interp_resize_input(pi->it, sg, tensor, (int)n, d);
    if (st == EMBER_ERR_ARG) { PyErr_SetString(PyExc_ValueError, ember_interp_error(pi->it)); return NULL; }
    if (st != EMBER_OK) return raise_status(st, ember_interp_error(pi->it));
    Py_RETURN_NONE;
}

static PyObject *py_reset_variables(PyObject *self, PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O", &cap)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_interp_reset_variables(pi->it);
    Py_RETURN_NONE;
}

static PyObject *float_tuple(const float *v, int n) {
    PyObject *t = PyTuple_New(n);
    if (!t) return NULL;
    for (int i = 0; i < n; i++) PyTuple_SetItem(t, i, PyFloat_FromDouble(v[i]));
    return t;
}

static PyObject *long_tuple(const int64_t *v, int n) {
    PyObject *t = PyTuple_New(n);
    if (!t) return NULL;
    for (int i = 0; i < n; i++) PyTuple_SetItem(t, i, PyLong_FromLongLong(v[i]));
    return t;
}

/* tensor_info(interp, sg, index) -> (name, type, dims, dims_signature|None,
 *   scales, zero_points, quantized_dimension, mem, bytes, is_variable) */
static PyObject *py_tensor_info(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg, idx;
    if (!PyArg_ParseTuple(args, "Oii", &cap, &sg, &idx)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_tensor *t = ember_interp_tensor(pi->it, sg, idx);
    if (!t) { PyErr_Format(PyExc_ValueError, "tensor index %d out of range", idx); return NULL; }
    py_model *pm = get_model(pi->model);
    const ember_tensor_def *td = &pm->model->subgraphs[sg].tensors[idx];
    PyObject *sig;
    if (td->has_signature) {
        sig = int_tuple(td->dims_signature, td->ndim);
    } else {
        sig = Py_None;
        Py_INCREF(sig);
    }
    return Py_BuildValue("(NiNNNNiinOi)", str_or_empty(t->name), (int)t->type,
                         int_tuple(t->dims, t->ndim), sig, float_tuple(t->q.scale, t->q.count),
                         long_tuple(t->q.zero_point, t->q.count), (int)t->q.quantized_dimension,
                         (int)t->mem, (Py_ssize_t)t->bytes,
                         td->table.pos && fb_has(&td->table, EMBER_Tensor_sparsity) ? Py_True : Py_False,
                         (int)t->is_variable);
}

/* tensor_memory(interp, sg, index) -> memoryview over the tensor's bytes, or None */
static PyObject *py_tensor_memory(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg, idx;
    if (!PyArg_ParseTuple(args, "Oii", &cap, &sg, &idx)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_tensor *t = ember_interp_tensor(pi->it, sg, idx);
    if (!t) { PyErr_Format(PyExc_ValueError, "tensor index %d out of range", idx); return NULL; }
    if (!t->data) Py_RETURN_NONE;
    int flags = t->mem == EMBER_MEM_CONST ? PyBUF_READ : PyBUF_WRITE;
    static char empty[1];
    return PyMemoryView_FromMemory(t->bytes ? (char *)t->data : empty, (Py_ssize_t)t->bytes, flags);
}

/* nodes(interp, sg) -> [(op_name, op_code, custom_name|None, version, inputs, outputs)] */
/* tensor_address(interp, sg, index) -> (address, bytes, readonly) for zero-copy views */
static PyObject *py_tensor_address(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg, idx;
    if (!PyArg_ParseTuple(args, "Oii", &cap, &sg, &idx)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_tensor *t = ember_interp_tensor(pi->it, sg, idx);
    if (!t) { PyErr_Format(PyExc_ValueError, "tensor index %d out of range", idx); return NULL; }
    if (!t->data) Py_RETURN_NONE;
    return Py_BuildValue("(Nni)", PyLong_FromVoidPtr(t->data), (Py_ssize_t)t->bytes,
                         t->mem == EMBER_MEM_CONST);
}

static PyObject *py_nodes(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg = 0;
    if (!PyArg_ParseTuple(args, "O|i", &cap, &sg)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    int32_t n = ember_interp_node_count(pi->it, sg);
    PyObject *list = PyList_New(0);
    for (int32_t i = 0; i < n; i++) {
        const ember_node *nd = ember_interp_node(pi->it, sg, i);
        const char *name = ember_builtin_operator_name(nd->op);
        PyObject *item = Py_BuildValue("(NiNiNN)", str_or_empty(name), (int)nd->op,
                                       nd->custom_name ? PyUnicode_FromString(nd->custom_name)
                                                       : (Py_INCREF(Py_None), Py_None),
                                       (int)nd->version, int_tuple(nd->inputs, nd->n_inputs),
                                       int_tuple(nd->outputs, nd->n_outputs));
        PyList_Append(list, item);
        Py_XDECREF(item);
    }
    return list;
}

static PyObject *py_arena_size(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg = 0;
    if (!PyArg_ParseTuple(args, "O|i", &cap, &sg)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    return Py_BuildValue("(nn)", (Py_ssize_t)ember_interp_arena_size(pi->it, sg),
                         (Py_ssize_t)ember_interp_persistent_bytes(pi->it));
}

/* memory_plan(interp, sg=0) -> [(tensor, offset, bytes, first, last)] for arena tensors */
static PyObject *py_memory_plan(PyObject *self, PyObject *args) {
    PyObject *cap;
    int sg = 0;
    if (!PyArg_ParseTuple(args, "O|i", &cap, &sg)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    PyObject *list = PyList_New(0);
    int32_t n = ember_interp_tensor_count(pi->it, sg);
    for (int32_t i = 0; list && i < n; i++) {
        size_t off;
        int32_t first, last;
        if (!ember_interp_tensor_plan(pi->it, sg, i, &off, &first, &last)) continue;
        PyObject *item = Py_BuildValue("(innii)", (int)i, (Py_ssize_t)off,
                                       (Py_ssize_t)ember_interp_tensor(pi->it, sg, i)->bytes,
                                       (int)first, (int)last);
        PyList_Append(list, item);
        Py_XDECREF(item);
    }
    return list;
}

static PyObject *py_set_profiling(PyObject *self, PyObject *args) {
    PyObject *cap;
    int on;
    if (!PyArg_ParseTuple(args, "Op", &cap, &on)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    ember_interp_set_profiling(pi->it, on);
    Py_RETURN_NONE;
}

static PyObject *py_node_times(PyObject *self, PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O", &cap)) return NULL;
    py_interp *pi = get_interp(cap);
    if (!pi) return NULL;
    int32_t n = ember_interp_node_count(pi->it, 0);
    PyObject *list = PyList_New(n);
    for (int32_t i = 0; i < n; i++)
        PyList_SetItem(list, i, PyLong_FromUnsignedLongLong(ember_interp_node_ns(pi->it, i)));
    return list;
}

/* registry() -> (builtin op names, custom op names) the core can run */
static PyObject *py_registry(PyObject *self, PyObject *args) {
    int32_t nb = ember_registry_builtin_count(), nc = ember_registry_custom_count();
    PyObject *b = PyList_New(0), *c = PyList_New(0);
    for (int32_t i = 0; i < nb; i++) {
        PyObject *s = str_or_empty(ember_builtin_operator_name(ember_registry_builtin_op(i)));
        PyList_Append(b, s);
        Py_XDECREF(s);
    }
    for (int32_t i = 0; i < nc; i++) {
        PyObject *s = str_or_empty(ember_registry_custom_name(i));
        PyList_Append(c, s);
        Py_XDECREF(s);
    }
    return Py_BuildValue("(NN)", b, c);
}

#include "python_ops.inc"

static PyMethodDef methods[] = {
    {"load_model", py_load_model, METH_VARARGS, "load_model(data: bytes) -> model"},
    {"load_model_file", py_load_model_file, METH_VARARGS, "load_model_file(path) -> model (mmap)"},
    {"model_info", py_model_info, METH_VARARGS, "model_info(model) -> dict"},
    {"create", py_create, METH_VARARGS, "create(model, num_threads, preserve_all) -> interpreter"},
    {"allocate", py_allocate, METH_VARARGS, "allocate(interp, subgraph=0)"},
    {"invoke", py_invoke, METH_VARARGS, "invoke(interp, subgraph=0); releases the GIL"},
    {"resize_input", py_resize_input, METH_VARARGS, "resize_input(interp, sg, tensor, dims)"},
    {"reset_variables", py_reset_variables, METH_VARARGS, "reset_variables(interp)"},
    {"tensor_info", py_tensor_info, METH_VARARGS, "tensor_info(interp, sg, index) -> tuple"},
    {"tensor_memory", py_tensor_memory, METH_VARARGS, "tensor_memory(interp, sg, index) -> memoryview"},
    {"tensor_address", py_tensor_address, METH_VARARGS, "tensor_address(interp, sg, index) -> (addr, bytes, readonly)"},
    {"nodes", py_nodes, METH_VARARGS, "nodes(interp, sg=0) -> list"},
    {"arena_size", py_arena_size, METH_VARARGS, "arena_size(interp, sg=0) -> (arena, persistent)"},
    {"memory_plan", py_memory_plan, METH_VARARGS, "memory_plan(interp, sg=0) -> [(tensor, offset, bytes, first, last)]"},
    {"set_profiling", py_set_profiling, METH_VARARGS, "set_profiling(interp, on)"},
    {"node_times", py_node_times, METH_VARARGS, "node_times(interp) -> [ns per node]"},
    {"registry", py_registry, METH_NOARGS, "registry() -> (builtin names, custom names)"},
    {"register_python_op", py_register_python_op, METH_VARARGS,
     "register_python_op(interp, name, op) — op has prepare(inputs) and eval(inputs, outputs)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_ember",
                                       "Ember's C core (stable ABI).", -1, methods,
                                       NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ember(void) {
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    EmberError = PyErr_NewExceptionWithDoc(
        "ember.EmberError",
        "A model or call Ember cannot handle: malformed file, unsupported op, bad input.",
        PyExc_ValueError, NULL);
    if (!EmberError) return NULL;
    Py_INCREF(EmberError);
    PyModule_AddObject(m, "EmberError", EmberError);
    PyObject *bases = Py_BuildValue("(OO)", EmberError, PyExc_RuntimeError);
    if (!bases) return NULL;
    NotReadyError = PyErr_NewExceptionWithDoc(
        "ember.NotReadyError",
        "A call made in the wrong state, e.g. invoke() before allocate_tensors(). "
        "A RuntimeError (as LiteRT raises) and an EmberError.",
        bases, NULL);
    Py_DECREF(bases);
    if (!NotReadyError) return NULL;
    Py_INCREF(NotReadyError);
    PyModule_AddObject(m, "NotReadyError", NotReadyError);
    return m;
}
