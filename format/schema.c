/* schema.c - the event table as data (see schema.h). */
#include "format/schema.h"

#include <string.h> /* strlen, memcpy */

static const ct_event_spec specs[CT_EV__LIMIT] = {
#define CT__SPEC(name, code, timed, fields, names) [code] = {#name, fields, names, timed},
    CT_EVENT_MAP(CT__SPEC)
#undef CT__SPEC
};

static const ct_record_spec record_specs[16] = {
#define CT__RSPEC(name, code, fields, names) [code] = {#name, fields, names},
    CT_RECORD_MAP(CT__RSPEC)
#undef CT__RSPEC
};

const ct_record_spec *ct_record_spec_of(unsigned code)
{
    if (code >= 16 || record_specs[code].name == NULL)
        return NULL;
    return &record_specs[code];
}

const ct_event_spec *ct_event_spec_of(unsigned code)
{
    if (code >= CT_EV__LIMIT || specs[code].name == NULL)
        return NULL;
    return &specs[code];
}

size_t ct_event_size(const ct_event_spec *spec, const uint8_t *p, const uint8_t *end)
{
    const uint8_t *q = p + 1;
    uint64_t v;
    unsigned n;
    if (spec->timed) {
        if (!(n = ct_get_uvarint(q, end, &v)))
            return 0;
        q += n;
    }
    for (const char *f = spec->fields; *f; f++) {
        if (!(n = ct_get_uvarint(q, end, &v)))
            return 0;
        q += n;
        if (*f == 's') {
            if (v > (uint64_t)(end - q))
                return 0;
            q += v;
        }
    }
    return (size_t)(q - p);
}

size_t ct_event_parse(const uint8_t *p, const uint8_t *end, ct_event_fields *out)
{
    if (p >= end)
        return 0;
    const ct_event_spec *spec = ct_event_spec_of(*p);
    if (!spec || strlen(spec->fields) > CT_EVENT_FIELDS_MAX)
        return 0;
    out->code = *p;
    out->spec = spec;
    out->delta = 0;
    out->delta_len = 0;
    const uint8_t *q = p + 1;
    unsigned n;
    if (spec->timed) {
        if (!(n = ct_get_uvarint(q, end, &out->delta)))
            return 0;
        out->delta_len = n;
        q += n;
    }
    for (unsigned i = 0; spec->fields[i]; i++) {
        if (!(n = ct_get_uvarint(q, end, &out->v[i])))
            return 0;
        q += n;
        out->s[i] = NULL;
        if (spec->fields[i] == 's') {
            if (out->v[i] > (uint64_t)(end - q))
                return 0;
            out->s[i] = q;
            q += out->v[i];
        }
    }
    return (size_t)(q - p);
}

size_t ct_schema_encode(uint8_t *buf, size_t cap)
{
    uint8_t *p = buf, *end = buf + cap;
    unsigned count = 0;
    for (unsigned c = 0; c < CT_EV__LIMIT; c++)
        count += specs[c].name != NULL;
    if (end - p < CT_UVARINT_MAX)
        return 0;
    p = ct_put_uvarint(p, count);
    for (unsigned c = 0; c < CT_EV__LIMIT; c++) {
        const ct_event_spec *s = &specs[c];
        if (!s->name)
            continue;
        size_t nl = strlen(s->name), fl = strlen(s->fields);
        if ((size_t)(end - p) < 4 * CT_UVARINT_MAX + nl + fl)
            return 0;
        p = ct_put_uvarint(p, c);
        p = ct_put_uvarint(p, s->timed);
        p = ct_put_uvarint(p, nl);
        memcpy(p, s->name, nl);
        p += nl;
        p = ct_put_uvarint(p, fl);
        memcpy(p, s->fields, fl);
        p += fl;
    }
    return (size_t)(p - buf);
}
