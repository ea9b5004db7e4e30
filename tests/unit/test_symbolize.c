/*
 * test_symbolize.c - the symbolizer on this very process: its own functions
 * and call sites resolve to this file's lines, libc's exports to their
 * names; a rebuilt file, an unknown address and damaged copies of this
 * executable give less, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dlfcn.h>    /* dlsym */
#include <elf.h>      /* PT_LOAD, PT_NOTE, NT_GNU_BUILD_ID */
#include <link.h>     /* dl_iterate_phdr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h> /* memfd_create */
#include <sys/stat.h> /* mkfifo */
#include <unistd.h>
#include <cmocka.h>

#include "common/path_clean.h"
#include "common/symbolize.h"
#include "symbolize_dwarf.h"

/* ---- this process's modules, as a tracer records them ---------------------------- */

typedef struct module {
    char path[4096];
    uint64_t bias, lo, hi;
    uint8_t id[64];
    size_t id_len;
    uintptr_t wanted; /* the address whose module is looked for */
    int found;
} module;

static void note_build_id(module *m, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (n - off >= 12) {
        uint32_t w[3];
        memcpy(w, p + off, sizeof w);
        size_t name = off + 12, desc = name + ((w[0] + 3u) & ~3u);
        if (desc + w[1] > n)
            return;
        if (w[2] == NT_GNU_BUILD_ID && w[0] == 4 && memcmp(p + name, "GNU", 4) == 0 &&
            w[1] <= sizeof m->id) {
            memcpy(m->id, p + desc, w[1]);
            m->id_len = w[1];
            return;
        }
        off = desc + ((w[1] + 3u) & ~3u);
    }
}

static int find_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    module *m = data;
    uint64_t lo = UINT64_MAX, hi = 0;
    int inside = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
        inside |= m->wanted >= a && m->wanted < b;
    }
    if (!inside)
        return 0;
    m->bias = info->dlpi_addr;
    m->lo = lo;
    m->hi = hi;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_NOTE)
            note_build_id(m, (const uint8_t *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr),
                          info->dlpi_phdr[i].p_memsz);
    if (info->dlpi_name && info->dlpi_name[0]) {
        snprintf(m->path, sizeof m->path, "%s", info->dlpi_name);
    } else { /* the executable: dl_iterate_phdr has no name for it */
        ssize_t n = readlink("/proc/self/exe", m->path, sizeof m->path - 1);
        m->path[n > 0 ? n : 0] = 0;
    }
    m->found = 1;
    return 1;
}

static module module_of(const void *addr)
{
    module m = {.wanted = (uintptr_t)addr};
    dl_iterate_phdr(find_module, &m);
    assert_true(m.found);
    return m;
}

static int add(ct_symbolizer *s, const module *m)
{
    return ct_symbolizer_add_module(s, m->path, m->id, m->id_len, m->bias, m->lo, m->hi);
}

static int ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), e = strlen(end);
    return n >= e && strcmp(s + n - e, end) == 0;
}

/* ---- functions to find: each on one line, so any row of it is that line ---------- */

/* clang-format off */
__attribute__((noinline, used)) static int known_function(int x) { return x * 3 + 1; } static const unsigned known_function_line = __LINE__;
/* clang-format on */

__attribute__((noinline)) static void *caller_of_this(void)
{
    return __builtin_extract_return_addr(__builtin_return_address(0));
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_own_function(void **state)
{
    (void)state;
    module exe = module_of((const void *)&known_function);
    ct_symbolizer *s = ct_symbolizer_new();
    assert_non_null(s);
    assert_int_equal(add(s, &exe), 0);
    ct_symbol sym;
    uint64_t pc = (uintptr_t)&known_function;
    assert_int_equal(ct_symbolizer_lookup(s, pc, 0, &sym), 1);
    assert_string_equal(sym.module, exe.path);
    assert_int_equal(sym.module_offset, pc - exe.bias);
    assert_int_equal(sym.module_lo, exe.lo); /* the mapping, for pprof */
    assert_int_equal(sym.module_hi, exe.hi);
    assert_int_equal(sym.build_id_len, exe.id_len);
    assert_memory_equal(sym.build_id, exe.id, exe.id_len);
    assert_non_null(sym.function);
    assert_string_equal(sym.function, "known_function");
    assert_int_equal(sym.function_start, pc - exe.bias);
    assert_non_null(sym.file);
    assert_true(ends_with(sym.file, "test_symbolize.c"));
    assert_int_equal(sym.line, known_function_line);
    /* Inside it, one byte on: the same function and line. */
    assert_int_equal(ct_symbolizer_lookup(s, pc + 1, 0, &sym), 1);
    assert_string_equal(sym.function, "known_function");
    assert_int_equal(sym.line, known_function_line);
    assert_null(ct_symbolizer_next_warning(s));
    ct_symbolizer_free(s);
}

/* Line tables of DWARF 3 and 4 (one-based file numbers, no MD5, directory
 * 0 implicit), in the same .debug_line as the version 5 ones. */
static void test_older_dwarf(void **state)
{
    (void)state;
    struct {
        int (*function)(int);
        const char *name;
        unsigned line;
    } cases[] = {{dwarf3_function, "dwarf3_function", dwarf3_line},
                 {dwarf4_function, "dwarf4_function", dwarf4_line}};
    module exe = module_of((const void *)&known_function);
    ct_symbolizer *s = ct_symbolizer_new();
    assert_int_equal(add(s, &exe), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ct_symbol sym;
        assert_int_equal(ct_symbolizer_lookup(s, (uintptr_t)cases[i].function, 0, &sym), 1);
        assert_string_equal(sym.function, cases[i].name);
        assert_non_null(sym.file);
        assert_true(ends_with(sym.file, "symbolize_dwarf.c"));
        assert_int_equal(sym.line, cases[i].line);
    }
    assert_null(ct_symbolizer_next_warning(s));
    ct_symbolizer_free(s);
}

static void test_return_address(void **state)
{
    (void)state;
    void *ret = caller_of_this(); const unsigned call_line = __LINE__;
    module exe = module_of(ret);
    ct_symbolizer *s = ct_symbolizer_new();
    assert_int_equal(add(s, &exe), 0);
    ct_symbol sym;
    assert_int_equal(ct_symbolizer_lookup(s, (uintptr_t)ret, 1, &sym), 1);
    assert_string_equal(sym.function, "test_return_address");
    assert_true(ends_with(sym.file, "test_symbolize.c"));
    assert_int_equal(sym.line, call_line);
    assert_int_equal(sym.module_offset, (uintptr_t)ret - 1 - exe.bias);
    ct_symbolizer_free(s);
}

static void check_libc(const char *debug_root)
{
    void *lock = dlsym(RTLD_DEFAULT, "pthread_mutex_lock");
    assert_non_null(lock);
    module libc = module_of(lock);
    ct_symbolizer *s = ct_symbolizer_new();
    if (debug_root)
        assert_int_equal(ctr__sym_set_debug_root(s, debug_root), 0);
    assert_int_equal(add(s, &libc), 0);
    ct_symbol sym;
    assert_int_equal(ct_symbolizer_lookup(s, (uintptr_t)lock, 0, &sym), 1);
    assert_non_null(sym.function);
    assert_true(strncmp(sym.function, "pthread_mutex_lock", 18) == 0 ||
                strncmp(sym.function, "__pthread_mutex_lock", 20) == 0);
    assert_int_equal(sym.function_start, (uintptr_t)lock - libc.bias);
    assert_string_equal(sym.module, libc.path);
    ct_symbolizer_free(s);
}

/* With no debug file to be found, the name comes from .dynsym. */
static void test_libc_dynsym(void **state)
{
    (void)state;
    check_libc("/nonexistent-debug-root");
}

/* With the system's debug files (Debian's libc6-dbg, when installed): the
 * same name, from the debug file's .symtab. */
static void test_libc_debug_file(void **state)
{
    (void)state;
    check_libc(NULL);
}

static void test_build_id_mismatch(void **state)
{
    (void)state;
    module exe = module_of((const void *)&known_function);
    assert_true(exe.id_len > 0);
    exe.id[0] ^= 0xff;
    ct_symbolizer *s = ct_symbolizer_new();
    assert_int_equal(add(s, &exe), 0);
    ct_symbol sym;
    assert_int_equal(ct_symbolizer_lookup(s, (uintptr_t)&known_function, 0, &sym), 1);
    assert_string_equal(sym.module, exe.path);
    assert_null(sym.function);
    assert_null(sym.file);
    const char *w = ct_symbolizer_next_warning(s);
    assert_non_null(w);
    assert_non_null(strstr(w, "build-id differs from the traced one (rebuilt since?)"));
    assert_true(strncmp(w, exe.path, strlen(exe.path)) == 0);
    assert_null(ct_symbolizer_next_warning(s)); /* once per module */
    assert_int_equal(ct_symbolizer_lookup(s, (uintptr_t)&known_function + 1, 0, &sym), 1);
    assert_null(ct_symbolizer_next_warning(s));
    ct_symbolizer_free(s);
}

static void test_unknown_address(void **state)
{
    (void)state;
    ct_symbolizer *s = ct_symbolizer_new();
    ct_symbol sym;
    assert_int_equal(ct_symbolizer_lookup(s, 0x1234, 0, &sym), 0);
    module exe = module_of((const void *)&known_function);
    assert_int_equal(add(s, &exe), 0);
    assert_int_equal(ct_symbolizer_lookup(s, 0x10, 0, &sym), 0);
    assert_null(sym.module);
    assert_null(sym.function);
    assert_int_equal(ct_symbolizer_lookup(s, exe.hi, 0, &sym), 0);
    assert_int_equal(ct_symbolizer_lookup(s, exe.lo, 0, &sym), 1);
    ct_symbolizer_free(s);
}

/* A trace names the module files: one that is a FIFO must not block the
 * analysis in open() (no writer will ever come); it is refused, with a
 * warning, like any file that is not regular. */
static void test_fifo_module_does_not_block(void **state)
{
    (void)state;
    char path[] = "/tmp/ctrace-symbolize-fifo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    ct_symbolizer *s = ct_symbolizer_new();
    assert_int_equal(ct_symbolizer_add_module(s, path, NULL, 0, 0x400000, 0x400000, 0x500000), 0);
    ct_symbol sym;
    assert_int_equal(ct_symbolizer_lookup(s, 0x401000, 0, &sym), 1); /* the module, no more */
    assert_null(sym.function);
    assert_non_null(ct_symbolizer_next_warning(s));
    ct_symbolizer_free(s);
    unlink(path);
}

/* dlclose then dlopen of another file at the same place: the later
 * registration wins where they overlap, the earlier keeps the rest. */
static void test_later_registration_wins(void **state)
{
    (void)state;
    module exe = module_of((const void *)&known_function);
    uint64_t pc = (uintptr_t)&known_function;
    ct_symbolizer *s = ct_symbolizer_new();
    assert_int_equal(ct_symbolizer_add_module(s, "/nonexistent/old.so", NULL, 0, exe.bias, exe.lo, exe.hi), 0);
    assert_int_equal(add(s, &exe), 0);
    assert_int_equal(ct_symbolizer_add_module(s, "/nonexistent/new.so", NULL, 0, 0, pc + 16, pc + 32), 0);
    ct_symbol sym;
    assert_int_equal(ct_symbolizer_lookup(s, pc, 0, &sym), 1);
    assert_string_equal(sym.module, exe.path);
    assert_string_equal(sym.function, "known_function");
    assert_int_equal(ct_symbolizer_lookup(s, pc + 20, 0, &sym), 1);
    assert_string_equal(sym.module, "/nonexistent/new.so");
    assert_null(sym.function);
    assert_int_equal(sym.module_offset, pc + 20);
    const char *w = ct_symbolizer_next_warning(s);
    assert_non_null(w);
    assert_non_null(strstr(w, "/nonexistent/new.so: cannot read it"));
    assert_null(ct_symbolizer_next_warning(s));
    assert_int_equal(ct_symbolizer_lookup(s, pc + 32, 0, &sym), 1);
    assert_string_equal(sym.module, exe.path);
    ct_symbolizer_free(s);
}

/* ---- separate debug files, made with objcopy --------------------------------------- */

static char tmp_dir[64];

static int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A copy of this executable stripped of all symbols and DWARF, whose debug
 * file is found by build-id (under a debug root) or by .gnu_debuglink. */
static void test_separate_debug_file(void **state)
{
    (void)state;
    if (run("objcopy --version >/dev/null 2>&1") != 0)
        skip();
    module exe = module_of((const void *)&known_function);
    assert_true(exe.id_len > 1);
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/ct-symbolize-XXXXXX");
    assert_non_null(mkdtemp(tmp_dir));
    char id_hex[2 * sizeof exe.id + 1];
    for (size_t i = 0; i < exe.id_len; i++)
        snprintf(id_hex + 2 * i, 3, "%02x", exe.id[i]);
    assert_int_equal(run("cd %s && mkdir -p root/.build-id/%.2s link &&"
                         " objcopy --only-keep-debug '%s' root/.build-id/%.2s/%s.debug &&"
                         " objcopy --strip-all '%s' stripped &&"
                         " cp root/.build-id/%.2s/%s.debug link/exe.debug &&"
                         " objcopy --strip-all --add-gnu-debuglink=link/exe.debug '%s' link/exe",
                         tmp_dir, id_hex, exe.path, id_hex, id_hex + 2, exe.path, id_hex, id_hex + 2,
                         exe.path), 0);
    const char *cases[][2] = { /* module file, debug root */
        {"stripped", "root"},  /* by build-id */
        {"link/exe", "none"},  /* by .gnu_debuglink, beside the module */
    };
    for (size_t i = 0; i < 2; i++) {
        module m = exe;
        char root[128];
        snprintf(m.path, sizeof m.path, "%s/%s", tmp_dir, cases[i][0]);
        snprintf(root, sizeof root, "%s/%s", tmp_dir, cases[i][1]);
        ct_symbolizer *s = ct_symbolizer_new();
        assert_int_equal(ctr__sym_set_debug_root(s, root), 0);
        assert_int_equal(add(s, &m), 0);
        ct_symbol sym;
        assert_int_equal(ct_symbolizer_lookup(s, (uintptr_t)&known_function, 0, &sym), 1);
        assert_non_null(sym.function);
        assert_string_equal(sym.function, "known_function");
        assert_non_null(sym.file);
        assert_true(ends_with(sym.file, "test_symbolize.c"));
        assert_int_equal(sym.line, known_function_line);
        assert_null(ct_symbolizer_next_warning(s));
        ct_symbolizer_free(s);
    }
    run("rm -rf %s", tmp_dir);
}

/* ---- damaged copies of this executable --------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Look a few addresses up in `bytes` taken as the module file. */
static void symbolize_image(const uint8_t *bytes, size_t n, const uint64_t *pcs, size_t npcs)
{
    int fd = memfd_create("elf", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ct_symbolizer *s = ct_symbolizer_new();
    assert_int_equal(ctr__sym_set_debug_root(s, "/nonexistent-debug-root"), 0);
    assert_int_equal(ct_symbolizer_add_module(s, path, NULL, 0, 0, 0, UINT64_MAX), 0);
    size_t sum = 0;
    for (size_t i = 0; i < npcs; i++) {
        ct_symbol sym;
        ct_symbolizer_lookup(s, pcs[i], i & 1, &sym);
        sum += sym.function ? strlen(sym.function) : 0; /* every byte handed out is readable */
        sum += sym.file ? strlen(sym.file) : 0;
    }
    while (ct_symbolizer_next_warning(s))
        sum++;
    (void)sum;
    ct_symbolizer_free(s);
    close(fd);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)size);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return b;
}

typedef struct region {
    size_t off, len;
} region;

static void add_region(region *r, size_t *n, size_t off, size_t len)
{
    if (len > 0)
        r[(*n)++] = (region){off, len};
}

/* Where section `name` lies in the ELF image (this test's own executable,
 * so trusted): @return 1 with *off and *len, or 0. */
static int section_bytes(const uint8_t *image, size_t n, const char *name, size_t *off, size_t *len)
{
    Elf64_Ehdr eh;
    memcpy(&eh, image, sizeof eh);
    if (eh.e_shoff == 0 || eh.e_shstrndx >= eh.e_shnum)
        return 0;
    Elf64_Shdr names;
    memcpy(&names, image + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof names, sizeof names);
    for (size_t i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, image + eh.e_shoff + i * sizeof sh, sizeof sh);
        if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size <= n &&
            strcmp((const char *)image + names.sh_offset + sh.sh_name, name) == 0) {
            *off = sh.sh_offset;
            *len = sh.sh_size;
            return 1;
        }
    }
    return 0;
}

/* Truncations and bit flips where they hurt most: the headers, the symbol
 * and string tables, the DWARF that names functions, lines and inlined
 * calls. */
static void test_damaged_copies(void **state)
{
    (void)state;
    module exe = module_of((const void *)&known_function);
    size_t n;
    uint8_t *orig = read_file(exe.path, &n), *copy = malloc(n);
    assert_non_null(copy);
    Elf64_Ehdr eh;
    memcpy(&eh, orig, sizeof eh);
    region regions[16];
    size_t nregions = 0;
    add_region(regions, &nregions, 0, sizeof(Elf64_Ehdr));
    add_region(regions, &nregions, eh.e_phoff, sizeof(Elf64_Phdr) * eh.e_phnum);
    add_region(regions, &nregions, eh.e_shoff, sizeof(Elf64_Shdr) * eh.e_shnum);
    const char *names[] = {".symtab", ".strtab", ".dynsym", ".dynstr", ".debug_line",
                           ".debug_line_str", ".debug_info", ".debug_abbrev", ".debug_str",
                           ".debug_aranges", ".debug_rnglists", ".note.gnu.build-id"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t off, len;
        if (section_bytes(orig, n, names[i], &off, &len))
            add_region(regions, &nregions, off, len);
    }
    uint64_t pcs[16];
    for (size_t i = 0; i < 16; i++)
        pcs[i] = (uintptr_t)&known_function - exe.bias + i * 977;
    symbolize_image(orig, n, pcs, 16);
    for (int round = 0; round < 240; round++) {
        memcpy(copy, orig, n);
        size_t len = n;
        if (round % 4 == 0) {
            len = next_random() % n;
        } else {
            for (int flips = 1 + (int)(next_random() % 8); flips > 0; flips--) {
                size_t r = next_random() % nregions;
                size_t at = regions[r].off + next_random() % regions[r].len;
                copy[at] ^= (uint8_t)(1u << (next_random() % 8));
            }
        }
        symbolize_image(copy, len, pcs, 16);
    }
    free(copy);
    free(orig);
}

/* Source paths as DWARF gives them, made into paths pprof -list can open:
 * cleaned as text when the file is not there, its realpath when it is. */
static void test_source_paths_cleaned(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"/build/../src/a.c", "/src/a.c"}, {"//src//./b.c", "/src/b.c"}, {"/..", "/"},
        {"/../x.c", "/x.c"}, {"../a/../../b.c", "../../b.c"}, {"a/..", "."}, {".", "."},
        {"", ""}, {"a/b/..", "a"}, {"/a/b/../../..", "/"}, {"./x.c", "x.c"}, {"/", "/"},
        {"..", ".."}, {"a//b/", "a/b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s", cases[i][0]);
        assert_string_equal(ct_path_normalize(text), cases[i][1]);
    }
    char *clean = ct_path_clean("/nonexistent-ctrace/build/../src//a.c"); /* not there: as text */
    assert_non_null(clean);
    assert_string_equal(clean, "/nonexistent-ctrace/src/a.c");
    free(clean);
    /* A file that is there, named through its directory's "..": its realpath. */
    module exe = module_of((const void *)&known_function);
    char dir[4096], dotted[8400];
    snprintf(dir, sizeof dir, "%s", exe.path);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    const char *last = strrchr(dir, '/');
    snprintf(dotted, sizeof dotted, "%s/../%s/%s", dir, last ? last + 1 : dir, slash + 1);
    char *real = realpath(exe.path, NULL);
    clean = ct_path_clean(dotted);
    assert_non_null(clean);
    assert_non_null(real);
    assert_string_equal(clean, real);
    free(clean);
    free(real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_function),
        cmocka_unit_test(test_return_address),
        cmocka_unit_test(test_older_dwarf),
        cmocka_unit_test(test_libc_dynsym),
        cmocka_unit_test(test_libc_debug_file),
        cmocka_unit_test(test_build_id_mismatch),
        cmocka_unit_test(test_unknown_address),
        cmocka_unit_test(test_fifo_module_does_not_block),
        cmocka_unit_test(test_later_registration_wins),
        cmocka_unit_test(test_separate_debug_file),
        cmocka_unit_test(test_damaged_copies),
        cmocka_unit_test(test_source_paths_cleaned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
