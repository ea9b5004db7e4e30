/* errors.c - ct_strerror() from the one error table in ctrace.h. */
#include <ctrace.h>

const char *ct_strerror(int code)
{
    switch (code) {
    case CT_OK:
        return "success";
#define CT__ERR_TEXT(name, code, text)                                          \
    case code:                                                                  \
        return text;
        CT_ERROR_MAP(CT__ERR_TEXT)
#undef CT__ERR_TEXT
    }
    return "unknown error";
}
