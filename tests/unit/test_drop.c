/*
 * test_drop.c - the tracer when the pool is full: events go to scratch and
 * are counted as lost, and coming back to a chunk starts the thread's names
 * over. A name first seen at that moment must survive the restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <ctrace.h>

#include "format/pool.h"
#include "plugin/session.h"
#include "plugin/thread.h"

static void test_new_name_while_a_drop_ends(void **state)
{
    (void)state;
    size_t bytes = 4096 + 2 * CT_CHUNK_BYTES + 4096;
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_true(ct_pool_init(mem, bytes, 0, 0) >= 1);
    ct__session_begin(mem, 1);
    /* Fill the pool (nobody drains it), then most of the scratch. */
    ct__thread *t = NULL;
    for (long i = 0;; i++) {
        ct_region r = ct_region_begin(NULL, "x");
        ct_region_end(&r);
        t = ct__self;
        if (t && t->dropping && (size_t)(t->end - t->pos) < CT_SMALL_EVENT + 1000)
            break;
        assert_true(i < 10000000);
    }
    ct_pool_descs(mem)[0].state = CT_CHUNK_FREE; /* as if the collector drained it */
    /* A new name whose definition does not fit in scratch: the refill ends
     * the drop and resets the table while the name is being interned. */
    char name[1001];
    memset(name, 'n', 1000);
    name[1000] = '\0';
    ct_region r = ct_region_begin(NULL, name);
    ct_region_end(&r);
    assert_false(t->dropping);
    assert_int_equal(t->strings_used, 1); /* the table started over with it */
    ct__session_end();
    munmap(mem, bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_name_while_a_drop_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
