/*
 * test_profile_out.c - the pprof and folded-stack writers behind
 * `ctest-trace profile`, and the gzip writer under them.
 *
 * gzip output goes through the system's `gzip -dc` (a decoder that is not
 * ours); the protobuf inside is read back with a small decoder here (varints
 * and length-delimited fields, packed or not) and checked against what
 * profile.proto and pprof's CheckValid require: "" at string 0, ids from 1
 * that resolve, two values per sample, and nothing stored twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h> /* uint64_t, INT64_MAX */
#include <stdio.h>  /* FILE, fopen, popen */
#include <stdlib.h> /* malloc, realloc, free, getenv */
#include <string.h> /* memcmp, strlen */
#include <unistd.h> /* getpid, unlink */

#include "analysis/views/gzip.h"
#include "analysis/views/profile_out.h"
#include "common/utf8.h"

/* ---- files and gzip -dc --------------------------------------------------- */

static void temp_path(char *buf, size_t cap, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/ctv-profile-test-%s-%d", dir ? dir : "/tmp", tag, (int)getpid());
}

/* The bytes `gzip -dc path` prints; fails the test unless gzip exits 0. */
static unsigned char *gunzip_file(const char *path, size_t *len)
{
    char command[600];
    snprintf(command, sizeof command, "gzip -dc '%s'", path);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    size_t cap = 4096, n = 0, got;
    unsigned char *data = malloc(cap);
    assert_non_null(data);
    while ((got = fread(data + n, 1, cap - n, pipe)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
    }
    assert_int_equal(pclose(pipe), 0);
    *len = n;
    return data;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    return size;
}

/* gzip `data` with ctv_gzip_write, check `gzip -dc` gives it back.
 * @return the gzip file's size. */
static long assert_gzip_round_trip(const void *data, size_t len)
{
    char path[256];
    temp_path(path, sizeof path, "gz");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(ctv_gzip_write(f, data, len), 0);
    assert_int_equal(fclose(f), 0);
    size_t back_len;
    unsigned char *back = gunzip_file(path, &back_len);
    assert_int_equal(back_len, len);
    if (len)
        assert_memory_equal(back, data, len);
    free(back);
    long size = file_size(path);
    unlink(path);
    return size;
}

/* ---- a small protobuf decoder --------------------------------------------- */

typedef struct field {
    unsigned number, wire;
    uint64_t value;             /* wire 0 */
    const unsigned char *bytes; /* wire 2 */
    size_t len;
} field;

static uint64_t read_varint(const unsigned char **at, const unsigned char *end)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        assert_true(*at < end);
        unsigned char byte = *(*at)++;
        v |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return v;
    }
    fail_msg("varint longer than 10 bytes");
    return 0;
}

/* The next field of the message [*at, end): 1, or 0 at its end. Only the
 * wire types profile.proto uses (varint, length-delimited) are accepted. */
static int next_field(const unsigned char **at, const unsigned char *end, field *f)
{
    if (*at == end)
        return 0;
    uint64_t key = read_varint(at, end);
    f->number = (unsigned)(key >> 3);
    f->wire = (unsigned)(key & 7);
    assert_true(f->number > 0);
    if (f->wire == 0) {
        f->value = read_varint(at, end);
    } else {
        assert_int_equal(f->wire, 2);
        f->len = (size_t)read_varint(at, end);
        assert_true(f->len <= (size_t)(end - *at));
        f->bytes = *at;
        *at += f->len;
    }
    return 1;
}

/* Values of a repeated varint field, packed (wire 2) or not. */
static size_t read_repeated(const field *f, uint64_t *out, size_t cap, size_t n)
{
    if (f->wire == 0) {
        assert_true(n < cap);
        out[n++] = f->value;
        return n;
    }
    const unsigned char *at = f->bytes, *end = f->bytes + f->len;
    while (at < end) {
        assert_true(n < cap);
        out[n++] = read_varint(&at, end);
    }
    return n;
}

/* ---- profile.proto, decoded ----------------------------------------------- */

#define MAX_ITEMS 512

typedef struct d_string { const unsigned char *bytes; size_t len; } d_string;
typedef struct d_sample { uint64_t locations[32], values[4]; size_t n_locations, n_values; } d_sample;
typedef struct d_mapping {
    uint64_t id, start, limit, offset, filename, build_id, has_functions, has_filenames, has_lines;
} d_mapping;
typedef struct d_location {
    uint64_t id, mapping, address, function, line; /* function, line: of the last Line */
    uint64_t functions[8], lines[8];               /* every Line, in order */
    size_t n_lines;
} d_location;
typedef struct d_function { uint64_t id, name, system_name, filename; } d_function;

typedef struct d_profile {
    unsigned char *raw; /* the decompressed protobuf; strings point into it */
    uint64_t types[4][2];
    size_t n_types;
    d_sample samples[MAX_ITEMS];
    size_t n_samples;
    d_mapping mappings[MAX_ITEMS];
    size_t n_mappings;
    d_location locations[MAX_ITEMS];
    size_t n_locations;
    d_function functions[MAX_ITEMS];
    size_t n_functions;
    d_string strings[MAX_ITEMS];
    size_t n_strings;
    uint64_t time_nanos, duration_nanos, period, period_type[2];
    uint64_t comments[16];
    size_t n_comments;
} d_profile;

static void decode_value_type(const field *f, uint64_t out[2])
{
    const unsigned char *at = f->bytes, *end = f->bytes + f->len;
    field g;
    while (next_field(&at, end, &g)) {
        assert_true(g.number == 1 || g.number == 2);
        out[g.number - 1] = g.value;
    }
}

static void decode_sample(const field *f, d_sample *s)
{
    const unsigned char *at = f->bytes, *end = f->bytes + f->len;
    field g;
    while (next_field(&at, end, &g)) {
        if (g.number == 1)
            s->n_locations = read_repeated(&g, s->locations, 32, s->n_locations);
        else if (g.number == 2)
            s->n_values = read_repeated(&g, s->values, 4, s->n_values);
        else
            fail_msg("sample field %u", g.number);
    }
}

static void decode_mapping(const field *f, d_mapping *m)
{
    uint64_t *slots[] = {&m->id, &m->start, &m->limit, &m->offset, &m->filename,
                         &m->build_id, &m->has_functions, &m->has_filenames, &m->has_lines};
    const unsigned char *at = f->bytes, *end = f->bytes + f->len;
    field g;
    while (next_field(&at, end, &g)) {
        assert_true(g.number >= 1 && g.number <= 9 && g.wire == 0);
        *slots[g.number - 1] = g.value;
    }
}

static void decode_location(const field *f, d_location *l)
{
    const unsigned char *at = f->bytes, *end = f->bytes + f->len;
    field g;
    while (next_field(&at, end, &g)) {
        if (g.number == 1) {
            l->id = g.value;
        } else if (g.number == 2) {
            l->mapping = g.value;
        } else if (g.number == 3) {
            l->address = g.value;
        } else if (g.number == 4) {
            const unsigned char *line_at = g.bytes, *line_end = g.bytes + g.len;
            field h;
            assert_true(l->n_lines < 8);
            l->function = l->line = 0;
            while (next_field(&line_at, line_end, &h)) {
                if (h.number == 1)
                    l->function = h.value;
                else if (h.number == 2)
                    l->line = h.value;
                else
                    fail_msg("line field %u", h.number);
            }
            l->functions[l->n_lines] = l->function;
            l->lines[l->n_lines++] = l->line;
        } else {
            fail_msg("location field %u", g.number);
        }
    }
}

static void decode_function(const field *f, d_function *fn)
{
    uint64_t *slots[] = {&fn->id, &fn->name, &fn->system_name, &fn->filename};
    const unsigned char *at = f->bytes, *end = f->bytes + f->len;
    field g;
    while (next_field(&at, end, &g)) {
        assert_true(g.number >= 1 && g.number <= 4 && g.wire == 0);
        *slots[g.number - 1] = g.value;
    }
}

static void decode_profile(d_profile *d, unsigned char *raw, size_t len)
{
    memset(d, 0, sizeof *d);
    d->raw = raw;
    const unsigned char *at = raw, *end = raw + len;
    field f;
    while (next_field(&at, end, &f)) {
        switch (f.number) {
        case 1: assert_true(d->n_types < 4); decode_value_type(&f, d->types[d->n_types++]); break;
        case 2: assert_true(d->n_samples < MAX_ITEMS); decode_sample(&f, &d->samples[d->n_samples++]); break;
        case 3: assert_true(d->n_mappings < MAX_ITEMS); decode_mapping(&f, &d->mappings[d->n_mappings++]); break;
        case 4: assert_true(d->n_locations < MAX_ITEMS); decode_location(&f, &d->locations[d->n_locations++]); break;
        case 5: assert_true(d->n_functions < MAX_ITEMS); decode_function(&f, &d->functions[d->n_functions++]); break;
        case 6:
            assert_int_equal(f.wire, 2);
            assert_true(d->n_strings < MAX_ITEMS);
            d->strings[d->n_strings].bytes = f.bytes;
            d->strings[d->n_strings++].len = f.len;
            break;
        case 9: d->time_nanos = f.value; break;
        case 10: d->duration_nanos = f.value; break;
        case 11: decode_value_type(&f, d->period_type); break;
        case 12: d->period = f.value; break;
        case 13: d->n_comments = read_repeated(&f, d->comments, 16, d->n_comments); break;
        default: fail_msg("profile field %u", f.number);
        }
    }
}

/* Write p as pprof, gunzip it with gzip(1), decode it into d (free d->raw). */
static void write_and_decode(const ct_prof *p, d_profile *d)
{
    char path[256];
    temp_path(path, sizeof path, "pprof");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(ct_prof_write_pprof(p, f), 0);
    assert_int_equal(fclose(f), 0);
    size_t len;
    unsigned char *raw = gunzip_file(path, &len);
    unlink(path);
    decode_profile(d, raw, len);
}

static int string_is(const d_profile *d, uint64_t index, const char *want)
{
    assert_true(index < d->n_strings);
    return d->strings[index].len == strlen(want) &&
           memcmp(d->strings[index].bytes, want, d->strings[index].len) == 0;
}

static void assert_string(const d_profile *d, uint64_t index, const char *want)
{
    if (!string_is(d, index, want))
        fail_msg("string %llu is \"%.*s\", not \"%s\"", (unsigned long long)index,
                 (int)d->strings[index].len, (const char *)d->strings[index].bytes, want);
}

static int is_valid_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT && !(used == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0))
            return 0;
        i += used;
    }
    return 1;
}

/* What a reader may rely on: "" first, strings unique and UTF-8, ids dense
 * from 1, every reference resolving, no function or location twice. */
static void assert_valid(const d_profile *d)
{
    assert_true(d->n_strings >= 1);
    assert_int_equal(d->strings[0].len, 0);
    for (size_t i = 0; i < d->n_strings; i++) {
        assert_true(is_valid_utf8(d->strings[i].bytes, d->strings[i].len));
        for (size_t j = 0; j < i; j++)
            assert_false(d->strings[i].len == d->strings[j].len &&
                         memcmp(d->strings[i].bytes, d->strings[j].bytes, d->strings[i].len) == 0);
    }
    assert_int_equal(d->n_types, 2);
    for (size_t i = 0; i < d->n_types; i++)
        assert_true(d->types[i][0] < d->n_strings && d->types[i][1] < d->n_strings);
    for (size_t i = 0; i < d->n_samples; i++) {
        assert_int_equal(d->samples[i].n_values, 2);
        for (size_t k = 0; k < d->samples[i].n_locations; k++)
            assert_true(d->samples[i].locations[k] >= 1 && d->samples[i].locations[k] <= d->n_locations);
    }
    for (size_t i = 0; i < d->n_mappings; i++) {
        assert_int_equal(d->mappings[i].id, i + 1);
        assert_true(d->mappings[i].filename < d->n_strings && d->mappings[i].build_id < d->n_strings);
    }
    for (size_t i = 0; i < d->n_functions; i++) {
        const d_function *f = &d->functions[i];
        assert_int_equal(f->id, i + 1);
        assert_true(f->name < d->n_strings && f->system_name < d->n_strings && f->filename < d->n_strings);
        for (size_t j = 0; j < i; j++)
            assert_false(f->name == d->functions[j].name && f->filename == d->functions[j].filename);
    }
    for (size_t i = 0; i < d->n_locations; i++) {
        const d_location *l = &d->locations[i];
        assert_int_equal(l->id, i + 1);
        assert_true(l->mapping <= d->n_mappings);
        for (size_t k = 0; k < l->n_lines; k++)
            assert_true(l->functions[k] >= 1 && l->functions[k] <= d->n_functions);
        for (size_t j = 0; j < i; j++) { /* each location once */
            const d_location *o = &d->locations[j];
            assert_false(l->address == o->address && l->mapping == o->mapping &&
                         l->n_lines == o->n_lines &&
                         memcmp(l->functions, o->functions, sizeof l->functions) == 0 &&
                         memcmp(l->lines, o->lines, sizeof l->lines) == 0);
        }
    }
}

/* The name of the function at location id (1-based), "" without one. */
static const d_string *location_name(const d_profile *d, uint64_t id)
{
    static const d_string none = {(const unsigned char *)"", 0};
    const d_location *l = &d->locations[id - 1];
    if (!l->n_lines)
        return &none;
    return &d->strings[d->functions[l->function - 1].name];
}

static int stack_is(const d_profile *d, const d_sample *s, const char *const *names, size_t n)
{
    if (s->n_locations != n)
        return 0;
    for (size_t k = 0; k < n; k++) {
        const d_string *name = location_name(d, s->locations[k]);
        if (name->len != strlen(names[k]) || memcmp(name->bytes, names[k], name->len) != 0)
            return 0;
    }
    return 1;
}

/* The frames the tests use: one module, a synthetic frame, an unnamed pc. */
static ct_prof_frame frame(const char *function, const char *file, unsigned line, uint64_t address)
{
    ct_prof_frame f = {address, function, file, line, "/bin/test_queue", 0x400000, 0x500000, 0x1000, "beef", 0};
    return f;
}

static const ct_prof_frame synthetic = {0, "[sync wait]", NULL, 0, NULL, 0, 0, 0, NULL, 0};

/* ---- gzip ----------------------------------------------------------------- */

static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 33;
}

static void test_gzip_round_trips(void **state)
{
    (void)state;
    assert_gzip_round_trip("", 0);
    assert_gzip_round_trip("a", 1);
    assert_gzip_round_trip("abc", 3);
    assert_gzip_round_trip("abcabcabcabcabcabcabcabc", 24);

    /* Every length and distance code: runs of each length at varied
     * distances, up to the 32 KiB window and past it. */
    size_t len = 300000;
    unsigned char *data = malloc(len);
    assert_non_null(data);
    uint64_t seed = 1;
    for (size_t i = 0; i < len;) {
        size_t distance = 1 + next_random(&seed) % (next_random(&seed) % 2 ? 40000 : 300);
        size_t run = 1 + next_random(&seed) % 300;
        for (size_t k = 0; k < run && i < len; k++, i++)
            data[i] = i >= distance && next_random(&seed) % 64 ? data[i - distance]
                                                               : (unsigned char)next_random(&seed);
    }
    assert_gzip_round_trip(data, len);

    memset(data, 'x', len); /* one long run: matches of 258 at distance 1 */
    assert_true(assert_gzip_round_trip(data, len) < 2000);
    free(data);
}

/* Random bytes do not compress: they go in stored blocks, so the file is
 * only a little larger than the data (zlib's deflateBound allows 5 bytes
 * per 16 KiB and a few more). */
static void test_gzip_stores_random_bytes(void **state)
{
    (void)state;
    size_t len = 200000;
    unsigned char *data = malloc(len);
    assert_non_null(data);
    uint64_t seed = 7;
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)next_random(&seed);
    long size = assert_gzip_round_trip(data, len);
    assert_true(size <= (long)(len + 18 + 5 * (len / 16384 + 1) + 16));
    free(data);
}

static void test_gzip_compresses_repeats(void **state)
{
    (void)state;
    char text[20000];
    size_t n = 0;
    for (unsigned i = 0; n + 80 < sizeof text; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "queue_worker_stage_%u_process_batch src/stage_%u.c\n",
                              i % 37, i % 11);
    assert_true(assert_gzip_round_trip(text, n) < (long)n / 8);
}

/* ---- pprof ---------------------------------------------------------------- */

static void test_empty_profile_is_valid(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    assert_non_null(p);
    d_profile *d = malloc(sizeof *d);
    assert_non_null(d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_string(d, d->types[0][0], "contentions");
    assert_string(d, d->types[0][1], "count");
    assert_string(d, d->types[1][0], "delay");
    assert_string(d, d->types[1][1], "nanoseconds");
    assert_string(d, d->period_type[0], "delay");
    assert_string(d, d->period_type[1], "nanoseconds");
    assert_int_equal(d->period, 1);
    assert_int_equal(d->n_samples, 0);
    assert_int_equal(d->n_locations, 0);
    assert_int_equal(d->n_functions, 0);
    assert_int_equal(d->n_mappings, 0);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

static void test_samples_merge_and_tables_are_shared(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame a[] = {synthetic, frame("lock", "lock.c", 10, 0x401000),
                         frame("push", "queue.c", 42, 0x402000), frame("main", "main.c", 7, 0x403000)};
    ct_prof_frame b[] = {synthetic, frame("lock", "lock.c", 10, 0x401000),
                         frame("pop", "queue.c", 50, 0x402100), frame("main", "main.c", 7, 0x403000)};
    assert_int_equal(ct_prof_add(p, a, 4, 1, 1000), 0);
    assert_int_equal(ct_prof_add(p, b, 4, 2, 20), 0);
    assert_int_equal(ct_prof_add(p, a, 4, 3, 500), 0);
    assert_int_equal(ct_prof_add(p, b, 2, 1, 1), 0); /* a prefix is a stack of its own */

    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_int_equal(d->n_samples, 3);
    static const char *const stack_a[] = {"[sync wait]", "lock", "push", "main"};
    static const char *const stack_b[] = {"[sync wait]", "lock", "pop", "main"};
    assert_true(stack_is(d, &d->samples[0], stack_a, 4));
    assert_int_equal(d->samples[0].values[0], 4);
    assert_int_equal(d->samples[0].values[1], 1500);
    assert_true(stack_is(d, &d->samples[1], stack_b, 4));
    assert_int_equal(d->samples[1].values[0], 2);
    assert_int_equal(d->samples[1].values[1], 20);
    assert_true(stack_is(d, &d->samples[2], stack_b, 2));

    assert_int_equal(d->n_locations, 5);  /* sync wait, lock, push, main, pop */
    assert_int_equal(d->n_functions, 5);
    assert_int_equal(d->n_mappings, 1);
    const d_mapping *m = &d->mappings[0];
    assert_int_equal(m->start, 0x400000);
    assert_int_equal(m->limit, 0x500000);
    assert_int_equal(m->offset, 0x1000);
    assert_string(d, m->filename, "/bin/test_queue");
    assert_string(d, m->build_id, "beef");
    assert_true(m->has_functions && m->has_filenames && m->has_lines);

    const d_location *lock = &d->locations[d->samples[0].locations[1] - 1];
    assert_int_equal(lock->address, 0x401000);
    assert_int_equal(lock->mapping, 1);
    assert_int_equal(lock->line, 10);
    const d_function *fn = &d->functions[lock->function - 1];
    assert_string(d, fn->name, "lock");
    assert_string(d, fn->system_name, "lock");
    assert_string(d, fn->filename, "lock.c");
    const d_location *wait = &d->locations[d->samples[0].locations[0] - 1];
    assert_int_equal(wait->address, 0);
    assert_int_equal(wait->mapping, 0);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

/* One function at two lines is one function and two locations; the same
 * name in another file is another function. */
static void test_functions_by_name_and_file(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame f[] = {frame("work", "a.c", 1, 0x401000), frame("work", "a.c", 2, 0x401010),
                         frame("work", "b.c", 1, 0x402000)};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ct_prof_add(p, &f[i], 1, 1, 1), 0);
    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_int_equal(d->n_functions, 2);
    assert_int_equal(d->n_locations, 3);
    assert_int_equal(d->n_samples, 3);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

/* A pc without a name: a location with an address and no line, in a
 * mapping that then does not claim functions (pprof may symbolize it). */
static void test_unnamed_frame(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame f[] = {frame(NULL, "ignored.c", 9, 0x401234), frame("main", "main.c", 7, 0x403000)};
    assert_int_equal(ct_prof_add(p, f, 2, 1, 5), 0);
    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d);
    const d_location *l = &d->locations[d->samples[0].locations[0] - 1];
    assert_int_equal(l->address, 0x401234);
    assert_int_equal(l->n_lines, 0);
    assert_false(d->mappings[0].has_functions);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

/* pprof names the first mapping as the binary profiled: the executable
 * goes first even when a library was seen first, and locations follow. */
static void test_main_binary_mapping_first(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame libc = {0x7f0000001000, "read", NULL, 0, "/lib/libc.so.6", 0x7f0000000000, 0x7f0000100000, 0, NULL, 0};
    ct_prof_frame vdso = {0x7ffd00000100, "clock", NULL, 0, "[vdso]", 0x7ffd00000000, 0x7ffd00001000, 0, NULL, 0};
    ct_prof_frame plugin = {0x7e0000000100, "hook", NULL, 0, "/lib/plugin.so", 0x7e0000000000, 0x7e0000010000, 0, NULL, 0};
    ct_prof_frame f[] = {libc, vdso, plugin, frame("main", "main.c", 7, 0x403000)};
    assert_int_equal(ct_prof_add(p, f, 4, 1, 5), 0);
    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_int_equal(d->n_mappings, 4);
    assert_string(d, d->mappings[0].filename, "/bin/test_queue");
    static const char *const paths[] = {"/lib/libc.so.6", "[vdso]", "/lib/plugin.so", "/bin/test_queue"};
    for (size_t k = 0; k < 4; k++) {
        const d_location *l = &d->locations[d->samples[0].locations[k] - 1];
        assert_string(d, d->mappings[l->mapping - 1].filename, paths[k]);
    }
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

/* Without any module, one mapping of nothing keeps pprof from inventing one
 * and failing to symbolize it; no location refers to it. */
static void test_no_modules_one_empty_mapping(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    assert_int_equal(ct_prof_add(p, &synthetic, 1, 1, 5), 0);
    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_int_equal(d->n_mappings, 1);
    assert_int_equal(d->mappings[0].filename, 0);
    assert_int_equal(d->locations[0].mapping, 0);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

static void test_untrusted_names_become_utf8(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame f = frame("bad\xff\xfe name\xe2\x82", "caf\xc3\xa9.c", 1, 0x401000);
    f.module = "/tmp/\x80x";
    assert_int_equal(ct_prof_add(p, &f, 1, 1, 1), 0);
    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d); /* every string valid UTF-8 */
    const d_function *fn = &d->functions[0];
    assert_string(d, fn->name, "bad\xEF\xBF\xBD\xEF\xBF\xBD name\xEF\xBF\xBD");
    assert_string(d, fn->filename, "caf\xc3\xa9.c");
    assert_string(d, d->mappings[0].filename, "/tmp/\xEF\xBF\xBDx");
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

static void test_time_comments_and_saturation(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_set_time(p, 1700000000000000000, 2000000000);
    ct_prof_add_comment(p, "first");
    ct_prof_add_comment(p, "second");
    assert_int_equal(ct_prof_add(p, &synthetic, 1, UINT64_MAX - 1, (uint64_t)INT64_MAX - 1), 0);
    assert_int_equal(ct_prof_add(p, &synthetic, 1, 5, 5), 0);
    d_profile *d = malloc(sizeof *d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_int_equal(d->time_nanos, 1700000000000000000);
    assert_int_equal(d->duration_nanos, 2000000000);
    assert_int_equal(d->n_comments, 2);
    assert_string(d, d->comments[0], "first");
    assert_string(d, d->comments[1], "second");
    assert_int_equal(d->samples[0].values[0], INT64_MAX); /* pprof values are signed */
    assert_int_equal(d->samples[0].values[1], INT64_MAX);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

/* ---- folded --------------------------------------------------------------- */

/* What ct_prof_write_folded writes, NUL-terminated (free it). */
static char *folded(const ct_prof *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(ct_prof_write_folded(p, f), 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_folded_root_first_and_merged_by_label(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame a[] = {synthetic, frame("lock", "lock.c", 10, 0x401000), frame("main", "main.c", 7, 0x403000)};
    ct_prof_frame b[] = {synthetic, frame("lock", "lock.c", 11, 0x401010), frame("main", "main.c", 7, 0x403000)};
    ct_prof_frame c[] = {frame(NULL, NULL, 0, 0x4012ab), frame("main", "main.c", 8, 0x403010)};
    assert_int_equal(ct_prof_add(p, a, 3, 1, 100), 0);
    assert_int_equal(ct_prof_add(p, c, 2, 1, 7), 0);
    assert_int_equal(ct_prof_add(p, b, 3, 1, 23), 0); /* other line, same labels */
    assert_int_equal(ct_prof_add(p, NULL, 0, 1, 4), 0);
    char *text = folded(p);
    assert_string_equal(text, "main;lock;[sync wait] 123\n"
                              "main;0x4012ab 7\n"
                              "[unknown] 4\n");
    free(text);
    ct_prof_free(p);
}

/* A function inlined into another at one address: one location, a Line
 * for each, innermost first (the last is the caller); folded shows both. */
static void test_inlined_frames_one_location(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame f[] = {frame("take_lock", "lock.h", 5, 0x401000), frame("worker", "w.c", 20, 0x401000),
                         frame("main", "main.c", 7, 0x403000)};
    f[0].inlined = 1;
    assert_int_equal(ct_prof_add(p, f, 3, 1, 10), 0);
    assert_int_equal(ct_prof_add(p, f, 3, 1, 5), 0); /* the same stack */
    f[1].line = 21; /* another call site of the same inlined function: another location */
    assert_int_equal(ct_prof_add(p, f, 3, 1, 1), 0);
    d_profile *d = malloc(sizeof *d);
    assert_non_null(d);
    write_and_decode(p, d);
    assert_valid(d);
    assert_int_equal(d->n_samples, 2);
    assert_int_equal(d->samples[0].n_locations, 2);
    assert_int_equal(d->samples[0].values[1], 15);
    const d_location *l = &d->locations[d->samples[0].locations[0] - 1];
    assert_int_equal(l->address, 0x401000);
    assert_int_equal(l->n_lines, 2);
    assert_string(d, d->functions[l->functions[0] - 1].name, "take_lock");
    assert_string(d, d->functions[l->functions[0] - 1].filename, "lock.h");
    assert_int_equal(l->lines[0], 5);
    assert_string(d, d->functions[l->functions[1] - 1].name, "worker");
    assert_int_equal(l->lines[1], 20);
    const d_location *other = &d->locations[d->samples[1].locations[0] - 1];
    assert_int_equal(other->n_lines, 2);
    assert_int_equal(other->lines[1], 21);
    assert_int_equal(d->mappings[0].has_lines, 1);
    char *text = folded(p);
    assert_string_equal(text, "main;worker;take_lock 16\n");
    free(text);
    free(d->raw);
    free(d);
    ct_prof_free(p);
}

/* A name cannot split a frame (';') or a line (controls, U+2028), and
 * invalid bytes become U+FFFD; spaces stay (C++ names have them). */
static void test_folded_sanitises_names(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ct_prof_frame f[] = {frame("a;b\nc\rd\te\x7f" "f\xc2\x85g\xe2\x80\xa8h\xff", NULL, 0, 0x401000),
                         frame("operator new(unsigned long)", NULL, 0, 0x402000)};
    assert_int_equal(ct_prof_add(p, f, 2, 1, 9), 0);
    char *text = folded(p);
    assert_string_equal(text, "operator new(unsigned long);a_b_c_d_e_f_g_h\xEF\xBF\xBD 9\n");
    free(text);
    ct_prof_free(p);
}

static void test_folded_empty_profile(void **state)
{
    (void)state;
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    char *text = folded(p);
    assert_string_equal(text, "");
    free(text);
    ct_prof_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_round_trips),
        cmocka_unit_test(test_gzip_stores_random_bytes),
        cmocka_unit_test(test_gzip_compresses_repeats),
        cmocka_unit_test(test_empty_profile_is_valid),
        cmocka_unit_test(test_samples_merge_and_tables_are_shared),
        cmocka_unit_test(test_functions_by_name_and_file),
        cmocka_unit_test(test_unnamed_frame),
        cmocka_unit_test(test_main_binary_mapping_first),
        cmocka_unit_test(test_no_modules_one_empty_mapping),
        cmocka_unit_test(test_untrusted_names_become_utf8),
        cmocka_unit_test(test_time_comments_and_saturation),
        cmocka_unit_test(test_folded_root_first_and_merged_by_label),
        cmocka_unit_test(test_folded_sanitises_names),
        cmocka_unit_test(test_inlined_frames_one_location),
        cmocka_unit_test(test_folded_empty_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
