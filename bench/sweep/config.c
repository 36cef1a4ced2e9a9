// Experiment-config loader: libyaml events -> a small node tree (with lines) -> overrides
// applied -> validated against the schema (config_schema.c) -> variants (sweep grid product),
// canonical text and hash per variant. Rules and override syntax: config.h.
#include "bench/sweep/config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "bench/base/error.h"
#include "bench/base/names.h"
#include "bench/base/number_text.h"
#include "bench/base/sha256.h"
#include "bench/base/text_file.h"

#define MAX_FILE_BYTES (16u << 20)
#define MAX_DEPTH 32
#define PATH_LEN 512

// ---- node tree ------------------------------------------------------------------------------

typedef enum { N_SCALAR, N_SEQ, N_MAP } node_kind;

typedef struct node node;
struct node {
    node_kind kind;
    int line;     // 1-based line in the file (unused for overrides)
    int src;      // -1: the file; k >= 0: override k
    int quoted;   // scalar not written plain (quoted or block): always a string
    char *text;   // scalar text
    node **kids;  // seq: items; map: key0, value0, key1, value1, ...
    int n;        // items (seq) or pairs (map)
    int cap;      // allocated kids
};

static node *node_new(node_kind kind, int line, int src) {
    node *n = pcb_calloc(1, sizeof *n);
    n->kind = kind, n->line = line, n->src = src;
    return n;
}

static void node_free(node *n) {
    if (!n) return;
    int kids = n->kind == N_MAP ? 2 * n->n : n->kind == N_SEQ ? n->n : 0;
    for (int i = 0; i < kids; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static void reserve(node *n, int need) {
    if (need <= n->cap) return;
    while (n->cap < need) n->cap = n->cap ? 2 * n->cap : 8;
    n->kids = pcb_realloc(n->kids, sizeof *n->kids * (size_t)n->cap);
}

static void seq_add(node *seq, node *item) {
    reserve(seq, seq->n + 1);
    seq->kids[seq->n++] = item;
}

static void map_add(node *map, node *key, node *value) {
    reserve(map, 2 * map->n + 2);
    map->kids[2 * map->n] = key;
    map->kids[2 * map->n + 1] = value;
    map->n++;
}

static node *map_key(const node *m, int i) { return m->kids[2 * i]; }
static node *map_val(const node *m, int i) { return m->kids[2 * i + 1]; }

static int map_find(const node *m, const char *key) {
    for (int i = 0; i < m->n; i++)
        if (!strcmp(map_key(m, i)->text, key)) return i;
    return -1;
}

static int is_null(const node *n) {
    if (n->kind != N_SCALAR || n->quoted) return 0;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

// ---- errors -----------------------------------------------------------------------------------

typedef struct {
    const char *path;
    const char *const *ovr;
} ctx;

PCB_PRINTF(5, 6)
static int fail_at(const ctx *c, int src, int line, const char *dpath, const char *fmt, ...) {
    char msg[768], where[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (src < 0) snprintf(where, sizeof where, "%s:%d", c->path, line);
    else snprintf(where, sizeof where, "command line '%s'", c->ovr[src]);
    return pcb_fail("%s: key '%s': %s", where, *dpath ? dpath : "(root)", msg);
}

#define FAIL_AT(c, n, dpath, ...) fail_at((c), (n)->src, (n)->line, (dpath), __VA_ARGS__)

// "'text'" for scalars (shortened), "a list", "a mapping".
static const char *show(const node *n, char *buf, size_t size) {
    if (n->kind == N_SEQ) return "a list";
    if (n->kind == N_MAP) return "a mapping";
    size_t len = strlen(n->text);
    if (len > 60) snprintf(buf, size, "'%.57s...'", n->text);
    else snprintf(buf, size, "'%s'", n->text);
    return buf;
}

// Display / schema paths live in PATH_LEN buffers; longer ones are cut (and then match no key).
PCB_PRINTF(2, 3)
static void pathf(char *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, PATH_LEN, fmt, ap);
    va_end(ap);
}

static void join(char *out, const char *a, const char *b) {
    if (*a) pathf(out, "%s.%s", a, b);
    else pathf(out, "%s", b);
}

// ---- YAML -> nodes ------------------------------------------------------------------------

typedef struct {
    const ctx *c;
    yaml_parser_t p;
    int src;
    const unsigned char *buf;
    size_t len;
} yreader;

static int yaml_fail(yreader *r, const char *dpath) {
    yaml_parser_t *p = &r->p;
    int line = (int)p->problem_mark.line + 1;
    if (p->error == YAML_READER_ERROR) {  // found while decoding ahead of the parser: no key
        dpath = "";
        line = 1;
        for (size_t i = 0; i < p->problem_offset && i < r->len; i++) line += r->buf[i] == '\n';
    }
    char where[160] = "";
    if (p->context) snprintf(where, sizeof where, " (%s at line %d)", p->context, (int)p->context_mark.line + 1);
    if (p->error == YAML_READER_ERROR)
        return fail_at(r->c, r->src, line, dpath, "malformed YAML: %s (byte 0x%02x at offset %zu; expected UTF-8 text)",
                       p->problem ? p->problem : "unreadable input", (unsigned)(p->problem_value & 0xff),
                       p->problem_offset);
    return fail_at(r->c, r->src, line, dpath, "malformed YAML: %s%s", p->problem ? p->problem : "syntax error", where);
}

static int next_event(yreader *r, yaml_event_t *ev, const char *dpath) {
    if (!yaml_parser_parse(&r->p, ev)) return yaml_fail(r, dpath);
    return 0;
}

static int build(yreader *r, yaml_event_t *ev, const char *dpath, int depth, node **out);

static int build_seq(yreader *r, node *n, const char *dpath, int depth) {
    int tasks = !strcmp(dpath, "tasks");
    for (;;) {
        yaml_event_t e;
        char ipath[PATH_LEN];
        pathf(ipath, tasks ? "%s.%d" : "%s[%d]", dpath, n->n);
        if (next_event(r, &e, dpath)) return -1;
        if (e.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&e);
            return 0;
        }
        node *item;
        if (build(r, &e, ipath, depth + 1, &item)) return -1;
        seq_add(n, item);
    }
}

static int build_map(yreader *r, node *n, const char *dpath, int depth) {
    char last[PATH_LEN];
    pathf(last, "%s", dpath);
    for (;;) {
        yaml_event_t e;
        if (next_event(r, &e, last)) return -1;
        if (e.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&e);
            return 0;
        }
        if (e.type != YAML_SCALAR_EVENT) {
            int line = (int)e.start_mark.line + 1;
            yaml_event_delete(&e);
            return fail_at(r->c, r->src, line, dpath, "a mapping key is a list or mapping (expected a plain key)");
        }
        node *key;
        if (build(r, &e, dpath, depth + 1, &key)) return -1;
        join(last, dpath, key->text);
        for (int i = 0; i < n->n; i++)
            if (!strcmp(map_key(n, i)->text, key->text)) {
                int first = map_key(n, i)->line, line = key->line;
                node_free(key);
                return fail_at(r->c, r->src, line, last, "duplicate key (first at line %d; expected each key once)",
                               first);
            }
        node *value = NULL;
        if (next_event(r, &e, last) || build(r, &e, last, depth + 1, &value)) {
            node_free(key);
            return -1;
        }
        map_add(n, key, value);
    }
}

// Builds the node that starts with *ev (consumed).
static int build(yreader *r, yaml_event_t *ev, const char *dpath, int depth, node **out) {
    *out = NULL;
    int line = (int)ev->start_mark.line + 1;
    const char *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor, tag = (const char *)ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = (const char *)ev->data.sequence_start.anchor, tag = (const char *)ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = (const char *)ev->data.mapping_start.anchor, tag = (const char *)ev->data.mapping_start.tag;
        break;
    case YAML_ALIAS_EVENT: {
        char a[80];
        snprintf(a, sizeof a, "%.60s", (const char *)ev->data.alias.anchor);
        yaml_event_delete(ev);
        return fail_at(r->c, r->src, line, dpath,
                       "alias *%s: YAML anchors and aliases are not supported (expected "
                       "the value written out)",
                       a);
    }
    default:
        yaml_event_delete(ev);
        return fail_at(r->c, r->src, line, dpath, "unexpected YAML structure (expected a value)");
    }
    int rc = 0;
    if (anchor) {
        rc = fail_at(r->c, r->src, line, dpath,
                     "anchor &%.60s: YAML anchors and aliases are not supported (expected "
                     "the value written out)",
                     anchor);
    } else if (tag) {
        rc = fail_at(r->c, r->src, line, dpath, "tag %.80s: YAML tags are not supported (expected an untagged value)",
                     tag);
    } else if (depth > MAX_DEPTH) {
        rc = fail_at(r->c, r->src, line, dpath, "nested more than %d levels deep (expected the config schema)",
                     MAX_DEPTH);
    }
    if (rc) {
        yaml_event_delete(ev);
        return rc;
    }
    if (ev->type == YAML_SCALAR_EVENT) {
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if (memchr(v, 0, len)) {
            yaml_event_delete(ev);
            return fail_at(r->c, r->src, line, dpath, "the value contains a NUL character (expected text)");
        }
        node *n = node_new(N_SCALAR, line, r->src);
        n->text = pcb_malloc(len + 1);
        memcpy(n->text, v, len);
        n->text[len] = 0;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        yaml_event_delete(ev);
        *out = n;
        return 0;
    }
    node *n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP, line, r->src);
    yaml_event_delete(ev);
    rc = n->kind == N_SEQ ? build_seq(r, n, dpath, depth) : build_map(r, n, dpath, depth);
    if (rc) {
        node_free(n);
        return -1;
    }
    *out = n;
    return 0;
}

// Parses one YAML document. *root = NULL for an empty stream (no document).
static int parse_yaml(const ctx *c, int src, const char *dpath, const char *buf, size_t len, node **root) {
    *root = NULL;
    yreader r = {.c = c, .src = src, .buf = (const unsigned char *)buf, .len = len};
    if (!yaml_parser_initialize(&r.p)) return pcb_fail("libyaml: cannot initialise the parser");
    yaml_parser_set_input_string(&r.p, r.buf, len);
    yaml_parser_set_encoding(&r.p, YAML_UTF8_ENCODING);
    yaml_event_t e;
    int rc = -1;
    node *doc = NULL;
    if (next_event(&r, &e, dpath)) goto done;
    yaml_event_delete(&e);  // stream start
    if (next_event(&r, &e, dpath)) goto done;
    if (e.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&e);
        rc = 0;
        goto done;
    }
    yaml_event_delete(&e);  // document start
    if (next_event(&r, &e, dpath) || build(&r, &e, dpath, 0, &doc)) goto done;
    if (next_event(&r, &e, dpath)) goto done;
    yaml_event_delete(&e);  // document end
    if (next_event(&r, &e, dpath)) goto done;
    if (e.type != YAML_STREAM_END_EVENT) {
        int line = (int)e.start_mark.line + 1;
        yaml_event_delete(&e);
        fail_at(c, src, line, dpath, "a second YAML document (expected a single document)");
        goto done;
    }
    yaml_event_delete(&e);
    *root = doc, doc = NULL;
    rc = 0;
done:
    node_free(doc);
    yaml_parser_delete(&r.p);
    return rc;
}

// ---- overrides ------------------------------------------------------------------------------

// Applies override k ("KEY=VALUE") to the tree.
static int apply_override(const ctx *c, node *root, int k) {
    const char *o = c->ovr[k];
    const char *eq = strchr(o, '=');
    if (!eq || eq == o) return pcb_fail("command line '%s': expected KEY=VALUE (e.g. method.capacity=256)", o);
    size_t klen = (size_t)(eq - o);
    char key[PATH_LEN];
    if (klen >= sizeof key) return pcb_fail("command line '%.80s...': the key is too long", o);
    memcpy(key, o, klen);
    key[klen] = 0;
    node *value;
    if (parse_yaml(c, k, key, eq + 1, strlen(eq + 1), &value)) return -1;
    if (!value) {
        value = node_new(N_SCALAR, 0, k);
        value->text = pcb_strdup("");
    }
    node *cur = root;
    char dpath[PATH_LEN] = "";
    char *p = key;
    for (int depth = 0;; depth++) {
        int whole = depth == 1 && !strcmp(dpath, "sweep");  // a sweep key is one dotted component
        char *dot = whole ? NULL : strchr(p, '.');
        if (dot) *dot = 0;
        int last = !dot;
        char dnext[PATH_LEN];
        join(dnext, dpath, p);
        if (!*p) {
            node_free(value);
            return fail_at(c, k, 0, dnext, "empty key component (expected a dotted key such as method.capacity)");
        }
        node *next = NULL;
        if (cur->kind == N_MAP) {
            int i = map_find(cur, p);
            if (last) {
                if (i >= 0) {
                    node_free(cur->kids[2 * i + 1]);
                    cur->kids[2 * i + 1] = value;
                } else {
                    node *kn = node_new(N_SCALAR, 0, k);
                    kn->text = pcb_strdup(p);
                    map_add(cur, kn, value);
                }
                return 0;
            }
            if (i >= 0) {
                next = map_val(cur, i);
            } else {
                node *kn = node_new(N_SCALAR, 0, k);
                kn->text = pcb_strdup(p);
                next = node_new(N_MAP, 0, k);
                map_add(cur, kn, next);
            }
        } else if (cur->kind == N_SEQ) {
            char *end;
            long idx = strtol(p, &end, 10);
            if (*end || end == p || idx < 0 || idx >= cur->n) {
                node_free(value);
                return fail_at(c, k, 0, dnext, "no such item: the list has %d (expected an index in 0..%d)", cur->n,
                               cur->n - 1);
            }
            if (last) {
                node_free(cur->kids[idx]);
                cur->kids[idx] = value;
                return 0;
            }
            next = cur->kids[idx];
        }
        if (next->kind == N_SCALAR) {
            char where[PATH_LEN + 40] = "";
            if (next->src < 0) snprintf(where, sizeof where, " (%s:%d)", c->path, next->line);
            node_free(value);
            return fail_at(c, k, 0, dnext,
                           "is a scalar value%s, nothing can be set inside it (expected a mapping "
                           "or list)",
                           where);
        }
        pathf(dpath, "%s", dnext);
        cur = next;
        p = dot + 1;
    }
}

// ---- validation --------------------------------------------------------------------------------

typedef struct {
    const config_key *k;
    const node *key, *list;
} sweep_axis;

typedef struct {
    ctx c;
    experiment_config *out;
    config_variant base;
    const config_key *schema;
    int n_schema;
    const node **origin;  // per schema key: the node that set the base variant's value
    sweep_axis *axes;
    int n_axes;
} loader;

// The checks every scalar shares: a scalar, not null. exp = what the key expects.
static int need_scalar(loader *L, const node *v, const char *dk, const char *exp) {
    char b[80];
    if (v->kind != N_SCALAR) return FAIL_AT(&L->c, v, dk, "got %s (expected %s)", show(v, b, sizeof b), exp);
    if (is_null(v)) return FAIL_AT(&L->c, v, dk, "no value (expected %s; leave the key out to use its default)", exp);
    return 0;
}

static int get_int(loader *L, const config_key *k, const node *v, const char *dk, const char *exp, int *out) {
    char b[80];
    long long x;
    if (need_scalar(L, v, dk, exp)) return -1;
    if (v->quoted) return FAIL_AT(&L->c, v, dk, "%s is a quoted string (expected %s)", show(v, b, sizeof b), exp);
    int rc = number_text_int(v->text, &x);
    if (rc == -1) return FAIL_AT(&L->c, v, dk, "%s is not a decimal int (expected %s)", show(v, b, sizeof b), exp);
    if (rc == 0) {  // rc -2 from parsing: too large for any range
        rc = knob_range_check(k->lo, k->hi, k->flags & KNOB_RANGE_FLAGS, (double)x);
        if (rc == -2) return FAIL_AT(&L->c, v, dk, "%lld is even (expected %s)", x, exp);
    }
    if (rc) return FAIL_AT(&L->c, v, dk, "%s is out of range (expected %s)", show(v, b, sizeof b), exp);
    *out = (int)x;
    return 0;
}

static int get_float(loader *L, const config_key *k, const node *v, const char *dk, const char *exp, double *out) {
    char b[80];
    double x;
    if (need_scalar(L, v, dk, exp)) return -1;
    if (v->quoted) return FAIL_AT(&L->c, v, dk, "%s is a quoted string (expected %s)", show(v, b, sizeof b), exp);
    int rc = number_text_float(v->text, &x);
    if (rc == -1) return FAIL_AT(&L->c, v, dk, "%s is not a number (expected %s)", show(v, b, sizeof b), exp);
    if (rc == -2 || knob_range_check(k->lo, k->hi, k->flags & KNOB_RANGE_FLAGS, x))
        return FAIL_AT(&L->c, v, dk, "%s is out of range (expected %s)", show(v, b, sizeof b), exp);
    *out = x;
    return 0;
}

static int get_layers(loader *L, const config_key *k, const node *v, const char *dk, const char *exp,
                      config_layers *out) {
    char b[80];
    if (v->kind == N_SCALAR && v->quoted && !v->text[0]) {
        *out = (config_layers){.text = "", .lo = -1, .hi = -1};
        return 0;
    }
    if (need_scalar(L, v, dk, exp)) return -1;
    int lo, hi, rc = v->text[0] ? knob_parse_layers(v->text, k->lo, k->hi, &lo, &hi) : -1;
    if (rc == -1) return FAIL_AT(&L->c, v, dk, "%s is not a layer range (expected %s)", show(v, b, sizeof b), exp);
    if (rc == -2)
        return FAIL_AT(&L->c, v, dk, "%s: layers out of range or A > B (expected %s)", show(v, b, sizeof b), exp);
    out->lo = lo, out->hi = hi;
    snprintf(out->text, sizeof out->text, "%d-%d", out->lo, out->hi);
    return 0;
}

// Validates v for key k and stores it into the struct tgt (experiment_config / config_task / config_variant).
static int store(loader *L, const config_key *k, const node *v, const char *dk, void *tgt) {
    char exp[512], b[80], ipath[PATH_LEN];
    config_key_expected(k, exp, sizeof exp);
    char *field = (char *)tgt + k->offset;
    switch (k->type) {
    case CK_INT:
        return get_int(L, k, v, dk, exp, (int *)field);
    case CK_FLOAT:
        return get_float(L, k, v, dk, exp, (double *)field);
    case CK_LAYERS:
        return get_layers(L, k, v, dk, exp, (config_layers *)field);
    case CK_BOOL:
        if (need_scalar(L, v, dk, exp)) return -1;
        if (!v->quoted && !strcmp(v->text, "true")) return *(int *)field = 1, 0;
        if (!v->quoted && !strcmp(v->text, "false")) return *(int *)field = 0, 0;
        return FAIL_AT(&L->c, v, dk, "%s%s is not a boolean (expected %s)", show(v, b, sizeof b),
                       v->quoted ? " (quoted)" : "", exp);
    case CK_ENUM:
        if (need_scalar(L, v, dk, exp)) return -1;
        for (int i = 0; k->values[i]; i++)
            if (!strcmp(v->text, k->values[i])) return *(const char **)field = k->values[i], 0;
        return FAIL_AT(&L->c, v, dk, "unknown value %s (expected %s)", show(v, b, sizeof b), exp);
    case CK_STRING:
    case CK_NAME:
    case CK_PATH: {
        if (need_scalar(L, v, dk, exp)) return -1;
        if (k->type != CK_STRING && !v->text[0]) return FAIL_AT(&L->c, v, dk, "empty (expected %s)", exp);
        if (k->type == CK_NAME)
            for (const char *q = v->text; *q; q++)
                if (!(*q >= 'a' && *q <= 'z') && !(*q >= 'A' && *q <= 'Z') && !(*q >= '0' && *q <= '9') &&
                    !strchr("_.-", *q))
                    return FAIL_AT(&L->c, v, dk, "%s has the character '%c' (expected %s)", show(v, b, sizeof b), *q,
                                   exp);
        char **s = (char **)field;
        free(*s);
        *s = pcb_strdup(v->text);
        return 0;
    }
    case CK_INT_LIST:
    case CK_FLOAT_LIST: {
        if (v->kind != N_SEQ) return FAIL_AT(&L->c, v, dk, "%s is not a list (expected %s)", show(v, b, sizeof b), exp);
        if ((k->flags & CKF_NONEMPTY) && !v->n) return FAIL_AT(&L->c, v, dk, "empty list (expected %s)", exp);
        int is_int = k->type == CK_INT_LIST;
        void *arr = pcb_malloc((is_int ? sizeof(int) : sizeof(double)) * (size_t)(v->n ? v->n : 1));
        for (int i = 0; i < v->n; i++) {
            pathf(ipath, "%s[%d]", dk, i);
            int rc = is_int ? get_int(L, k, v->kids[i], ipath, exp, (int *)arr + i)
                            : get_float(L, k, v->kids[i], ipath, exp, (double *)arr + i);
            if (rc) {
                free(arr);
                return -1;
            }
        }
        void **ptr = (void **)field;
        free(*ptr);
        *ptr = arr;
        *(int *)((char *)tgt + k->offset_n) = v->n;
        return 0;
    }
    default:
        return FAIL_AT(&L->c, v, dk, "internal error: key type %d is not a value", (int)k->type);
    }
}

// "name, model, backend, ..." = the keys directly under schema prefix spath.
static void children(loader *L, const char *spath, char *buf, size_t size) {
    size_t n = 0, plen = strlen(spath);
    buf[0] = 0;
    for (int i = 0; i < L->n_schema && n < size; i++) {
        const char *s = L->schema[i].key;
        if (plen) {
            if (strncmp(s, spath, plen) || s[plen] != '.') continue;
            s += plen + 1;
        }
        if (strchr(s, '.')) continue;
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", s);
    }
}

static int walk_map(loader *L, const node *m, const char *spath, const char *dpath, config_task *task);

static int check_required(loader *L, const node *m, const char *spath, const char *dpath) {
    size_t plen = strlen(spath);
    for (int i = 0; i < L->n_schema; i++) {
        const config_key *k = &L->schema[i];
        if (!(k->flags & CKF_REQUIRED)) continue;
        const char *s = k->key;
        if (plen) {
            if (strncmp(s, spath, plen) || s[plen] != '.') continue;
            s += plen + 1;
        }
        if (strchr(s, '.') || map_find(m, s) >= 0) continue;
        char dk[PATH_LEN], exp[512];
        join(dk, dpath, s);
        config_key_expected(k, exp, sizeof exp);
        return FAIL_AT(&L->c, m, dk, "missing required key (expected %s)", exp);
    }
    return 0;
}

static int walk_tasks(loader *L, const node *v, const char *dk) {
    char exp[512], b[80];
    config_key_expected(config_schema_find("tasks"), exp, sizeof exp);
    if (v->kind != N_SEQ || !v->n)
        return FAIL_AT(&L->c, v, dk, "%s (expected %s)", v->kind == N_SEQ ? "empty list" : show(v, b, sizeof b), exp);
    experiment_config *o = L->out;
    for (int i = 0; i < o->n_tasks; i++) free(o->tasks[i].lengths), free(o->tasks[i].depths);
    free(o->tasks);
    o->tasks = pcb_calloc((size_t)v->n, sizeof *o->tasks);
    o->n_tasks = 0;
    for (int i = 0; i < v->n; i++) {
        const node *item = v->kids[i];
        char tp[PATH_LEN];
        pathf(tp, "tasks.%d", i);
        if (item->kind != N_MAP)
            return FAIL_AT(&L->c, item, tp, "%s is not a mapping (expected a task mapping with at least name)",
                           show(item, b, sizeof b));
        config_task *t = &o->tasks[o->n_tasks++];
        *t = (config_task){.samples = -1, .n_depths = 1};
        t->depths = pcb_malloc(sizeof *t->depths);
        t->depths[0] = 0.5;
        if (walk_map(L, item, "tasks.*", tp, t)) return -1;
        // Sources by task: synthetic tasks are generated, ppl reads PG19 books, LongBench tasks
        // read the raw JSONL or the MiniLongBench subset.
        const pcb_task *task = pcb_task_find(t->name);  // name is required: a known task
        int synth = task->kind == TASK_GENERATED;
        const char *want = task->kind == TASK_LONGBENCH ? NULL : pcb_task_default_source(task);
        int si = map_find(item, "source");
        if (!t->source) t->source = pcb_task_default_source(task);
        int ok =
            want ? !strcmp(t->source, want) : !strcmp(t->source, "longbench") || !strcmp(t->source, "minilongbench");
        if (si >= 0 && !ok) {
            char sk[PATH_LEN];
            join(sk, tp, "source");
            return FAIL_AT(&L->c, map_val(item, si), sk, "task '%s' has no source '%s' (expected %s)", t->name,
                           t->source, want ? want : "longbench or minilongbench");
        }
        if (t->samples < 0) t->samples = synth ? 1 : 0;
    }
    return 0;
}

static int walk_sweep(loader *L, const node *v, const char *dk) {
    char exp[512], b[80], sk[PATH_LEN], ip[PATH_LEN];
    config_key_expected(config_schema_find("sweep"), exp, sizeof exp);
    if (is_null(v)) return FAIL_AT(&L->c, v, dk, "no value (expected %s; leave the key out for no sweep)", exp);
    if (v->kind != N_MAP) return FAIL_AT(&L->c, v, dk, "%s is not a mapping (expected %s)", show(v, b, sizeof b), exp);
    free(L->axes);
    L->axes = pcb_calloc((size_t)(v->n ? v->n : 1), sizeof *L->axes);
    L->n_axes = 0;
    for (int i = 0; i < v->n; i++) {
        const node *kn = map_key(v, i), *list = map_val(v, i);
        join(sk, dk, kn->text);
        const config_key *k = strchr(kn->text, '*') ? NULL : config_schema_find(kn->text);
        if (!k)
            return FAIL_AT(&L->c, kn, sk,
                           "unknown key (expected a dotted method.* or attention_log.* key, e.g. "
                           "method.name)");
        if (k->target != CT_VARIANT)
            return FAIL_AT(&L->c, kn, sk, "cannot be swept (expected a dotted method.* or attention_log.* value key)");
        char kexp[512];
        config_key_expected(k, kexp, sizeof kexp);
        if (list->kind != N_SEQ || !list->n)
            return FAIL_AT(&L->c, list, sk, "%s (expected a non-empty list of values, each %s)",
                           list->kind == N_SEQ ? "empty list" : show(list, b, sizeof b), kexp);
        config_variant scratch = L->base;
        for (int j = 0; j < list->n; j++) {
            pathf(ip, "%s[%d]", sk, j);
            if (store(L, k, list->kids[j], ip, &scratch)) return -1;
        }
        L->axes[L->n_axes++] = (sweep_axis){.k = k, .key = kn, .list = list};
    }
    return 0;
}

static int walk_map(loader *L, const node *m, const char *spath, const char *dpath, config_task *task) {
    char b[80], sk[PATH_LEN], dk[PATH_LEN], kids[1024];
    for (int i = 0; i < m->n; i++) {
        const node *kn = map_key(m, i), *v = map_val(m, i);
        join(sk, spath, kn->text);
        join(dk, dpath, kn->text);
        const config_key *k = strchr(kn->text, '.') || strchr(kn->text, '*') ? NULL : config_schema_find(sk);
        if (!k) {
            children(L, spath, kids, sizeof kids);
            const char *hint =
                strchr(kn->text, '.') && config_schema_find(kn->text) ? "; nest dotted keys as mappings" : "";
            return FAIL_AT(&L->c, kn, dk, "unknown key (expected one of %s%s)", kids, hint);
        }
        switch (k->type) {
        case CK_MAP:
            if (v->kind != N_MAP) {
                char exp[512];
                config_key_expected(k, exp, sizeof exp);
                return FAIL_AT(&L->c, v, dk, "%s%s (expected %s)", is_null(v) ? "no value: " : "",
                               is_null(v) ? "leave the key out" : show(v, b, sizeof b), exp);
            }
            if (walk_map(L, v, sk, dk, task)) return -1;
            break;
        case CK_TASKS:
            if (walk_tasks(L, v, dk)) return -1;
            break;
        case CK_SWEEP:
            if (walk_sweep(L, v, dk)) return -1;
            break;
        default: {
            void *tgt = k->target == CT_ROOT ? (void *)L->out : k->target == CT_TASK ? (void *)task : (void *)&L->base;
            if (store(L, k, v, dk, tgt)) return -1;
            if (k->target == CT_VARIANT) L->origin[k - L->schema] = v;
        }
        }
    }
    return check_required(L, m, spath, dpath);
}

// ---- variants ----------------------------------------------------------------------------------

static int key_cmp(const void *a, const void *b) {
    return strcmp((*(const config_key *const *)a)->key, (*(const config_key *const *)b)->key);
}

char *config_canonical(const config_method *m, const config_attention_log *a) {
    int n;
    const config_key *s = config_schema(&n);
    const config_key **keys = pcb_malloc(sizeof *keys * (size_t)n);
    int nk = 0;
    for (int i = 0; i < n; i++)
        if (s[i].target == CT_VARIANT) keys[nk++] = &s[i];
    qsort(keys, (size_t)nk, sizeof *keys, key_cmp);
    config_variant v = {.method = *m, .attention_log = *a};
    size_t cap = 256, len = 0;
    char *out = pcb_malloc(cap), val[128];
    out[0] = 0;
    for (int i = 0; i < nk; i++) {
        config_key_format(keys[i], &v, val, sizeof val);
        size_t need = strlen(keys[i]->key) + strlen(val) + 3;
        if (len + need > cap) {
            while (len + need > cap) cap *= 2;
            out = pcb_realloc(out, cap);
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", i ? "\n" : "", keys[i]->key, val);
    }
    free(keys);
    return out;
}

void config_variant_name(const config_variant *v, char *buf, size_t size) {
    size_t at = (size_t)snprintf(buf, size, "%s", v->method.name);
    for (const char *l = v->label; *l && at < size;) {
        size_t n = strcspn(l, " ");
        if (strncmp(l, "method.name=", 12)) at += (size_t)snprintf(buf + at, size - at, " %.*s", (int)n, l);
        l += n + (l[n] == ' ');
    }
}

void config_hash(const char *canonical, char hash[CONFIG_HASH_LEN + 1]) {
    uint8_t d[32];
    char hex[65];
    sha256(canonical, strlen(canonical), d);
    sha256_hex(d, hex);
    memcpy(hash, hex, CONFIG_HASH_LEN);
    hash[CONFIG_HASH_LEN] = 0;
}

static int make_variants(loader *L) {
    experiment_config *o = L->out;
    long long total = 1;
    for (int j = 0; j < L->n_axes; j++) {
        total *= L->axes[j].list->n;
        if (total > CONFIG_MAX_VARIANTS)
            return FAIL_AT(&L->c, L->axes[j].key, "sweep", "the grid has more than %d variants (expected fewer)",
                           CONFIG_MAX_VARIANTS);
    }
    o->n_sweep = L->n_axes;
    o->sweep_keys = pcb_calloc((size_t)(L->n_axes ? L->n_axes : 1), sizeof *o->sweep_keys);
    o->sweep_sizes = pcb_calloc((size_t)(L->n_axes ? L->n_axes : 1), sizeof *o->sweep_sizes);
    for (int j = 0; j < L->n_axes; j++)
        o->sweep_keys[j] = pcb_strdup(L->axes[j].k->key), o->sweep_sizes[j] = L->axes[j].list->n;
    o->variants = pcb_calloc((size_t)total, sizeof *o->variants);
    const config_key *k_enabled = config_schema_find("method.calibration.enabled");
    int *idx = pcb_calloc((size_t)(L->n_axes ? L->n_axes : 1), sizeof *idx);
    int rc = -1;
    for (long long vi = 0; vi < total; vi++) {
        config_variant *var = &o->variants[vi];
        *var = L->base;
        var->label = var->canonical = NULL;
        o->n_variants++;
        long long rem = vi;
        for (int j = L->n_axes - 1; j >= 0; j--) idx[j] = (int)(rem % L->axes[j].list->n), rem /= L->axes[j].list->n;
        const node *enabled_at = L->origin[k_enabled - L->schema];
        for (int id = 0; id < KNOB_COUNT; id++) var->given[id] = L->origin[config_schema_knob(id) - L->schema] != NULL;
        size_t cap = 64, len = 0;
        var->label = pcb_malloc(cap);
        var->label[0] = 0;
        for (int j = 0; j < L->n_axes; j++) {
            const sweep_axis *ax = &L->axes[j];
            const node *item = ax->list->kids[idx[j]];
            char ip[PATH_LEN], val[128];
            pathf(ip, "sweep.%s[%d]", ax->k->key, idx[j]);
            if (store(L, ax->k, item, ip, var)) goto done;
            if (ax->k->knob >= 0) var->given[ax->k->knob] = 1;
            if (ax->k == k_enabled) enabled_at = item;
            config_key_format(ax->k, var, val, sizeof val);
            size_t need = strlen(ax->k->key) + strlen(val) + 3;
            if (len + need > cap) {
                while (len + need > cap) cap *= 2;
                var->label = pcb_realloc(var->label, cap);
            }
            len += (size_t)snprintf(var->label + len, cap - len, "%s%s=%s", j ? " " : "", ax->k->key, val);
        }
        if (var->method.calibration.enabled && !var->method.calibration.layers.text[0]) {
            char why[600] = "";
            if (L->n_axes) snprintf(why, sizeof why, " in variant %lld (%s)", vi, var->label);
            fail_at(&L->c, enabled_at ? enabled_at->src : -1, enabled_at ? enabled_at->line : 1,
                    "method.calibration.layers",
                    "missing: required when method.calibration.enabled is true%s (expected a layer range \"A-B\", "
                    "e.g. \"8-15\")",
                    why);
            goto done;
        }
        var->canonical = config_canonical(&var->method, &var->attention_log);
        config_hash(var->canonical, var->hash);
    }
    rc = 0;
done:
    free(idx);
    return rc;
}

// ---- load / free -------------------------------------------------------------------------------

static void set_defaults(loader *L) {
    for (int i = 0; i < L->n_schema; i++) {
        const config_key *k = &L->schema[i];
        if (k->target != CT_ROOT && k->target != CT_VARIANT) continue;
        void *tgt = k->target == CT_ROOT ? (void *)L->out : (void *)&L->base;
        if (k->type == CK_LAYERS) {
            *(config_layers *)((char *)tgt + k->offset) = (config_layers){.text = "", .lo = -1, .hi = -1};
            continue;
        }
        if (!k->def[0]) continue;
        node d = {.kind = N_SCALAR, .line = 0, .src = -1, .text = (char *)k->def};
        if (store(L, k, &d, k->key, tgt)) abort();  // the schema's own defaults are valid
    }
}

int config_load(const char *path, const char *const *overrides, int n_overrides, experiment_config *out) {
    memset(out, 0, sizeof *out);
    loader L = {.c = {.path = path, .ovr = overrides}, .out = out};
    L.schema = config_schema(&L.n_schema);
    L.origin = pcb_calloc((size_t)L.n_schema, sizeof *L.origin);
    node *root = NULL;
    size_t len = 0;
    int rc = -1;
    char *buf = read_text_file_max(path, MAX_FILE_BYTES, "a config file", &len);
    if (!buf) goto done;
    if (parse_yaml(&L.c, -1, "", buf, len, &root)) goto done;
    if (!root) {
        fail_at(&L.c, -1, 1, "", "empty file (expected a mapping with at least name and tasks)");
        goto done;
    }
    if (root->kind != N_MAP) {
        char b[80];
        FAIL_AT(&L.c, root, "", "the document is %s%s (expected a mapping with at least name and tasks)",
                is_null(root) ? "empty" : show(root, b, sizeof b), "");
        goto done;
    }
    for (int k = 0; k < n_overrides; k++)
        if (apply_override(&L.c, root, k)) goto done;
    out->path = pcb_strdup(path);
    set_defaults(&L);
    if (walk_map(&L, root, "", "", NULL)) goto done;
    if (!out->model) out->model = pcb_strdup("");  // no model: the default one (bench/base/paths.h)
    if (make_variants(&L)) goto done;
    rc = 0;
done:
    node_free(root);
    free(buf);
    free(L.origin);
    free(L.axes);
    if (rc) config_free(out);
    return rc;
}

void config_free(experiment_config *c) {
    if (!c) return;
    free(c->path), free(c->name), free(c->model), free(c->db), free(c->attn_dir);
    for (int i = 0; i < c->n_tasks; i++) free(c->tasks[i].lengths), free(c->tasks[i].depths);
    free(c->tasks);
    for (int i = 0; i < c->n_sweep; i++) free(c->sweep_keys[i]);
    free(c->sweep_keys), free(c->sweep_sizes);
    for (int i = 0; i < c->n_variants; i++) free(c->variants[i].label), free(c->variants[i].canonical);
    free(c->variants);
    memset(c, 0, sizeof *c);
}

int config_variant_options(const config_variant *v, pcomp_options *o) {
    pcomp_options_default(o);
    for (int id = 0; id < KNOB_COUNT; id++) {
        const knob *k = knob_get(id);
        const config_key *key = config_schema_knob(id);
        const char *field = (const char *)v + key->offset;
        if (k->home != KNOB_IN_OPTIONS) continue;
        switch (k->type) {
        case KNOB_INT:
        case KNOB_BOOL:
            knob_store(k, o, *(const int *)field);
            break;
        case KNOB_FLOAT:
            knob_store(k, o, *(const double *)field);
            break;
        case KNOB_ENUM: {
            int i = pcb_name_index(k->values, *(const char *const *)field);
            if (i < 0) return pcb_fail("%s: unknown %s '%s'", k->key, k->help, *(const char *const *)field);
            knob_store(k, o, i);
            break;
        }
        case KNOB_LAYERS:
            break;  // below: the layers count only when calibration is on
        }
    }
    const config_layers *l = &v->method.calibration.layers;
    if (o->calibrate) o->calib_lo = l->lo, o->calib_hi = l->hi;
    return 0;
}
