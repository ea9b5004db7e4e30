/*
 * symbolize_dwfl.c - one module file read through libdwfl (see
 * symbolize_internal.h): the ELF symbol at an address, its source line,
 * and the chain of functions inlined there, as `eu-addr2line -i -f` finds
 * them.
 *
 * Each file gets a Dwfl of its own holding that one module at load bias 0,
 * so addresses are the file's own (pc - bias): a file loaded by several
 * processes of a trace, or twice after a dlclose, is read once, and the
 * symbolizer's module table (symbolize.c) decides which file an address is
 * in, the later registration winning where ranges overlap, which libdwfl
 * would refuse.
 */
#include "common/symbolize_internal.h"
#include "common/symbolize_dw.h"

#include <elf.h>      /* Elf64_Ehdr, ELFMAG, ET_EXEC, ET_DYN */
#include <errno.h>    /* errno */
#include <fcntl.h>    /* open, O_* */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* memcmp, strerror */
#include <sys/stat.h> /* fstat, S_ISREG */
#include <unistd.h>   /* pread, close */

struct sym_file {
    const ct_dw *dw;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    Dwfl_Callbacks callbacks; /* libdwfl keeps a pointer to them */
};

/* Whether `path` is a regular ELF file of a kind a process loads, checked
 * without blocking (a FIFO named in a trace would wait for a writer
 * forever). @return 0, or -1 with why in err. */
static int check_file(const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, err_len, "cannot read it (%s)", strerror(errno));
        return -1;
    }
    struct stat st;
    Elf64_Ehdr h;
    const char *why = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (pread(fd, &h, sizeof h, 0) < (ssize_t)EI_NIDENT || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
        why = "not an ELF file";
    else if (st.st_size < (off_t)sizeof h || (h.e_type != ET_EXEC && h.e_type != ET_DYN))
        why = "not an executable or shared library";
    close(fd);
    if (why)
        snprintf(err, err_len, "%s", why);
    return why ? -1 : 0;
}

sym_file *ctr__sym_file_open(const char *path, const uint8_t *id, size_t id_len,
                             char **debuginfo_path, char *err, size_t err_len)
{
    const char *why = NULL;
    const ct_dw *dw = ct__dw_get(&why);
    if (!dw) {
        snprintf(err, err_len, "libdw is not loaded (%s); no function names", why);
        return NULL;
    }
    if (check_file(path, err, err_len) != 0)
        return NULL;
    sym_file *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    f->dw = dw;
    f->callbacks = (Dwfl_Callbacks){.find_elf = dw->dwfl_build_id_find_elf,
                                    .find_debuginfo = dw->dwfl_standard_find_debuginfo,
                                    .debuginfo_path = debuginfo_path};
    f->dwfl = dw->dwfl_begin(&f->callbacks);
    if (!f->dwfl) {
        snprintf(err, err_len, "libdwfl: %s", dw->dwfl_errmsg(-1));
        free(f);
        return NULL;
    }
    dw->dwfl_report_begin(f->dwfl);
    /* fd -1: libdwfl opens the file (checked above) and owns what it opens. */
    f->mod = dw->dwfl_report_elf(f->dwfl, path, path, -1, 0, false);
    if (!f->mod || dw->dwfl_report_end(f->dwfl, NULL, NULL) != 0) {
        snprintf(err, err_len, "not readable as ELF (%s)", dw->dwfl_errmsg(-1));
        ctr__sym_file_close(f);
        return NULL;
    }
    const unsigned char *bits;
    GElf_Addr where;
    int n = dw->dwfl_module_build_id(f->mod, &bits, &where);
    if (n > 0 && id_len > 0 && ((size_t)n != id_len || memcmp(bits, id, id_len) != 0)) {
        snprintf(err, err_len, "build-id differs from the traced one (rebuilt since?)");
        ctr__sym_file_close(f);
        return NULL;
    }
    return f;
}

void ctr__sym_file_close(sym_file *f)
{
    if (!f)
        return;
    if (f->dwfl)
        f->dw->dwfl_end(f->dwfl);
    free(f);
}

static int is_function(Dwarf_Die *die, const ct_dw *dw)
{
    int tag = dw->dwarf_tag(die);
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* The first function among scopes[from..n), or n. */
static int next_function(Dwarf_Die *scopes, int from, int n, const ct_dw *dw)
{
    while (from < n && !is_function(&scopes[from], dw))
        from++;
    return from;
}

/* Where the inlined instance `die` was called from: its DW_AT_call_file
 * (an index into its unit's file table) and DW_AT_call_line. */
static void call_site(Dwarf_Die *die, const ct_dw *dw, ct_symbol_frame *out)
{
    Dwarf_Attribute attr;
    Dwarf_Word value;
    if (dw->dwarf_formudata(dw->dwarf_attr(die, DW_AT_call_line, &attr), &value) == 0 &&
        value <= UINT32_MAX)
        out->line = (unsigned)value;
    Dwarf_Die cu;
    Dwarf_Files *files;
    size_t nfiles;
    if (dw->dwarf_formudata(dw->dwarf_attr(die, DW_AT_call_file, &attr), &value) == 0 &&
        dw->dwarf_diecu(die, &cu, NULL, NULL) &&
        dw->dwarf_getsrcfiles(&cu, &files, &nfiles) == 0 && value < nfiles)
        out->file = dw->dwarf_filesrc(files, value, NULL, NULL);
}

/* The DIEs enclosing `vaddr`, innermost first, along the concrete tree (an
 * inlined instance, then what it was inlined into): what eu-addr2line -i
 * walks. @return their number (0: none), *scopes malloc'd. */
static int scopes_at(sym_file *f, uint64_t vaddr, Dwarf_Die **scopes)
{
    const ct_dw *dw = f->dw;
    Dwarf_Addr bias;
    *scopes = NULL;
    Dwarf_Die *cu = dw->dwfl_module_addrdie(f->mod, vaddr, &bias);
    if (!cu)
        return 0;
    int n = dw->dwarf_getscopes(cu, vaddr - bias, scopes);
    if (n <= 0) {
        free(*scopes);
        *scopes = NULL;
        return 0;
    }
    /* dwarf_getscopes continues past an inlined instance into its abstract
     * definition's parents; the concrete parents are those of the DIE. */
    Dwarf_Die innermost = (*scopes)[0];
    free(*scopes);
    *scopes = NULL;
    n = dw->dwarf_getscopes_die(&innermost, scopes);
    if (n <= 0) {
        free(*scopes);
        *scopes = NULL;
        return 0;
    }
    return n;
}

size_t ctr__sym_file_lookup(sym_file *f, uint64_t vaddr, ct_symbol_frame *frames, size_t cap,
                            const char **symbol, uint64_t *symbol_start)
{
    const ct_dw *dw = f->dw;
    GElf_Off offset;
    GElf_Sym sym;
    *symbol = dw->dwfl_module_addrinfo(f->mod, vaddr, &offset, &sym, NULL, NULL, NULL);
    *symbol_start = *symbol ? sym.st_value : 0;
    if (cap == 0)
        return 0;

    ct_symbol_frame inner = {*symbol, NULL, 0};
    Dwfl_Line *row = dw->dwfl_module_getsrc(f->mod, vaddr);
    int line = 0;
    if (row && (inner.file = dw->dwfl_lineinfo(row, NULL, &line, NULL, NULL, NULL)) && line > 0)
        inner.line = (unsigned)line;

    Dwarf_Die *scopes;
    int n = scopes_at(f, vaddr, &scopes);
    int at = next_function(scopes, 0, n, dw);
    if (at == n) { /* no DWARF function here: the symbol alone */
        free(scopes);
        frames[0] = inner;
        return inner.function ? 1 : 0;
    }
    const char *name = dw->dwarf_diename(&scopes[at]);
    if (name)
        inner.function = name;
    size_t k = 0;
    frames[k++] = inner;
    /* Each inlined instance names the function it was inlined into (the
     * next function out) and the call's place in it. A nest deeper than
     * cap keeps overwriting the last slot: it ends as the outermost. */
    while (dw->dwarf_tag(&scopes[at]) == DW_TAG_inlined_subroutine) {
        int parent = next_function(scopes, at + 1, n, dw);
        if (parent == n)
            break;
        ct_symbol_frame outer = {dw->dwarf_diename(&scopes[parent]), NULL, 0};
        call_site(&scopes[at], dw, &outer);
        if (k == cap)
            k--;
        frames[k++] = outer;
        at = parent;
    }
    if (!frames[k - 1].function) /* the outermost: the ELF symbol when DWARF has no name */
        frames[k - 1].function = *symbol;
    free(scopes);
    return k;
}
