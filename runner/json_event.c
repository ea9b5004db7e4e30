/*
 * json_event.c - go test -json's events (json_event.h).
 */
#include "json_event.h"

#include <string.h> /* strlen */
#include <time.h>   /* clock_gettime, gmtime_r, strftime */

#include "analysis/views/json.h" /* ctv_json_write_string */

void rn_json_event(FILE *out, const char *package, const char *test, size_t test_len,
                   const char *action, double elapsed, const char *output, size_t output_len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    time_t secs = ts.tv_sec;
    char when[64] = "1970-01-01T00:00:00";
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(out, "{\"Time\":\"%s.%09ldZ\",\"Action\":\"%s\",\"Package\":", when, ts.tv_nsec,
            action);
    ctv_json_write_string(out, package, strlen(package));
    if (test != NULL) {
        fputs(",\"Test\":", out);
        ctv_json_write_string(out, test, test_len);
    }
    if (elapsed >= 0)
        fprintf(out, ",\"Elapsed\":%.3f", elapsed);
    if (output != NULL) {
        fputs(",\"Output\":", out);
        ctv_json_write_string(out, output, output_len);
    }
    fputs("}\n", out);
}
