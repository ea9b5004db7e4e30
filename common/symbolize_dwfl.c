/*
 * symbolize_dwfl.c - one module file read through libdwfl (see
 * symbolize_internal.h): the ELF symbol at an address, its source line,
 * and the chain of functions inlined there, as `eu-addr2line -i -f` finds
 * them (symbolize_index.c keeps them by address).
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
#include "common/symbolize_index.h"

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
    sym_index *index;
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

/* find_debuginfo of an offline symbolizer: libdw's standard search asks the
 * servers of DEBUGINFOD_URLS when nothing is found here, so with that set
 * only the build-id search is made. */
static int find_debuginfo_offline(Dwfl_Module *mod, void **userdata, const char *modname,
                                  GElf_Addr base, const char *file_name,
                                  const char *debuglink_file, GElf_Word debuglink_crc,
                                  char **debuginfo_file_name)
{
    const ct_dw *dw = ct__dw_get(NULL);
    const char *servers = getenv("DEBUGINFOD_URLS");
    if (servers == NULL || *servers == '\0')
        return dw->dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
                                                debuglink_file, debuglink_crc,
                                                debuginfo_file_name);
    return dw->dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
                                            debuglink_file, debuglink_crc, debuginfo_file_name);
}

sym_file *ctr__sym_file_open(const char *path, const uint8_t *id, size_t id_len,
                             char **debuginfo_path, int offline, char *err, size_t err_len)
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
                                    .find_debuginfo = offline ? find_debuginfo_offline
                                                              : dw->dwfl_standard_find_debuginfo,
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
    if (!(f->index = ctr__sym_index_new(dw, f->mod))) {
        snprintf(err, err_len, "out of memory");
        ctr__sym_file_close(f);
        return NULL;
    }
    return f;
}

void ctr__sym_file_close(sym_file *f)
{
    if (!f)
        return;
    ctr__sym_index_free(f->index);
    if (f->dwfl)
        f->dw->dwfl_end(f->dwfl);
    free(f);
}

size_t ctr__sym_file_lookup(sym_file *f, uint64_t vaddr, ct_symbol_frame *frames,
                            const char **dirs, size_t cap, const char **symbol,
                            uint64_t *symbol_start)
{
    *symbol = ctr__sym_index_symbol(f->index, vaddr, symbol_start);
    if (cap == 0)
        return 0;
    const char *comp_dir;
    size_t n = ctr__sym_index_scopes(f->index, vaddr, frames, cap, &comp_dir);
    for (size_t i = 0; i < cap; i++)
        dirs[i] = comp_dir;
    if (n == 0) { /* no DWARF function here: the symbol alone */
        frames[0] = (ct_symbol_frame){*symbol, NULL, 0};
        n = *symbol ? 1 : 0;
    }
    if (n > 0 && !frames[n - 1].function) /* the outermost: the ELF symbol when DWARF has no name */
        frames[n - 1].function = *symbol;
    Dwfl_Line *row = f->dw->dwfl_module_getsrc(f->mod, vaddr);
    int line = 0;
    const char *file = row ? f->dw->dwfl_lineinfo(row, NULL, &line, NULL, NULL, NULL) : NULL;
    if (n > 0 && file) {
        frames[0].file = file;
        frames[0].line = line > 0 ? (unsigned)line : 0;
        dirs[0] = f->dw->dwfl_line_comp_dir(row);
    }
    return n;
}
