/* duration.c - Go-style durations (duration.h). */
#include "format/duration.h"

#include <stdio.h> /* snprintf */

void ct_format_go_duration(char *buf, size_t cap, uint64_t ns)
{
    unsigned long long s = ns / 1000000000ull;
    if (s >= 3600)
        snprintf(buf, cap, "%lluh%llum%llus", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(buf, cap, "%llum%llus", s / 60, s % 60);
    else if (ns >= 1000000000ull)
        snprintf(buf, cap, "%gs", (double)ns / 1e9);
    else if (ns >= 1000000ull)
        snprintf(buf, cap, "%gms", (double)ns / 1e6);
    else
        snprintf(buf, cap, "%lluns", (unsigned long long)ns);
}
