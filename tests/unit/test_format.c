/* SPDX-License-Identifier: MIT */
/* Encoding primitive tests: varints, strings, records, file header and chunk framing (format.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "format.h"

#include <string.h>
#include <zlib.h>

static void test_varint_round_trip(void **state)
{
    (void)state;
    static const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX,
                                    (uint64_t)1 << 56, INT64_MAX, (uint64_t)INT64_MAX + 1,
                                    UINT64_MAX - 1, UINT64_MAX};
    static const size_t lens[] = {1, 1, 1, 2, 2, 2, 3, 5, 9, 9, 10, 10, 10};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct fmt_buf b;
        fmt_buf_init(&b);
        fmt_put_varint(&b, vals[i]);
        assert_int_equal(b.len, lens[i]);
        struct fmt_cursor c;
        fmt_cursor_init(&c, b.data, b.len);
        assert_true(fmt_get_varint(&c) == vals[i]);
        assert_false(c.error);
        assert_int_equal(fmt_cursor_left(&c), 0);
        /* Any shorter prefix is an error, never a wrong value read as good. */
        for (size_t cut = 0; cut < b.len; cut++) {
            fmt_cursor_init(&c, b.data, cut);
            (void)fmt_get_varint(&c);
            assert_true(c.error);
        }
        fmt_buf_free(&b);
    }
}

static void test_svarint(void **state)
{
    (void)state;
    static const int64_t vals[] = {0, -1, 1, -64, 63, -65, 64, INT32_MIN, INT32_MAX, INT64_MIN,
                                   INT64_MAX, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct fmt_buf b;
        fmt_buf_init(&b);
        fmt_put_svarint(&b, vals[i]);
        struct fmt_cursor c;
        fmt_cursor_init(&c, b.data, b.len);
        assert_true(fmt_get_svarint(&c) == vals[i]);
        assert_false(c.error);
        fmt_buf_free(&b);
    }
    /* Zigzag keeps small magnitudes small: -1 -> 1, 1 -> 2, -64 -> 127 (one byte). */
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_svarint(&b, -1);
    fmt_put_svarint(&b, 1);
    fmt_put_svarint(&b, -64);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.data[0], 1);
    assert_int_equal(b.data[1], 2);
    assert_int_equal(b.data[2], 127);
    fmt_buf_free(&b);
}

static void test_overlong_varint(void **state)
{
    (void)state;
    uint8_t eleven[11];
    memset(eleven, 0x80, sizeof(eleven));
    eleven[10] = 0;
    struct fmt_cursor c;
    fmt_cursor_init(&c, eleven, sizeof(eleven));
    (void)fmt_get_varint(&c);
    assert_true(c.error);
    /* The error is sticky: later reads fail too. */
    uint8_t ok[2] = {0xff, 0x01};
    fmt_cursor_init(&c, ok, 1);
    (void)fmt_get_varint(&c);
    assert_true(c.error);
    c.p = ok + 1;
    c.end = ok + 2;
    (void)fmt_get_varint(&c);
    assert_true(c.error);
}

static void test_blob(void **state)
{
    (void)state;
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_string(&b, "héllo");
    fmt_put_string(&b, NULL);
    fmt_put_blob(&b, "\0\1\2", 3);
    struct fmt_cursor c;
    fmt_cursor_init(&c, b.data, b.len);
    size_t n;
    const uint8_t *p = fmt_get_blob(&c, &n);
    assert_int_equal(n, strlen("héllo"));
    assert_memory_equal(p, "héllo", n);
    p = fmt_get_blob(&c, &n);
    assert_non_null(p);
    assert_int_equal(n, 0);
    p = fmt_get_blob(&c, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "\0\1\2", 3);
    assert_false(c.error);
    /* A length past the end of the buffer. */
    fmt_cursor_init(&c, b.data, b.len - 1);
    (void)fmt_get_blob(&c, &n);
    (void)fmt_get_blob(&c, &n);
    assert_null(fmt_get_blob(&c, &n));
    assert_true(c.error);
    assert_int_equal(n, 0);
    /* A length near 2^64 must not wrap the pointer arithmetic. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, UINT64_MAX);
    fmt_put_bytes(&b, "abc", 3);
    fmt_cursor_init(&c, b.data, b.len);
    assert_null(fmt_get_blob(&c, &n));
    assert_true(c.error);
    fmt_buf_free(&b);
}

static void test_record_and_header(void **state)
{
    (void)state;
    struct fmt_buf body, out;
    fmt_buf_init(&body);
    fmt_buf_init(&out);
    for (int i = 0; i < 200; i++)
        fmt_put_u8(&body, (uint8_t)i);
    fmt_put_record(&out, 300, &body);
    struct fmt_cursor c;
    fmt_cursor_init(&c, out.data, out.len);
    assert_int_equal(fmt_get_varint(&c), 300);
    size_t n;
    const uint8_t *p = fmt_get_blob(&c, &n);
    assert_int_equal(n, 200);
    assert_memory_equal(p, body.data, 200);
    assert_int_equal(fmt_cursor_left(&c), 0);

    uint8_t h[FMT_FILE_HEADER_LEN];
    fmt_file_header(h);
    static const uint8_t want[FMT_FILE_HEADER_LEN] = {0x89, 'P', 'R', 'O', 'F', '\r', '\n', 0x1a,
                                                      1,    0,   0,   0,   0,   0,    0,    0};
    assert_memory_equal(h, want, sizeof(want));
    fmt_buf_free(&body);
    fmt_buf_free(&out);
}

static void test_chunk_frame(void **state)
{
    (void)state;
    uint8_t payload[5000];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 / 13);
    struct fmt_buf out;
    fmt_buf_init(&out);
    fmt_put_bytes(&out, "prefix", 6); /* a chunk is appended, not written at 0 */
    assert_int_equal(fmt_make_chunk(&out, payload, sizeof(payload), 6), 0);
    const uint8_t *f = out.data + 6;
    assert_int_equal(fmt_get_u32le(f), FMT_CHUNK_MAGIC);
    assert_int_equal(fmt_get_u32le(f + 4), sizeof(payload));
    uint32_t stored = fmt_get_u32le(f + 8);
    assert_int_equal(out.len, 6 + FMT_CHUNK_HEADER_LEN + stored);
    assert_int_equal(fmt_get_u32le(f + 12), fmt_crc32(f + 20, stored));
    assert_int_equal(fmt_get_u32le(f + 16), fmt_crc32(f, 16));
    assert_int_equal(fmt_crc32(f, 16), (uint32_t)crc32(0, f, 16));
    uint8_t back[5000];
    uLongf len = sizeof(back);
    assert_int_equal(uncompress(back, &len, f + 20, stored), Z_OK);
    assert_int_equal(len, sizeof(payload));
    assert_memory_equal(back, payload, sizeof(payload));
    /* An empty payload is a valid chunk too. */
    fmt_buf_reset(&out);
    assert_int_equal(fmt_make_chunk(&out, NULL, 0, 6), 0);
    assert_int_equal(fmt_get_u32le(out.data + 4), 0);
    /* The raw limit is enforced. */
    assert_true(fmt_make_chunk(&out, payload, (size_t)FMT_MAX_CHUNK_RAW + 1, 6) < 0);
    fmt_buf_free(&out);
    assert_int_equal(fmt_get_u32le((const uint8_t *)"\x01\x02\x03\x04"), 0x04030201u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_round_trip), cmocka_unit_test(test_svarint),
        cmocka_unit_test(test_overlong_varint),   cmocka_unit_test(test_blob),
        cmocka_unit_test(test_record_and_header), cmocka_unit_test(test_chunk_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
