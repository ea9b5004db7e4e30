/*
 * path_clean.h - source file paths as DWARF gives them ("/build/dir/../src/
 * a.c", "src//b.c") made into the paths people and tools look for: pprof's
 * -list opens the file named in the profile.
 */
#ifndef CT_COMMON_PATH_CLEAN_H
#define CT_COMMON_PATH_CLEAN_H

/*! ct_path_clean() : the file's realpath(3) when it exists; else the path
 *  cleaned as text, like Go's path.Clean: no "//", no "." part, and ".."
 *  taken off with the part before it ("/.." is "/", a relative path keeps
 *  the ".." it starts with). "" stays "". @return a malloc'd string, or
 *  NULL on ENOMEM. */
char *ct_path_clean(const char *path);

/*! ct_path_normalize() : the text half of ct_path_clean(), in place (the
 *  result is never longer). @return path. */
char *ct_path_normalize(char *path);

#endif /* CT_COMMON_PATH_CLEAN_H */
