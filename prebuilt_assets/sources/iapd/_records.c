/* _records: the IAPD records, streamed from XML into dicts without calling back into Python.
 *
 * The same conversion as parse.element_to_dict (the reference, and the fallback when this module is
 * not built), done inside expat's callbacks: one dict per element holding its attributes, children
 * under their tag, list wrappers as lists, leaf text as a string or under "#text". Only records are
 * built; the root and the record container are tracked by a counter, never as objects, so memory
 * holds the records of one feed() at most. tests/prebuilt_assets/iapd/test_iapd_native.py checks
 * that both converters give identical records.
 *
 * expat comes from pyexpat's C API capsule, as in CPython's _elementtree: the library the
 * interpreter already loaded, with the same XML declaration and encoding handling. Built by
 * scripts/build_native.sh.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <expat.h>
#include <pyexpat.h>

static struct PyExpat_CAPI *expat_capi;
static PyObject *ParseError;
static PyObject *text_key; /* "#text" */

/* An element or attribute name seen in the document, decoded and interned once. */
typedef struct {
    char *key;       /* the name as expat gives it (UTF-8, "uri}local" with a namespace) */
    PyObject *name;  /* the name as ElementTree gives it ("{uri}local") */
    int wrapper;     /* a tag in list_wrappers */
} Name;

/* One open element inside a record. */
typedef struct {
    PyObject *node;   /* its dict: attributes, then converted children */
    PyObject *items;  /* a list wrapper's converted children, else NULL */
    Name *name;
    int has_children;
    char *text;       /* leaf text so far (UTF-8); the buffer is kept for the next element */
    size_t text_len, text_cap;
} Frame;

#define OUTSIDE_UNSET (-2)

typedef struct {
    PyObject_HEAD
    XML_Parser parser;
    PyObject *wrappers;     /* frozenset of tags */
    Name *record;           /* the record element's name */
    Name **names;           /* open-addressing table, names_cap a power of two */
    size_t names_cap, names_len;
    Frame *frames;          /* the open elements of the current record, outermost first */
    Py_ssize_t depth, frames_cap;
    long long *outside;     /* serial numbers of the open elements outside any record */
    Py_ssize_t outside_depth, outside_cap;
    long long serial;
    long long container;    /* serial of the first record's parent: records elsewhere are stray */
    Py_ssize_t skip;        /* depth inside a stray record, which is counted, not built */
    PyObject *finished;     /* records completed since the last feed() returned */
    Py_ssize_t records;     /* records completed in all */
    Py_ssize_t stray;       /* records outside the container */
    int failed;             /* a handler set a Python exception; the rest of the input is ignored */
} RecordParser;

/* A handler cannot raise: it leaves the Python exception set and parse() reports it after Parse. */
static void stop_on_error(RecordParser *self)
{
    self->failed = 1;
}

static size_t hash_key(const char *key)
{
    size_t hash = 1469598103934665603ULL;
    for (; *key; key++)
        hash = (hash ^ (unsigned char)*key) * 1099511628211ULL;
    return hash;
}

static int grow_names(RecordParser *self)
{
    size_t cap = self->names_cap ? self->names_cap * 2 : 256;
    Name **table = PyMem_Calloc(cap, sizeof(Name *));
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < self->names_cap; i++) {
        Name *name = self->names[i];
        if (name == NULL)
            continue;
        size_t slot = hash_key(name->key) & (cap - 1);
        while (table[slot] != NULL)
            slot = (slot + 1) & (cap - 1);
        table[slot] = name;
    }
    PyMem_Free(self->names);
    self->names = table;
    self->names_cap = cap;
    return 0;
}

static PyObject *decode_name(const char *key)
{
    const char *separator = strchr(key, '}');
    if (separator == NULL)
        return PyUnicode_DecodeUTF8(key, strlen(key), "strict");
    return PyUnicode_FromFormat("{%s", key); /* "uri}local" -> "{uri}local", as ElementTree */
}

static Name *lookup_name(RecordParser *self, const char *key)
{
    if (self->names_len * 2 >= self->names_cap && grow_names(self) < 0)
        return NULL;
    size_t slot = hash_key(key) & (self->names_cap - 1);
    for (Name *name; (name = self->names[slot]) != NULL; slot = (slot + 1) & (self->names_cap - 1))
        if (strcmp(name->key, key) == 0)
            return name;
    Name *name = PyMem_Calloc(1, sizeof(Name));
    if (name == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    name->key = PyMem_Malloc(strlen(key) + 1);
    name->name = decode_name(key);
    if (name->key == NULL || name->name == NULL) {
        PyMem_Free(name->key);
        Py_XDECREF(name->name);
        PyMem_Free(name);
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return NULL;
    }
    strcpy(name->key, key);
    PyUnicode_InternInPlace(&name->name);
    name->wrapper = PySet_Contains(self->wrappers, name->name);
    if (name->wrapper < 0) {
        Py_DECREF(name->name);
        PyMem_Free(name->key);
        PyMem_Free(name);
        return NULL;
    }
    self->names[slot] = name;
    self->names_len++;
    return name;
}

static PyObject *attributes_dict(RecordParser *self, const XML_Char **attributes)
{
    PyObject *node = PyDict_New();
    if (node == NULL)
        return NULL;
    for (; attributes[0] != NULL; attributes += 2) {
        Name *key = lookup_name(self, attributes[0]);
        PyObject *value = key ? PyUnicode_DecodeUTF8(attributes[1], strlen(attributes[1]), "strict") : NULL;
        if (value == NULL || PyDict_SetItem(node, key->name, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(node);
            return NULL;
        }
        Py_DECREF(value);
    }
    return node;
}

static int open_frame(RecordParser *self, Name *name, const XML_Char **attributes)
{
    if (self->depth == self->frames_cap) {
        Py_ssize_t cap = self->frames_cap ? self->frames_cap * 2 : 16;
        Frame *frames = PyMem_Realloc(self->frames, cap * sizeof(Frame));
        if (frames == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memset(frames + self->frames_cap, 0, (cap - self->frames_cap) * sizeof(Frame));
        self->frames = frames;
        self->frames_cap = cap;
    }
    /* As element_to_dict: a wrapper is a list only as the child of an element converted by the loop,
     * i.e. not the record itself and not an item of another wrapper. */
    Frame *parent = self->depth ? &self->frames[self->depth - 1] : NULL;
    Frame *frame = &self->frames[self->depth];
    frame->node = attributes_dict(self, attributes);
    if (frame->node == NULL)
        return -1;
    frame->items = NULL;
    if (name->wrapper && parent != NULL && parent->items == NULL) {
        frame->items = PyList_New(0);
        if (frame->items == NULL) {
            Py_CLEAR(frame->node);
            return -1;
        }
    }
    frame->name = name;
    frame->has_children = 0;
    frame->text_len = 0;
    self->depth++;
    return 0;
}

static int push_outside(RecordParser *self)
{
    if (self->outside_depth == self->outside_cap) {
        Py_ssize_t cap = self->outside_cap ? self->outside_cap * 2 : 16;
        long long *outside = PyMem_Realloc(self->outside, cap * sizeof(long long));
        if (outside == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->outside = outside;
        self->outside_cap = cap;
    }
    self->outside[self->outside_depth++] = ++self->serial;
    return 0;
}

static void XMLCALL start_element(void *data, const XML_Char *key, const XML_Char **attributes)
{
    RecordParser *self = data;
    if (self->failed)
        return;
    if (self->skip) {
        self->skip++;
        return;
    }
    Name *name = lookup_name(self, key);
    if (name == NULL) {
        stop_on_error(self);
        return;
    }
    if (self->depth == 0 && name != self->record) {
        if (push_outside(self) < 0)
            stop_on_error(self);
        return;
    }
    if (self->depth == 0) {
        long long parent = self->outside_depth ? self->outside[self->outside_depth - 1] : -1;
        if (self->container == OUTSIDE_UNSET)
            self->container = parent;
        if (parent != self->container) {
            self->stray++;
            self->skip = 1;
            return;
        }
    } else {
        self->frames[self->depth - 1].has_children = 1;
    }
    if (open_frame(self, name, attributes) < 0)
        stop_on_error(self);
}

static int is_blank(PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *chars = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, chars, i)))
            return 0;
    return length > 0;
}

/* The value of a closed element, as element_to_dict returns it; a new reference. */
static PyObject *frame_value(Frame *frame)
{
    PyObject *node = frame->node;
    frame->node = NULL;
    if (frame->items != NULL) {
        PyObject *items = frame->items;
        frame->items = NULL;
        Py_DECREF(node);
        return items;
    }
    if (frame->has_children || frame->text_len == 0)
        return node;
    PyObject *text = PyUnicode_DecodeUTF8(frame->text, frame->text_len, "strict");
    if (text == NULL) {
        Py_DECREF(node);
        return NULL;
    }
    if (is_blank(text)) {
        Py_DECREF(text);
        return node;
    }
    if (PyDict_GET_SIZE(node) == 0) {
        Py_DECREF(node);
        return text;
    }
    int failed = PyDict_SetItem(node, text_key, text);
    Py_DECREF(text);
    if (failed < 0) {
        Py_DECREF(node);
        return NULL;
    }
    return node;
}

/* Put a child's value into its parent's dict: first under its tag, then as a list of repeats. */
static int add_child(Frame *parent, Name *name, PyObject *value)
{
    if (parent->items != NULL)
        return PyList_Append(parent->items, value);
    PyObject *existing = PyDict_GetItemWithError(parent->node, name->name);
    if (existing == NULL)
        return PyErr_Occurred() ? -1 : PyDict_SetItem(parent->node, name->name, value);
    if (!name->wrapper && PyList_CheckExact(existing))
        return PyList_Append(existing, value);
    PyObject *pair = PyList_New(2);
    if (pair == NULL)
        return -1;
    Py_INCREF(existing);
    Py_INCREF(value);
    PyList_SET_ITEM(pair, 0, existing);
    PyList_SET_ITEM(pair, 1, value);
    int failed = PyDict_SetItem(parent->node, name->name, pair);
    Py_DECREF(pair);
    return failed;
}

static void XMLCALL end_element(void *data, const XML_Char *key)
{
    RecordParser *self = data;
    (void)key;
    if (self->failed)
        return;
    if (self->skip) {
        self->skip--;
        return;
    }
    if (self->depth == 0) {
        self->outside_depth--;
        return;
    }
    Frame *frame = &self->frames[--self->depth];
    PyObject *value = frame_value(frame);
    if (value == NULL) {
        stop_on_error(self);
        return;
    }
    int failed;
    if (self->depth == 0) {
        failed = PyList_Append(self->finished, value);
        self->records++;
    } else {
        failed = add_child(&self->frames[self->depth - 1], frame->name, value);
    }
    Py_DECREF(value);
    if (failed < 0)
        stop_on_error(self);
}

static void XMLCALL character_data(void *data, const XML_Char *chars, int length)
{
    RecordParser *self = data;
    if (self->failed || self->skip || self->depth == 0)
        return;
    Frame *frame = &self->frames[self->depth - 1];
    if (frame->has_children) /* text after a child is that child's tail: not kept */
        return;
    if (frame->text_len + length > frame->text_cap) {
        size_t cap = (frame->text_len + length) * 2;
        char *text = PyMem_Realloc(frame->text, cap);
        if (text == NULL) {
            PyErr_NoMemory();
            stop_on_error(self);
            return;
        }
        frame->text = text;
        frame->text_cap = cap;
    }
    memcpy(frame->text + frame->text_len, chars, length);
    frame->text_len += length;
}

static PyObject *take_finished(RecordParser *self)
{
    PyObject *finished = self->finished;
    self->finished = PyList_New(0);
    if (self->finished == NULL) {
        self->finished = finished;
        return NULL;
    }
    return finished;
}

static PyObject *parse(RecordParser *self, const char *data, Py_ssize_t length, int final)
{
    if (self->parser == NULL || self->failed) {
        PyErr_SetString(PyExc_RuntimeError, self->parser ? "the parser failed earlier; make a new one"
                                                         : "RecordParser.__init__ was not called");
        return NULL;
    }
    do {
        int piece = length > INT_MAX ? INT_MAX : (int)length;
        int status = expat_capi->Parse(self->parser, data, piece, final && piece == length);
        if (self->failed)
            return NULL;
        if (status == XML_STATUS_ERROR) {
            self->failed = 1;
            enum XML_Error code = expat_capi->GetErrorCode(self->parser);
            PyErr_Format(ParseError, "%s: line %lu, column %lu", expat_capi->ErrorString(code),
                         (unsigned long)expat_capi->GetErrorLineNumber(self->parser),
                         (unsigned long)expat_capi->GetErrorColumnNumber(self->parser));
            return NULL;
        }
        data += piece;
        length -= piece;
    } while (length > 0);
    return take_finished(self);
}

static PyObject *RecordParser_feed(RecordParser *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *records = parse(self, view.buf, view.len, 0);
    PyBuffer_Release(&view);
    return records;
}

static PyObject *RecordParser_close(RecordParser *self, PyObject *Py_UNUSED(ignored))
{
    return parse(self, "", 0, 1);
}

static int RecordParser_init(RecordParser *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"record_tag", "list_wrappers", NULL};
    const char *record_tag;
    PyObject *wrappers;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sO!", keywords, &record_tag, &PyFrozenSet_Type,
                                     &wrappers))
        return -1;
    if (self->parser != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "RecordParser is initialised once");
        return -1;
    }
    Py_INCREF(wrappers);
    self->wrappers = wrappers;
    self->container = OUTSIDE_UNSET;
    self->finished = PyList_New(0);
    if (self->finished == NULL)
        return -1;
    self->record = lookup_name(self, record_tag);
    if (self->record == NULL)
        return -1;
    static XML_Memory_Handling_Suite memory = {PyObject_Malloc, PyObject_Realloc, PyObject_Free};
    self->parser = expat_capi->ParserCreate_MM(NULL, &memory, "}");
    if (self->parser == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    expat_capi->SetUserData(self->parser, self);
    expat_capi->SetElementHandler(self->parser, start_element, end_element);
    expat_capi->SetCharacterDataHandler(self->parser, character_data);
    expat_capi->SetUnknownEncodingHandler(self->parser, expat_capi->DefaultUnknownEncodingHandler, NULL);
    return 0;
}

static void RecordParser_dealloc(RecordParser *self)
{
    if (self->parser != NULL)
        expat_capi->ParserFree(self->parser);
    for (Py_ssize_t i = 0; i < self->frames_cap; i++) {
        Py_XDECREF(self->frames[i].node);
        Py_XDECREF(self->frames[i].items);
        PyMem_Free(self->frames[i].text);
    }
    PyMem_Free(self->frames);
    for (size_t i = 0; i < self->names_cap; i++) {
        if (self->names[i] == NULL)
            continue;
        Py_DECREF(self->names[i]->name);
        PyMem_Free(self->names[i]->key);
        PyMem_Free(self->names[i]);
    }
    PyMem_Free(self->names);
    PyMem_Free(self->outside);
    Py_XDECREF(self->finished);
    Py_XDECREF(self->wrappers);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef RecordParser_methods[] = {
    {"feed", (PyCFunction)RecordParser_feed, METH_O,
     "feed(data) -> list of the records this data completed"},
    {"close", (PyCFunction)RecordParser_close, METH_NOARGS,
     "close() -> list of the last records; raises ParseError when the document is incomplete"},
    {NULL},
};

static PyMemberDef RecordParser_members[] = {
    {"records", T_PYSSIZET, offsetof(RecordParser, records), READONLY, "records completed so far"},
    {"stray", T_PYSSIZET, offsetof(RecordParser, stray), READONLY,
     "record elements outside the first record's parent, skipped"},
    {NULL},
};

static PyTypeObject RecordParserType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "prebuilt_assets.sources.iapd._records.RecordParser",
    .tp_doc = "RecordParser(record_tag, list_wrappers): feed XML bytes, get record dicts.",
    .tp_basicsize = sizeof(RecordParser),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)RecordParser_init,
    .tp_dealloc = (destructor)RecordParser_dealloc,
    .tp_methods = RecordParser_methods,
    .tp_members = RecordParser_members,
};

static struct PyModuleDef records_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "prebuilt_assets.sources.iapd._records",
    .m_doc = "IAPD records from XML in C; see parse.py.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__records(void)
{
    expat_capi = PyCapsule_Import(PyExpat_CAPSULE_NAME, 0);
    if (expat_capi == NULL)
        return NULL;
    if (strcmp(expat_capi->magic, PyExpat_CAPI_MAGIC) != 0 ||
        (size_t)expat_capi->size < sizeof(struct PyExpat_CAPI) ||
        expat_capi->MAJOR_VERSION != XML_MAJOR_VERSION) {
        PyErr_SetString(PyExc_ImportError, "pyexpat's C API does not match the expat.h it was built with");
        return NULL;
    }
    if (PyType_Ready(&RecordParserType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&records_module);
    if (module == NULL)
        return NULL;
    text_key = PyUnicode_InternFromString("#text");
    ParseError = PyErr_NewException("prebuilt_assets.sources.iapd._records.ParseError", PyExc_ValueError, NULL);
    if (text_key == NULL || ParseError == NULL || PyModule_AddObjectRef(module, "ParseError", ParseError) < 0 ||
        PyModule_AddObjectRef(module, "RecordParser", (PyObject *)&RecordParserType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
