/*
 * profile_out.c - the profile's tables, and its two encodings.
 *
 * Each table (functions, mappings, locations, samples) is a ctv_names hash
 * from a key's bytes to a dense index plus an array of rows by that index;
 * pprof ids are index + 1, as id 0 means "none". String-table indexes are
 * ctv_names indexes, with "" interned first so that it is index 0 as
 * profile.proto requires. Keys are structs without padding, filled field by
 * field after a memset, so equal keys are equal bytes. A sample's key is its
 * label count, its labels (key and value string indexes) and its location
 * ids.
 *
 * The protobuf is written into memory (pb.h) and then gzipped whole:
 * profiles are at most a few megabytes.
 */
#include "profile_out.h"

#include <errno.h>    /* errno, ENOMEM, EIO */
#include <inttypes.h> /* PRIx64, PRIu64 */
#include <stdlib.h>   /* malloc, realloc, calloc, free */
#include <string.h>   /* memcpy, memmove, memset, strlen */

#include "gzip.h"
#include "maps.h"
#include "pb.h"
#include "common/utf8.h"

/* ---- tables --------------------------------------------------------------- */

typedef struct table {
    ctv_names keys;      /* key bytes -> row index */
    unsigned char *rows; /* row_size bytes each, by index */
    size_t row_size;
    uint32_t capacity;   /* rows allocated */
} table;

static void table_init(table *t, size_t row_size)
{
    ctv_names_init(&t->keys);
    t->rows = NULL;
    t->row_size = row_size;
    t->capacity = 0;
}

static void *table_row(const table *t, uint32_t index)
{
    return t->rows + (size_t)index * t->row_size;
}

/* The index of `key`, adding it with a copy of `row` when new (*added = 1).
 * Rows grow first, so a failure leaves the table as it was. */
static int table_intern(table *t, const void *key, size_t key_len, const void *row,
                        uint32_t *index, int *added)
{
    if (t->keys.count == t->capacity) {
        uint32_t capacity = t->capacity ? t->capacity * 2 : 16;
        unsigned char *rows = capacity > t->capacity ? realloc(t->rows, capacity * t->row_size) : NULL;
        if (!rows)
            return -1;
        t->rows = rows;
        t->capacity = capacity;
    }
    uint32_t before = t->keys.count;
    if (ctv_names_intern(&t->keys, key, key_len, index) != 0)
        return -1;
    *added = t->keys.count != before;
    if (*added)
        memcpy(table_row(t, *index), row, t->row_size);
    return 0;
}

static void table_free(table *t)
{
    ctv_names_free(&t->keys);
    free(t->rows);
}

/* Rows. String fields are string-table indexes; *_id fields are pprof ids. */
typedef struct function_row {
    uint32_t name, file;
} function_row;

typedef struct mapping_key {
    uint64_t lo, hi;
    uint32_t path, zero;
} mapping_key;

typedef struct mapping_row {
    uint64_t lo, hi, offset;
    uint32_t path, build_id;
    /* Whether every location in the mapping has a function, file, line:
     * pprof's has_* flags, which stop it from symbolizing the mapping again. */
    unsigned char all_functions, all_files, all_lines;
} mapping_row;

/* A location's key is its row then its lines, innermost first (a function
 * inlined into the next one): the lines are read back from the key. */
typedef struct location_row {
    uint64_t address;
    uint32_t mapping_id, nlines;
} location_row;

typedef struct location_line {
    uint32_t function_id, line;
} location_line;

/* More lines than this at one address (inlined calls) are cut to the
 * innermost ones and the outermost, as the symbolizer already does. */
#define MAX_LINES 32

typedef struct sample_row {
    uint64_t count, value; /* at most INT64_MAX */
} sample_row;

struct ct_prof {
    ctv_names strings;
    table functions, mappings, locations;
    table samples;              /* keyed by the location ids, innermost first */
    mapping_row unmapped;       /* the has_* flags of locations without a mapping */
    uint32_t types[4];          /* count type, unit, value type, unit */
    int64_t time_nanos, duration_nanos;
    int64_t period;             /* 1 unless set */
    uint32_t *comments;
    size_t comment_count;
    char *text;                 /* scratch for intern_string */
    size_t text_capacity;
    uint32_t *ids;              /* scratch for a sample's key */
    size_t ids_capacity;
};

/* buf with room for `count` items of `size` bytes: buf itself, a larger
 * copy (*capacity updated), or NULL when out of memory (buf is untouched).
 * Never NULL on success, even for count 0. */
static void *grown(void *buf, size_t *capacity, size_t count, size_t size)
{
    if (buf && count <= *capacity)
        return buf;
    size_t want = *capacity ? *capacity : 64;
    while (want < count && want <= SIZE_MAX / 2)
        want *= 2;
    if (want < count || want > SIZE_MAX / size)
        return NULL;
    void *bigger = realloc(buf, want * size);
    if (bigger)
        *capacity = want;
    return bigger;
}

/* s (len bytes) into p->text, each invalid sequence as U+FFFD.
 * @return the new length, or SIZE_MAX when out of memory. */
static size_t repair_utf8(ct_prof *p, const unsigned char *s, size_t len)
{
    char *text = len < SIZE_MAX / 3 ? grown(p->text, &p->text_capacity, 3 * len, 1) : NULL;
    if (!text)
        return SIZE_MAX;
    p->text = text;
    return ctv_utf8_repair(text, s, len);
}

/* The string-table index of s (NULL is ""). Bytes that are not UTF-8 become
 * U+FFFD: decoders of proto3 `string` fields may reject invalid UTF-8. */
static int intern_string(ct_prof *p, const char *s, uint32_t *index)
{
    if (!s) {
        *index = 0;
        return 0;
    }
    const unsigned char *bytes = (const unsigned char *)s;
    size_t len = strlen(s);
    if (ctv_utf8_valid_prefix(bytes, len) < len) {
        len = repair_utf8(p, bytes, len);
        if (len == SIZE_MAX)
            return -1;
        s = p->text;
    }
    return ctv_names_intern(&p->strings, s, len, index) != 0 ? -1 : 0;
}

ct_prof *ct_prof_new(const char *count_type, const char *count_unit,
                     const char *value_type, const char *value_unit)
{
    ct_prof *p = calloc(1, sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    ctv_names_init(&p->strings);
    table_init(&p->functions, sizeof(function_row));
    table_init(&p->mappings, sizeof(mapping_row));
    table_init(&p->locations, sizeof(location_row));
    table_init(&p->samples, sizeof(sample_row));
    p->unmapped.all_functions = p->unmapped.all_files = p->unmapped.all_lines = 1;
    p->period = 1;
    const char *types[4] = {count_type, count_unit, value_type, value_unit};
    uint32_t empty;
    int rc = ctv_names_intern(&p->strings, "", 0, &empty) != 0 ? -1 : 0;
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = intern_string(p, types[i], &p->types[i]);
    if (rc != 0) {
        ct_prof_free(p);
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

/* ---- adding samples ------------------------------------------------------- */

static int has_text(const char *s)
{
    return s && *s;
}

static int add_function(ct_prof *p, const ct_prof_frame *f, uint32_t *id)
{
    function_row row;
    memset(&row, 0, sizeof row);
    if (intern_string(p, f->function, &row.name) != 0 || intern_string(p, f->file, &row.file) != 0)
        return -1;
    uint32_t index;
    int added;
    if (table_intern(&p->functions, &row, sizeof row, &row, &index, &added) != 0)
        return -1;
    *id = index + 1;
    return 0;
}

/* The mapping id of the frame's module, 0 when it names none. */
static int add_mapping(ct_prof *p, const ct_prof_frame *f, uint32_t *id)
{
    *id = 0;
    if (!has_text(f->module) && f->module_hi <= f->module_lo)
        return 0;
    mapping_key key;
    memset(&key, 0, sizeof key);
    key.lo = f->module_lo;
    key.hi = f->module_hi;
    mapping_row row;
    memset(&row, 0, sizeof row);
    if (intern_string(p, f->module, &key.path) != 0 || intern_string(p, f->build_id, &row.build_id) != 0)
        return -1;
    row.lo = f->module_lo;
    row.hi = f->module_hi;
    row.offset = f->module_offset;
    row.path = key.path;
    row.all_functions = row.all_files = row.all_lines = 1;
    uint32_t index;
    int added;
    if (table_intern(&p->mappings, &key, sizeof key, &row, &index, &added) != 0)
        return -1;
    *id = index + 1;
    return 0;
}

/* The frames of one location: f[0] and those inlined into the next after
 * it. @return how many. */
static size_t location_frames(const ct_prof_frame *f, size_t n)
{
    size_t k = 1;
    while (k < n && f[k - 1].inlined)
        k++;
    return k;
}

/* The location of frames f[0..n) (one address: f[0] inlined into f[1] and
 * so on), one Line per named frame. Without a named frame there is no Line
 * to carry file and line (pprof requires its function): the address stands
 * alone, for pprof to symbolize from the module if it can. The mapping is
 * the outermost frame's. */
static int add_location(ct_prof *p, const ct_prof_frame *f, size_t n, uint32_t *id)
{
    struct {
        location_row row;
        location_line lines[MAX_LINES];
    } key;
    memset(&key, 0, sizeof key);
    key.row.address = f[n - 1].address;
    int all_files = 1, all_lines = 1;
    for (size_t i = 0; i < n; i++) {
        if (!has_text(f[i].function))
            continue;
        if (key.row.nlines == MAX_LINES) /* keep the outermost: the last line */
            key.row.nlines--;
        location_line *l = &key.lines[key.row.nlines++];
        if (add_function(p, &f[i], &l->function_id) != 0)
            return -1;
        l->line = f[i].line;
        all_files &= has_text(f[i].file);
        all_lines &= f[i].line != 0;
    }
    if (add_mapping(p, &f[n - 1], &key.row.mapping_id) != 0)
        return -1;
    uint32_t index;
    int added;
    size_t key_len = sizeof key.row + key.row.nlines * sizeof *key.lines;
    if (table_intern(&p->locations, &key, key_len, &key.row, &index, &added) != 0)
        return -1;
    if (added) {
        int named = key.row.nlines > 0;
        mapping_row *m = key.row.mapping_id ? table_row(&p->mappings, key.row.mapping_id - 1)
                                            : &p->unmapped;
        m->all_functions &= named;
        m->all_files &= named && all_files;
        m->all_lines &= named && all_lines;
    }
    *id = index + 1;
    return 0;
}

/* Line k of location `id`, innermost first (keys are bytes, maybe unaligned). */
static location_line location_line_at(const ct_prof *p, uint32_t id, uint32_t k)
{
    location_line l;
    memcpy(&l, p->locations.keys.names[id - 1].bytes + sizeof(location_row) + k * sizeof l, sizeof l);
    return l;
}

static uint64_t add_saturated(uint64_t sum, uint64_t more)
{
    return more > (uint64_t)INT64_MAX - sum ? (uint64_t)INT64_MAX : sum + more;
}

int ct_prof_add(ct_prof *p, const ct_prof_frame *frames, size_t n, uint64_t count, uint64_t value)
{
    return ct_prof_add_labeled(p, frames, n, NULL, 0, count, value);
}

int ct_prof_add_labeled(ct_prof *p, const ct_prof_frame *frames, size_t n,
                        const ct_prof_label *labels, size_t nlabels, uint64_t count,
                        uint64_t value)
{
    size_t head = 1 + 2 * nlabels; /* the label count, then key and value of each */
    uint32_t *ids = n + head > n ? grown(p->ids, &p->ids_capacity, n + head, sizeof *ids) : NULL;
    if (!ids)
        goto nomem;
    p->ids = ids;
    ids[0] = (uint32_t)nlabels;
    for (size_t i = 0; i < nlabels; i++)
        if (intern_string(p, labels[i].key, &ids[1 + 2 * i]) != 0 ||
            intern_string(p, labels[i].value, &ids[2 + 2 * i]) != 0)
            goto nomem;
    size_t nids = head;
    for (size_t i = 0; i < n;) {
        size_t k = location_frames(&frames[i], n - i);
        if (add_location(p, &frames[i], k, &p->ids[nids++]) != 0)
            goto nomem;
        i += k;
    }
    sample_row zero = {0, 0};
    uint32_t index;
    int added;
    if (table_intern(&p->samples, p->ids, nids * sizeof *p->ids, &zero, &index, &added) != 0)
        goto nomem;
    sample_row *s = table_row(&p->samples, index);
    s->count = add_saturated(s->count, count);
    s->value = add_saturated(s->value, value);
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

void ct_prof_set_time(ct_prof *p, int64_t time_nanos, int64_t duration_nanos)
{
    p->time_nanos = time_nanos;
    p->duration_nanos = duration_nanos;
}

void ct_prof_set_period(ct_prof *p, int64_t period)
{
    p->period = period;
}

void ct_prof_add_comment(ct_prof *p, const char *comment)
{
    uint32_t index;
    uint32_t *comments = realloc(p->comments, (p->comment_count + 1) * sizeof *comments);
    if (!comments)
        return;
    p->comments = comments;
    if (intern_string(p, comment, &index) == 0)
        p->comments[p->comment_count++] = index;
}

void ct_prof_free(ct_prof *p)
{
    if (!p)
        return;
    ctv_names_free(&p->strings);
    table_free(&p->functions);
    table_free(&p->mappings);
    table_free(&p->locations);
    table_free(&p->samples);
    free(p->comments);
    free(p->text);
    free(p->ids);
    free(p);
}

static uint32_t location_id_at(const unsigned char *ids, size_t k)
{
    uint32_t id;
    memcpy(&id, ids + k * sizeof id, sizeof id); /* keys are bytes, maybe unaligned */
    return id;
}

/* The labels of sample i (key, value string indexes in turn) and how many. */
static size_t sample_labels(const ct_prof *p, uint32_t i, const unsigned char **labels)
{
    const unsigned char *key = (const unsigned char *)p->samples.keys.names[i].bytes;
    *labels = key + sizeof(uint32_t);
    return location_id_at(key, 0);
}

/* The location ids of sample i, innermost first, and how many. */
static size_t sample_locations(const ct_prof *p, uint32_t i, const unsigned char **ids)
{
    const ctv_name *key = &p->samples.keys.names[i];
    size_t skip = 1 + 2 * (size_t)location_id_at((const unsigned char *)key->bytes, 0);
    *ids = (const unsigned char *)key->bytes + skip * sizeof(uint32_t);
    return key->len / sizeof(uint32_t) - skip;
}

/* ---- profile.proto -------------------------------------------------------- */

/* Field numbers of perftools.profiles.Profile and its messages. */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
    PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11,
    PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
    VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3, LABEL_KEY = 1, LABEL_STR = 2,
    MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
    LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1, LINE_LINE = 2,
    FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

static void encode_value_type(pb *b, unsigned field, uint32_t type, uint32_t unit)
{
    size_t start = pb_begin(b, field);
    pb_uint(b, VALUE_TYPE_TYPE, type);
    pb_uint(b, VALUE_TYPE_UNIT, unit);
    pb_end(b, start);
}

static void encode_samples(pb *b, const ct_prof *p)
{
    for (uint32_t i = 0; i < p->samples.keys.count; i++) {
        const sample_row *s = table_row(&p->samples, i);
        const unsigned char *ids;
        size_t n = sample_locations(p, i, &ids);
        size_t sample = pb_begin(b, PROFILE_SAMPLE);
        if (n) {
            size_t packed = pb_begin(b, SAMPLE_LOCATION_ID);
            for (size_t k = 0; k < n; k++)
                pb_varint(b, location_id_at(ids, k));
            pb_end(b, packed);
        }
        size_t values = pb_begin(b, SAMPLE_VALUE);
        pb_varint(b, s->count);
        pb_varint(b, s->value);
        pb_end(b, values);
        const unsigned char *labels;
        size_t nlabels = sample_labels(p, i, &labels);
        for (size_t k = 0; k < nlabels; k++) {
            size_t label = pb_begin(b, SAMPLE_LABEL);
            pb_uint(b, LABEL_KEY, location_id_at(labels, 2 * k));
            pb_uint(b, LABEL_STR, location_id_at(labels, 2 * k + 1));
            pb_end(b, label);
        }
        pb_end(b, sample);
    }
}

static void encode_mapping(pb *b, uint32_t id, const mapping_row *m)
{
    size_t start = pb_begin(b, PROFILE_MAPPING);
    pb_uint(b, MAPPING_ID, id);
    pb_uint(b, MAPPING_MEMORY_START, m->lo);
    pb_uint(b, MAPPING_MEMORY_LIMIT, m->hi);
    pb_uint(b, MAPPING_FILE_OFFSET, m->offset);
    pb_uint(b, MAPPING_FILENAME, m->path);
    pb_uint(b, MAPPING_BUILD_ID, m->build_id);
    pb_uint(b, MAPPING_HAS_FUNCTIONS, m->all_functions);
    pb_uint(b, MAPPING_HAS_FILENAMES, m->all_files);
    pb_uint(b, MAPPING_HAS_LINE_NUMBERS, m->all_lines);
    pb_end(b, start);
}

/* Like pprof's own guess for legacy profiles: a path ending in ".so" or with
 * ".so." or ".so_" before a digit is a library, "[vdso]" and the like are
 * not files. */
static int is_main_binary_path(const ctv_name *path)
{
    const char *s = path->bytes;
    size_t len = path->len;
    if (len == 0 || s[0] == '[')
        return 0;
    if (len >= 3 && memcmp(s + len - 3, ".so", 3) == 0)
        return 0;
    for (size_t i = 0; i + 4 < len; i++)
        if (memcmp(s + i, ".so", 3) == 0 && (s[i + 3] == '.' || s[i + 3] == '_') &&
            s[i + 4] >= '0' && s[i + 4] <= '9')
            return 0;
    return 1;
}

/* pprof takes the first mapping for the main binary: it names it in its
 * reports ("File:") and looks there for what has no mapping. Stacks start
 * innermost, in libc more often than not, so the first executable's
 * mapping trades places with the first one. @return its index, or 0. */
static uint32_t main_mapping(const ct_prof *p)
{
    for (uint32_t i = 0; i < p->mappings.keys.count; i++) {
        const mapping_row *m = table_row(&p->mappings, i);
        if (is_main_binary_path(&p->strings.names[m->path]))
            return i;
    }
    return 0;
}

/* The id written for the mapping of stored id `id` (0: none), once the
 * main binary (index `main`) and the first mapping have traded places;
 * the swap is its own inverse. */
static uint32_t swapped_mapping_id(uint32_t main, uint32_t id)
{
    if (id == main + 1)
        return 1;
    if (id == 1)
        return main + 1;
    return id;
}

/* pprof gives a profile without mappings a fake one, takes every location
 * as being in it, and fails to symbolize it ("Main binary filename not
 * available."). A mapping of nothing, which no location names, stops that:
 * locations without a mapping are then left alone. */
static void encode_mappings(pb *b, const ct_prof *p, uint32_t main)
{
    for (uint32_t id = 1; id <= p->mappings.keys.count; id++)
        encode_mapping(b, id, table_row(&p->mappings, swapped_mapping_id(main, id) - 1));
    if (p->mappings.keys.count == 0 && p->locations.keys.count != 0)
        encode_mapping(b, 1, &p->unmapped);
}

static void encode_locations(pb *b, const ct_prof *p, uint32_t main)
{
    for (uint32_t i = 0; i < p->locations.keys.count; i++) {
        const location_row *l = table_row(&p->locations, i);
        size_t start = pb_begin(b, PROFILE_LOCATION);
        pb_uint(b, LOCATION_ID, (uint64_t)i + 1);
        if (l->mapping_id)
            pb_uint(b, LOCATION_MAPPING_ID, swapped_mapping_id(main, l->mapping_id));
        pb_uint(b, LOCATION_ADDRESS, l->address);
        for (uint32_t k = 0; k < l->nlines; k++) { /* the last is the caller of the others */
            location_line ll = location_line_at(p, i + 1, k);
            size_t line = pb_begin(b, LOCATION_LINE);
            pb_uint(b, LINE_FUNCTION_ID, ll.function_id);
            pb_uint(b, LINE_LINE, ll.line);
            pb_end(b, line);
        }
        pb_end(b, start);
    }
}

static void encode_functions(pb *b, const ct_prof *p)
{
    for (uint32_t i = 0; i < p->functions.keys.count; i++) {
        const function_row *f = table_row(&p->functions, i);
        size_t start = pb_begin(b, PROFILE_FUNCTION);
        pb_uint(b, FUNCTION_ID, (uint64_t)i + 1);
        pb_uint(b, FUNCTION_NAME, f->name);
        pb_uint(b, FUNCTION_SYSTEM_NAME, f->name); /* no separate mangled name */
        pb_uint(b, FUNCTION_FILENAME, f->file);
        pb_end(b, start);
    }
}

static void encode_profile(pb *b, const ct_prof *p)
{
    encode_value_type(b, PROFILE_SAMPLE_TYPE, p->types[0], p->types[1]);
    encode_value_type(b, PROFILE_SAMPLE_TYPE, p->types[2], p->types[3]);
    encode_samples(b, p);
    uint32_t main = main_mapping(p);
    encode_mappings(b, p, main);
    encode_locations(b, p, main);
    encode_functions(b, p);
    for (uint32_t i = 0; i < p->strings.count; i++) /* "" at 0 included */
        pb_bytes(b, PROFILE_STRING_TABLE, p->strings.names[i].bytes, p->strings.names[i].len);
    pb_uint(b, PROFILE_TIME_NANOS, (uint64_t)p->time_nanos);
    pb_uint(b, PROFILE_DURATION_NANOS, (uint64_t)p->duration_nanos);
    encode_value_type(b, PROFILE_PERIOD_TYPE, p->types[2], p->types[3]);
    pb_uint(b, PROFILE_PERIOD, (uint64_t)p->period);
    if (p->comment_count) {
        size_t start = pb_begin(b, PROFILE_COMMENT);
        for (size_t i = 0; i < p->comment_count; i++)
            pb_varint(b, p->comments[i]);
        pb_end(b, start);
    }
}

int ct_prof_write_pprof(const ct_prof *p, FILE *f)
{
    pb b = {NULL, 0, 0, 0};
    encode_profile(&b, p);
    if (b.failed) {
        free(b.data);
        errno = ENOMEM;
        return -1;
    }
    int rc = ctv_gzip_write(f, b.data, b.len);
    free(b.data);
    return rc;
}

/* ---- folded stacks -------------------------------------------------------- */

/* What would end a frame or a line: ';', C0 and C1 controls, DEL, and the
 * Unicode line and paragraph separators. */
static int splits_folded_line(uint32_t cp)
{
    return cp == ';' || cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 || cp == 0x2029;
}

static void append(pb *line, const void *bytes, size_t len)
{
    if (!pb_room(line, len))
        return;
    memcpy(line->data + line->len, bytes, len);
    line->len += len;
}

/* The label of function `function_id` (already valid UTF-8: string-table
 * text). */
static void append_function(pb *line, const ct_prof *p, uint32_t function_id)
{
    const function_row *fn = table_row(&p->functions, function_id - 1);
    const ctv_name *name = &p->strings.names[fn->name];
    const unsigned char *s = (const unsigned char *)name->bytes;
    for (size_t i = 0; i < name->len;) {
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, name->len - i, &cp);
        if (splits_folded_line(cp))
            append(line, "_", 1);
        else
            append(line, s + i, used);
        i += used;
    }
}

/* The labels of location `id`, outermost first as the stack is: one per
 * line, so functions inlined there are frames too (as pprof shows them). */
static void append_label(pb *line, const ct_prof *p, uint32_t id)
{
    const location_row *l = table_row(&p->locations, id - 1);
    if (l->nlines == 0) {
        char address[2 + 16 + 1];
        int n = snprintf(address, sizeof address, "0x%" PRIx64, l->address);
        append(line, address, (size_t)n);
        return;
    }
    for (uint32_t k = l->nlines; k-- > 0;) {
        append_function(line, p, location_line_at(p, id, k).function_id);
        if (k)
            append(line, ";", 1);
    }
}

/* The folded stack of sample i, root first, into line (emptied first). */
static void fold_sample(pb *line, const ct_prof *p, uint32_t i)
{
    const unsigned char *ids;
    size_t n = sample_locations(p, i, &ids);
    line->len = 0;
    if (n == 0)
        append(line, "[unknown]", 9);
    for (size_t k = n; k-- > 0;) {
        append_label(line, p, location_id_at(ids, k));
        if (k)
            append(line, ";", 1);
    }
}

/* Samples whose labels are the same (same names, other lines or addresses)
 * are summed into one stack, in the order first seen. */
int ct_prof_each_folded(const ct_prof *p,
                        int (*fn)(void *arg, const char *stack, size_t len, uint64_t value),
                        void *arg)
{
    pb line = {NULL, 0, 0, 0};
    ctv_names stacks;
    ctv_names_init(&stacks);
    uint64_t *values = calloc(p->samples.keys.count + 1u, sizeof *values);
    int rc = values ? 0 : -1;
    for (uint32_t i = 0; i < p->samples.keys.count && rc == 0; i++) {
        fold_sample(&line, p, i);
        uint32_t index;
        if (line.failed || ctv_names_intern(&stacks, (const char *)line.data, line.len, &index) != 0)
            rc = -1;
        else
            values[index] = add_saturated(values[index], ((const sample_row *)table_row(&p->samples, i))->value);
    }
    if (rc != 0)
        errno = ENOMEM;
    for (uint32_t i = 0; i < stacks.count && rc == 0; i++)
        rc = fn(arg, stacks.names[i].bytes, stacks.names[i].len, values[i]);
    free(values);
    free(line.data);
    ctv_names_free(&stacks);
    return rc;
}

static int write_line(void *arg, const char *stack, size_t len, uint64_t value)
{
    FILE *f = arg;
    fwrite(stack, 1, len, f);
    fprintf(f, " %" PRIu64 "\n", value);
    return 0;
}

int ct_prof_write_folded(const ct_prof *p, FILE *f)
{
    errno = 0;
    int rc = ct_prof_each_folded(p, write_line, f);
    if (rc == 0 && ferror(f)) {
        rc = -1;
        if (errno == 0)
            errno = EIO;
    }
    return rc;
}
