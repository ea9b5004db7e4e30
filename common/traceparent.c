/*
 * traceparent.c - W3C traceparent and tracestate, checked (traceparent.h).
 */
#include "common/traceparent.h"

#include <string.h> /* strlen */

static int lower_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* `n` bytes from 2n lowercase hex digits at `s`. @return 0, or -1 if one is
 * not; `nonzero` set when any byte is. */
static int hex_bytes(const char *s, uint8_t *out, unsigned n, int *nonzero)
{
    *nonzero = 0;
    for (unsigned i = 0; i < n; i++) {
        int hi = lower_hex(s[2 * i]), lo = lower_hex(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
        *nonzero |= out[i] != 0;
    }
    return 0;
}

int ct_traceparent_parse(const char *text, ct_traceparent *out, const char **why)
{
    uint8_t version;
    int nonzero;
    size_t len = strlen(text);
    memset(out, 0, sizeof *out);
    if (len < 2 || hex_bytes(text, &version, 1, &nonzero) != 0) {
        *why = "it does not begin with a version (two lowercase hex digits)";
        return -1;
    }
    if (version == 0xff) {
        *why = "version ff is invalid";
        return -1;
    }
    if (len < CT_TRACEPARENT_LEN || (version == 0 && len != CT_TRACEPARENT_LEN) ||
        (len > CT_TRACEPARENT_LEN && text[CT_TRACEPARENT_LEN] != '-')) {
        *why = "it is not VERSION-TRACEID-PARENTID-FLAGS (2, 32, 16 and 2 lowercase hex digits)";
        return -1;
    }
    if (text[2] != '-' || text[35] != '-' || text[52] != '-' ||
        hex_bytes(text + 3, out->trace_id, 16, &nonzero) != 0) {
        *why = "it is not VERSION-TRACEID-PARENTID-FLAGS (2, 32, 16 and 2 lowercase hex digits)";
        return -1;
    }
    if (!nonzero) {
        *why = "its trace id is all zeros";
        return -1;
    }
    if (hex_bytes(text + 36, out->parent_id, 8, &nonzero) != 0) {
        *why = "its parent id is not 16 lowercase hex digits";
        return -1;
    }
    if (!nonzero) {
        *why = "its parent id is all zeros";
        return -1;
    }
    if (hex_bytes(text + 53, &out->flags, 1, &nonzero) != 0) {
        *why = "its flags are not two lowercase hex digits";
        return -1;
    }
    return 0;
}

int ct_tracestate_check(const char *text, const char **why)
{
    size_t len = strlen(text);
    if (len > CT_TRACESTATE_MAX) {
        *why = "it is longer than 512 characters";
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e) {
            *why = "it holds a byte that is not printable ASCII";
            return -1;
        }
    }
    return 0;
}
