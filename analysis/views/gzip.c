/*
 * gzip.c - gzip member = header, DEFLATE stream, CRC-32 and length.
 *
 * The whole input is in memory, so the compressor is a plain loop over it:
 * hash chains on 3-byte prefixes find the longest earlier match within 32 KiB
 * (at most MAX_CHAIN candidates), with zlib's one-step lazy evaluation (a
 * match is put off by one byte when the next byte starts a longer one). The
 * output buffer is sized for the worst case up front, so coding never fails.
 */
#include "gzip.h"

#include <errno.h>  /* errno, ENOMEM, EIO */
#include <stdint.h> /* uint8_t, uint32_t, uint64_t, SIZE_MAX */
#include <stdlib.h> /* malloc, calloc, free */
#include <string.h> /* memcpy */

#define WINDOW 32768u     /* DEFLATE's largest distance */
#define HASH_BITS 15
#define MAX_CHAIN 128     /* candidates tried per position: zlib level 6 */
#define MIN_MATCH 3
#define MAX_MATCH 258
#define TOO_FAR 4096      /* a 3-byte match further away costs more than literals */
#define STORED_MAX 65535u /* bytes in one stored block */

/* ---- bit output ----------------------------------------------------------- */

/* DEFLATE packs bits from the least significant end of each byte. */
typedef struct bits {
    unsigned char *out; /* large enough for the worst case (see deflate_bound) */
    size_t pos;
    uint64_t acc;
    unsigned count; /* bits waiting in acc, < 8 between calls */
} bits;

static void put_bits(bits *b, uint32_t value, unsigned count) /* count <= 32 */
{
    b->acc |= (uint64_t)value << b->count;
    b->count += count;
    while (b->count >= 8) {
        b->out[b->pos++] = (unsigned char)b->acc;
        b->acc >>= 8;
        b->count -= 8;
    }
}

static void align_to_byte(bits *b)
{
    if (b->count)
        put_bits(b, 0, 8 - b->count);
}

/* Huffman codes are defined most significant bit first, so they go out
 * reversed into the LSB-first stream. */
static void put_code(bits *b, uint32_t code, unsigned length)
{
    uint32_t reversed = 0;
    for (unsigned i = 0; i < length; i++)
        reversed |= ((code >> i) & 1u) << (length - 1 - i);
    put_bits(b, reversed, length);
}

/* ---- fixed Huffman symbols (RFC 1951 3.2.6) ------------------------------- */

static const uint16_t length_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t distance_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t distance_extra[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
    7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_literal_length_symbol(bits *b, unsigned symbol) /* 0..287 */
{
    if (symbol < 144)
        put_code(b, 0x30 + symbol, 8);
    else if (symbol < 256)
        put_code(b, 0x190 + (symbol - 144), 9);
    else if (symbol < 280)
        put_code(b, symbol - 256, 7);
    else
        put_code(b, 0xC0 + (symbol - 280), 8);
}

/* The last table entry whose base is <= value: 258 is code 285, not 284
 * with 31 extra (which RFC 1951 does not define). */
static unsigned find_code(const uint16_t *base, unsigned entries, unsigned value)
{
    unsigned i = entries - 1;
    while (base[i] > value)
        i--;
    return i;
}

static void put_match(bits *b, unsigned length, unsigned distance)
{
    unsigned l = find_code(length_base, 29, length);
    put_literal_length_symbol(b, 257 + l);
    put_bits(b, length - length_base[l], length_extra[l]);
    unsigned d = find_code(distance_base, 30, distance);
    put_code(b, d, 5);
    put_bits(b, distance - distance_base[d], distance_extra[d]);
}

/* ---- LZ77 match finder ---------------------------------------------------- */

typedef struct matcher {
    const unsigned char *data;
    size_t len;
    uint32_t *head; /* by hash: last position with that hash + 1, 0 = none */
    uint32_t *prev; /* by position % WINDOW: the previous position + 1 in its chain */
} matcher;

typedef struct match {
    unsigned length; /* 0: none */
    unsigned distance;
} match;

static uint32_t hash3(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Positions are inserted in increasing order and each chain link points to a
 * smaller position, so a chain walk ends. A link read from a position within
 * the window is still its own: its slot is reused only WINDOW positions later. */
static void insert(matcher *m, size_t pos)
{
    if (pos + MIN_MATCH > m->len)
        return;
    uint32_t h = hash3(m->data + pos);
    m->prev[pos % WINDOW] = m->head[h];
    m->head[h] = (uint32_t)(pos + 1);
}

static match longest(const matcher *m, size_t pos)
{
    match best = {0, 0};
    size_t max = m->len - pos < MAX_MATCH ? m->len - pos : MAX_MATCH;
    if (max < MIN_MATCH)
        return best;
    const unsigned char *here = m->data + pos;
    size_t link = m->head[hash3(here)];
    for (unsigned chain = 0; link && chain < MAX_CHAIN; chain++) {
        size_t candidate = link - 1;
        size_t distance = pos - candidate;
        if (distance > WINDOW)
            break;
        const unsigned char *there = m->data + candidate;
        /* best.length < max, so both bytes are inside the input */
        if (there[best.length] == here[best.length]) {
            size_t n = 0;
            while (n < max && there[n] == here[n])
                n++;
            if (n > best.length && !(n == MIN_MATCH && distance > TOO_FAR)) {
                best.length = (unsigned)n;
                best.distance = (unsigned)distance;
                if (n == max)
                    break;
            }
        }
        link = m->prev[candidate % WINDOW];
    }
    if (best.length < MIN_MATCH)
        best.length = 0;
    return best;
}

/* One final block with the fixed codes. */
static int deflate_fixed(bits *b, const unsigned char *data, size_t len)
{
    matcher m = {data, len, calloc((size_t)1 << HASH_BITS, sizeof(uint32_t)),
                 calloc(WINDOW, sizeof(uint32_t))};
    if (!m.head || !m.prev) {
        free(m.head);
        free(m.prev);
        return -1;
    }
    put_bits(b, 1, 1); /* BFINAL */
    put_bits(b, 1, 2); /* BTYPE 01: fixed Huffman */

    /* `pending` is the match found at pos - 1, held back one byte to see
     * whether pos starts a longer one. */
    match pending = {0, 0};
    size_t pos = 0;
    while (pos < len) {
        match here = longest(&m, pos);
        insert(&m, pos);
        if (pending.length) {
            if (here.length > pending.length) {
                put_literal_length_symbol(b, data[pos - 1]);
                pending = here;
                pos++;
                continue;
            }
            put_match(b, pending.length, pending.distance);
            size_t end = pos - 1 + pending.length;
            for (pos++; pos < end; pos++)
                insert(&m, pos);
            pending.length = 0;
            continue;
        }
        if (here.length) {
            pending = here;
        } else {
            put_literal_length_symbol(b, data[pos]);
        }
        pos++;
    }
    /* No match is pending here: one found at p has 3 bytes, so p + 1 < len
     * and the loop came round to settle it. */
    put_literal_length_symbol(b, 256); /* end of block */
    align_to_byte(b);
    free(m.head);
    free(m.prev);
    return 0;
}

static size_t stored_blocks(size_t len)
{
    return len == 0 ? 1 : (len + STORED_MAX - 1) / STORED_MAX;
}

static void deflate_stored(bits *b, const unsigned char *data, size_t len)
{
    size_t blocks = stored_blocks(len);
    for (size_t i = 0; i < blocks; i++) {
        size_t n = len - i * STORED_MAX < STORED_MAX ? len - i * STORED_MAX : STORED_MAX;
        put_bits(b, i + 1 == blocks, 1); /* BFINAL */
        put_bits(b, 0, 2);               /* BTYPE 00: stored */
        align_to_byte(b);
        put_bits(b, (uint32_t)n, 16);
        put_bits(b, (uint32_t)n ^ 0xFFFFu, 16);
        memcpy(b->out + b->pos, data + i * STORED_MAX, n);
        b->pos += n;
    }
}

/* Bytes either coding can take. A literal costs at most 9 bits; a match of 3
 * bytes at most 7 + 5 + 10 bits (TOO_FAR keeps it within 4096), a longer one
 * at most 8 + 5 + 5 + 13: under 9 bits a byte either way. Add 10 bits of
 * block header and end code. A stored block costs 5 bytes. */
static size_t deflate_bound(size_t len)
{
    size_t fixed = len + len / 8 + 4;
    size_t stored = len + 5 * stored_blocks(len);
    return fixed > stored ? fixed : stored;
}

/* ---- gzip member ---------------------------------------------------------- */

static uint32_t crc32(const unsigned char *data, size_t len)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static void put_le32(bits *b, uint32_t v)
{
    put_bits(b, v & 0xFFFF, 16);
    put_bits(b, v >> 16, 16);
}

int ctv_gzip_write(FILE *f, const void *data, size_t len)
{
    static const unsigned char header[10] = {
        0x1f, 0x8b, 8 /* deflate */, 0 /* no flags */, 0, 0, 0, 0 /* mtime */,
        0 /* xfl */, 255 /* OS unknown */};
    const unsigned char *in = data;
    if (len > SIZE_MAX / 2) {
        errno = ENOMEM;
        return -1;
    }
    size_t capacity = sizeof header + deflate_bound(len) + 8;
    bits b = {malloc(capacity), 0, 0, 0};
    if (!b.out) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(b.out, header, sizeof header);
    b.pos = sizeof header;
    /* Positions are kept in 32 bits: larger inputs are stored. */
    if (len < UINT32_MAX && deflate_fixed(&b, in, len) != 0) {
        free(b.out);
        errno = ENOMEM;
        return -1;
    }
    if (len >= UINT32_MAX || b.pos - sizeof header > len + 5 * stored_blocks(len)) {
        b.pos = sizeof header; /* incompressible: start the stream over */
        deflate_stored(&b, in, len);
    }
    put_le32(&b, crc32(in, len));
    put_le32(&b, (uint32_t)len); /* ISIZE: the length modulo 2^32 */

    errno = 0;
    int ok = fwrite(b.out, 1, b.pos, f) == b.pos;
    free(b.out);
    if (!ok) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}
