/* pickle.c -- a restricted unpickler (see pickle.h).

   Map:
     arena ........ every value of one parse, freed at once
     VM ........... stack, marks, memo; the opcode loop
     opcodes ...... numbers, strings, containers, memo, globals
     callables .... _reconstruct, dtype, scalar, _frombuffer, _codecs.encode, BUILD
     queries ...... what pickle_model.c asks of the tree

   Safety rules, all enforced before any allocation that depends on them:
   every declared length is compared with the bytes that remain; memo indices
   are bounded by the bytes read so far; array shapes are multiplied with
   overflow checks and must match the raw byte count exactly; stack, marks
   and value counts have the limits of pickle.h.  The loop is iterative, and
   no query recurses, so no file can drive the C stack deep. */
#include <limits.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pickle.h"

/* ======================================================================
   arena
   ====================================================================== */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    alignas(16) unsigned char data[];
};

struct fr_pickle {
    struct arena_block *blocks;
    size_t nvalues;                 /* values created, also their next id */
    struct fr_pk none, yes, no, empty_tuple; /* shared immutable values */
    struct fr_pk *small_ints[256];  /* BININT1 values, made on first use and shared */
    const struct fr_pk *root;
    int protocol;
    unsigned char *plain; /* [nvalues bits] values fr_pk_find_unplain found plain */
};

#define ARENA_BLOCK 65536

static void *arena_alloc(struct fr_pickle *p, size_t bytes)
{
    bytes = (bytes + 15) & ~(size_t)15;
    struct arena_block *b = p->blocks;
    if (!b || b->cap - b->used < bytes) {
        size_t cap = bytes > ARENA_BLOCK / 4 ? bytes : ARENA_BLOCK;
        if (cap > SIZE_MAX - sizeof *b)
            return NULL;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        /* A dedicated block for a big request goes behind the current one,
           so the small allocations keep filling the current block. */
        if (p->blocks && cap != ARENA_BLOCK) {
            b->next = p->blocks->next;
            p->blocks->next = b;
        } else {
            b->next = p->blocks;
            p->blocks = b;
        }
    }
    void *at = b->data + b->used;
    b->used += bytes;
    return at;
}

void fr_pickle_free(struct fr_pickle *p)
{
    if (!p)
        return;
    struct arena_block *b = p->blocks;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(p->plain);
    free(p);
}

const struct fr_pk *fr_pickle_root(const struct fr_pickle *p) { return p->root; }
int fr_pickle_protocol(const struct fr_pickle *p) { return p->protocol; }

/* ======================================================================
   VM
   ====================================================================== */

struct vm {
    struct fr_pickle *p;
    const unsigned char *data;
    size_t size;
    size_t pos;             /* next byte to read */
    size_t op_pos;          /* offset of the opcode being run, for messages */
    int status;             /* set by functions that return NULL on failure */
    struct fr_pk **stack;   /* [capstack] */
    size_t nstack, capstack;
    size_t *marks;          /* [capmarks] stack heights at each MARK */
    size_t nmarks, capmarks;
    struct fr_pk **memo;    /* [capmemo], NULL where unset */
    size_t capmemo, nmemo;  /* nmemo: entries set, the index MEMOIZE uses */
};

static int fail(struct vm *vm, int status, const char *what)
{
    return fr_error(status, "pickle byte %zu: %s", vm->op_pos, what);
}

#define FAILF(vm, status, fmt, ...) \
    fr_error(status, "pickle byte %zu: " fmt, (vm)->op_pos, __VA_ARGS__)

static struct fr_pk *new_value(struct vm *vm, int type)
{
    struct fr_pickle *p = vm->p;
    if (p->nvalues >= FR_PK_MAX_VALUES) {
        vm->status = FAILF(vm, FOLKRNN_E_UNSUPPORTED, "more than %u values", FR_PK_MAX_VALUES);
        return NULL;
    }
    struct fr_pk *v = arena_alloc(p, sizeof *v);
    if (!v) {
        vm->status = fr_oom("pickle value", sizeof *v);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = type;
    v->id = (uint32_t)p->nvalues++;
    return v;
}

/* Grow the malloc'd array whose pointer is at *pitems (any pointer type: it
   is read and written with memcpy, not through a void ** cast) to hold at
   least need items, doubling, at most limit. */
static int grow(void *pitems, size_t *cap, size_t need, size_t size, size_t limit,
                const char *what)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > limit)
        ncap = limit;
    if (ncap < need)
        return fr_error(FOLKRNN_E_UNSUPPORTED, "pickle needs more than %zu %s", limit, what);
    void *items;
    memcpy(&items, pitems, sizeof items);
    items = realloc(items, ncap * size);
    if (!items)
        return fr_oom(what, ncap * size);
    memcpy(pitems, &items, sizeof items);
    *cap = ncap;
    return 0;
}

static int push(struct vm *vm, struct fr_pk *v)
{
    if (!v)
        return vm->status;
    if (vm->nstack < vm->capstack) {
        vm->stack[vm->nstack++] = v;
        return 0;
    }
    int rc = grow(&vm->stack, &vm->capstack, vm->nstack + 1, sizeof *vm->stack,
                  FR_PK_MAX_STACK, "stack entries");
    if (rc)
        return rc;
    vm->stack[vm->nstack++] = v;
    return 0;
}

/* Values above the innermost MARK: what an ordinary opcode may pop. */
static size_t avail(const struct vm *vm)
{
    return vm->nstack - (vm->nmarks ? vm->marks[vm->nmarks - 1] : 0);
}

static int need_values(struct vm *vm, size_t n, const char *op)
{
    if (avail(vm) < n)
        return FAILF(vm, FOLKRNN_E_FORMAT, "%s needs %zu value%s on the stack", op, n,
                     n == 1 ? "" : "s");
    return 0;
}

static struct fr_pk *pop(struct vm *vm) { return vm->stack[--vm->nstack]; }
static struct fr_pk *top(struct vm *vm) { return vm->stack[vm->nstack - 1]; }

/* Remove the innermost MARK; *from is where its values begin. */
static int pop_mark(struct vm *vm, const char *op, size_t *from)
{
    if (!vm->nmarks)
        return FAILF(vm, FOLKRNN_E_FORMAT, "%s without a MARK", op);
    *from = vm->marks[--vm->nmarks];
    return 0;
}

/* Read n bytes of operand: a pointer into data, or NULL when fewer remain. */
static const unsigned char *take(struct vm *vm, uint64_t n)
{
    if ((uint64_t)(vm->size - vm->pos) < n)
        return NULL;
    const unsigned char *at = vm->data + vm->pos;
    vm->pos += n;
    return at;
}

static uint64_t read_le(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; k--)
        v = v << 8 | b[k];
    return v;
}

static int truncated(struct vm *vm)
{
    return fail(vm, FOLKRNN_E_FORMAT, "file ends inside an opcode (truncated)");
}

/* ======================================================================
   opcodes: numbers and strings
   ====================================================================== */

static int push_int(struct vm *vm, int64_t i)
{
    struct fr_pk *v = new_value(vm, FR_PK_INT);
    if (v)
        v->u.i = i;
    return push(vm, v);
}

/* BININT1 (1 byte, unsigned), BININT2 (2, unsigned), BININT (4, signed). */
static int op_binint(struct vm *vm, int nbytes)
{
    const unsigned char *b = take(vm, nbytes);
    if (!b)
        return truncated(vm);
    uint64_t u = read_le(b, nbytes);
    if (nbytes == 1) { /* small ints recur in every array's pickle: share them */
        struct fr_pk **cached = &vm->p->small_ints[u];
        if (!*cached && (*cached = new_value(vm, FR_PK_INT)))
            (*cached)->u.i = (int64_t)u;
        return push(vm, *cached);
    }
    return push_int(vm, nbytes == 4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u);
}

/* LONG1 / LONG4: a little-endian two's complement integer of declared length. */
static int op_long(struct vm *vm, int lenbytes)
{
    const unsigned char *lb = take(vm, lenbytes);
    if (!lb)
        return truncated(vm);
    uint64_t n = read_le(lb, lenbytes);
    if (lenbytes == 4 && (n & 0x80000000u))
        return fail(vm, FOLKRNN_E_FORMAT, "LONG4 with a negative length");
    const unsigned char *b = take(vm, n);
    if (!b)
        return FAILF(vm, FOLKRNN_E_FORMAT, "integer declares %llu bytes but %zu remain",
                     (unsigned long long)n, vm->size - vm->pos);
    /* Bytes beyond the 8th must only repeat the sign. */
    int negative = n && (b[n - 1] & 0x80);
    for (uint64_t k = 8; k < n; k++)
        if (b[k] != (negative ? 0xff : 0x00))
            return fail(vm, FOLKRNN_E_UNSUPPORTED, "integer wider than 64 bits");
    int used = n < 8 ? (int)n : 8;
    uint64_t u = read_le(b, used);
    if (used < 8 && negative)
        u |= ~(uint64_t)0 << (8 * used);
    if (used == 8 && n > 8 && ((u >> 63) != (uint64_t)negative))
        return fail(vm, FOLKRNN_E_UNSUPPORTED, "integer wider than 64 bits");
    return push_int(vm, (int64_t)u);
}

static int op_binfloat(struct vm *vm)
{
    const unsigned char *b = take(vm, 8);
    if (!b)
        return truncated(vm);
    uint64_t u = 0;
    for (int k = 0; k < 8; k++) /* big-endian */
        u = u << 8 | b[k];
    struct fr_pk *v = new_value(vm, FR_PK_FLOAT);
    if (v)
        memcpy(&v->u.f, &u, sizeof u);
    return push(vm, v);
}

/* Strings, bytes and bytearrays: a length of lenbytes bytes, then the data,
   which stays in place.  BINSTRING's length is signed. */
static int op_string(struct vm *vm, int lenbytes, int type, int is_signed)
{
    const unsigned char *lb = take(vm, lenbytes);
    if (!lb)
        return truncated(vm);
    uint64_t n = read_le(lb, lenbytes);
    if (is_signed && (n & 0x80000000u))
        return fail(vm, FOLKRNN_E_FORMAT, "string with a negative length");
    const unsigned char *b = take(vm, n);
    if (!b)
        return FAILF(vm, FOLKRNN_E_FORMAT, "string declares %llu bytes but %zu remain",
                     (unsigned long long)n, vm->size - vm->pos);
    struct fr_pk *v = new_value(vm, type);
    if (v) {
        v->u.s.p = b;
        v->u.s.n = (size_t)n;
    }
    return push(vm, v);
}

/* FRAME only announces how many bytes follow; check it, then ignore it. */
static int op_frame(struct vm *vm)
{
    const unsigned char *lb = take(vm, 8);
    if (!lb)
        return truncated(vm);
    uint64_t n = read_le(lb, 8);
    if (n > vm->size - vm->pos)
        return FAILF(vm, FOLKRNN_E_FORMAT, "FRAME declares %llu bytes but %zu remain",
                     (unsigned long long)n, vm->size - vm->pos);
    return 0;
}

/* ======================================================================
   opcodes: containers
   ====================================================================== */

/* Append n values to a container's items (in the arena, doubling). */
static int seq_append(struct vm *vm, struct fr_pk *c, struct fr_pk *const *vals, size_t n)
{
    if (n == 0)
        return 0;
    if (c->u.seq.n + n > c->u.seq.cap) {
        size_t cap = c->u.seq.cap ? c->u.seq.cap : 4;
        while (cap < c->u.seq.n + n)
            cap *= 2;
        struct fr_pk **items = arena_alloc(vm->p, cap * sizeof *items);
        if (!items)
            return fr_oom("pickle container", cap * sizeof *items);
        if (c->u.seq.n)
            memcpy(items, c->u.seq.items, c->u.seq.n * sizeof *items);
        c->u.seq.items = items;
        c->u.seq.cap = cap;
    }
    memcpy(c->u.seq.items + c->u.seq.n, vals, n * sizeof *vals);
    c->u.seq.n += n;
    return 0;
}

/* A new container of the stack's values [from, nstack), which it replaces. */
static int collect(struct vm *vm, int type, size_t from)
{
    size_t n = vm->nstack - from;
    if (type == FR_PK_TUPLE && n == 0) {
        vm->nstack = from;
        return push(vm, &vm->p->empty_tuple);
    }
    if (type == FR_PK_DICT && n % 2)
        return fail(vm, FOLKRNN_E_FORMAT, "DICT with an odd number of values");
    struct fr_pk *c = new_value(vm, type);
    if (!c)
        return vm->status;
    /* robustness (issue 8): with n == 0 the stack may never have been
       allocated, and NULL + 0 is undefined behaviour (UBSan in fuzz_pickle,
       tests/regress/pickle/ubsan-null-stack). */
    int rc = n ? seq_append(vm, c, vm->stack + from, n) : 0;
    if (rc)
        return rc;
    vm->nstack = from;
    return push(vm, c);
}

/* TUPLE1..3 */
static int op_tuple_n(struct vm *vm, size_t n, const char *op)
{
    int rc = need_values(vm, n, op);
    return rc ? rc : collect(vm, FR_PK_TUPLE, vm->nstack - n);
}

/* TUPLE, LIST, DICT, FROZENSET: everything since the MARK. */
static int op_collect_mark(struct vm *vm, int type, const char *op)
{
    size_t from = 0;
    int rc = pop_mark(vm, op, &from);
    return rc ? rc : collect(vm, type, from);
}

/* APPEND, SETITEM: the last n values go into the container below them.
   APPENDS, SETITEMS, ADDITEMS: the values since the MARK do. */
static int add_items(struct vm *vm, size_t from, int type, const char *op)
{
    if (from == 0 || from - 1 < (vm->nmarks ? vm->marks[vm->nmarks - 1] : 0))
        return FAILF(vm, FOLKRNN_E_FORMAT, "%s without a container", op);
    struct fr_pk *c = vm->stack[from - 1];
    if (c->type != type)
        return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "%s on %s", op, fr_pk_type_name(c));
    size_t n = vm->nstack - from;
    if (type == FR_PK_DICT && n % 2)
        return FAILF(vm, FOLKRNN_E_FORMAT, "%s with an odd number of values", op);
    int rc = seq_append(vm, c, vm->stack + from, n);
    vm->nstack = from;
    return rc;
}

static int op_add_last(struct vm *vm, size_t n, int type, const char *op)
{
    int rc = need_values(vm, n + 1, op);
    return rc ? rc : add_items(vm, vm->nstack - n, type, op);
}

static int op_add_mark(struct vm *vm, int type, const char *op)
{
    size_t from = 0;
    int rc = pop_mark(vm, op, &from);
    return rc ? rc : add_items(vm, from, type, op);
}

static int op_mark(struct vm *vm)
{
    int rc = grow(&vm->marks, &vm->capmarks, vm->nmarks + 1, sizeof *vm->marks,
                  FR_PK_MAX_MARKS, "nested MARKs");
    if (rc)
        return rc;
    vm->marks[vm->nmarks++] = vm->nstack;
    return 0;
}

/* POP drops the top value, or the MARK when nothing is above it. */
static int op_pop(struct vm *vm)
{
    size_t from = 0;
    if (avail(vm)) {
        vm->nstack--;
        return 0;
    }
    return pop_mark(vm, "POP", &from);
}

static int op_pop_mark(struct vm *vm)
{
    size_t from = 0;
    int rc = pop_mark(vm, "POP_MARK", &from);
    if (!rc)
        vm->nstack = from;
    return rc;
}

/* ======================================================================
   opcodes: memo
   ====================================================================== */

/* Indices are bounded by the bytes read so far (every pickler numbers its
   memo entries from 0 upwards, one per PUT), so the memo never outgrows the
   file. */
static int memo_put(struct vm *vm, uint64_t idx)
{
    int rc = need_values(vm, 1, "PUT");
    if (rc)
        return rc;
    if (idx >= 256 && idx >= vm->op_pos)
        return FAILF(vm, FOLKRNN_E_FORMAT, "memo index %llu is out of range",
                     (unsigned long long)idx);
    size_t limit = vm->size > 256 ? vm->size : 256;
    size_t oldcap = vm->capmemo;
    rc = grow(&vm->memo, &vm->capmemo, (size_t)idx + 1, sizeof *vm->memo, limit,
              "memo entries");
    if (rc)
        return rc;
    for (size_t k = oldcap; k < vm->capmemo; k++)
        vm->memo[k] = NULL;
    if (!vm->memo[idx])
        vm->nmemo++;
    vm->memo[idx] = top(vm);
    return 0;
}

static int op_put(struct vm *vm, int nbytes)
{
    const unsigned char *b = take(vm, nbytes);
    return b ? memo_put(vm, read_le(b, nbytes)) : truncated(vm);
}

static int op_get(struct vm *vm, int nbytes)
{
    const unsigned char *b = take(vm, nbytes);
    if (!b)
        return truncated(vm);
    uint64_t idx = read_le(b, nbytes);
    if (idx >= vm->capmemo || !vm->memo[idx])
        return FAILF(vm, FOLKRNN_E_FORMAT, "memo entry %llu was never stored",
                     (unsigned long long)idx);
    return push(vm, vm->memo[idx]);
}

/* ======================================================================
   opcodes: globals
   ====================================================================== */

static const struct {
    const char *module, *name;
    int g;
} permitted[] = {
    {"numpy.core.multiarray", "_reconstruct", FR_PK_G_RECONSTRUCT},
    {"numpy._core.multiarray", "_reconstruct", FR_PK_G_RECONSTRUCT},
    {"numpy.core._multiarray_umath", "_reconstruct", FR_PK_G_RECONSTRUCT}, /* numpy 1.16.0 */
    {"numpy.core.multiarray", "scalar", FR_PK_G_SCALAR},
    {"numpy._core.multiarray", "scalar", FR_PK_G_SCALAR},
    {"numpy.core._multiarray_umath", "scalar", FR_PK_G_SCALAR},
    {"numpy.core.numeric", "_frombuffer", FR_PK_G_FROMBUFFER},
    {"numpy._core.numeric", "_frombuffer", FR_PK_G_FROMBUFFER},
    {"numpy", "ndarray", FR_PK_G_NDARRAY},
    {"numpy", "dtype", FR_PK_G_DTYPE},
    {"_codecs", "encode", FR_PK_G_ENCODE},
};

/* s[0..n) equals the NUL-terminated lit, read without strlen (this runs
   for every GLOBAL against every permitted name). */
static int str_is(const unsigned char *s, size_t n, const char *lit)
{
    size_t k = 0;
    while (k < n && lit[k] && (unsigned char)lit[k] == s[k])
        k++;
    return k == n && lit[k] == 0;
}

/* Copy at most cap-1 bytes of s into buf for a message, '?' for bytes that
   are not printable ASCII. */
static const char *printable(char *buf, size_t cap, const unsigned char *s, size_t n)
{
    size_t k = 0;
    for (; k < n && k + 1 < cap; k++)
        buf[k] = s[k] >= 0x20 && s[k] < 0x7f ? (char)s[k] : '?';
    buf[k] = 0;
    return buf;
}

static int push_global(struct vm *vm, const unsigned char *mod, size_t nmod,
                       const unsigned char *name, size_t nname)
{
    for (size_t k = 0; k < sizeof permitted / sizeof permitted[0]; k++) {
        if (str_is(mod, nmod, permitted[k].module) && str_is(name, nname, permitted[k].name)) {
            struct fr_pk *v = new_value(vm, FR_PK_GLOBAL);
            if (v)
                v->u.g = permitted[k].g;
            return push(vm, v);
        }
    }
    char m[100], n[100];
    return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "pickle global %s.%s is not allowed",
                 printable(m, sizeof m, mod, nmod), printable(n, sizeof n, name, nname));
}

/* GLOBAL: "module\nname\n" */
static int op_global(struct vm *vm)
{
    const unsigned char *mod = vm->data + vm->pos;
    const unsigned char *nl1 = memchr(mod, '\n', vm->size - vm->pos);
    if (!nl1)
        return truncated(vm);
    const unsigned char *name = nl1 + 1;
    const unsigned char *nl2 = memchr(name, '\n', (size_t)(vm->data + vm->size - name));
    if (!nl2)
        return truncated(vm);
    vm->pos = (size_t)(nl2 + 1 - vm->data);
    return push_global(vm, mod, (size_t)(nl1 - mod), name, (size_t)(nl2 - name));
}

static int op_stack_global(struct vm *vm)
{
    int rc = need_values(vm, 2, "STACK_GLOBAL");
    if (rc)
        return rc;
    struct fr_pk *name = pop(vm), *mod = pop(vm);
    if (mod->type != FR_PK_STR || name->type != FR_PK_STR)
        return fail(vm, FOLKRNN_E_FORMAT, "STACK_GLOBAL needs two strings");
    return push_global(vm, mod->u.s.p, mod->u.s.n, name->u.s.p, name->u.s.n);
}

/* ======================================================================
   callables: the numpy functions, _codecs.encode, BUILD
   ====================================================================== */

static int host_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

static int is_text(const struct fr_pk *v)
{
    return v->type == FR_PK_STR || v->type == FR_PK_BYTES;
}

static const struct fr_pk *item(const struct fr_pk *t, size_t k) { return t->u.seq.items[k]; }

/* numpy.dtype('f4', align, copy): only plain numbers. */
static struct fr_pk *call_dtype(struct vm *vm, const struct fr_pk *args)
{
    const struct fr_pk *d = args->u.seq.n >= 1 ? item(args, 0) : NULL;
    if (!d || !is_text(d)) {
        vm->status = fail(vm, FOLKRNN_E_FORMAT, "numpy.dtype without a type string");
        return NULL;
    }
    const unsigned char *s = d->u.s.p;
    size_t n = d->u.s.n;
    int size = n == 2 && s[1] >= '1' && s[1] <= '8' ? s[1] - '0' : 0;
    int ok = n == 2 && ((s[0] == 'f' && (size == 4 || size == 8)) ||
                        ((s[0] == 'i' || s[0] == 'u') &&
                         (size == 1 || size == 2 || size == 4 || size == 8)) ||
                        (s[0] == 'b' && size == 1));
    if (!ok) {
        char t[40];
        vm->status = FAILF(vm, FOLKRNN_E_UNSUPPORTED,
                           "numpy dtype '%s' is not supported (only numbers: f4 f8 i1-i8 u1-u8 b1)",
                           printable(t, sizeof t, s, n));
        return NULL;
    }
    struct fr_pk *v = new_value(vm, FR_PK_DTYPE);
    if (!v)
        return NULL;
    struct fr_pk_dtype *dt = arena_alloc(vm->p, sizeof *dt);
    if (!dt) {
        vm->status = fr_oom("pickle dtype", sizeof *dt);
        return NULL;
    }
    dt->kind = (char)s[0];
    dt->itemsize = size;
    dt->big_endian = host_big_endian(); /* until BUILD says otherwise */
    v->u.dt = dt;
    return v;
}

/* BUILD on a dtype: state (version, byteorder, subarray, names, fields, ...). */
static int build_dtype(struct vm *vm, struct fr_pk_dtype *dt, const struct fr_pk *st)
{
    int64_t version;
    if (st->type != FR_PK_TUPLE || st->u.seq.n < 2 || !fr_pk_integer(item(st, 0), &version) ||
        !is_text(item(st, 1)) || item(st, 1)->u.s.n != 1)
        return fail(vm, FOLKRNN_E_FORMAT, "numpy dtype state is not (version, byteorder, ...)");
    if (version < 3)
        return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "numpy dtype state version %lld",
                     (long long)version);
    if (st->u.seq.n >= 4 && (item(st, 2)->type != FR_PK_NONE || item(st, 3)->type != FR_PK_NONE))
        return fail(vm, FOLKRNN_E_UNSUPPORTED, "structured or subarray numpy dtype");
    switch (item(st, 1)->u.s.p[0]) {
    case '<': dt->big_endian = 0; break;
    case '>': dt->big_endian = 1; break;
    case '|': case '=': dt->big_endian = host_big_endian(); break;
    default: return fail(vm, FOLKRNN_E_FORMAT, "numpy dtype byte order not one of < > | =");
    }
    return 0;
}

/* Set an array's shape, dtype and data, checking that the shape's product,
   computed without overflow, needs exactly the bytes present. */
static int set_array(struct vm *vm, struct fr_pk_array *a, const struct fr_pk *shape,
                     const struct fr_pk *dtype, int fortran, const struct fr_pk *raw)
{
    if (shape->type != FR_PK_TUPLE || dtype->type != FR_PK_DTYPE)
        return fail(vm, FOLKRNN_E_FORMAT, "numpy array without a shape tuple and a dtype");
    if (raw->type != FR_PK_BYTES)
        return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "numpy array data is %s, not bytes",
                     fr_pk_type_name(raw));
    size_t ndim = shape->u.seq.n;
    if (ndim > FR_PK_MAX_DIMS)
        return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "numpy array of %zu dimensions", ndim);
    int64_t *dims = arena_alloc(vm->p, (ndim ? ndim : 1) * sizeof *dims);
    if (!dims)
        return fr_oom("pickle array shape", ndim * sizeof *dims);
    size_t count = 1, itemsize = (size_t)dtype->u.dt->itemsize;
    int overflow = 0;
    for (size_t k = 0; k < ndim; k++) {
        int64_t d;
        if (!fr_pk_integer(item(shape, k), &d) || d < 0)
            return fail(vm, FOLKRNN_E_FORMAT, "numpy array shape holds a negative or non-integer size");
        dims[k] = d;
        if (d && count > SIZE_MAX / itemsize / (uint64_t)d)
            overflow = 1; /* keep checking the rest; a 0 later makes it fine */
        else
            count *= (size_t)d;
    }
    if (count == 0)
        overflow = 0;
    if (overflow || count * itemsize != raw->u.s.n)
        return FAILF(vm, FOLKRNN_E_FORMAT,
                     "numpy array data holds %zu bytes, which does not fit its shape", raw->u.s.n);
    a->ndim = (int)ndim;
    a->shape = dims;
    a->count = count;
    a->fortran = fortran;
    a->dtype = *dtype->u.dt;
    a->data = raw->u.s.p;
    a->built = 1;
    return 0;
}

static struct fr_pk *new_array(struct vm *vm)
{
    struct fr_pk *v = new_value(vm, FR_PK_ARRAY);
    if (!v)
        return NULL;
    v->u.arr = arena_alloc(vm->p, sizeof *v->u.arr);
    if (!v->u.arr) {
        vm->status = fr_oom("pickle array", sizeof *v->u.arr);
        return NULL;
    }
    memset(v->u.arr, 0, sizeof *v->u.arr);
    return v;
}

/* _reconstruct(numpy.ndarray, (0,), b'b'): an empty array BUILD fills in. */
static struct fr_pk *call_reconstruct(struct vm *vm, const struct fr_pk *args)
{
    if (args->u.seq.n != 3 || item(args, 0)->type != FR_PK_GLOBAL ||
        item(args, 0)->u.g != FR_PK_G_NDARRAY) {
        vm->status = fail(vm, FOLKRNN_E_UNSUPPORTED,
                          "_reconstruct of something other than numpy.ndarray");
        return NULL;
    }
    return new_array(vm);
}

/* BUILD on an array from _reconstruct:
   state (version, shape, dtype, is_fortran, raw bytes), version optional. */
static int build_array(struct vm *vm, struct fr_pk_array *a, const struct fr_pk *st)
{
    if (a->built)
        return fail(vm, FOLKRNN_E_FORMAT, "BUILD on an array that already has data");
    size_t n = st->type == FR_PK_TUPLE ? st->u.seq.n : 0;
    if (n != 4 && n != 5)
        return fail(vm, FOLKRNN_E_FORMAT, "numpy array state is not a tuple of 4 or 5 values");
    size_t k = n - 4;
    int64_t fortran;
    if (!fr_pk_integer(item(st, k + 2), &fortran))
        return fail(vm, FOLKRNN_E_FORMAT, "numpy array state: is_fortran is not a bool");
    return set_array(vm, a, item(st, k), item(st, k + 1), fortran != 0, item(st, k + 3));
}

/* scalar(dtype, raw bytes): a 0-d array. */
static struct fr_pk *call_scalar(struct vm *vm, const struct fr_pk *args)
{
    if (args->u.seq.n != 2) {
        vm->status = fail(vm, FOLKRNN_E_FORMAT, "numpy scalar needs (dtype, bytes)");
        return NULL;
    }
    struct fr_pk *v = new_array(vm);
    if (v) {
        int rc = set_array(vm, v->u.arr, &vm->p->empty_tuple, item(args, 0), 0, item(args, 1));
        if (rc) {
            vm->status = rc;
            return NULL;
        }
    }
    return v;
}

/* _frombuffer(buffer, dtype, shape, order): protocol 5's in-band arrays. */
static struct fr_pk *call_frombuffer(struct vm *vm, const struct fr_pk *args)
{
    if (args->u.seq.n != 4 || !is_text(item(args, 3)) || item(args, 3)->u.s.n != 1) {
        vm->status = fail(vm, FOLKRNN_E_FORMAT, "_frombuffer needs (buffer, dtype, shape, order)");
        return NULL;
    }
    char order = (char)item(args, 3)->u.s.p[0];
    if (order != 'C' && order != 'F') {
        vm->status = fail(vm, FOLKRNN_E_FORMAT, "_frombuffer order is not 'C' or 'F'");
        return NULL;
    }
    struct fr_pk *v = new_array(vm);
    if (v) {
        int rc = set_array(vm, v->u.arr, item(args, 2), item(args, 1), order == 'F', item(args, 0));
        if (rc) {
            vm->status = rc;
            return NULL;
        }
    }
    return v;
}

/* _codecs.encode(str, 'latin1'): how Python 3 writes bytes in protocol 2.
   The str holds one character per byte, U+0000 to U+00FF, as UTF-8. */
static struct fr_pk *call_encode(struct vm *vm, const struct fr_pk *args)
{
    if (args->u.seq.n != 2 || item(args, 0)->type != FR_PK_STR || !is_text(item(args, 1)) ||
        !(str_is(item(args, 1)->u.s.p, item(args, 1)->u.s.n, "latin1") ||
          str_is(item(args, 1)->u.s.p, item(args, 1)->u.s.n, "latin-1"))) {
        vm->status = fail(vm, FOLKRNN_E_UNSUPPORTED, "_codecs.encode other than (str, 'latin1')");
        return NULL;
    }
    const unsigned char *s = item(args, 0)->u.s.p;
    size_t n = item(args, 0)->u.s.n, len = 0;
    unsigned char *out = arena_alloc(vm->p, n ? n : 1);
    if (!out) {
        vm->status = fr_oom("pickle bytes", n);
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        if (s[k] < 0x80) {
            out[len++] = s[k];
        } else if ((s[k] == 0xc2 || s[k] == 0xc3) && k + 1 < n && (s[k + 1] & 0xc0) == 0x80) {
            out[len++] = (unsigned char)((s[k] & 0x03) << 6 | (s[k + 1] & 0x3f));
            k++;
        } else {
            vm->status = fail(vm, FOLKRNN_E_FORMAT, "_codecs.encode: not latin-1 text (a "
                                                    "character above U+00FF, or malformed UTF-8)");
            return NULL;
        }
    }
    struct fr_pk *v = new_value(vm, FR_PK_BYTES);
    if (v) {
        v->u.s.p = out;
        v->u.s.n = len;
    }
    return v;
}

static int op_reduce(struct vm *vm)
{
    int rc = need_values(vm, 2, "REDUCE");
    if (rc)
        return rc;
    struct fr_pk *args = pop(vm), *fn = pop(vm);
    if (fn->type != FR_PK_GLOBAL)
        return FAILF(vm, FOLKRNN_E_FORMAT, "REDUCE calls %s", fr_pk_type_name(fn));
    if (args->type != FR_PK_TUPLE)
        return fail(vm, FOLKRNN_E_FORMAT, "REDUCE arguments are not a tuple");
    struct fr_pk *r = NULL;
    switch (fn->u.g) {
    case FR_PK_G_RECONSTRUCT: r = call_reconstruct(vm, args); break;
    case FR_PK_G_DTYPE: r = call_dtype(vm, args); break;
    case FR_PK_G_SCALAR: r = call_scalar(vm, args); break;
    case FR_PK_G_FROMBUFFER: r = call_frombuffer(vm, args); break;
    case FR_PK_G_ENCODE: r = call_encode(vm, args); break;
    default:
        return fail(vm, FOLKRNN_E_UNSUPPORTED, "numpy.ndarray called other than by _reconstruct");
    }
    return push(vm, r);
}

static int op_build(struct vm *vm)
{
    int rc = need_values(vm, 2, "BUILD");
    if (rc)
        return rc;
    struct fr_pk *state = pop(vm), *obj = top(vm);
    if (obj->type == FR_PK_ARRAY)
        return build_array(vm, obj->u.arr, state);
    if (obj->type == FR_PK_DTYPE)
        return build_dtype(vm, obj->u.dt, state);
    return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "BUILD on %s", fr_pk_type_name(obj));
}

/* ======================================================================
   the opcode loop
   ====================================================================== */

/* Opcodes of protocols 0 and 1, and those that make class instances or
   reach outside the file: refused by name. */
static const char *refused_name(int op)
{
    switch (op) {
    case 'I': return "INT"; case 'L': return "LONG"; case 'F': return "FLOAT";
    case 'S': return "STRING"; case 'V': return "UNICODE"; case 'p': return "PUT";
    case 'g': return "GET"; case 'i': return "INST"; case 'o': return "OBJ";
    case 'P': return "PERSID"; case 'Q': return "BINPERSID"; case 0x81: return "NEWOBJ";
    case 0x92: return "NEWOBJ_EX"; case 0x82: return "EXT1"; case 0x83: return "EXT2";
    case 0x84: return "EXT4"; case 0x97: return "NEXT_BUFFER (out-of-band data)";
    default: return NULL;
    }
}

static int op_readonly_buffer(struct vm *vm)
{
    int rc = need_values(vm, 1, "READONLY_BUFFER");
    if (!rc && top(vm)->type != FR_PK_BYTES)
        rc = fail(vm, FOLKRNN_E_FORMAT, "READONLY_BUFFER on something other than bytes");
    return rc;
}

static int op_proto(struct vm *vm)
{
    const unsigned char *b = take(vm, 1);
    if (!b)
        return truncated(vm);
    if (*b < 2 || *b > 5)
        return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "pickle protocol %d (2 to 5 are supported)", *b);
    if (!vm->p->protocol)
        vm->p->protocol = *b;
    return 0;
}

static int run_op(struct vm *vm, int op)
{
    struct fr_pickle *p = vm->p;
    switch (op) {
    case 0x80: return op_proto(vm);
    case 0x95: return op_frame(vm);
    case '(': return op_mark(vm);
    case '0': return op_pop(vm);
    case '1': return op_pop_mark(vm);
    case '2': { int rc = need_values(vm, 1, "DUP"); return rc ? rc : push(vm, top(vm)); }
    case 'N': return push(vm, &p->none);
    case 0x88: return push(vm, &p->yes);
    case 0x89: return push(vm, &p->no);
    case 'K': return op_binint(vm, 1);
    case 'M': return op_binint(vm, 2);
    case 'J': return op_binint(vm, 4);
    case 0x8a: return op_long(vm, 1);
    case 0x8b: return op_long(vm, 4);
    case 'G': return op_binfloat(vm);
    case 'U': return op_string(vm, 1, FR_PK_BYTES, 0);  /* SHORT_BINSTRING */
    case 'T': return op_string(vm, 4, FR_PK_BYTES, 1);  /* BINSTRING */
    case 'C': return op_string(vm, 1, FR_PK_BYTES, 0);  /* SHORT_BINBYTES */
    case 'B': return op_string(vm, 4, FR_PK_BYTES, 0);  /* BINBYTES */
    case 0x8e: return op_string(vm, 8, FR_PK_BYTES, 0); /* BINBYTES8 */
    case 0x96: return op_string(vm, 8, FR_PK_BYTES, 0); /* BYTEARRAY8 */
    case 0x8c: return op_string(vm, 1, FR_PK_STR, 0);   /* SHORT_BINUNICODE */
    case 'X': return op_string(vm, 4, FR_PK_STR, 0);    /* BINUNICODE */
    case 0x8d: return op_string(vm, 8, FR_PK_STR, 0);   /* BINUNICODE8 */
    case 0x98: return op_readonly_buffer(vm);
    case ')': return push(vm, &p->empty_tuple);
    case 't': return op_collect_mark(vm, FR_PK_TUPLE, "TUPLE");
    case 0x85: return op_tuple_n(vm, 1, "TUPLE1");
    case 0x86: return op_tuple_n(vm, 2, "TUPLE2");
    case 0x87: return op_tuple_n(vm, 3, "TUPLE3");
    case ']': return push(vm, new_value(vm, FR_PK_LIST));
    case 'l': return op_collect_mark(vm, FR_PK_LIST, "LIST");
    case 'a': return op_add_last(vm, 1, FR_PK_LIST, "APPEND");
    case 'e': return op_add_mark(vm, FR_PK_LIST, "APPENDS");
    case '}': return push(vm, new_value(vm, FR_PK_DICT));
    case 'd': return op_collect_mark(vm, FR_PK_DICT, "DICT");
    case 's': return op_add_last(vm, 2, FR_PK_DICT, "SETITEM");
    case 'u': return op_add_mark(vm, FR_PK_DICT, "SETITEMS");
    case 0x8f: return push(vm, new_value(vm, FR_PK_SET));
    case 0x90: return op_add_mark(vm, FR_PK_SET, "ADDITEMS");
    case 0x91: return op_collect_mark(vm, FR_PK_SET, "FROZENSET");
    case 'c': return op_global(vm);
    case 0x93: return op_stack_global(vm);
    case 'R': return op_reduce(vm);
    case 'b': return op_build(vm);
    case 'q': return op_put(vm, 1);
    case 'r': return op_put(vm, 4);
    case 0x94: return memo_put(vm, vm->nmemo);
    case 'h': return op_get(vm, 1);
    case 'j': return op_get(vm, 4);
    }
    const char *name = refused_name(op);
    if (name)
        return FAILF(vm, FOLKRNN_E_UNSUPPORTED, "pickle opcode %s is not supported", name);
    return FAILF(vm, FOLKRNN_E_FORMAT, "unknown pickle opcode 0x%02x", op);
}

static int run(struct vm *vm)
{
    for (;;) {
        if (vm->pos >= vm->size)
            return fr_error(FOLKRNN_E_FORMAT, "pickle ends at byte %zu without STOP (truncated)",
                            vm->size);
        vm->op_pos = vm->pos;
        int op = vm->data[vm->pos++];
        if (op == '.') {
            int rc = need_values(vm, 1, "STOP");
            if (!rc)
                vm->p->root = top(vm);
            return rc;
        }
        int rc = run_op(vm, op);
        if (rc)
            return rc;
    }
}

static void init_constants(struct fr_pickle *p)
{
    p->none.type = FR_PK_NONE;
    p->yes.type = FR_PK_BOOL;
    p->yes.u.i = 1;
    p->no.type = FR_PK_BOOL;
    p->empty_tuple.type = FR_PK_TUPLE;
    p->none.id = 0;
    p->yes.id = 1;
    p->no.id = 2;
    p->empty_tuple.id = 3;
    p->nvalues = 4;
}

int fr_pickle_parse(const unsigned char *data, size_t size, struct fr_pickle **out)
{
    if (!data || !out)
        return fr_error(FOLKRNN_E_INVALID, "fr_pickle_parse: NULL argument");
    *out = NULL;
    if (size < 2 || data[0] != 0x80)
        return fr_error(FOLKRNN_E_FORMAT, "not a pickle of protocol 2 or later (no PROTO opcode)");
    struct fr_pickle *p = calloc(1, sizeof *p);
    if (!p)
        return fr_oom("pickle", sizeof *p);
    init_constants(p);
    struct vm vm = {.p = p, .data = data, .size = size};
    int rc = run(&vm);
    free(vm.stack);
    free(vm.marks);
    free(vm.memo);
    if (rc) {
        fr_pickle_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ======================================================================
   queries
   ====================================================================== */

size_t fr_pk_len(const struct fr_pk *v)
{
    switch (v->type) {
    case FR_PK_TUPLE: case FR_PK_LIST: case FR_PK_SET: return v->u.seq.n;
    case FR_PK_DICT: return v->u.seq.n / 2;
    default: return 0;
    }
}

int fr_pk_text_eq(const struct fr_pk *v, const char *key)
{
    return is_text(v) && str_is(v->u.s.p, v->u.s.n, key);
}

const struct fr_pk *fr_pk_dict_get(const struct fr_pk *dict, const char *key)
{
    if (dict->type != FR_PK_DICT)
        return NULL;
    for (size_t k = dict->u.seq.n; k >= 2; k -= 2)
        if (fr_pk_text_eq(dict->u.seq.items[k - 2], key))
            return dict->u.seq.items[k - 1];
    return NULL;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 :
                 s[0] >= 0xe0 && s[0] < 0xf0 ? 3 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    return len;
}

static int is_utf8(const unsigned char *s, size_t n)
{
    for (size_t k = 0, len; k < n; k += len)
        if (!(len = utf8_seq(s + k, n - k)))
            return 0;
    return 1;
}

char *fr_pk_text_dup(const struct fr_pk *v, int *oom)
{
    *oom = 0;
    if (!is_text(v) || memchr(v->u.s.p, 0, v->u.s.n))
        return NULL;
    const unsigned char *s = v->u.s.p;
    size_t n = v->u.s.n;
    int latin1 = v->type == FR_PK_BYTES && !is_utf8(s, n);
    char *t = malloc((latin1 ? 2 * n : n) + 1);
    if (!t) {
        *oom = 1;
        return NULL;
    }
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        if (latin1 && s[k] >= 0x80) {
            t[len++] = (char)(0xc0 | s[k] >> 6);
            t[len++] = (char)(0x80 | (s[k] & 0x3f));
        } else {
            t[len++] = (char)s[k];
        }
    }
    t[len] = 0;
    return t;
}

int fr_pk_integer(const struct fr_pk *v, int64_t *out)
{
    if (v->type == FR_PK_BOOL || v->type == FR_PK_INT) {
        *out = v->u.i;
        return 1;
    }
    if (v->type == FR_PK_ARRAY && v->u.arr->built && v->u.arr->count == 1 &&
        v->u.arr->dtype.kind != 'f') {
        double d = fr_pk_array_get(v->u.arr, 0);
        if (d < -9.2e18 || d > 9.2e18)
            return 0;
        *out = (int64_t)d;
        return 1;
    }
    return 0;
}

int fr_pk_number(const struct fr_pk *v, double *out)
{
    switch (v->type) {
    case FR_PK_BOOL: case FR_PK_INT: *out = (double)v->u.i; return 1;
    case FR_PK_FLOAT: *out = v->u.f; return 1;
    case FR_PK_ARRAY:
        if (!v->u.arr->built || v->u.arr->count != 1)
            return 0;
        *out = fr_pk_array_get(v->u.arr, 0);
        return 1;
    default: return 0;
    }
}

const char *fr_pk_type_name(const struct fr_pk *v)
{
    static const char *const names[] = {
        [FR_PK_NONE] = "None", [FR_PK_BOOL] = "a bool", [FR_PK_INT] = "an int",
        [FR_PK_FLOAT] = "a float", [FR_PK_STR] = "a str", [FR_PK_BYTES] = "bytes",
        [FR_PK_TUPLE] = "a tuple", [FR_PK_LIST] = "a list", [FR_PK_SET] = "a set",
        [FR_PK_DICT] = "a dict", [FR_PK_ARRAY] = "a numpy array",
        [FR_PK_DTYPE] = "a numpy dtype", [FR_PK_GLOBAL] = "a numpy function"};
    if (v->type == FR_PK_ARRAY && !v->u.arr->built)
        return "a numpy array without data";
    return names[v->type];
}

static int is_container(const struct fr_pk *v)
{
    return v->type == FR_PK_TUPLE || v->type == FR_PK_LIST || v->type == FR_PK_SET ||
           v->type == FR_PK_DICT;
}

const struct fr_pk *fr_pk_find_unplain(struct fr_pickle *p, const struct fr_pk *v, int *oom)
{
    *oom = 0;
    /* Marks persist across calls: a walk that finds nothing leaves every
       value it reached marked plain, so later walks stop there and all walks
       together visit each value once. */
    if (!p->plain && !(p->plain = calloc((p->nvalues + 7) / 8, 1))) {
        *oom = 1;
        return NULL;
    }
    size_t cap = 64, n = 0;
    const struct fr_pk **todo = malloc(cap * sizeof *todo);
    const struct fr_pk *found = NULL;
    if (!todo) {
        *oom = 1;
        return NULL;
    }
    todo[n++] = v;
    while (n && !found) {
        const struct fr_pk *x = todo[--n];
        if (p->plain[x->id / 8] & (1u << x->id % 8))
            continue;
        p->plain[x->id / 8] |= (unsigned char)(1u << x->id % 8);
        if (x->type == FR_PK_DTYPE || x->type == FR_PK_GLOBAL ||
            (x->type == FR_PK_ARRAY && !x->u.arr->built)) {
            found = x;
        } else if (is_container(x) && x->u.seq.n) {
            if (n + x->u.seq.n > cap) {
                while (cap < n + x->u.seq.n)
                    cap *= 2;
                const struct fr_pk **t = realloc(todo, cap * sizeof *todo);
                if (!t) {
                    *oom = 1;
                    break;
                }
                todo = t;
            }
            memcpy(todo + n, x->u.seq.items, x->u.seq.n * sizeof *todo);
            n += x->u.seq.n;
        }
    }
    free(todo);
    return found;
}

/* One element of raw data as double; p points at itemsize bytes. */
static double elem(const unsigned char *p, const struct fr_pk_dtype *dt, int swap)
{
    unsigned char b[8];
    for (int k = 0; k < dt->itemsize; k++)
        b[k] = p[swap ? dt->itemsize - 1 - k : k];
    switch (dt->kind) {
    case 'f':
        if (dt->itemsize == 4) {
            float f;
            memcpy(&f, b, 4);
            return f;
        } else {
            double d;
            memcpy(&d, b, 8);
            return d;
        }
    case 'b': return b[0] != 0;
    case 'u':
        switch (dt->itemsize) {
        case 1: return b[0];
        case 2: { uint16_t u; memcpy(&u, b, 2); return u; }
        case 4: { uint32_t u; memcpy(&u, b, 4); return u; }
        default: { uint64_t u; memcpy(&u, b, 8); return (double)u; }
        }
    default:
        switch (dt->itemsize) {
        case 1: return (int8_t)b[0];
        case 2: { int16_t i; memcpy(&i, b, 2); return i; }
        case 4: { int32_t i; memcpy(&i, b, 4); return i; }
        default: { int64_t i; memcpy(&i, b, 8); return (double)i; }
        }
    }
}

/* Offset in elements of row-major element i in the array's own layout:
   i's row-major digits (last dimension fastest) weighted by Fortran strides
   (first dimension fastest). */
static size_t layout_index(const struct fr_pk_array *a, size_t i)
{
    if (!a->fortran || a->ndim < 2)
        return i;
    size_t digits[FR_PK_MAX_DIMS] = {0}, off = 0, stride = 1;
    for (int k = a->ndim - 1; k >= 0; k--) {
        digits[k] = i % (size_t)a->shape[k];
        i /= (size_t)a->shape[k];
    }
    for (int k = 0; k < a->ndim; k++) {
        off += digits[k] * stride;
        stride *= (size_t)a->shape[k];
    }
    return off;
}

double fr_pk_array_get(const struct fr_pk_array *a, size_t i)
{
    int swap = a->dtype.big_endian != host_big_endian();
    return elem(a->data + layout_index(a, i) * (size_t)a->dtype.itemsize, &a->dtype, swap);
}

void fr_pk_array_to_float(const struct fr_pk_array *a, size_t rows, size_t cols,
                          float *dst, size_t ld)
{
    int swap = a->dtype.big_endian != host_big_endian();
    if (a->fortran && a->ndim >= 2) { /* transposing: rare, element by element */
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++)
                dst[r * ld + c] = (float)fr_pk_array_get(a, r * cols + c);
        return;
    }
    size_t itemsize = (size_t)a->dtype.itemsize;
    if (a->dtype.kind == 'f' && itemsize == 4 && !swap) {
        for (size_t r = 0; r < rows; r++)
            memcpy(dst + r * ld, a->data + r * cols * 4, cols * 4);
        return;
    }
    const unsigned char *src = a->data;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++, src += itemsize)
            dst[r * ld + c] = (float)elem(src, &a->dtype, swap);
}
