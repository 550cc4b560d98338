/* SPDX-License-Identifier: MIT */
/* Encoding primitives of the profile format: varints, strings, records, zlib chunks. */
#include "format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void fmt_buf_init(struct fmt_buf *b) { memset(b, 0, sizeof(*b)); }

void fmt_buf_free(struct fmt_buf *b)
{
    free(b->data);
    fmt_buf_init(b);
}

void fmt_buf_reset(struct fmt_buf *b)
{
    b->len = 0;
    b->failed = 0;
}

static int buf_reserve(struct fmt_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void fmt_put_bytes(struct fmt_buf *b, const void *p, size_t n)
{
    if (n == 0 || buf_reserve(b, n) < 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void fmt_put_u8(struct fmt_buf *b, uint8_t v) { fmt_put_bytes(b, &v, 1); }

void fmt_put_u32le(struct fmt_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fmt_put_bytes(b, x, 4);
}

void fmt_put_varint(struct fmt_buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    while (v >= 0x80) {
        x[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    x[n++] = (uint8_t)v;
    fmt_put_bytes(b, x, n);
}

void fmt_put_svarint(struct fmt_buf *b, int64_t v)
{
    fmt_put_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void fmt_put_blob(struct fmt_buf *b, const void *p, size_t n)
{
    fmt_put_varint(b, n);
    fmt_put_bytes(b, p, n);
}

void fmt_put_string(struct fmt_buf *b, const char *s)
{
    fmt_put_blob(b, s ? s : "", s ? strlen(s) : 0);
}

void fmt_put_record(struct fmt_buf *out, uint32_t type, const struct fmt_buf *body)
{
    fmt_put_varint(out, type);
    fmt_put_varint(out, body->len);
    fmt_put_bytes(out, body->data, body->len);
    if (body->failed)
        out->failed = 1;
}

void fmt_file_header(uint8_t out[FMT_FILE_HEADER_LEN])
{
    memcpy(out, FMT_MAGIC, FMT_MAGIC_LEN);
    uint32_t words[2] = {FMT_VERSION, 0};
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 4; i++)
            out[FMT_MAGIC_LEN + 4 * w + i] = (uint8_t)(words[w] >> (8 * i));
}

int fmt_make_chunk(struct fmt_buf *out, const uint8_t *payload, size_t len, int level)
{
    if (len > FMT_MAX_CHUNK_RAW)
        return -EINVAL;
    uLongf stored = compressBound((uLong)len);
    size_t frame_at = out->len;
    if (buf_reserve(out, FMT_CHUNK_HEADER_LEN + stored) < 0)
        return -ENOMEM;
    uint8_t *dst = out->data + frame_at + FMT_CHUNK_HEADER_LEN;
    if (compress2(dst, &stored, payload, (uLong)len, level) != Z_OK)
        return -ENOMEM;
    /* The frame header goes in front of the compressed bytes; the space is already reserved. */
    size_t hdr = frame_at;
    fmt_put_u32le(out, FMT_CHUNK_MAGIC);
    fmt_put_u32le(out, (uint32_t)len);
    fmt_put_u32le(out, (uint32_t)stored);
    fmt_put_u32le(out, fmt_crc32(dst, stored));
    fmt_put_u32le(out, fmt_crc32(out->data + hdr, 16));
    out->len += stored;
    return 0;
}

void fmt_cursor_init(struct fmt_cursor *c, const void *p, size_t n)
{
    c->p = p;
    c->end = c->p + n;
    c->error = 0;
}

size_t fmt_cursor_left(const struct fmt_cursor *c) { return (size_t)(c->end - c->p); }

uint64_t fmt_get_varint(struct fmt_cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) {
            c->error = 1;
            return 0;
        }
        uint8_t byte = *c->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return v;
    }
    c->error = 1; /* more than 10 bytes: not a varint we wrote */
    return 0;
}

int64_t fmt_get_svarint(struct fmt_cursor *c)
{
    uint64_t u = fmt_get_varint(c);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

const uint8_t *fmt_get_blob(struct fmt_cursor *c, size_t *len)
{
    uint64_t n = fmt_get_varint(c);
    if (c->error || n > fmt_cursor_left(c)) {
        c->error = 1;
        *len = 0;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    *len = (size_t)n;
    return p;
}

uint32_t fmt_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t fmt_crc32(const void *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}
