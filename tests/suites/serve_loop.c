/*
 * serve_loop.c - a program that serves live captures (tests/harness/
 * test_serve.py): ct_serve(ADDR), then a loop of tasks and regions until it
 * is killed or --run-for SECONDS have passed.
 *
 *   serve_loop ADDR|- [--start FILE] [--fork] [--close-fds] [--run-for SECONDS]
 *              [--stop-file PATH]
 *
 * ADDR "-" calls no ct_serve (CTRACE_HTTP in the environment serves). It
 * prints "serve: RC ADDRESS" (ct_serve's result and ct_serve_address(), "-"
 * for none) first, and exits 0 there when ct_serve failed; then "again: RC",
 * what a second ct_serve(ADDR) returns. The loop ends after --run-for
 * seconds (600) or once --stop-file exists, and main returns. Each iteration is
 * a task "iteration" holding a region "step" with three regions "inner",
 * and a 1 ms sleep made as a bare system call: the tracer interposes libc's
 * nanosleep and would record each as a wait, which is not what this program
 * is about.
 * --start FILE traces itself with ct_start first (captures are then
 * refused); --fork forks a child once serving, which says whether it serves
 * ("child: serving" or "child: not serving") and exits through exit();
 * --close-fds then closes every descriptor from 3 up, as a daemon may, the
 * server's own among them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ctrace.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --stop-file exists (looked at every 64 iterations). */
static int stop_asked(const char *stop_file, unsigned long iterations)
{
    return stop_file && iterations % 64 == 0 && access(stop_file, F_OK) == 0;
}

static void fork_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: %s\n", ct_serve_address() ? "serving" : "not serving");
        exit(0);
    }
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *start = NULL, *stop_file = NULL;
    double run_for = 600;
    int do_fork = 0, close_fds = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: serve_loop ADDR|- [--start FILE] [--fork] [--run-for S]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--start") == 0 && i + 1 < argc)
            start = argv[++i];
        else if (strcmp(argv[i], "--run-for") == 0 && i + 1 < argc)
            run_for = atof(argv[++i]);
        else if (strcmp(argv[i], "--stop-file") == 0 && i + 1 < argc)
            stop_file = argv[++i];
        else if (strcmp(argv[i], "--fork") == 0)
            do_fork = 1;
        else if (strcmp(argv[i], "--close-fds") == 0)
            close_fds = 1;
    }
    if (start && ct_start(start) != 0) {
        fprintf(stderr, "serve_loop: ct_start(%s) failed\n", start);
        return 2;
    }
    int rc = strcmp(argv[1], "-") == 0 ? 0 : ct_serve(argv[1]);
    const char *addr = ct_serve_address();
    printf("serve: %d %s\n", rc, addr ? addr : "-");
    fflush(stdout);
    if (rc != 0)
        return 0;
    printf("again: %d\n", strcmp(argv[1], "-") == 0 ? ct_serve(addr) : ct_serve(argv[1]));
    fflush(stdout);
    if (do_fork)
        fork_child();
    for (int fd = 3; close_fds && fd < 1024; fd++)
        close(fd);

    double end = now_s() + run_for;
    unsigned long iterations = 0;
    struct timespec pause = {0, 1000000}; /* 1 ms */
    while (now_s() < end && !stop_asked(stop_file, iterations)) {
        ct_task *task = ct_task_begin(NULL, "iteration");
        ct_region step = ct_region_begin(task, "step");
        for (int k = 0; k < 3; k++) {
            ct_region inner = ct_region_begin(task, "inner");
            ct_region_end(&inner);
        }
        syscall(SYS_nanosleep, &pause, NULL); /* not libc's: no wait recorded, see above */
        ct_region_end(&step);
        ct_task_end(task);
        iterations++;
    }
    printf("iterations: %lu\n", iterations);
    if (start)
        ct_stop();
    return 0;
}
