/*
 * serve_loop.c - a program that serves live captures (tests/harness/
 * test_serve.py): ct_serve(ADDR), then a loop of tasks and regions until it
 * is killed or --run-for SECONDS have passed.
 *
 *   serve_loop ADDR|- [--start FILE] [--fork] [--close-fds] [--run-for SECONDS]
 *              [--stop-file PATH] [--reuse-fds LOG] [--fork-after SECONDS]
 *              [--busy-us N]
 *
 * ADDR "-" calls no ct_serve (CTRACE_HTTP in the environment serves). It
 * prints "serve: RC ADDRESS" (ct_serve's result and ct_serve_address(), "-"
 * for none) first, and exits 0 there when ct_serve failed; then "again: RC",
 * what a second ct_serve(ADDR) returns. The loop ends after --run-for
 * seconds (600) or once --stop-file exists, and main returns. Each iteration is
 * a task "iteration" holding a region "step" with three regions "inner",
 * and a 1 ms sleep made as a bare system call: the tracer interposes libc's
 * nanosleep and would record each as a wait, which is not what this program
 * is about. --busy-us N: each step also spins N us of the thread's CPU time
 * first (the loop alone runs a few us a millisecond: a CPU timer, which the
 * kernel looks at on its tick, may then see it running at no tick at all).
 * --start FILE traces itself with ct_start first (captures are then
 * refused); --fork forks a child once serving, which says whether it serves
 * ("child: serving" or "child: not serving") and exits through exit();
 * --close-fds then closes every descriptor from 3 up, as a daemon may, the
 * server's own among them. --reuse-fds LOG closes them too, then opens its
 * own on their numbers (reuse_fds below). --fork-after S forks a child S
 * seconds into the loop (during a capture, in the tests) that prints
 * "child fds: " and the sockets and memfds it holds, or "none".
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ctrace.h>

static double clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* Spin until the thread has run `us` more microseconds. */
static void busy(double us)
{
    double until = clock_s(CLOCK_THREAD_CPUTIME_ID) + us / 1e6;
    while (clock_s(CLOCK_THREAD_CPUTIME_ID) < until)
        ;
}

/* --stop-file exists (looked at every 64 iterations, from the 64th: a
 * stop asked before the loop began still leaves iterations to count). */
static int stop_asked(const char *stop_file, unsigned long iterations)
{
    return stop_file && iterations % 64 == 63 && access(stop_file, F_OK) == 0;
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

/* --reuse-fds: what a daemon does once the server started. */
static int reuse_log = -1, reuse_sock = -1;
static int reused[16], reused_n;

/* The program's own server: a blocking accept() on its own socket. */
static void *answer_own_clients(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(reuse_sock, NULL, NULL);
        if (c < 0)
            continue;
        char buf[256];
        (void)!read(c, buf, sizeof buf);
        dprintf(c, "program answered\n");
        close(c);
    }
    return NULL;
}

/* The descriptors from 3 up (the server's): their numbers, and which are
 * sockets. */
static int list_fds(int *fds, int *is_sock, int max)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        int fd = atoi(e->d_name);
        if (fd < 3 || fd == dirfd(d))
            continue;
        char path[64], link[256] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t k = readlink(path, link, sizeof link - 1);
        link[k > 0 ? k : 0] = '\0';
        fds[n] = fd;
        is_sock[n++] = strncmp(link, "socket:", 7) == 0;
    }
    if (d)
        closedir(d);
    return n;
}

/* Close every descriptor from 3 up, open a log file (LOG) and a listening
 * socket of the program's own, and put them on the numbers the server's
 * descriptors had: its sockets' get the program's socket, the others the log
 * file. Says "own: PORT"; a thread answers there. */
static void reuse_fds(const char *log_path)
{
    int old[16], is_sock[16];
    int n = list_fds(old, is_sock, 16);
    for (int fd = 3; fd < 4096; fd++)
        close(fd);
    reuse_log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    reuse_sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (reuse_log < 0 || reuse_sock < 0 || bind(reuse_sock, (struct sockaddr *)&a, sizeof a) ||
        listen(reuse_sock, 16) || getsockname(reuse_sock, (struct sockaddr *)&a, &len)) {
        perror("serve_loop: --reuse-fds");
        exit(2);
    }
    for (int i = 0; i < n; i++) {
        int src = is_sock[i] ? reuse_sock : reuse_log;
        if (old[i] != src && dup2(src, old[i]) < 0)
            continue;
        reused[reused_n++] = old[i];
    }
    printf("own: %d\n", ntohs(a.sin_port));
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, answer_own_clients, NULL);
    pthread_detach(t);
}

/* After the server's exit handler (registered before ct_serve): the
 * program's descriptors are still open, its log still written. */
static void check_fds_at_exit(void)
{
    if (reuse_log < 0)
        return;
    int kept = 0;
    for (int i = 0; i < reused_n; i++)
        kept += fcntl(reused[i], F_GETFD) != -1;
    int wrote = write(reuse_log, "exit\n", 5) == 5;
    printf("at exit: %d of %d kept, log %s\n", kept, reused_n, wrote ? "written" : "closed");
    fflush(stdout);
}

/* --fork-after: a child says which sockets and memfds it holds. */
static void fork_and_list(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fds[16], is_sock[16];
        int n = list_fds(fds, is_sock, 16);
        char line[1024] = "";
        size_t used = 0;
        for (int i = 0; i < n; i++) {
            char path[64], link[256] = "";
            snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
            ssize_t k = readlink(path, link, sizeof link - 1);
            link[k > 0 ? k : 0] = '\0';
            if ((is_sock[i] || strstr(link, "memfd:")) && used < sizeof line - 300)
                used += (size_t)snprintf(line + used, sizeof line - used, " %d=%s", fds[i], link);
        }
        printf("child fds:%s\n", used ? line : " none");
        exit(0);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    const char *start = NULL, *stop_file = NULL;
    const char *reuse = NULL;
    double run_for = 600, fork_after = -1, busy_us = 0;
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
        else if (strcmp(argv[i], "--reuse-fds") == 0 && i + 1 < argc)
            reuse = argv[++i];
        else if (strcmp(argv[i], "--fork-after") == 0 && i + 1 < argc)
            fork_after = atof(argv[++i]);
        else if (strcmp(argv[i], "--busy-us") == 0 && i + 1 < argc)
            busy_us = atof(argv[++i]);
    }
    if (start && ct_start(start) != 0) {
        fprintf(stderr, "serve_loop: ct_start(%s) failed\n", start);
        return 2;
    }
    atexit(check_fds_at_exit); /* before ct_serve: runs after the server's handler */
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
    for (int fd = 3; close_fds && fd < 4096; fd++)
        close(fd);
    if (reuse)
        reuse_fds(reuse);

    double start_s = now_s(), end = start_s + run_for;
    unsigned long iterations = 0;
    struct timespec pause = {0, 1000000}; /* 1 ms */
    while (now_s() < end && !stop_asked(stop_file, iterations)) {
        ct_task *task = ct_task_begin(NULL, "iteration");
        ct_region step = ct_region_begin(task, "step");
        if (busy_us > 0)
            busy(busy_us);
        for (int k = 0; k < 3; k++) {
            ct_region inner = ct_region_begin(task, "inner");
            ct_region_end(&inner);
        }
        syscall(SYS_nanosleep, &pause, NULL); /* not libc's: no wait recorded, see above */
        ct_region_end(&step);
        ct_task_end(task);
        iterations++;
        if (fork_after >= 0 && now_s() - start_s >= fork_after) {
            fork_after = -1;
            fork_and_list();
        }
    }
    printf("iterations: %lu\n", iterations);
    if (start)
        ct_stop();
    return 0;
}
