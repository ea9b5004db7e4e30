/*
 * test_runner_flags.c - the runner's flag parser and its value parsers
 * (runner/flags.c): Go-style flags and sizes (durations: test_duration.c).
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>  /* snprintf */
#include <string.h> /* strstr, strlen */

#include "runner/flags.h"

#define SEC 1000000000ull

/* ---- sizes ------------------------------------------------------------------- */

static uint64_t size(const char *s)
{
    uint64_t b = 12345;
    const char *why = NULL;
    if (rn_parse_size(s, &b, &why) != 0)
        fail_msg("size \"%s\" refused: %s", s, why);
    return b;
}

static void size_refused(const char *s)
{
    uint64_t b = 777;
    const char *why = NULL;
    if (rn_parse_size(s, &b, &why) == 0)
        fail_msg("size \"%s\" accepted as %llu", s, (unsigned long long)b);
    assert_non_null(why);
    assert_int_equal(b, 777);
}

static void test_size_units(void **state)
{
    (void)state;
    assert_int_equal(size("64MiB"), 64ull << 20);
    assert_int_equal(size("10MB"), 10000000);
    assert_int_equal(size("4096"), 4096);
    assert_int_equal(size("4096B"), 4096);
    assert_int_equal(size("1KiB"), 1024);
    assert_int_equal(size("1KB"), 1000);
    assert_int_equal(size("1K"), 1024);      /* as dd reads it */
    assert_int_equal(size("2G"), 2ull << 30);
    assert_int_equal(size("1GB"), 1000000000);
    assert_int_equal(size("1TiB"), 1ull << 40);
    assert_int_equal(size("1TB"), 1000000000000ull);
    assert_int_equal(size("64mib"), 64ull << 20); /* case-insensitive */
    assert_int_equal(size("0"), 0);
    assert_int_equal(size("1.5MiB"), 3ull << 19);
    assert_int_equal(size(".5KiB"), 512);
}

static void test_size_refused(void **state)
{
    (void)state;
    size_refused("");
    size_refused("MiB");
    size_refused("1XB");
    size_refused("-1");
    size_refused("1 MiB");
    size_refused("1MiBs");
    size_refused("16EiB");
    size_refused("99999999999999999999");
    size_refused("17179869184GiB"); /* 2^64 */
}

static void test_bool(void **state)
{
    (void)state;
    const char *yes[] = {"1", "t", "T", "true", "TRUE", "True", "yes"};
    const char *no[] = {"0", "f", "F", "false", "FALSE", "False", "no"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        int v = 0;
        assert_int_equal(rn_parse_bool(yes[i], &v), 0);
        assert_int_equal(v, 1);
        v = 1;
        assert_int_equal(rn_parse_bool(no[i], &v), 0);
        assert_int_equal(v, 0);
    }
    int v;
    assert_int_equal(rn_parse_bool("", &v), -1);
    assert_int_equal(rn_parse_bool("maybe", &v), -1);
    assert_int_equal(rn_parse_bool("2", &v), -1);
}

/* ---- the flag parser ------------------------------------------------------------ */

struct opts {
    const char *trace, *run;
    int verbose, json;
    long count;
    uint64_t timeout, flight;
    rn_strlist asserts;
};

/* Parse `argv` (NULL-terminated) into *o with the run flags. */
static int parse(struct opts *o, rn_args *a, char *err, size_t err_size, char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    const rn_flag flags[] = {
        {"trace", RN_FLAG_STRING, &o->trace},
        {"run", RN_FLAG_STRING, &o->run},
        {"v", RN_FLAG_BOOL, &o->verbose},
        {"json", RN_FLAG_BOOL, &o->json},
        {"count", RN_FLAG_INT, &o->count},
        {"timeout", RN_FLAG_DURATION, &o->timeout},
        {"flight-recorder", RN_FLAG_SIZE, &o->flight},
        {"assert", RN_FLAG_LIST, &o->asserts},
    };
    return rn_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv, a, err,
                          err_size);
}

static void test_flags_dashes_and_values(void **state)
{
    (void)state;
    struct opts o = {0};
    rn_args a;
    char err[256] = "";
    char *argv[] = {"-run", "TestA", "--trace=t.out", "-v", "--timeout", "1m30s",
                    "-flight-recorder=64MiB", "--count=3", "bin", NULL};
    assert_int_equal(parse(&o, &a, err, sizeof err, argv), 0);
    assert_string_equal(o.run, "TestA");
    assert_string_equal(o.trace, "t.out");
    assert_int_equal(o.verbose, 1);
    assert_int_equal(o.timeout, 90 * SEC);
    assert_int_equal(o.flight, 64ull << 20);
    assert_int_equal(o.count, 3);
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "bin");
    assert_int_equal(a.nrest, 0);
    assert_int_equal(a.dashdash, 0);
    rn_args_free(&a);
}

static void test_flags_interleaved_and_dashdash(void **state)
{
    (void)state;
    struct opts o = {0};
    rn_args a;
    char err[256] = "";
    char *argv[] = {"bin1", "-v", "bin2", "--run=", "--", "-x", "--trace=no", "arg", NULL};
    assert_int_equal(parse(&o, &a, err, sizeof err, argv), 0);
    assert_int_equal(o.verbose, 1);
    assert_non_null(o.run);
    assert_string_equal(o.run, ""); /* an empty value is a value */
    assert_null(o.trace);           /* after "--": not a flag */
    assert_int_equal(a.npos, 2);
    assert_string_equal(a.pos[0], "bin1");
    assert_string_equal(a.pos[1], "bin2");
    assert_int_equal(a.dashdash, 1);
    assert_int_equal(a.nrest, 3);
    assert_string_equal(a.rest[0], "-x");
    assert_string_equal(a.rest[2], "arg");
    rn_args_free(&a);
}

static void test_flags_value_may_look_like_a_flag(void **state)
{
    (void)state;
    struct opts o = {0};
    rn_args a;
    char err[256] = "";
    /* As in Go: a flag that needs a value takes the next argument. */
    char *argv[] = {"-run", "-v", "-", NULL};
    assert_int_equal(parse(&o, &a, err, sizeof err, argv), 0);
    assert_string_equal(o.run, "-v");
    assert_int_equal(o.verbose, 0);
    assert_int_equal(a.npos, 1); /* "-" alone is positional */
    assert_string_equal(a.pos[0], "-");
    rn_args_free(&a);
}

static void test_flags_bool_values(void **state)
{
    (void)state;
    struct opts o = {.verbose = 1};
    rn_args a;
    char err[256] = "";
    char *argv[] = {"-v=false", "--json=1", "false", NULL};
    assert_int_equal(parse(&o, &a, err, sizeof err, argv), 0);
    assert_int_equal(o.verbose, 0);
    assert_int_equal(o.json, 1);
    assert_int_equal(a.npos, 1); /* a bool never takes the next argument */
    assert_string_equal(a.pos[0], "false");
    rn_args_free(&a);
}

static void test_flags_repeatable(void **state)
{
    (void)state;
    struct opts o = {0};
    rn_args a;
    char err[256] = "";
    char *argv[] = {"--assert=a", "-assert", "b", "--assert=c", NULL};
    assert_int_equal(parse(&o, &a, err, sizeof err, argv), 0);
    assert_int_equal(o.asserts.n, 3);
    assert_string_equal(o.asserts.items[0], "a");
    assert_string_equal(o.asserts.items[1], "b");
    assert_string_equal(o.asserts.items[2], "c");
    rn_strlist_free(&o.asserts);
    rn_args_free(&a);
}

/* The parse of `argv` fails and the message contains `want`. */
static void refused(const char *want, char **argv)
{
    struct opts o = {0};
    rn_args a;
    char err[256] = "";
    if (parse(&o, &a, err, sizeof err, argv) == 0)
        fail_msg("accepted, wanted an error with \"%s\"", want);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
    assert_null(a.pos); /* nothing to free */
    rn_strlist_free(&o.asserts);
}

static void test_flags_errors_name_the_flag(void **state)
{
    (void)state;
    refused("unknown flag: --no-such-flag", (char *[]){"--no-such-flag", "bin", NULL});
    refused("unknown flag: -x", (char *[]){"-x=3", NULL});
    refused("unknown flag: --verbose", (char *[]){"--verbose", NULL});
    refused("flag needs an argument: -run", (char *[]){"bin", "-run", NULL});
    refused("flag needs an argument: --trace", (char *[]){"--trace", NULL});
    refused("invalid boolean value \"maybe\" for flag -v", (char *[]){"-v=maybe", NULL});
    refused("invalid value \"1x\" for flag --timeout", (char *[]){"--timeout=1x", NULL});
    refused("invalid value \"ten\" for flag -count", (char *[]){"-count", "ten", NULL});
    refused("invalid value \"-1\" for flag -count", (char *[]){"-count=-1", NULL});
    refused("invalid value \"64XB\" for flag --flight-recorder",
            (char *[]){"--flight-recorder=64XB", NULL});
    refused("bad flag syntax: ---run", (char *[]){"---run", "x", NULL});
    refused("bad flag syntax: -=x", (char *[]){"-=x", NULL});
    refused("--assert", (char *[]){"--assert=a", "--assert", NULL});
}

/* rn_flags_words(): each flag with the words it was written in. */
static void collect_words(void *ctx, const char *name, char **words, size_t n)
{
    char *seen = ctx;
    size_t len = strlen(seen);
    snprintf(seen + len, 512 - len, "%s:", name);
    for (size_t i = 0; i < n; i++) {
        len = strlen(seen);
        snprintf(seen + len, 512 - len, "[%s]", words[i]);
    }
    len = strlen(seen);
    snprintf(seen + len, 512 - len, " ");
}

static void test_flags_words(void **state)
{
    (void)state;
    struct opts o = {0};
    rn_args a;
    char err[256] = "", seen[512] = "";
    char *argv[] = {"-v", "--trace", "t.out", "bin", "-run=X", "--json=false", "-count", "3",
                    "--assert=r", "other", "--", "-v", NULL};
    assert_int_equal(parse(&o, &a, err, sizeof err, argv), 0);
    const rn_flag flags[] = {
        {"trace", RN_FLAG_STRING, NULL}, {"run", RN_FLAG_STRING, NULL},
        {"v", RN_FLAG_BOOL, NULL},       {"json", RN_FLAG_BOOL, NULL},
        {"count", RN_FLAG_INT, NULL},    {"assert", RN_FLAG_LIST, NULL},
    };
    rn_flags_words(flags, sizeof flags / sizeof flags[0], 12, argv, collect_words, seen);
    assert_string_equal(seen, "v:[-v] trace:[--trace][t.out] run:[-run=X] json:[--json=false] "
                              "count:[-count][3] assert:[--assert=r] ");
    rn_strlist_free(&o.asserts);
    rn_args_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_units),
        cmocka_unit_test(test_size_refused),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_flags_dashes_and_values),
        cmocka_unit_test(test_flags_interleaved_and_dashdash),
        cmocka_unit_test(test_flags_value_may_look_like_a_flag),
        cmocka_unit_test(test_flags_bool_values),
        cmocka_unit_test(test_flags_repeatable),
        cmocka_unit_test(test_flags_errors_name_the_flag),
        cmocka_unit_test(test_flags_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
