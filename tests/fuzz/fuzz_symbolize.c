/*
 * fuzz_symbolize.c - any bytes taken as a module's ELF file: the symbolizer
 * checks it, hands it to libdwfl on the first lookup and looks addresses up
 * around its entry point, walking what libdw gives back (symbols, line rows,
 * scopes, inlined calls and their call-file indexes); it never crashes,
 * hangs, leaks or reads outside the file. libdw's own parsing is fuzzed by
 * elfutils (oss-fuzz); this target covers our use of it.
 *
 * corpus_elf/ holds small real files, built from a libc-free program of two
 * source files with gcc (DWARF 5, 4, and 3 from -gdwarf-2), clang (DWARF 5
 * with MD5s), and as a shared library stripped to .dynsym with a
 * .gnu_debuglink, plus that library's separate debug file.
 */
#include "fuzz_common.h"

#include <stdio.h>    /* snprintf */
#include <string.h>   /* strlen */
#include <sys/mman.h> /* memfd_create */
#include <unistd.h>   /* write, close */

#include "common/symbolize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ct_symbolizer *s = ct_symbolizer_new();
    /* Debug files are looked for, and not found: the input is the only file. */
    if (s && ctr__sym_set_debug_root(s, "/nonexistent-debug-root") == 0 &&
        ct_symbolizer_add_module(s, path, NULL, 0, 0, 0, UINT64_MAX) == 0) {
        uint64_t entry = 0;
        for (size_t i = 0; i < 8 && 24 + i < size; i++)
            entry |= (uint64_t)data[24 + i] << (8 * i);
        size_t sum = 0;
        for (uint64_t k = 0; k < 48; k++) {
            ct_symbol sym;
            ct_symbolizer_lookup(s, entry - 64 + k * 5, (int)(k & 1), &sym);
            sum += sym.function ? strlen(sym.function) : 0; /* what is handed out is readable */
            sum += sym.file ? strlen(sym.file) : 0;
        }
        const char *w;
        while ((w = ct_symbolizer_next_warning(s)) != NULL)
            sum += strlen(w);
        (void)sum;
    }
    ct_symbolizer_free(s);
    close(fd);
    return 0;
}
