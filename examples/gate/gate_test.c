/*
 * gate_test.c - a suite to watch the CI latency gate work (README, "CI gates").
 *
 *   ctest-trace -count 8 --save-baseline=base.json ./gate_test
 *   ctest-trace -count 8 --baseline=base.json ./gate_test          passes
 *   GATE_SLOW=2 ctest-trace -count 8 --baseline=base.json ./gate_test
 *                                   fails, naming region "parse" of TestParse
 *
 * Its regions do a fixed amount of CPU work, so their latency is the code's,
 * not the clock's:
 *   region "parse"   work x GATE_SLOW (default 1): the code a change slows
 *   region "steady"  the same work, never changed
 *   region "noisy"   work x a uniform random factor in [0.8, 1.2]: a region
 *                    whose latency varies widely from one instance to the next
 *   region "wait"    a 2 ms sleep: latency the machine's timer decides
 * bench/gate_honesty runs it many times to measure how often the gate is
 * right (it must never fail unchanged code, and always catch a 2x slowdown).
 */
#include <errno.h>  /* EINTR */
#include <stdint.h> /* uint64_t */
#include <stdlib.h> /* getenv, strtod */
#include <time.h>   /* nanosleep, clock_gettime */

#include <ctrace_cmocka.h>

#define INSTANCES 50            /* of each region in a test run */
#define WORK 40000              /* iterations of work(): tens of microseconds */

static double slow = 1.0;       /* GATE_SLOW */
static uint64_t noise_state;

/* CPU work the compiler cannot drop: `n` steps of xorshift. */
static uint64_t work(uint64_t n)
{
    static volatile uint64_t sink;
    uint64_t x = 0x9e3779b97f4a7c15ull ^ n;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink = x;
    return sink;
}

/* A uniform random factor in [0.8, 1.2]. */
static double noise(void)
{
    noise_state ^= noise_state << 13;
    noise_state ^= noise_state >> 7;
    noise_state ^= noise_state << 17;
    return 0.8 + 0.4 * (double)(noise_state >> 11) / (double)(1ull << 53);
}

static void test_parse(void **state)
{
    (void)state;
    for (int i = 0; i < INSTANCES; i++) {
        CT_WITH_REGION(NULL, "parse") {
            work((uint64_t)(WORK * slow));
        }
        CT_WITH_REGION(NULL, "steady") {
            work(WORK);
        }
    }
}

static void test_noisy(void **state)
{
    (void)state;
    for (int i = 0; i < INSTANCES; i++) {
        CT_WITH_REGION(NULL, "noisy") {
            work((uint64_t)(WORK * noise()));
        }
    }
}

static void test_wait(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        CT_WITH_REGION(NULL, "wait") {
            struct timespec left = {0, 2 * 1000 * 1000};
            while (nanosleep(&left, &left) == -1 && errno == EINTR)
                continue;
        }
    }
}

int main(void)
{
    const char *s = getenv("GATE_SLOW");
    if (s != NULL && strtod(s, NULL) > 0)
        slow = strtod(s, NULL);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    noise_state = ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^ 0x2545f4914f6cdd1dull;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_noisy),
        cmocka_unit_test(test_wait),
    };
    return ct_run_group_tests(tests, NULL, NULL);
}
