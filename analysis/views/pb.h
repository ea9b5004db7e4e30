/*
 * pb.h - protocol buffers written by hand into a growing buffer: varints,
 * length-delimited fields and nested messages (profile.proto for pprof; any
 * schema with varint and bytes fields).
 *
 * The first allocation failure sets `failed` and later calls do nothing, so
 * an encoder checks once, at the end.
 */
#ifndef CTV_PB_H
#define CTV_PB_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

typedef struct pb {
    unsigned char *data; /* malloc'd; the caller frees it */
    size_t len, capacity;
    int failed;
} pb;

/*! pb_room() : make room for `more` bytes. @return 1, or 0 (failed). */
int pb_room(pb *b, size_t more);

/*! pb_varint() : a bare varint (in a packed field). */
void pb_varint(pb *b, uint64_t v);

/*! pb_uint() : a varint field; 0 is proto3's default and is left out.
 *  int64 fields go through here too, as their two's complement. */
void pb_uint(pb *b, unsigned field, uint64_t v);

/*! pb_bytes() : a length-delimited field (string, bytes). */
void pb_bytes(pb *b, unsigned field, const void *bytes, size_t len);

/*! pb_begin(), pb_end() : a nested message or packed field: pb_begin()
 *  writes the key and returns where the body starts; pb_end() slides the
 *  body up to put its length in front, once known. Meant for small bodies
 *  (one sample, one location): the slide copies the body. */
size_t pb_begin(pb *b, unsigned field);
void pb_end(pb *b, size_t start);

#endif /* CTV_PB_H */
