/*
 * pb.c - protocol buffers written by hand (pb.h).
 */
#include "pb.h"

#include <stdint.h> /* SIZE_MAX */
#include <stdlib.h> /* realloc */
#include <string.h> /* memcpy, memmove */

#include "common/utf8.h" /* ctv_utf8_valid_prefix, ctv_utf8_repair */

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_BYTES = 2 };

int pb_room(pb *b, size_t more)
{
    if (b->failed)
        return 0;
    if (more > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return 0;
    }
    size_t need = b->len + more;
    if (need <= b->capacity)
        return 1;
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < need)
        capacity *= 2;
    unsigned char *data = realloc(b->data, capacity);
    if (data == NULL) {
        b->failed = 1;
        return 0;
    }
    b->data = data;
    b->capacity = capacity;
    return 1;
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_varint(unsigned char *out, uint64_t v)
{
    while (v >= 0x80) {
        *out++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *out = (unsigned char)v;
}

void pb_varint(pb *b, uint64_t v)
{
    if (!pb_room(b, 10))
        return;
    put_varint(b->data + b->len, v);
    b->len += varint_size(v);
}

static void pb_key(pb *b, unsigned field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(pb *b, unsigned field, uint64_t v)
{
    if (v == 0)
        return;
    pb_key(b, field, WIRE_VARINT);
    pb_varint(b, v);
}

void pb_uint_set(pb *b, unsigned field, uint64_t v)
{
    pb_key(b, field, WIRE_VARINT);
    pb_varint(b, v);
}

void pb_fixed64(pb *b, unsigned field, uint64_t v)
{
    pb_key(b, field, WIRE_FIXED64);
    if (!pb_room(b, 8))
        return;
    for (int i = 0; i < 8; i++)
        b->data[b->len++] = (unsigned char)(v >> (8 * i));
}

void pb_bytes(pb *b, unsigned field, const void *bytes, size_t len)
{
    pb_key(b, field, WIRE_BYTES);
    pb_varint(b, len);
    if (!pb_room(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

size_t pb_begin(pb *b, unsigned field)
{
    pb_key(b, field, WIRE_BYTES);
    return b->len;
}

void pb_end(pb *b, size_t start)
{
    if (b->failed)
        return;
    size_t body = b->len - start, n = varint_size(body);
    if (!pb_room(b, n))
        return;
    memmove(b->data + start + n, b->data + start, body);
    put_varint(b->data + start, body);
    b->len += n;
}

void pb_utf8(pb *b, unsigned field, const void *bytes, size_t len)
{
    const unsigned char *s = bytes;
    if (ctv_utf8_valid_prefix(s, len) == len) { /* the usual case: as it is */
        pb_bytes(b, field, s, len);
        return;
    }
    enum { HEAD_MAX = 20 }; /* a key and a length: two varints */
    if (len > SIZE_MAX / 4 || !pb_room(b, HEAD_MAX + 3 * len)) {
        b->failed = 1;
        return;
    }
    /* Repaired past room for its head, then slid behind it: the length is
     * known only once repaired. */
    size_t at = b->len;
    size_t n = ctv_utf8_repair((char *)b->data + at + HEAD_MAX, s, len);
    pb_key(b, field, WIRE_BYTES);
    pb_varint(b, n);
    memmove(b->data + b->len, b->data + at + HEAD_MAX, n);
    b->len += n;
}
