/*
 * pb.c - protocol buffers written by hand (pb.h).
 */
#include "pb.h"

#include <stdint.h> /* SIZE_MAX */
#include <stdlib.h> /* realloc */
#include <string.h> /* memcpy, memmove */

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

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
