/*
 * pb.h - protocol buffers written by hand into a growing buffer: varints,
 * fixed64, length-delimited fields and nested messages (profile.proto for
 * pprof, perfetto_trace.proto for the Perfetto export).
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

/*! pb_uint_set() : a varint field written even when 0: a proto2 `optional`
 *  whose presence means something (a timestamp of 0, a first id of 0). */
void pb_uint_set(pb *b, unsigned field, uint64_t v);

/*! pb_fixed64() : a fixed64 field (8 bytes, little-endian), written even
 *  when 0; repeated fixed64 written one by one (unpacked). */
void pb_fixed64(pb *b, unsigned field, uint64_t v);

/*! pb_bytes() : a length-delimited field (string, bytes). */
void pb_bytes(pb *b, unsigned field, const void *bytes, size_t len);

/*! pb_utf8() : a string field from untrusted bytes: what is not valid
 *  UTF-8 becomes U+FFFD, since decoders may reject invalid `string`s. */
void pb_utf8(pb *b, unsigned field, const void *bytes, size_t len);

/*! pb_begin(), pb_end() : a nested message or packed field: pb_begin()
 *  writes the key and returns where the body starts; pb_end() slides the
 *  body up to put its length in front, once known. Meant for small bodies
 *  (one sample, one location): the slide copies the body. */
size_t pb_begin(pb *b, unsigned field);
void pb_end(pb *b, size_t start);

#endif /* CTV_PB_H */
