"""Layout pass: push TRANSPOSEs through layout-agnostic ops and cancel inverse pairs.

NCHW frontends wrap every layout-sensitive op in TRANSPOSE(NCHW->NHWC) ...
TRANSPOSE(NHWC->NCHW). Between two such ops sit activations, residual adds,
concats, pads, reductions...: pushing the trailing transpose down through them
until it meets the next op's leading transpose cancels both, so a CNN runs
NHWC end to end with transposes only at its edges.

Rules, each local (tract's pipeline style): fold a transpose of a constant;
drop an identity transpose; merge two consecutive transposes; move a transpose
below an op that does not care about layout, rewriting its constants, axes and
paddings for the new layout. A move that needs a new transpose on another
input is made only when it lowers the count of transposes, so the rewriting
ends. Last, a transpose that only moves size-1 dimensions becomes a RESHAPE
(e.g. NHWC [N,1,1,C] -> NCHW [N,C,1,1] before a Flatten).

    run(model) -> bool   True if anything changed
"""
import numpy as np

from ember.converter import ir

_UNARY = {"ABS", "NEG", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH",
          "HARD_SWISH", "GELU", "ELU", "LEAKY_RELU", "EXP", "LOG", "SQRT", "RSQRT", "SQUARE",
          "SIN", "COS", "FLOOR", "CEIL", "ROUND", "CAST", "LOGICAL_NOT", "SIGN", "DEQUANTIZE",
          "QUANTIZE", "ZEROS_LIKE"}
_NARY = {"ADD", "SUB", "MUL", "DIV", "POW", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE",
         "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL",
         "LOGICAL_AND", "LOGICAL_OR", "FLOOR_DIV", "FLOOR_MOD", "PRELU", "SELECT_V2",
         "SELECT", "ADD_N"}
_REDUCE = {"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY",
           "REDUCE_ALL"}
_PAD = {"PAD", "PADV2", "MIRROR_PAD"}


def run(model):
    changed = False
    for g in model.subgraphs:
        changed |= _Pass(g).run()
    return changed


def _perm_of(op):
    if op.type != "TRANSPOSE" or len(op.inputs) < 2 or op.inputs[1] is None \
            or not op.inputs[1].is_const:
        return None
    p = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
    return tuple(p) if sorted(p) == list(range(len(p))) else None


def _inverse(p):
    return tuple(int(i) for i in np.argsort(p))


def _permute_shape(shape, perm):
    return None if shape is None else tuple(shape[p] for p in perm)


class _Pass:
    def __init__(self, g):
        self.g = g
        self.names = {t.name for t in g.tensors()}
        self.changed = False
        self.paid = set()

    # ---- bookkeeping ----------------------------------------------------------
    def unique(self, base):
        name, k = base, 0
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def index(self):
        self.producer, self.users = {}, {}
        for op in self.g.ops:
            for o in op.outputs:
                self.producer[id(o)] = op
            for i in op.inputs:
                if i is not None:
                    self.users.setdefault(id(i), []).append(op)
        self.outputs = {id(t) for t in self.g.outputs}
        self.inputs = {id(t) for t in self.g.inputs}

    def consumers(self, t):
        seen, out = set(), []
        for op in self.users.get(id(t), []):
            if id(op) not in seen and id(op) in self.live and any(i is t for i in op.inputs):
                seen.add(id(op))
                out.append(op)
        return out

    def const(self, base, value):
        arr = np.ascontiguousarray(value)
        return ir.Tensor(self.unique(base), arr.dtype, data=arr)

    def transpose_op(self, src, perm, dst=None):
        if dst is None:
            dst = ir.Tensor(self.unique(src.name + "/transposed"), src.dtype,
                            shape=_permute_shape(src.shape, perm), quant=src.quant)
        op = ir.Op("TRANSPOSE", [src, self.const(src.name + "/perm",
                                                   np.array(perm, np.int32))], [dst])
        self.add(op)
        return op

    def add(self, op):
        self.g.ops.append(op)
        self.live.add(id(op))
        for o in op.outputs:
            self.producer[id(o)] = op
        for i in op.inputs:
            if i is not None:
                self.users.setdefault(id(i), []).append(op)

    def remove(self, op):
        self.live.discard(id(op))
        self.changed = True

    def replace_input(self, op, old, new):
        op.inputs = [new if i is old else i for i in op.inputs]
        self.users.setdefault(id(new), []).append(op)

    def bypass(self, y, x):
        """Readers of y read x instead; False when y is a graph output x cannot stand for."""
        if id(y) in self.outputs:
            if id(x) in self.inputs or id(x) in self.outputs or x.is_const \
                    or id(x) not in self.producer:
                return False
            x.name, y.name = y.name, self.unique(y.name + "/replaced")
            self.g.outputs = [x if o is y else o for o in self.g.outputs]
            self.outputs = {id(t) for t in self.g.outputs}
        for op in self.consumers(y):
            self.replace_input(op, y, x)
        self.changed = True
        return True

    def removable(self, v, c):
        """1 if the transpose producing v goes away once c stops reading v."""
        return int(id(v) not in self.outputs and all(u is c for u in self.consumers(v)))

    def dead(self, t):
        return not self.consumers(t) and id(t) not in self.outputs

    # ---- driver ---------------------------------------------------------------
    def run(self):
        g = self.g
        self.live = {id(op) for op in g.ops}
        self.index()
        budget = 50 * len(g.ops) + 100
        progress = True
        while progress and budget > 0:
            progress = False
            for op in list(g.ops):
                if id(op) not in self.live or op.type != "TRANSPOSE":
                    continue
                if self.simplify(op):
                    progress = True
                    budget -= 1
            g.ops = [op for op in g.ops if id(op) in self.live]
        self.to_reshapes()
        g.ops = [op for op in g.ops if id(op) in self.live]
        if self.changed:
            g.topo_sort()
        return self.changed

    def simplify(self, t):
        perm = _perm_of(t)
        if perm is None:
            return False
        x, y = t.inputs[0], t.outputs[0]
        if self.dead(y):
            self.remove(t)
            return True
        if x.is_const and id(y) not in self.outputs:
            c = self.const(y.name, np.transpose(x.data, perm))
            c.quant = x.quant
            self.bypass(y, c)
            self.remove(t)
            return True
        if perm == tuple(range(len(perm))):
            if self.bypass(y, x):
                self.remove(t)
                return True
            return False
        src = self.producer.get(id(x))
        if src is not None and id(src) in self.live:
            p0 = _perm_of(src)
            if p0 is not None:
                composite = tuple(p0[p] for p in perm)
                x0 = src.inputs[0]
                if composite == tuple(range(len(perm))):
                    if self.bypass(y, x0):
                        self.remove(t)
                        if self.dead(x):
                            self.remove(src)
                        return True
                else:
                    t.inputs = [x0, self.const(y.name + "/perm", np.array(composite, np.int32))]
                    self.users.setdefault(id(x0), []).append(t)
                    if self.dead(x):
                        self.remove(src)
                    self.changed = True
                    return True
        moved = False
        for c in self.consumers(y):
            if self.push(t, perm, c):
                moved = True
        if moved and self.dead(y):
            self.remove(t)
        return moved

    # ---- pushing a transpose below one consumer ---------------------------------
    def push(self, t, perm, c):
        r = len(perm)
        inv = _inverse(perm)
        rule = _rule(c, perm)
        if rule is None:
            return False
        data_pos, markers, rewrite = rule
        out_perm = _resolve(markers, c, perm)
        y = t.outputs[0]
        new_inputs = list(c.inputs)
        to_insert, before, seen = [], 0, set()
        for pos in data_pos:
            v = c.inputs[pos]
            if v is None:
                continue
            if v is y:
                new_inputs[pos] = t.inputs[0]
                if id(v) not in seen:
                    before += self.removable(v, c)
                    seen.add(id(v))
                continue
            if v.is_const:
                d = np.asarray(v.data)
                if d.ndim > r:
                    return False
                if d.ndim < r and c.type not in _NARY:
                    return False
                d = d.reshape((1,) * (r - d.ndim) + d.shape)
                nc = self.const(v.name + "/permuted", np.transpose(d, inv))
                nc.quant = v.quant
                new_inputs[pos] = nc
                continue
            if v.shape is None or len(v.shape) != r:
                return False
            p = self.producer.get(id(v))
            if p is not None and id(p) in self.live and _perm_of(p) == perm:
                new_inputs[pos] = p.inputs[0]
                if id(v) not in seen:
                    before += self.removable(v, c)
                    seen.add(id(v))
                continue
            existing = next((u for u in self.consumers(v) if _perm_of(u) == inv), None)
            if existing is not None:
                new_inputs[pos] = existing.outputs[0]
            else:
                to_insert.append(pos)
        after = len(to_insert)
        for z, q in zip(c.outputs, out_perm):
            if q is None:
                continue
            users = self.consumers(z)
            cancel = [u for u in users if _perm_of(u) == _inverse(q)]
            before += len(cancel)
            if id(z) in self.outputs or len(cancel) < len(users) or not users:
                after += 1
        if to_insert:
            # A move that adds transposes upstream must pay off, and happens once per op and
            # perm: a later move back through the same op could otherwise undo it forever.
            if after >= before or (id(c), perm) in self.paid:
                return False
            self.paid.add((id(c), perm))
        # Without new upstream transposes a move only carries transposes down (duplicating
        # them over several outputs at worst), so it always ends; further down they meet
        # their inverses.
        for pos in to_insert:
            v = c.inputs[pos]
            new_inputs[pos] = self.transpose_op(v, inv).outputs[0]
        rewrite(self, c, new_inputs, perm, inv)
        c.inputs = new_inputs
        for i in new_inputs:
            if i is not None:
                self.users.setdefault(id(i), []).append(c)
        outs = []
        for z, q in zip(c.outputs, out_perm):
            if q is None:
                outs.append(z)
                continue
            zq = _inverse(q)
            base = z.name[:-len("/moved")] if z.name.endswith("/moved") else z.name
            nz = ir.Tensor(self.unique(base + "/moved"), z.dtype,
                           shape=_permute_shape(z.shape, zq) if z.shape is not None else None,
                           quant=z.quant)
            self.producer[id(nz)] = c
            outs.append(nz)
            self.transpose_op(nz, q, dst=z)
        c.outputs = outs
        self.changed = True
        return True

    # ---- final clean-up -----------------------------------------------------------
    def to_reshapes(self):
        """A transpose that keeps the order of the non-1 dims is a reshape."""
        for t in list(self.g.ops):
            perm = _perm_of(t)
            if perm is None or id(t) not in self.live:
                continue
            s = t.inputs[0].shape
            if s is None or sum(d is None for d in s) > 1:
                continue
            moved = [p for p in perm if s[p] != 1]
            if moved != sorted(moved):
                continue
            y = t.outputs[0]
            spec = [-1 if d is None else int(d) for d in y.shape]
            t.type = "RESHAPE"
            t.inputs = [t.inputs[0], self.const(y.name + "/shape", np.array(spec, np.int32))]
            t.options = {"new_shape": spec}
            self.changed = True
            # RESHAPE of a RESHAPE: one is enough.
            src = self.producer.get(id(t.inputs[0]))
            if src is not None and src.type == "RESHAPE" and id(src) in self.live:
                mid = src.outputs[0]
                if len(self.consumers(mid)) == 1 and id(mid) not in self.outputs:
                    t.inputs[0] = src.inputs[0]
                    self.users.setdefault(id(src.inputs[0]), []).append(t)
                    self.remove(src)
            for u in self.consumers(y):
                if u.type == "RESHAPE" and len(self.consumers(y)) == 1 \
                        and id(y) not in self.outputs:
                    self.replace_input(u, y, t.inputs[0])
                    self.remove(t)


# ---- per-op rules: (data input positions, output perms, rewrite(pass, op, ins, P, Pinv)) ----

def _no_rewrite(p, c, ins, perm, inv):
    pass


def _rule(c, perm):
    """(data input positions, output perm markers, rewrite) for pushing ``perm`` below c."""
    t = c.type
    r = len(perm)
    if t in _UNARY:
        return [0], [_P], _no_rewrite
    if t in _NARY:
        if any(o.shape is not None and len(o.shape) != r for o in c.outputs):
            return None
        return list(range(len(c.inputs))), [_P], _no_rewrite
    if t in ("SOFTMAX", "LOG_SOFTMAX", "L2_NORMALIZATION"):
        # These work on the last axis: only a transpose that keeps it last passes.
        if perm[-1] != r - 1:
            return None
        return [0], [_P], _no_rewrite
    if t == "CONCATENATION":
        return list(range(len(c.inputs))), [_P], _axis_option
    if t == "GATHER":
        idx = c.inputs[1]
        if not idx.is_const or np.asarray(idx.data).ndim != 1 or c.options.get("batch_dims", 0):
            return None
        return [0], [_P], _axis_option
    if t == "SPLIT":
        if not c.inputs[0].is_const:
            return None
        return [1], [_P] * len(c.outputs), _axis_input(0)
    if t == "SPLIT_V":
        if not c.inputs[2].is_const:
            return None
        return [0], [_P] * len(c.outputs), _axis_input(2)
    if t in _REDUCE:
        if not c.inputs[1].is_const:
            return None
        if c.options.get("keep_dims", False):
            return [0], [_P], _axes_input
        return [0], [_REDUCED], _axes_input
    if t in _PAD:
        if not c.inputs[1].is_const:
            return None
        return [0], [_P], _pad_rows
    if t == "TILE":
        if not c.inputs[1].is_const:
            return None
        return [0], [_P], _pad_rows
    if t == "STRIDED_SLICE":
        o = c.options
        if any(o.get(k) for k in ("ellipsis_mask", "new_axis_mask", "shrink_axis_mask", "offset")) \
                or not all(i is not None and i.is_const for i in c.inputs[1:4]):
            return None
        return [0], [_P], _strided_slice
    if t == "SLICE":
        if not all(i.is_const for i in c.inputs[1:3]):
            return None
        return [0], [_P], _slice
    return None


# Output-perm markers: the pushed perm itself, or what is left of it after a reduction.
_P = "P"
_REDUCED = "REDUCED"


def _axis_option(p, c, ins, perm, inv):
    a = int(c.options.get("axis", 0))
    r = len(perm)
    c.options = dict(c.options, axis=int(perm[a % r]))


def _axis_input(pos):
    def rewrite(p, c, ins, perm, inv):
        a = int(np.asarray(c.inputs[pos].data).reshape(-1)[0]) % len(perm)
        ins[pos] = p.const(c.inputs[pos].name + "/permuted", np.array(perm[a], np.int32))
    return rewrite


def _axes_input(p, c, ins, perm, inv):
    r = len(perm)
    axes = [int(a) % r for a in np.asarray(c.inputs[1].data).reshape(-1)]
    ins[1] = p.const(c.inputs[1].name + "/permuted",
                     np.array(sorted(perm[a] for a in axes), np.int32))


def _pad_rows(p, c, ins, perm, inv):
    d = np.asarray(c.inputs[1].data)
    ins[1] = p.const(c.inputs[1].name + "/permuted", np.ascontiguousarray(d[list(inv)]))


def _strided_slice(p, c, ins, perm, inv):
    for k in (1, 2, 3):
        d = np.asarray(c.inputs[k].data)
        ins[k] = p.const(c.inputs[k].name + "/permuted", np.ascontiguousarray(d[list(inv)]))
    o = dict(c.options)
    for key in ("begin_mask", "end_mask"):
        m = int(o.get(key, 0))
        o[key] = sum(1 << j for j in range(len(perm)) if m >> inv[j] & 1)
    c.options = o


def _slice(p, c, ins, perm, inv):
    for k in (1, 2):
        d = np.asarray(c.inputs[k].data)
        ins[k] = p.const(c.inputs[k].name + "/permuted", np.ascontiguousarray(d[list(inv)]))


def _resolve(rule, c, perm):
    """Output perms for the markers: the same perm, or the perm left after a reduction."""
    out = []
    for m in rule:
        if m == _P:
            out.append(perm)
        elif m == _REDUCED:
            r = len(perm)
            axes = {int(a) % r for a in np.asarray(c.inputs[1].data).reshape(-1)}
            kept_y = [k for k in range(r) if k not in axes]
            kept_x = sorted(perm[k] for k in kept_y)
            q = tuple(kept_x.index(perm[k]) for k in kept_y)
            out.append(None if q == tuple(range(len(q))) else q)
        else:
            out.append(m)
    return out


