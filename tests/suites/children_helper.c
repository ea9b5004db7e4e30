/*
 * children_helper.c - a program a test spawns (children_test.c): linked with
 * libctrace, not a cmocka suite. A region with a 10 ms sleep in it, a task
 * of its own with a region, then exit status 3.
 */
#include <unistd.h>

#include <ctrace.h>

int main(void)
{
    CT_WITH_REGION(NULL, "helper.step")
    {
        usleep(10 * 1000);
    }
    ct_task *own = ct_task_begin(NULL, "helper.task");
    CT_WITH_REGION(own, "helper.inner") { usleep(1000); }
    ct_task_end(own);
    return 3;
}
