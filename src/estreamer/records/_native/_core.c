/* The optional native core: a record decoder driven by a program of small ops.
 *
 * It holds no layout knowledge. estreamer/_native/program.py translates the
 * catalogue's compiled layouts (the same steps the Python fast path in
 * fastpath.py is generated from) into a flat tuple of ints; an instance of
 * Decoder runs that program over one record body and returns exactly what the
 * Python fast path returns, ``(names, values)``. Whenever the record is not
 * the regular case (a block shorter than its layout, a bad length, an unknown
 * body block type) it hands the call to the Python function it was built with,
 * which makes the same decision and lets the reference walker own every error
 * message. So the native code can only ever be faster, never different.
 *
 * Built against the limited API (abi3, Python >= 3.9): one binary serves every
 * CPython from 3.9 on, Splunk 9's 3.9 and Splunk 10's 3.13 alike.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A str's UTF-8 without a copy: CPython keeps it with the str (ASCII text is its own
 * UTF-8), so writing a text is a memcpy, not a bytes object made and freed. In the
 * limited API from 3.10 on; CPython 3.9 exports the same function with the same
 * signature (public since 3.3), so the 3.9 build declares it itself. */
#if Py_LIMITED_API + 0 < 0x030A0000
PyAPI_FUNC(const char *) PyUnicode_AsUTF8AndSize(PyObject *unicode, Py_ssize_t *size);
#endif

/* *slot = v, holding v and letting go of what *slot held (Py_XSETREF, which the
 * limited API of 3.9 lacks); v may be NULL, or what *slot holds already. */
static void hold(PyObject **slot, PyObject *v) {
    PyObject *old = *slot;
    Py_XINCREF(v);
    *slot = v;
    Py_XDECREF(old);
}

/* Op codes; program.py holds the same numbers (OPS) and a test checks them. */
enum {
    OP_CHECK = 1,   /* n: bail unless n bytes are left before end */
    OP_U8 = 2, OP_U16 = 3, OP_U32 = 4, OP_U64 = 5,  /* integers: value and register */
    OP_IPV4 = 6,    /* dotted quad */
    OP_IPV6 = 7,    /* IPv4-mapped as a dotted quad, else inet_ntop's text */
    OP_UUID = 8,    /* 8-4-4-4-12 lower-case hex */
    OP_MAC = 9,     /* aa:bb:cc:dd:ee:ff */
    OP_HEX = 10,    /* n: n bytes as lower-case hex */
    OP_STRING = 11, /* a String block (type 0): text without trailing NULs */
    OP_BYTES = 12,  /* slot adjust binary: counted bytes, count in register slot */
    OP_IF_ONE = 13, /* slot target: unless register slot == 1, jump to target */
    OP_BLOCK = 14,  /* a block header: end becomes the block's end */
    OP_CASE = 15,   /* block_type target: unless the block is of that type, jump */
    OP_RETURN = 16, /* variant block_type(-1: none): the values read so far */
    OP_FAIL = 17,   /* not a regular record: the Python fallback decides */
};

#define MAX_VALUES 1024

/* the attribute name the decoder sets on the state, made once (core_exec) */
static PyObject *block_type_name;

/* The value an op made last and the raw bytes it made it from (up to 16, as two
 * words): the next record's value at that op is often the same (the device, the
 * policy and zone UUIDs, the rule, the addresses of one host), and is then the same
 * object again: no text to format, no object to make and free, and an equal key
 * that is also identical for the decoration and the line's memos. */
typedef struct {
    PyObject *obj;  /* owned, or NULL */
    uint64_t a, b;
} Recent;

typedef struct {
    PyObject_HEAD
    int *ops;
    Py_ssize_t nops;
    PyObject *names;     /* tuple: the FieldNames of each variant */
    PyObject *fallback;  /* the Python fast path: f(buf, p, end, state) */
    Recent *recent;      /* one per op (indexed by its position in ops) */
} Decoder;

static void forget_recent(Decoder *self) {
    Py_ssize_t i;
    if (self->recent == NULL) return;
    for (i = 0; i < self->nops; i++) Py_CLEAR(self->recent[i].obj);
}

/* The value the op made last from raw (a, b), as a new reference; NULL if it made
 * another (or none). */
static PyObject *recent_value(Recent *r, uint64_t a, uint64_t b) {
    if (r->obj == NULL || r->a != a || r->b != b) return NULL;
    Py_INCREF(r->obj);
    return r->obj;
}

/* v (a new reference, or NULL on error) is what the op made from raw (a, b): kept. */
static PyObject *keep_recent(Recent *r, uint64_t a, uint64_t b, PyObject *v) {
    if (v != NULL) {
        hold(&r->obj, v);
        r->a = a;
        r->b = b;
    }
    return v;
}

static const char HEXDIGITS[] = "0123456789abcdef";

static PyObject *ascii_text(const char *s, Py_ssize_t n) {
    return PyUnicode_FromStringAndSize(s, n);
}

static PyObject *hex_text(const unsigned char *b, Py_ssize_t n) {
    char out[2 * 64];
    Py_ssize_t i;
    if (n > 64) {
        PyErr_SetString(PyExc_SystemError, "native decoder: fixed hex field over 64 bytes");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = HEXDIGITS[b[i] >> 4];
        out[2 * i + 1] = HEXDIGITS[b[i] & 15];
    }
    return ascii_text(out, 2 * n);
}

static PyObject *hex_long(const unsigned char *b, Py_ssize_t n) {
    /* counted binary bytes: any length */
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)b, n);
    PyObject *text;
    if (bytes == NULL) return NULL;
    text = PyObject_CallMethod(bytes, "hex", NULL);
    Py_DECREF(bytes);
    return text;
}

/* a.b.c.d into out (at least 15 bytes); returns the length */
static int ipv4_chars(const unsigned char *b, char *out) {
    int i, n = 0;
    for (i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (i) out[n++] = '.';
        if (v >= 100) out[n++] = (char)('0' + v / 100);
        if (v >= 10) out[n++] = (char)('0' + v / 10 % 10);
        out[n++] = (char)('0' + v % 10);
    }
    return n;
}

static PyObject *ipv4_text(const unsigned char *b) {
    char out[16];
    return ascii_text(out, ipv4_chars(b, out));
}

/* The text glibc's inet_ntop (and so Python's socket.inet_ntop) gives, written here
 * because inet_ntop formats through sprintf: lower-case hex groups without leading
 * zeros; the first longest run of two or more zero groups as "::"; an IPv4-compatible
 * (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) address with its dotted quad. */
static PyObject *ipv6_text(const unsigned char *b) {
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char out[48];
    unsigned words[8];
    int i, n = 0, best = -1, best_len = 0, run = -1, run_len = 0;
    if (memcmp(b, mapped, 12) == 0) return ipv4_text(b + 12);
    for (i = 0; i < 8; i++) {
        words[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        if (words[i] == 0) {
            if (run < 0) { run = i; run_len = 0; }
            if (++run_len > best_len) { best = run; best_len = run_len; }
        } else {
            run = -1;
        }
    }
    if (best_len < 2) best = -1;
    for (i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) out[n++] = ':';
            continue;
        }
        if (i) out[n++] = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            n += ipv4_chars(b + 12, out + n);
            break;
        }
        {
            unsigned w = words[i];
            int shift, started = 0;
            for (shift = 12; shift >= 0; shift -= 4) {
                unsigned digit = w >> shift & 15;
                if (digit || started || shift == 0) { out[n++] = HEXDIGITS[digit]; started = 1; }
            }
        }
    }
    if (best >= 0 && best + best_len == 8) out[n++] = ':';
    return ascii_text(out, n);
}

static PyObject *uuid_text(const unsigned char *b) {
    char out[36];
    int i, j = 0;
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[j++] = '-';
        out[j++] = HEXDIGITS[b[i] >> 4];
        out[j++] = HEXDIGITS[b[i] & 15];
    }
    return ascii_text(out, 36);
}

static PyObject *mac_text(const unsigned char *b) {
    char out[17];
    int i, j = 0;
    for (i = 0; i < 6; i++) {
        if (i) out[j++] = ':';
        out[j++] = HEXDIGITS[b[i] >> 4];
        out[j++] = HEXDIGITS[b[i] & 15];
    }
    return ascii_text(out, 17);
}

static PyObject *utf8_text(const unsigned char *b, Py_ssize_t n) {
    /* values.text: trailing NULs removed, undecodable bytes as \xNN */
    while (n > 0 && b[n - 1] == 0) n--;
    return PyUnicode_DecodeUTF8((const char *)b, n, "backslashreplace");
}

static uint32_t be32(const unsigned char *b) {
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static uint64_t be64(const unsigned char *b) {
    return ((uint64_t)be32(b) << 32) | be32(b + 4);
}

/* Runs the program. Returns (names, values) or, for an irregular record, NULL
 * with no exception set (*bail = 1); NULL with an exception on a real error. */
static PyObject *run(Decoder *self, const unsigned char *buf, Py_ssize_t p, Py_ssize_t end,
                     PyObject *state, int *bail) {
    PyObject *values[MAX_VALUES];
    uint64_t regs[MAX_VALUES];
    Py_ssize_t k = 0, pc = 0, i;
    uint32_t block_type = 0;
    const int *ops = self->ops;
    PyObject *v = NULL, *tuple, *result;
    Recent *r;

    *bail = 0;
    for (;;) {
        if (pc >= self->nops) {  /* a program always ends in RETURN or FAIL */
            PyErr_SetString(PyExc_SystemError, "native decoder: program overrun");
            goto fail;
        }
        /* program.py keeps every path under MAX_VALUES values; checked here as well, so
         * that no program can write past values[] and regs[] */
        if (k >= MAX_VALUES) goto irregular;
        switch (ops[pc]) {
        case OP_CHECK:
            if (p + ops[pc + 1] > end) goto irregular;
            pc += 2;
            continue;
        case OP_U8:
            regs[k] = buf[p];
            p += 1;
            v = PyLong_FromUnsignedLong((unsigned long)regs[k]);
            break;
        case OP_U16:
            regs[k] = ((uint32_t)buf[p] << 8) | buf[p + 1];
            p += 2;
            v = PyLong_FromUnsignedLong((unsigned long)regs[k]);
            break;
        case OP_U32:
            regs[k] = be32(buf + p);
            p += 4;
            r = &self->recent[pc];
            v = recent_value(r, regs[k], 0);
            if (v == NULL)
                v = keep_recent(r, regs[k], 0, PyLong_FromUnsignedLong((unsigned long)regs[k]));
            break;
        case OP_U64:
            regs[k] = be64(buf + p);
            p += 8;
            r = &self->recent[pc];
            v = recent_value(r, regs[k], 0);
            if (v == NULL)
                v = keep_recent(r, regs[k], 0,
                                PyLong_FromUnsignedLongLong((unsigned long long)regs[k]));
            break;
        case OP_IPV4:
            r = &self->recent[pc];
            v = recent_value(r, be32(buf + p), 0);
            if (v == NULL) v = keep_recent(r, be32(buf + p), 0, ipv4_text(buf + p));
            p += 4;
            break;
        case OP_IPV6:
        case OP_UUID:
            r = &self->recent[pc];
            v = recent_value(r, be64(buf + p), be64(buf + p + 8));
            if (v == NULL)
                v = keep_recent(r, be64(buf + p), be64(buf + p + 8),
                                ops[pc] == OP_IPV6 ? ipv6_text(buf + p) : uuid_text(buf + p));
            p += 16;
            break;
        case OP_MAC:
            v = mac_text(buf + p);
            p += 6;
            break;
        case OP_HEX:
            v = hex_text(buf + p, ops[pc + 1]);
            p += ops[pc + 1];
            pc += 1;
            break;
        case OP_STRING: {
            uint32_t t, n;
            if (p + 8 > end) goto irregular;
            t = be32(buf + p);
            n = be32(buf + p + 4);
            if (t != 0 || n < 8 || (Py_ssize_t)n > end - p) goto irregular;
            v = utf8_text(buf + p + 8, (Py_ssize_t)n - 8);
            p += n;
            break;
        }
        case OP_BYTES: {
            uint64_t count = regs[ops[pc + 1]];
            Py_ssize_t q;
            if (count > ((uint64_t)1 << 40)) goto irregular;  /* beyond any payload */
            q = p + (Py_ssize_t)count + ops[pc + 2];
            if (q < p || q > end) goto irregular;
            v = ops[pc + 3] ? hex_long(buf + p, q - p) : utf8_text(buf + p, q - p);
            p = q;
            pc += 3;
            break;
        }
        case OP_IF_ONE:
            pc = regs[ops[pc + 1]] == 1 ? pc + 3 : ops[pc + 2];
            continue;
        case OP_BLOCK: {
            uint32_t n;
            if (p + 8 > end) goto irregular;
            block_type = be32(buf + p);
            n = be32(buf + p + 4);
            if (n < 8 || (Py_ssize_t)n > end - p) goto irregular;
            end = p + n;
            p += 8;
            pc += 1;
            continue;
        }
        case OP_CASE:
            pc = block_type == (uint32_t)ops[pc + 1] ? pc + 3 : ops[pc + 2];
            continue;
        case OP_RETURN:
            if (ops[pc + 2] >= 0) {
                PyObject *bt = PyLong_FromLong(ops[pc + 2]);
                int err = bt == NULL ? -1 : PyObject_SetAttr(state, block_type_name, bt);
                Py_XDECREF(bt);
                if (err < 0) goto fail;
            }
            tuple = PyTuple_New(k);
            if (tuple == NULL) goto fail;
            for (i = 0; i < k; i++) PyTuple_SetItem(tuple, i, values[i]);  /* steals */
            k = 0;
            result = PyTuple_New(2);
            if (result == NULL) { Py_DECREF(tuple); return NULL; }
            v = PyTuple_GetItem(self->names, ops[pc + 1]);
            if (v == NULL) { Py_DECREF(tuple); Py_DECREF(result); return NULL; }
            Py_INCREF(v);
            PyTuple_SetItem(result, 0, v);
            PyTuple_SetItem(result, 1, tuple);
            return result;
        case OP_FAIL:
            goto irregular;
        default:
            PyErr_Format(PyExc_SystemError, "native decoder: bad op %d at %zd", ops[pc], pc);
            goto fail;
        }
        /* a value op: keep its value */
        if (v == NULL) goto fail;
        values[k++] = v;
        pc += 1;
    }
irregular:
    *bail = 1;
fail:
    for (i = 0; i < k; i++) Py_DECREF(values[i]);
    return NULL;
}

static PyObject *Decoder_call(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Decoder *self = (Decoder *)obj;
    PyObject *buf, *state, *result;
    Py_ssize_t p, end, size;
    char *data;
    int bail;

    if (kwargs != NULL && PyDict_Size(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "Decoder takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OnnO", &buf, &p, &end, &state)) return NULL;
    if (!PyBytes_Check(buf) || PyBytes_AsStringAndSize(buf, &data, &size) < 0
        || p < 0 || end < p || end > size)
        return PyObject_CallObject(self->fallback, args);
    result = run(self, (const unsigned char *)data, p, end, state, &bail);
    if (result == NULL && bail) return PyObject_CallObject(self->fallback, args);
    return result;
}

static int Decoder_init(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Decoder *self = (Decoder *)obj;
    PyObject *ops, *names, *fallback;
    Py_ssize_t i, n;
    int *array;
    static char *kwlist[] = {"ops", "names", "fallback", NULL};

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO", kwlist, &ops, &names, &fallback))
        return -1;
    if (!PyTuple_Check(ops) || !PyTuple_Check(names) || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "Decoder(ops: tuple, names: tuple, fallback)");
        return -1;
    }
    n = PyTuple_Size(ops);
    array = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int));
    if (array == NULL) { PyErr_NoMemory(); return -1; }
    for (i = 0; i < n; i++) {
        long value = PyLong_AsLong(PyTuple_GetItem(ops, i));
        if (value == -1 && PyErr_Occurred()) { PyMem_Free(array); return -1; }
        array[i] = (int)value;
    }
    forget_recent(self);
    PyMem_Free(self->recent);
    self->recent = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Recent));
    if (self->recent == NULL) { PyMem_Free(array); PyErr_NoMemory(); return -1; }
    memset(self->recent, 0, (size_t)(n ? n : 1) * sizeof(Recent));
    PyMem_Free(self->ops);
    self->ops = array;
    self->nops = n;
    hold(&self->names, names);
    hold(&self->fallback, fallback);
    return 0;
}

static int Decoder_traverse(PyObject *obj, visitproc visit, void *arg) {
    Decoder *self = (Decoder *)obj;
    Py_VISIT(self->names);
    Py_VISIT(self->fallback);
    return 0;
}

static int Decoder_clear(PyObject *obj) {
    Decoder *self = (Decoder *)obj;
    forget_recent(self);  /* ints and strs: nothing the collector follows */
    Py_CLEAR(self->names);
    Py_CLEAR(self->fallback);
    return 0;
}

static void Decoder_dealloc(PyObject *obj) {
    Decoder *self = (Decoder *)obj;
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    Decoder_clear(obj);
    PyMem_Free(self->recent);
    PyMem_Free(self->ops);
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(obj);
    Py_DECREF(type);
}

static PyType_Slot decoder_slots[] = {
    {Py_tp_doc, "Decoder(ops, names, fallback): a record body decoder run natively; "
                "called as the Python fast path, f(buf, p, end, state)."},
    {Py_tp_init, Decoder_init},
    {Py_tp_call, Decoder_call},
    {Py_tp_traverse, Decoder_traverse},
    {Py_tp_clear, Decoder_clear},
    {Py_tp_dealloc, Decoder_dealloc},
    {0, NULL},
};

static PyType_Spec decoder_spec = {
    "estreamer._native._core.Decoder", sizeof(Decoder), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, decoder_slots,
};

/* Renderer: the Splunk line of a flat record, as formatters/splunk.py's generated
 * render(F, rest) makes it: the plan's own % template, filled with the values at
 * the plan's positions, each as the plan says (mode 0: as it is; 1: through the
 * quoting memo, else text(v); 2: value_text(v)), then ``rest``. The template and
 * the modes come from the Python plan, so the line is the same by construction.
 * The line is written as UTF-8 (integers in decimal, text copied, the template's
 * parts between) and decoded once; a value it cannot write so (not an int or a
 * str, or a str with a lone surrogate) renders the line with PyUnicode_Format,
 * which is what the Python plan's % does. */
typedef struct {
    PyObject_HEAD
    PyObject *template;
    PyObject *parts;  /* tuple of n + 2 bytes: the template's UTF-8 around its %s */
    const char **part;  /* their data and sizes (the bytes are held in parts) */
    Py_ssize_t *part_size;
    struct IntText *seen;  /* per value: the int written there last, and its digits */
    Py_ssize_t n;
    Py_ssize_t *where;
    unsigned char *modes;
    PyObject *quoted, *text, *value_text;
} Renderer;

/* An int a line held at one place, owned, and its decimal digits: the decoder gives
 * the same object again for the same raw value, and most values repeat from one
 * record to the next (device, policy, zone, the zeros of unused fields). */
struct IntText {
    PyObject *v;
    unsigned char len;
    char text[23];
};

/* A growing UTF-8 buffer. */
typedef struct {
    char *data;
    Py_ssize_t len, cap;
    char local[8192];
} Out;

/* Makes room for n more bytes (out of line: rarely needed, the buffer starts at 8 kB). */
static int out_grow(Out *out, Py_ssize_t n) {
    Py_ssize_t cap = (out->len + n) * 2;
    char *data = out->data == out->local ? PyMem_Malloc((size_t)cap)
                                         : PyMem_Realloc(out->data, (size_t)cap);
    if (data == NULL) { PyErr_NoMemory(); return -1; }
    if (out->data == out->local) memcpy(data, out->local, (size_t)out->len);
    out->data = data;
    out->cap = cap;
    return 0;
}

static inline int out_add(Out *out, const char *s, Py_ssize_t n) {
    if (out->len + n > out->cap && out_grow(out, n) < 0) return -1;
    memcpy(out->data + out->len, s, (size_t)n);
    out->len += n;
    return 0;
}

/* "00" to "99": integers are written two digits a step */
static const char DIGIT_PAIRS[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* The decimal digits of an exact int that fits 64 bits unsigned, at the end of
 * ``digits``: where they start, or -1 (negative or huge: no error is left set). */
static int int_digits(PyObject *v, char digits[24]) {
    int i = 24;
    unsigned long long x = PyLong_AsUnsignedLongLong(v);
    if (x == (unsigned long long)-1 && PyErr_Occurred()) { PyErr_Clear(); return -1; }
    for (; x >= 100; x /= 100) {
        i -= 2;
        memcpy(digits + i, DIGIT_PAIRS + 2 * (x % 100), 2);
    }
    if (x >= 10) {
        i -= 2;
        memcpy(digits + i, DIGIT_PAIRS + 2 * x, 2);
    } else {
        digits[--i] = (char)('0' + x);
    }
    return i;
}

/* str(v) of a value as UTF-8 into out: integers written directly, str copied; 1 when
 * the value cannot be written so (a lone surrogate, another type): the caller then
 * renders the line with PyUnicode_Format, as the Python plan does. */
static int out_value(Out *out, PyObject *v) {
    if (PyLong_CheckExact(v)) {
        char digits[24];
        int at = int_digits(v, digits);
        return at < 0 ? 1 : out_add(out, digits + at, 24 - at);
    }
    if (PyUnicode_CheckExact(v)) {
        Py_ssize_t n;
        const char *data = PyUnicode_AsUTF8AndSize(v, &n);
        if (data == NULL) { PyErr_Clear(); return 1; }
        return out_add(out, data, n);
    }
    return 1;
}

/* The template's i-th part into out. */
static int out_part(Out *out, Renderer *self, Py_ssize_t i) {
    return out_add(out, self->part[i], self->part_size[i]);
}

static void out_init(Out *out) {
    out->data = out->local;
    out->len = 0;
    out->cap = sizeof out->local;
}

/* What a writer that returned ``got`` gives: the text written (0), None (1: the
 * caller's Python path makes it), NULL (-1: an error is set); the buffer is freed. */
static PyObject *out_finish(Out *out, int got) {
    PyObject *text = NULL;
    if (got == 0) {
        text = PyUnicode_DecodeUTF8(out->data, out->len, NULL);
    } else if (got == 1) {
        Py_INCREF(Py_None);
        text = Py_None;
    }
    if (out->data != out->local) PyMem_Free(out->data);
    return text;
}

/* The text of the line's i-th value v, as the plan's mode says: a new reference, or
 * NULL with an error set. */
static PyObject *field_text(Renderer *self, Py_ssize_t i, PyObject *v) {
    PyObject *text;
    switch (self->modes[i]) {
    case 0:
        Py_INCREF(v);
        return v;
    case 1:
        text = PyDict_GetItemWithError(self->quoted, v);  /* borrowed */
        if (text != NULL && PyObject_IsTrue(text) == 1) {
            Py_INCREF(text);
            return text;
        }
        if (PyErr_Occurred()) return NULL;
        return PyObject_CallFunctionObjArgs(self->text, v, NULL);
    default:
        return PyObject_CallFunctionObjArgs(self->value_text, v, NULL);
    }
}

/* The texts of the line's values in a tuple of n + 1 (the last slot left for the
 * caller): what PyUnicode_Format fills the template with; NULL on error. */
static PyObject *fill_values(Renderer *self, PyObject *values) {
    PyObject *fill;
    Py_ssize_t i;
    if (!PyTuple_Check(values)) {
        PyErr_SetString(PyExc_TypeError, "Renderer: values must be a tuple");
        return NULL;
    }
    fill = PyTuple_New(self->n + 1);
    if (fill == NULL) return NULL;
    for (i = 0; i < self->n; i++) {
        PyObject *v = PyTuple_GetItem(values, self->where[i]), *text;
        if (v == NULL || (text = field_text(self, i, v)) == NULL) {
            Py_DECREF(fill);
            return NULL;
        }
        PyTuple_SetItem(fill, i, text);
    }
    return fill;
}

/* The line up to its ``rest``: part, value, part, ..., part, each value's text written
 * as soon as it is made (no tuple of them); 0 written, 1 a value not written so (not
 * an int or a str, a lone surrogate), -1 error. */
static int out_fields(Renderer *self, Out *out, PyObject *values) {
    Py_ssize_t i;
    int got = 0;
    if (!PyTuple_Check(values)) {
        PyErr_SetString(PyExc_TypeError, "Renderer: values must be a tuple");
        return -1;
    }
    for (i = 0; i < self->n && got == 0; i++) {
        PyObject *v = PyTuple_GetItem(values, self->where[i]), *text;
        got = out_part(out, self, i);
        if (got != 0) break;
        if (v == NULL) return -1;
        if (self->modes[i] == 0) {
            struct IntText *seen = &self->seen[i];
            char digits[24];
            int at;
            if (v == seen->v) {
                got = out_add(out, seen->text, seen->len);
            } else if (PyLong_CheckExact(v) && (at = int_digits(v, digits)) >= 0) {
                hold(&seen->v, v);
                seen->len = (unsigned char)(24 - at);
                memcpy(seen->text, digits + at, (size_t)(24 - at));
                got = out_add(out, digits + at, 24 - at);
            } else {
                got = out_value(out, v);
            }
            continue;
        }
        if ((text = field_text(self, i, v)) == NULL) return -1;
        got = out_value(out, text);
        Py_DECREF(text);
    }
    return got == 0 ? out_part(out, self, self->n) : got;
}

static PyObject *Renderer_call(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Renderer *self = (Renderer *)obj;
    PyObject *values, *rest, *fill, *line;
    Out out;
    int got;

    if (!PyArg_ParseTuple(args, "OO", &values, &rest)) return NULL;
    out_init(&out);
    got = out_fields(self, &out, values);
    if (got == 0) got = out_value(&out, rest);
    if (got == 0) got = out_part(&out, self, self->n + 1);
    line = out_finish(&out, got);
    if (line == Py_None) {  /* what the Python plan's % does */
        Py_DECREF(line);
        fill = fill_values(self, values);
        if (fill == NULL) return NULL;
        Py_INCREF(rest);
        PyTuple_SetItem(fill, self->n, rest);
        line = PyUnicode_Format(self->template, fill);
        Py_DECREF(fill);
    }
    return line;
}

static int Renderer_init(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Renderer *self = (Renderer *)obj;
    PyObject *template, *parts, *where, *modes, *quoted, *text, *value_text;
    Py_ssize_t i, n;
    static char *kwlist[] = {"template", "parts", "where", "modes", "quoted", "text",
                             "value_text", NULL};

    if (self->template != NULL) {
        PyErr_SetString(PyExc_TypeError, "Renderer is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UOOOOOO", kwlist, &template, &parts,
                                     &where, &modes, &quoted, &text, &value_text))
        return -1;
    if (!PyTuple_Check(where) || !PyTuple_Check(modes) || !PyDict_Check(quoted)
        || PyTuple_Size(where) != PyTuple_Size(modes) || !PyTuple_Check(parts)
        || PyTuple_Size(parts) != PyTuple_Size(where) + 2) {
        PyErr_SetString(PyExc_TypeError,
                        "Renderer(template, where: tuple, modes: tuple, quoted: dict, ...)");
        return -1;
    }
    n = PyTuple_Size(where);
    PyMem_Free(self->where);
    PyMem_Free(self->modes);
    PyMem_Free(self->part);
    PyMem_Free(self->part_size);
    PyMem_Free(self->seen);
    self->where = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_ssize_t));
    self->modes = PyMem_Malloc((size_t)(n ? n : 1));
    self->part = PyMem_Malloc((size_t)(n + 2) * sizeof(const char *));
    self->part_size = PyMem_Malloc((size_t)(n + 2) * sizeof(Py_ssize_t));
    self->seen = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(struct IntText));
    if (self->where == NULL || self->modes == NULL || self->part == NULL
        || self->part_size == NULL || self->seen == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(self->seen, 0, (size_t)(n ? n : 1) * sizeof(struct IntText));
    for (i = 0; i < n + 2; i++) {
        PyObject *part = PyTuple_GetItem(parts, i);
        if (!PyBytes_Check(part)) {
            PyErr_SetString(PyExc_TypeError, "Renderer: parts must be bytes");
            return -1;
        }
        self->part[i] = PyBytes_AsString(part);
        self->part_size[i] = PyBytes_Size(part);
    }
    for (i = 0; i < n; i++) {
        Py_ssize_t at = PyLong_AsSsize_t(PyTuple_GetItem(where, i));
        long mode = PyLong_AsLong(PyTuple_GetItem(modes, i));
        if (PyErr_Occurred()) return -1;
        if (at < 0 || mode < 0 || mode > 2) {
            PyErr_SetString(PyExc_ValueError, "Renderer: bad position or mode");
            return -1;
        }
        self->where[i] = at;
        self->modes[i] = (unsigned char)mode;
    }
    self->n = n;
    Py_INCREF(template); self->template = template;
    Py_INCREF(parts); self->parts = parts;
    Py_INCREF(quoted); self->quoted = quoted;
    Py_INCREF(text); self->text = text;
    Py_INCREF(value_text); self->value_text = value_text;
    return 0;
}

static int Renderer_traverse(PyObject *obj, visitproc visit, void *arg) {
    Renderer *self = (Renderer *)obj;
    Py_VISIT(self->template);
    Py_VISIT(self->parts);
    Py_VISIT(self->quoted);
    Py_VISIT(self->text);
    Py_VISIT(self->value_text);
    return 0;
}

static int Renderer_clear(PyObject *obj) {
    Renderer *self = (Renderer *)obj;
    Py_ssize_t i;
    if (self->seen != NULL)
        for (i = 0; i < self->n; i++) Py_CLEAR(self->seen[i].v);
    Py_CLEAR(self->template);
    Py_CLEAR(self->parts);
    Py_CLEAR(self->quoted);
    Py_CLEAR(self->text);
    Py_CLEAR(self->value_text);
    return 0;
}

static void Renderer_dealloc(PyObject *obj) {
    Renderer *self = (Renderer *)obj;
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    Renderer_clear(obj);
    PyMem_Free(self->where);
    PyMem_Free(self->modes);
    PyMem_Free(self->part);
    PyMem_Free(self->part_size);
    PyMem_Free(self->seen);
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(obj);
    Py_DECREF(type);
}

static PyType_Slot renderer_slots[] = {
    {Py_tp_doc, "Renderer(template, parts, where, modes, quoted, text, value_text): a flat "
                "record's Splunk line, called as the plan's render(values, rest)."},
    {Py_tp_init, Renderer_init},
    {Py_tp_call, Renderer_call},
    {Py_tp_traverse, Renderer_traverse},
    {Py_tp_clear, Renderer_clear},
    {Py_tp_dealloc, Renderer_dealloc},
    {0, NULL},
};

static PyType_Spec renderer_spec = {
    "estreamer._native._core.Renderer", sizeof(Renderer), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, renderer_slots,
};

/* A dict-like lookup as ``table.get(key)``: a new reference, or NULL with no error set
 * when the key is absent (None counts as absent, as the Python code's ``is None``
 * tests do). Dicts (the cache's OrderedDicts among them) are read directly. */
static PyObject *get_value(PyObject *table, PyObject *key) {
    PyObject *v;
    if (PyDict_Check(table)) {
        v = PyDict_GetItemWithError(table, key);
        Py_XINCREF(v);
    } else {
        v = PyObject_CallMethod(table, "get", "O", key);
    }
    if (v == Py_None) { Py_DECREF(v); return NULL; }
    return v;
}

/* Decorator: metadata/decorate(V, C) of a flat record, as the generated Python of
 * metadata.py does it, step by step from the same DECORATIONS: the key is the value
 * (or the tuple of values) at the step's positions; a function step keeps its
 * non-None result; a table step looks in the cache table, then the static fallback,
 * then takes ``part`` of the entry; a found name is stored in C[name]. */
typedef struct {
    Py_ssize_t *at, npos;
    PyObject *table, *fallback, *part, *fn, *name;  /* borrowed from Decorator.steps */
    /* the last key looked up and what it gave (NULL: nothing), owned; valid while
     * memo_key is set. Most ids repeat from one record to the next (the device, the
     * zones, the policy, the zeros of unused fields): about 4 look-ups in 5. */
    PyObject *memo_key, *memo_name;
    /* the name it gives the record now (owned, during a call) and the next step that
     * stores the same name (-1: none) */
    PyObject *now;
    Py_ssize_t next_same;
} Step;

/* The names of a record whose steps found names at the places of ``found`` (bit i:
 * step i): a private dict of them, and the name of each step in it (owned). Records
 * of a layout come in a few such shapes, and a record of a known shape has the same
 * keys in the same order: its dict is this one copied whole (one block copy, no
 * insertion and no resizing), then the names that differ from it replaced. */
#define DECORATOR_SHAPES 8
typedef struct {
    uint64_t found;
    PyObject *dict;   /* NULL: an unused entry */
    PyObject **name;  /* one per step */
} Shape;

typedef struct {
    PyObject_HEAD
    PyObject *steps;  /* tuple of (positions, table, fallback, part, fn, name) */
    Step *step;
    Py_ssize_t n;
    /* a list whose item 0 the metadata cache replaces whenever a table changes, and
     * the item the memos were made under (owned; held, so its address is not reused):
     * another item there means every memo is stale. NULL: no memos. */
    PyObject *generation, *seen;
    /* recent shapes (layouts of up to 64 steps), the next entry to replace */
    Shape shape[DECORATOR_SHAPES];
    int next_shape;
} Decorator;

static void forget_shape(Decorator *self, Shape *sh) {
    Py_ssize_t i;
    if (sh->name != NULL)
        for (i = 0; i < self->n; i++) Py_CLEAR(sh->name[i]);
    PyMem_Free(sh->name);
    sh->name = NULL;
    Py_CLEAR(sh->dict);
}

static void forget_memos(Decorator *self) {
    Py_ssize_t i;
    for (i = 0; i < self->n; i++) {
        Py_CLEAR(self->step[i].memo_key);
        Py_CLEAR(self->step[i].memo_name);
    }
}

/* 1 when v may stand for itself in a memo: an exact int or str (equal means the same
 * dict entry and the same function result), or a tuple of them. */
static int memo_safe(PyObject *v) {
    Py_ssize_t i;
    if (PyLong_CheckExact(v) || PyUnicode_CheckExact(v)) return 1;
    if (!PyTuple_CheckExact(v)) return 0;
    for (i = 0; i < PyTuple_Size(v); i++) {
        PyObject *item = PyTuple_GetItem(v, i);
        if (!PyLong_CheckExact(item) && !PyUnicode_CheckExact(item)) return 0;
    }
    return 1;
}

/* 1 when the values at the step's positions (``size`` values) equal its memo key, 0
 * when not (or no memo, or a position out of range: the look-up then reports it), -1
 * error. */
static int memo_hit(Step *s, PyObject *values, Py_ssize_t size) {
    Py_ssize_t i;
    if (s->memo_key == NULL) return 0;
    for (i = 0; i < s->npos; i++) {
        PyObject *v, *m;
        int eq;
        if (s->at[i] >= size) return 0;
        v = PyTuple_GetItem(values, s->at[i]);
        m = s->npos == 1 ? s->memo_key : PyTuple_GetItem(s->memo_key, i);
        if (v == m) continue;
        if (Py_TYPE(v) != Py_TYPE(m)) return 0;  /* memo keys are exact ints and strs */
        eq = PyObject_RichCompareBool(v, m, Py_EQ);
        if (eq != 1) return eq;
    }
    return 1;
}

static PyObject *step_key(Step *s, PyObject *values) {
    Py_ssize_t size = PyTuple_Size(values), i;
    PyObject *key;
    for (i = 0; i < s->npos; i++)
        if (s->at[i] >= size) {
            PyErr_SetString(PyExc_IndexError, "Decorator: tuple index out of range");
            return NULL;
        }
    if (s->npos == 1) {
        key = PyTuple_GetItem(values, s->at[0]);
        Py_XINCREF(key);
        return key;
    }
    key = PyTuple_New(s->npos);
    if (key == NULL) return NULL;
    for (i = 0; i < s->npos; i++) {
        PyObject *v = PyTuple_GetItem(values, s->at[i]);
        Py_INCREF(v);
        PyTuple_SetItem(key, i, v);
    }
    return key;
}

/* 1 when a later step that stores the same name found one now (its name is the one
 * the dict keeps). */
static int shadowed(Decorator *self, Py_ssize_t i) {
    for (i = self->step[i].next_same; i >= 0; i = self->step[i].next_same)
        if (self->step[i].now != NULL) return 1;
    return 0;
}

/* Stores the names the steps found now (Step.now) in ``computed`` as ``C[name] =
 * found`` in step order: from a known shape's dict when ``computed`` starts empty,
 * else one by one. 0, or -1 with an error set. */
static int store_names(Decorator *self, PyObject *computed) {
    Py_ssize_t i;
    uint64_t found = 0;
    Shape *sh = NULL;
    int k, empty = self->n <= 64 && PyDict_Size(computed) == 0;
    if (empty) {
        for (i = 0; i < self->n; i++)
            if (self->step[i].now != NULL) found |= (uint64_t)1 << i;
        for (k = 0; k < DECORATOR_SHAPES && sh == NULL; k++)
            if (self->shape[k].dict != NULL && self->shape[k].found == found)
                sh = &self->shape[k];
    }
    if (sh != NULL) {
        if (PyDict_Update(computed, sh->dict) < 0) return -1;
        for (i = 0; i < self->n; i++) {
            Step *s = &self->step[i];
            if (s->now == NULL || s->now == sh->name[i] || shadowed(self, i)) continue;
            if (PyDict_SetItem(computed, s->name, s->now) < 0) return -1;
        }
        return 0;
    }
    for (i = 0; i < self->n; i++) {
        Step *s = &self->step[i];
        if (s->now != NULL && PyDict_SetItem(computed, s->name, s->now) < 0) return -1;
    }
    if (!empty) return 0;  /* what the dict held before is not this shape's */
    sh = &self->shape[self->next_shape];
    self->next_shape = (self->next_shape + 1) % DECORATOR_SHAPES;
    forget_shape(self, sh);
    sh->name = PyMem_Malloc(((size_t)self->n + 1) * sizeof(PyObject *));
    if (sh->name == NULL) { PyErr_NoMemory(); return -1; }
    for (i = 0; i < self->n; i++) {
        Py_XINCREF(self->step[i].now);
        sh->name[i] = self->step[i].now;
    }
    sh->found = found;
    if ((sh->dict = PyDict_Copy(computed)) == NULL) { forget_shape(self, sh); return -1; }
    return 0;
}

static PyObject *Decorator_call(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Decorator *self = (Decorator *)obj;
    PyObject *values, *computed, *result = NULL;
    Py_ssize_t i, size;

    if (!PyArg_UnpackTuple(args, "Decorator", 2, 2, &values, &computed)) return NULL;
    if (!PyTuple_Check(values) || !PyDict_Check(computed)) {
        PyErr_SetString(PyExc_TypeError, "Decorator(values: tuple, computed: dict)");
        return NULL;
    }
    if (self->generation != NULL) {
        PyObject *now = PyList_GetItem(self->generation, 0);  /* borrowed */
        if (now == NULL) return NULL;
        if (now != self->seen) {
            forget_memos(self);
            hold(&self->seen, now);
        }
    }
    size = PyTuple_Size(values);
    for (i = 0; i < self->n; i++) {
        Step *s = &self->step[i];
        PyObject *key, *name;
        int hit = memo_hit(s, values, size);
        if (hit < 0) goto done;
        if (hit) {
            Py_XINCREF(s->memo_name);
            s->now = s->memo_name;
            continue;
        }
        key = step_key(s, values);
        if (key == NULL) goto done;
        if (s->fn != Py_None) {
            name = PyObject_CallFunctionObjArgs(s->fn, key, NULL);
            if (name == Py_None) { Py_DECREF(name); name = NULL; }
            else if (name == NULL) { Py_DECREF(key); goto done; }
        } else {
            name = get_value(s->table, key);
            if (name == NULL && !PyErr_Occurred() && s->fallback != Py_None)
                name = get_value(s->fallback, key);
            if (name != NULL && s->part != Py_None) {
                PyObject *part = get_value(name, s->part);
                Py_DECREF(name);
                name = part;
            }
        }
        if (name == NULL && PyErr_Occurred()) { Py_DECREF(key); goto done; }
        if (self->generation != NULL && memo_safe(key)) {
            Py_XDECREF(s->memo_key);
            s->memo_key = key;  /* the reference taken by step_key */
            hold(&s->memo_name, name);
        } else {
            Py_DECREF(key);
        }
        s->now = name;
    }
    if (store_names(self, computed) == 0) {
        Py_INCREF(Py_None);
        result = Py_None;
    }
done:  /* the names of this call are let go, whatever happened */
    for (i = 0; i < self->n; i++) Py_CLEAR(self->step[i].now);
    return result;
}

static int Decorator_init(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Decorator *self = (Decorator *)obj;
    PyObject *steps, *generation = Py_None;
    Py_ssize_t i, j, n;
    static char *kwlist[] = {"steps", "generation", NULL};

    if (self->steps != NULL) {
        PyErr_SetString(PyExc_TypeError, "Decorator is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!|O", kwlist, &PyTuple_Type, &steps,
                                     &generation))
        return -1;
    if (generation != Py_None) {
        if (!PyList_Check(generation) || PyList_Size(generation) != 1) {
            PyErr_SetString(PyExc_TypeError, "Decorator: generation is a list of one item");
            return -1;
        }
        Py_INCREF(generation);
        self->generation = generation;
    }
    n = PyTuple_Size(steps);
    /* one more, zeroed: dealloc frees the positions up to the first NULL */
    /* (PyMem_Calloc is not in the 3.9 limited API) */
    self->step = PyMem_Malloc(((size_t)n + 1) * sizeof(Step));
    if (self->step == NULL) { PyErr_NoMemory(); return -1; }
    memset(self->step, 0, ((size_t)n + 1) * sizeof(Step));
    Py_INCREF(steps);
    self->steps = steps;
    for (i = 0; i < n; i++) {
        PyObject *t = PyTuple_GetItem(steps, i), *positions;
        Step *s = &self->step[i];
        if (!PyTuple_Check(t) || PyTuple_Size(t) != 6
            || !PyTuple_Check(positions = PyTuple_GetItem(t, 0))
            || PyTuple_Size(positions) < 1 || !PyUnicode_Check(PyTuple_GetItem(t, 5))) {
            PyErr_SetString(PyExc_TypeError, "Decorator: a step is (positions, table, "
                            "fallback, part, fn, name: str)");
            return -1;
        }
        s->npos = PyTuple_Size(positions);
        s->at = PyMem_Malloc((size_t)s->npos * sizeof(Py_ssize_t));
        if (s->at == NULL) { PyErr_NoMemory(); return -1; }
        for (j = 0; j < s->npos; j++) {
            s->at[j] = PyLong_AsSsize_t(PyTuple_GetItem(positions, j));
            if (s->at[j] < 0) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "Decorator: negative position");
                return -1;
            }
        }
        s->table = PyTuple_GetItem(t, 1);
        s->fallback = PyTuple_GetItem(t, 2);
        s->part = PyTuple_GetItem(t, 3);
        s->fn = PyTuple_GetItem(t, 4);
        s->name = PyTuple_GetItem(t, 5);
        if (s->fn == Py_None ? s->table == Py_None : !PyCallable_Check(s->fn)) {
            PyErr_SetString(PyExc_TypeError, "Decorator: a step has a table or a function");
            return -1;
        }
        self->n = i + 1;
    }
    for (i = 0; i < n; i++) {
        Step *s = &self->step[i];
        s->next_same = -1;
        for (j = i + 1; j < n && s->next_same < 0; j++) {
            int same = PyObject_RichCompareBool(s->name, self->step[j].name, Py_EQ);
            if (same < 0) return -1;
            if (same) s->next_same = j;
        }
    }
    return 0;
}

static int Decorator_traverse(PyObject *obj, visitproc visit, void *arg) {
    Decorator *self = (Decorator *)obj;
    Py_ssize_t i;
    Py_VISIT(self->steps);
    Py_VISIT(self->generation);
    Py_VISIT(self->seen);
    for (i = 0; i < DECORATOR_SHAPES; i++) {
        Py_ssize_t j;
        Py_VISIT(self->shape[i].dict);
        if (self->shape[i].name != NULL)
            for (j = 0; j < self->n; j++) Py_VISIT(self->shape[i].name[j]);
    }
    for (i = 0; i < self->n; i++) {
        Py_VISIT(self->step[i].memo_key);
        Py_VISIT(self->step[i].memo_name);
    }
    return 0;
}

static int Decorator_clear(PyObject *obj) {
    Decorator *self = (Decorator *)obj;
    Py_ssize_t i;
    forget_memos(self);
    for (i = 0; i < DECORATOR_SHAPES; i++) forget_shape(self, &self->shape[i]);
    for (i = 0; i < self->n; i++) Py_CLEAR(self->step[i].now);
    self->n = 0;  /* the steps' borrowed objects go with the tuple */
    Py_CLEAR(self->steps);
    Py_CLEAR(self->generation);
    Py_CLEAR(self->seen);
    return 0;
}

static void Decorator_dealloc(PyObject *obj) {
    Decorator *self = (Decorator *)obj;
    PyTypeObject *type = Py_TYPE(obj);
    Py_ssize_t i;
    PyObject_GC_UnTrack(obj);
    Decorator_clear(obj);
    if (self->step != NULL)
        for (i = 0; self->step[i].at != NULL; i++) PyMem_Free(self->step[i].at);
    PyMem_Free(self->step);
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(obj);
    Py_DECREF(type);
}

static PyType_Slot decorator_slots[] = {
    {Py_tp_doc, "Decorator(steps, generation=None): a flat record's metadata decoration, "
                "called as the generated decorate(values, computed); with generation (the "
                "cache's list whose item changes with its tables) each step remembers its "
                "last key and name."},
    {Py_tp_init, Decorator_init},
    {Py_tp_call, Decorator_call},
    {Py_tp_traverse, Decorator_traverse},
    {Py_tp_clear, Decorator_clear},
    {Py_tp_dealloc, Decorator_dealloc},
    {0, NULL},
};

static PyType_Spec decorator_spec = {
    "estreamer._native._core.Decorator", sizeof(Decorator), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, decorator_slots,
};

/* Pairs: the tail of a flat record's Splunk line that formatters/splunk.py's _rest
 * makes from the decorated names, `` name=value`` for each computed value in the
 * dict's order, then the raw ids whose name is missing. It reads the Python plan's
 * own memos and never fills them: a value not yet in a memo (or a key the plan does
 * not know) makes it give up, and the caller takes the Python path, which fills it.
 * So once warm, a line's decorated pairs are dict hits copied as UTF-8. */
typedef struct {
    Py_ssize_t at;       /* position of the raw id in the values */
    PyObject *prefix;    /* " name=" */
    PyObject *key;       /* the computed key whose absence writes the id */
    int kept;            /* written even when unset (sparse) */
} IdPair;

/* What the Pairs know of one computed key: its kind, its memo or prefix, the ids it
 * names. Kept by the key's address (the key is held, so the address stays its own)
 * in a small open-addressed table: a plan has a few dozen keys, always the same
 * objects (the decorations' names), so each is classified once, not looked up in
 * the plan's dicts for every record. */
typedef struct {
    PyObject *key;      /* owned; NULL: a free slot */
    int kind;           /* PAIR_MEMO, PAIR_BARE or PAIR_DROPPED */
    PyObject *memo;     /* owned: the key's memo (MEMO), its " name=" (BARE) */
    uint64_t ids;       /* the ids (bit i: id[i]) whose name this key is */
    /* the value (an exact str or int) and pair text written for the key last time,
     * owned: decoration gives the same name object while an id repeats, and a memo's
     * text is a function of its key and value, so the same value is the same text */
    PyObject *value, *text;
} Known;

#define PAIRS_KNOWN 128  /* a power of two */

enum { PAIR_MEMO, PAIR_BARE, PAIR_DROPPED };

typedef struct {
    PyObject_HEAD
    PyObject *memos;    /* computed key -> {value: " name=text"} */
    PyObject *bare;     /* computed key -> " name=": the value is written as it is */
    PyObject *dropped;  /* computed keys the format leaves out (a set) */
    PyObject *ids;      /* tuple of (position, " name=", computed key, always written) */
    PyObject *unset;    /* texts of unset fixed-width values (sparse only) */
    PyObject *value_text;
    IdPair *id;
    Py_ssize_t nids;
    int sparse;
    Known known[PAIRS_KNOWN];
} Pairs;

/* 1: v is unset as the sparse format reads it (``not v or v in UNSET``), 0: set. */
static int is_unset(Pairs *self, PyObject *v) {
    int truth = PyObject_IsTrue(v);
    if (truth <= 0) return truth < 0 ? -1 : 1;
    return PySequence_Contains(self->unset, v);
}

static void known_clear(Known *k) {
    Py_CLEAR(k->key);
    Py_CLEAR(k->memo);
    Py_CLEAR(k->value);
    Py_CLEAR(k->text);
}

/* The slot of ``key``: where it is known, or the free slot for it; NULL when the
 * table is full (the key is then learned for one use). */
static Known *known_slot(Pairs *self, PyObject *key) {
    size_t h = ((uintptr_t)key >> 4) & (PAIRS_KNOWN - 1), n;
    for (n = 0; n < PAIRS_KNOWN; n++, h = (h + 1) & (PAIRS_KNOWN - 1))
        if (self->known[h].key == key || self->known[h].key == NULL) return &self->known[h];
    return NULL;
}

/* Classifies ``key`` into the free slot ``k``: 0, 1 when the plan does not know the
 * key (the Python path decides; ``k`` stays free), -1 error. */
static int known_learn(Pairs *self, Known *k, PyObject *key) {
    PyObject *memo;
    Py_ssize_t i;
    uint64_t ids = 0;
    int kind;
    if ((memo = PyDict_GetItemWithError(self->memos, key)) != NULL) {
        kind = PAIR_MEMO;
    } else if (!PyErr_Occurred() && (memo = PyDict_GetItemWithError(self->bare, key)) != NULL) {
        kind = PAIR_BARE;
    } else if (PyErr_Occurred()) {
        PyErr_Clear();
        return 1;  /* unhashable: Python's */
    } else {
        int dropped = PySet_Contains(self->dropped, key);
        if (dropped != 1) { PyErr_Clear(); return 1; }
        kind = PAIR_DROPPED;
    }
    for (i = 0; i < self->nids && i < 64; i++) {
        int same = PyObject_RichCompareBool(self->id[i].key, key, Py_EQ);
        if (same < 0) return -1;
        if (same) ids |= (uint64_t)1 << i;
    }
    Py_INCREF(key);
    k->key = key;
    k->kind = kind;
    Py_XINCREF(memo);
    k->memo = memo;
    k->ids = ids;
    return 0;
}

/* The pairs of one record into out: 0 written, 1 the Python path must make them (a
 * memo miss, a value not written so), -1 error. */
static int pairs_write(Pairs *self, Out *out, PyObject *values, PyObject *computed) {
    PyObject *key, *value;
    Py_ssize_t pos = 0, i;
    /* the ids whose name is in computed (not None); with more than 64 ids, each is
     * looked up in computed */
    uint64_t named = 0;
    int got, exact = self->nids <= 64;

    while (PyDict_Next(computed, &pos, &key, &value)) {
        Known own, *k = known_slot(self, key);
        PyObject *text;
        if (k == NULL) {  /* the table is full: learned for this pair only */
            memset(&own, 0, sizeof own);
            k = &own;
        }
        if (k->key == NULL && (got = known_learn(self, k, key)) != 0) return got;
        if (value != Py_None) named |= k->ids;
        switch (k->kind) {
        case PAIR_MEMO:
            if (k->value == value) {
                text = k->text;
            } else {
                text = PyDict_GetItemWithError(k->memo, value);
                if (text == NULL) { PyErr_Clear(); got = 1; break; }  /* not seen, unhashable */
                if (k != &own && (PyUnicode_CheckExact(value) || PyLong_CheckExact(value))) {
                    hold(&k->value, value);
                    hold(&k->text, text);
                }
            }
            got = out_value(out, text);
            break;
        case PAIR_BARE:
            /* _BarePairs: non-empty text only, anything else goes to Python */
            if (!PyUnicode_CheckExact(value) || PyUnicode_GetLength(value) == 0) { got = 1; break; }
            got = out_value(out, k->memo);
            if (got == 0) got = out_value(out, value);
            break;
        default:
            got = 0;
        }
        if (k == &own) known_clear(&own);
        if (got != 0) return got;
    }
    for (i = 0; i < self->nids; i++) {
        IdPair *id = &self->id[i];
        PyObject *v, *text;
        if (exact) {
            if (named >> i & 1) continue;
        } else {
            v = PyDict_GetItemWithError(computed, id->key);
            if (v != NULL && v != Py_None) continue;
            if (PyErr_Occurred()) return -1;
        }
        if (id->at >= PyTuple_Size(values)) {
            PyErr_SetString(PyExc_IndexError, "Pairs: tuple index out of range");
            return -1;
        }
        v = PyTuple_GetItem(values, id->at);
        if (self->sparse && !id->kept) {
            int unset = is_unset(self, v);
            if (unset < 0) return -1;
            if (unset) continue;
        }
        if ((got = out_value(out, id->prefix)) != 0) return got;
        if (PyLong_CheckExact(v)) {
            got = out_value(out, v);  /* 1 for a negative or huge id: Python writes it */
        } else {
            text = PyObject_CallFunctionObjArgs(self->value_text, v, NULL);
            if (text == NULL) return -1;
            got = out_value(out, text);
            Py_DECREF(text);
        }
        if (got != 0) return got;
    }
    return 0;
}

static PyObject *Pairs_call(PyObject *obj, PyObject *args, PyObject *kwargs) {
    PyObject *values, *computed;
    Out out;

    if (!PyArg_UnpackTuple(args, "Pairs", 2, 2, &values, &computed)) return NULL;
    if (!PyTuple_Check(values) || !PyDict_Check(computed)) {
        PyErr_SetString(PyExc_TypeError, "Pairs(values: tuple, computed: dict)");
        return NULL;
    }
    out_init(&out);
    return out_finish(&out, pairs_write((Pairs *)obj, &out, values, computed));
}

static int Pairs_init(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Pairs *self = (Pairs *)obj;
    PyObject *memos, *bare, *dropped, *ids, *unset, *value_text;
    Py_ssize_t i;
    int sparse;
    static char *kwlist[] = {"memos", "bare", "dropped", "ids", "sparse", "unset",
                             "value_text", NULL};

    if (self->memos != NULL) {
        PyErr_SetString(PyExc_TypeError, "Pairs is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O!O!pOO", kwlist,
                                     &PyDict_Type, &memos, &PyDict_Type, &bare,
                                     &PyFrozenSet_Type, &dropped, &PyTuple_Type, &ids,
                                     &sparse, &unset, &value_text))
        return -1;
    PyMem_Free(self->id);
    self->id = PyMem_Malloc((size_t)(PyTuple_Size(ids) + 1) * sizeof(IdPair));
    if (self->id == NULL) { PyErr_NoMemory(); return -1; }
    for (i = 0; i < PyTuple_Size(ids); i++) {
        PyObject *id = PyTuple_GetItem(ids, i);
        int kept;
        if (!PyTuple_Check(id) || PyTuple_Size(id) != 4
            || !PyLong_Check(PyTuple_GetItem(id, 0))
            || !PyUnicode_Check(PyTuple_GetItem(id, 1))) {
            PyErr_SetString(PyExc_TypeError,
                            "Pairs: an id is (position: int, prefix: str, key, kept)");
            return -1;
        }
        self->id[i].at = PyLong_AsSsize_t(PyTuple_GetItem(id, 0));
        kept = PyObject_IsTrue(PyTuple_GetItem(id, 3));
        if (self->id[i].at < 0 || kept < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "Pairs: bad position");
            return -1;
        }
        self->id[i].prefix = PyTuple_GetItem(id, 1);  /* borrowed from ids, held below */
        self->id[i].key = PyTuple_GetItem(id, 2);
        self->id[i].kept = kept;
    }
    Py_INCREF(memos); self->memos = memos;
    Py_INCREF(bare); self->bare = bare;
    Py_INCREF(dropped); self->dropped = dropped;
    Py_INCREF(ids); self->ids = ids;
    Py_INCREF(unset); self->unset = unset;
    Py_INCREF(value_text); self->value_text = value_text;
    self->nids = PyTuple_Size(ids);
    self->sparse = sparse;
    return 0;
}

static int Pairs_traverse(PyObject *obj, visitproc visit, void *arg) {
    Pairs *self = (Pairs *)obj;
    Py_ssize_t i;
    for (i = 0; i < PAIRS_KNOWN; i++) {
        Py_VISIT(self->known[i].key);
        Py_VISIT(self->known[i].memo);
        Py_VISIT(self->known[i].value);
        Py_VISIT(self->known[i].text);
    }
    Py_VISIT(self->memos);
    Py_VISIT(self->bare);
    Py_VISIT(self->dropped);
    Py_VISIT(self->ids);
    Py_VISIT(self->unset);
    Py_VISIT(self->value_text);
    return 0;
}

static int Pairs_clear(PyObject *obj) {
    Pairs *self = (Pairs *)obj;
    Py_ssize_t i;
    for (i = 0; i < PAIRS_KNOWN; i++) known_clear(&self->known[i]);
    self->nids = 0;  /* the ids' borrowed objects go with the tuple */
    Py_CLEAR(self->memos);
    Py_CLEAR(self->bare);
    Py_CLEAR(self->dropped);
    Py_CLEAR(self->ids);
    Py_CLEAR(self->unset);
    Py_CLEAR(self->value_text);
    return 0;
}

static void Pairs_dealloc(PyObject *obj) {
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    Pairs_clear(obj);
    PyMem_Free(((Pairs *)obj)->id);
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(obj);
    Py_DECREF(type);
}

static PyType_Slot pairs_slots[] = {
    {Py_tp_doc, "Pairs(memos, bare, dropped, ids, sparse, unset, value_text): a flat "
                "record's decorated pairs, called as pairs(values, computed); None on a "
                "memo miss."},
    {Py_tp_init, Pairs_init},
    {Py_tp_call, Pairs_call},
    {Py_tp_traverse, Pairs_traverse},
    {Py_tp_clear, Pairs_clear},
    {Py_tp_dealloc, Pairs_dealloc},
    {0, NULL},
};

static PyType_Spec pairs_spec = {
    "estreamer._native._core.Pairs", sizeof(Pairs), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, pairs_slots,
};


/* XML element text as ElementTree writes it to a US-ASCII stream (what splunklib's
 * EventWriter sends splunkd): ``&``, ``<``, ``>`` as entities, every non-ASCII
 * character as a decimal character reference, every other byte as it is. */

/* The position of the first byte from p on (up to end) that XML text cannot carry as
 * it is: ``&``, ``<``, ``>`` or a byte of a non-ASCII character; end if none. A line
 * is ~2 kB with nothing to escape in 4 lines of 5, so it is scanned 16 bytes a step. */
static Py_ssize_t xml_special(const char *data, Py_ssize_t p, Py_ssize_t end) {
#ifdef __SSE2__
    const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>');
    for (; p + 16 <= end; p += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(data + p));
        /* a byte's high bit: non-ASCII, or all bits: one of the three */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, amp), _mm_cmpeq_epi8(b, lt)),
                                   _mm_or_si128(_mm_cmpeq_epi8(b, gt), b));
        int mask = _mm_movemask_epi8(hit);
        if (mask) {
            int i = 0;
            while (!(mask & 1)) { mask >>= 1; i++; }
            return p + i;
        }
    }
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)data[p];
        if (c >= 0x80 || c == '&' || c == '<' || c == '>') return p;
    }
    return end;
}

/* Writes data[start:end] (UTF-8) escaped into out: 0, or 1 when it is not valid UTF-8
 * (the caller's Python path then escapes the str), -1 error. */
static int out_xml_text(Out *out, const char *data, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t p = start;
    while (p < end) {
        Py_ssize_t q = xml_special(data, p, end);
        const unsigned char *b = (const unsigned char *)data + q;
        uint32_t code;
        int n;
        char ref[16];
        if (out_add(out, data + p, q - p) < 0) return -1;
        if (q == end) break;
        if (*b == '&') { if (out_add(out, "&amp;", 5) < 0) return -1; p = q + 1; continue; }
        if (*b == '<') { if (out_add(out, "&lt;", 4) < 0) return -1; p = q + 1; continue; }
        if (*b == '>') { if (out_add(out, "&gt;", 4) < 0) return -1; p = q + 1; continue; }
        /* a non-ASCII character: its code point from the UTF-8 sequence */
        if (*b >= 0xC2 && *b <= 0xDF) { n = 2; code = *b & 0x1Fu; }
        else if (*b >= 0xE0 && *b <= 0xEF) { n = 3; code = *b & 0x0Fu; }
        else if (*b >= 0xF0 && *b <= 0xF4) { n = 4; code = *b & 0x07u; }
        else return 1;
        if (q + n > end) return 1;
        for (int i = 1; i < n; i++) {
            if ((b[i] & 0xC0) != 0x80) return 1;
            code = code << 6 | (b[i] & 0x3Fu);
        }
        if ((n == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF)))
            || (n == 4 && (code < 0x10000 || code > 0x10FFFF)))
            return 1;
        if (out_add(out, ref, snprintf(ref, sizeof ref, "&#%u;", (unsigned)code)) < 0)
            return -1;
        p = q + n;
    }
    return 0;
}

/* The bytes of an XML event whose text is out's data from ``start`` on (a line that
 * ``got`` says was written, 0): ``out[:start]``, the text escaped, ``tail``. None when
 * the caller's Python path must make it (the line was not written here, it is empty,
 * or not valid UTF-8); NULL with an error set. The buffer is freed. */
static PyObject *xml_finish(Out *out, int got, Py_ssize_t start, PyObject *tail) {
    PyObject *xml = NULL;
    if (got == 0 && out->len == start) got = 1;  /* empty: <data />, Python's to write */
    if (got == 0) {
        /* the usual line has nothing to escape: its event is the buffer itself */
        Out escaped, *event = out;
        Py_ssize_t special = xml_special(out->data, start, out->len);
        if (special < out->len) {
            event = &escaped;
            out_init(&escaped);
            got = out_add(&escaped, out->data, special);
            if (got == 0) got = out_xml_text(&escaped, out->data, special, out->len);
        }
        if (got == 0) got = out_add(event, PyBytes_AsString(tail), PyBytes_Size(tail));
        if (got == 0) xml = PyBytes_FromStringAndSize(event->data, event->len);
        if (event == &escaped && escaped.data != escaped.local) PyMem_Free(escaped.data);
    }
    if (got == 1) {
        Py_INCREF(Py_None);
        xml = Py_None;
    }
    if (out->data != out->local) PyMem_Free(out->data);
    return xml;
}

/* the module's Renderer and Pairs types (Line checks what it is given) */
static PyObject *renderer_type, *pairs_type;

/* Line: a flat record's whole Splunk line in one call, ``line(values, computed)``: the
 * Renderer's template and values with the Pairs written where the plan's ``rest``
 * goes, so the pairs are never a str of their own. None when either part would
 * take its Python path (a memo miss, a value not written directly): the caller then
 * makes the line as render(values, _rest(...)).
 *
 * ``line(values, computed, head, tail)`` (bytes) gives the bytes of an XML element
 * instead: head, the line as XML text (see xml_special), tail; never a str of the
 * line, and no encoding of it. None as above, and for an empty line. */
typedef struct {
    PyObject_HEAD
    PyObject *renderer, *pairs;
} Line;

static PyObject *Line_call(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Line *self = (Line *)obj;
    Renderer *renderer = (Renderer *)self->renderer;
    PyObject *values, *computed, *head = NULL, *tail = NULL;
    Out out;
    int got = 0;

    if (!PyArg_UnpackTuple(args, "Line", 2, 4, &values, &computed, &head, &tail)) return NULL;
    if (!PyDict_Check(computed)
        || (head != NULL && (tail == NULL || !PyBytes_Check(head) || !PyBytes_Check(tail)))) {
        PyErr_SetString(PyExc_TypeError,
                        "Line(values: tuple, computed: dict[, head: bytes, tail: bytes])");
        return NULL;
    }
    out_init(&out);
    if (head != NULL) got = out_add(&out, PyBytes_AsString(head), PyBytes_Size(head));
    if (got == 0) got = out_fields(renderer, &out, values);
    if (got == 0) got = pairs_write((Pairs *)self->pairs, &out, values, computed);
    if (got == 0) got = out_part(&out, renderer, renderer->n + 1);
    return head == NULL ? out_finish(&out, got) : xml_finish(&out, got, PyBytes_Size(head), tail);
}

static int Line_init(PyObject *obj, PyObject *args, PyObject *kwargs) {
    Line *self = (Line *)obj;
    PyObject *renderer, *pairs;
    static char *kwlist[] = {"renderer", "pairs", NULL};
    if (self->renderer != NULL) {
        PyErr_SetString(PyExc_TypeError, "Line is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", kwlist, &renderer, &pairs))
        return -1;
    if ((PyObject *)Py_TYPE(renderer) != renderer_type
        || (PyObject *)Py_TYPE(pairs) != pairs_type) {
        PyErr_SetString(PyExc_TypeError, "Line(renderer: Renderer, pairs: Pairs)");
        return -1;
    }
    Py_INCREF(renderer); self->renderer = renderer;
    Py_INCREF(pairs); self->pairs = pairs;
    return 0;
}

static int Line_traverse(PyObject *obj, visitproc visit, void *arg) {
    Py_VISIT(((Line *)obj)->renderer);
    Py_VISIT(((Line *)obj)->pairs);
    return 0;
}

static int Line_clear(PyObject *obj) {
    Py_CLEAR(((Line *)obj)->renderer);
    Py_CLEAR(((Line *)obj)->pairs);
    return 0;
}

static void Line_dealloc(PyObject *obj) {
    PyTypeObject *type = Py_TYPE(obj);
    PyObject_GC_UnTrack(obj);
    Line_clear(obj);
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(obj);
    Py_DECREF(type);
}

static PyType_Slot line_slots[] = {
    {Py_tp_doc, "Line(renderer, pairs): a flat record's Splunk line, called as "
                "line(values, computed), or its XML element's bytes as line(values, "
                "computed, head, tail); None when the Python path must make it."},
    {Py_tp_init, Line_init},
    {Py_tp_call, Line_call},
    {Py_tp_traverse, Line_traverse},
    {Py_tp_clear, Line_clear},
    {Py_tp_dealloc, Line_dealloc},
    {0, NULL},
};

static PyType_Spec line_spec = {
    "estreamer._native._core.Line", sizeof(Line), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, line_slots,
};

static int core_exec(PyObject *module) {
    PyObject *type;
    if (block_type_name == NULL
        && (block_type_name = PyUnicode_InternFromString("block_type")) == NULL)
        return -1;
    type = PyType_FromSpec(&decoder_spec);
    if (type == NULL) return -1;
    if (PyModule_AddObject(module, "Decoder", type) < 0) { Py_DECREF(type); return -1; }
    type = PyType_FromSpec(&renderer_spec);
    if (type == NULL) return -1;
    renderer_type = type;  /* the module holds it for the process's life */
    if (PyModule_AddObject(module, "Renderer", type) < 0) { Py_DECREF(type); return -1; }
    type = PyType_FromSpec(&decorator_spec);
    if (type == NULL) return -1;
    if (PyModule_AddObject(module, "Decorator", type) < 0) { Py_DECREF(type); return -1; }
    type = PyType_FromSpec(&pairs_spec);
    if (type == NULL) return -1;
    pairs_type = type;
    if (PyModule_AddObject(module, "Pairs", type) < 0) { Py_DECREF(type); return -1; }
    type = PyType_FromSpec(&line_spec);
    if (type == NULL) return -1;
    if (PyModule_AddObject(module, "Line", type) < 0) { Py_DECREF(type); return -1; }
    return PyModule_AddIntConstant(module, "MAX_VALUES", MAX_VALUES);
}

static PyModuleDef_Slot core_slots[] = {{Py_mod_exec, core_exec}, {0, NULL}};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "_core", "The optional native record decoder (see program.py).",
    0, NULL, core_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&core_module); }
