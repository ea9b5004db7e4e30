/*
 * filter.c - cmocka's framing lines (filter.h).
 */
#include "filter.h"

#include <string.h> /* memcmp, strlen */

/* `line` is `tag`, alone or followed by a space. */
static int tagged(const char *line, size_t len, const char *tag)
{
    size_t n = strlen(tag);
    return len >= n && memcmp(line, tag, n) == 0 && (len == n || line[n] == ' ');
}

static size_t trim_cr(const char *line, size_t len)
{
    return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

int rn_cmocka_framing(const char *line, size_t len, const char *test,
                      size_t test_len)
{
    static const char *const tags[] = {
        "[==========]", "[ RUN      ]", "[       OK ]", "[  PASSED  ]",
        "[  FAILED  ]", "[  SKIPPED ]",
    };
    len = trim_cr(line, len);
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        if (tagged(line, len, tags[i]))
            return 1;
    }
    /* "[  ERROR   ] NAME" closes a test that errored; "[  ERROR   ] --- why"
     * says why and is kept. */
    static const char error_tag[] = "[  ERROR   ] ";
    size_t n = sizeof error_tag - 1;
    if (test != NULL && len == n + test_len && memcmp(line, error_tag, n) == 0 &&
        memcmp(line + n, test, test_len) == 0)
        return 1;
    return rn_cmocka_summary_count(line, len);
}

int rn_cmocka_summary_count(const char *line, size_t len)
{
    len = trim_cr(line, len);
    if (len < 2 || line[0] != ' ' || line[1] < '0' || line[1] > '9')
        return 0;
    size_t i = 1;
    while (i < len && line[i] >= '0' && line[i] <= '9')
        i++;
    static const char failed[] = " FAILED TEST(S)", skipped[] = " SKIPPED TEST(S)";
    return (len - i == sizeof failed - 1 && memcmp(line + i, failed, len - i) == 0) ||
           (len - i == sizeof skipped - 1 && memcmp(line + i, skipped, len - i) == 0);
}

int rn_cmocka_run_line(const char *line, size_t len)
{
    /* Standard; subunit's start of a test; TAP's end of a group (its test
     * lines could be any TAP program's); the XML report's group. */
    static const char *const tags[] = {"[ RUN      ] ", "test: ", "# ok - ", "# not ok - ",
                                       "  <testsuite name=\""};
    len = trim_cr(line, len);
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        size_t n = strlen(tags[i]);
        if (len > n && memcmp(line, tags[i], n) == 0)
            return 1;
    }
    return 0;
}
