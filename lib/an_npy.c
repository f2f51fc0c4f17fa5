/* an_npy.c -- arrays to files: .npy (numpy format 1.0), .npz (a zip archive
   of .npy members, deflated with zlib; ZIP64 records when sizes need them),
   and CSV.  Every file is written beside its path and renamed over it when
   complete, so readers never see half a file.

   Formats (facts from the numpy NEP 1 and PKWARE APPNOTE):
   .npy: "\x93NUMPY", version 1 0, a little-endian uint16 header length, a
   Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }
   padded with spaces and ended by '\n' so the data starts at a multiple of 64.
   .zip: per member a local header (signature 0x04034b50), the data, then a
   central directory of one record per member (0x02014b50) and the end record
   (0x06054b50); ZIP64 adds an extra field (id 1) with 64-bit sizes and
   offsets, an end record (0x06064b50) and its locator (0x07064b50). */
#include <errno.h>
#include <sys/stat.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "an_internal.h"

#define NPY_MAX_DIMS 8
#define U32_MAX 0xffffffffu
#define CHUNK (1u << 16)

/* ---- temporary files ----------------------------------------------------- */

int fr_tmpfile_open(struct fr_tmpfile *t, const char *path)
{
    memset(t, 0, sizeof *t);
    size_t len = strlen(path);
    t->path = malloc(len + 1);
    t->tmp = malloc(len + 8);
    if (!t->path || !t->tmp) {
        free(t->path);
        free(t->tmp);
        return fr_oom("file name", 2 * len + 9);
    }
    memcpy(t->path, path, len + 1);
    memcpy(t->tmp, path, len);
    memcpy(t->tmp + len, ".XXXXXX", 8);
    int fd = mkstemp(t->tmp);
    /* mkstemp makes the file private; these are ordinary documents */
    if (fd >= 0 && (fchmod(fd, 0644) != 0 || !(t->f = fdopen(fd, "wb"))))
        close(fd);
    if (!t->f) {
        int err = errno;
        if (fd >= 0)
            unlink(t->tmp);
        free(t->path);
        free(t->tmp);
        t->path = t->tmp = NULL;
        return fr_error(FOLKRNN_E_IO, "%s: cannot create a file beside it: %s", path,
                        strerror(err));
    }
    return FOLKRNN_OK;
}

int fr_tmpfile_commit(struct fr_tmpfile *t, int status)
{
    if (!t->f)
        return status;
    int failed = ferror(t->f);
    failed |= fclose(t->f) != 0;
    t->f = NULL;
    if (!status && failed)
        status = fr_error(FOLKRNN_E_IO, "%s: write failed: %s", t->path, strerror(errno));
    if (!status && rename(t->tmp, t->path) != 0)
        status = fr_error(FOLKRNN_E_IO, "%s: cannot rename %s over it: %s", t->path, t->tmp,
                          strerror(errno));
    if (status)
        unlink(t->tmp);
    free(t->path);
    free(t->tmp);
    t->path = t->tmp = NULL;
    return status;
}

/* ---- byte sinks: a file, optionally through raw deflate ------------------ */

struct sink {
    FILE *f;
    z_stream *z;        /* NULL: bytes stored as they come */
    unsigned char *out; /* [CHUNK] deflate output */
    uint32_t crc;       /* CRC-32 of the bytes put in */
    uint64_t in, out_bytes;
};

static int sink_put(struct sink *s, const void *p, size_t n, int finish)
{
    for (size_t done = 0; done < n;) { /* crc32 takes uInt lengths */
        uInt part = n - done > CHUNK ? CHUNK : (uInt)(n - done);
        s->crc = (uint32_t)crc32(s->crc, (const Bytef *)p + done, part);
        done += part;
    }
    s->in += n;
    if (!s->z) {
        s->out_bytes += n;
        return n && fwrite(p, 1, n, s->f) != n ? FOLKRNN_E_IO : FOLKRNN_OK;
    }
    const unsigned char *at = p;
    do {
        size_t part = n > CHUNK ? CHUNK : n;
        s->z->next_in = (Bytef *)at;
        s->z->avail_in = (uInt)part;
        at += part;
        n -= part;
        int flush = finish && n == 0 ? Z_FINISH : Z_NO_FLUSH, zrc;
        do {
            s->z->next_out = s->out;
            s->z->avail_out = CHUNK;
            zrc = deflate(s->z, flush);
            size_t have = CHUNK - s->z->avail_out;
            if (zrc == Z_STREAM_ERROR || (have && fwrite(s->out, 1, have, s->f) != have))
                return FOLKRNN_E_IO;
            s->out_bytes += have;
        } while (s->z->avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
    } while (n > 0);
    return FOLKRNN_OK;
}

/* ---- .npy encoding ------------------------------------------------------- */

/* What an array member holds: raw contiguous data or a matrix to convert. */
struct array_src {
    const void *data;        /* contiguous elements of dtype, or NULL */
    const folkrnn_matrix *a; /* or a matrix converted to dtype */
    int dtype;
    int ndim;
    long shape[NPY_MAX_DIMS];
};

static size_t dtype_size(int dtype)
{
    return dtype == FOLKRNN_DTYPE_F64 ? 8 : 4;
}

static uint64_t src_count(const struct array_src *src)
{
    uint64_t count = 1;
    for (int d = 0; d < src->ndim; d++)
        count *= (uint64_t)src->shape[d];
    return count;
}

static int check_array(const void *data, int dtype, int ndim, const long *shape, const char *fn)
{
    if (dtype < FOLKRNN_DTYPE_F32 || dtype > FOLKRNN_DTYPE_I32)
        return fr_error(FOLKRNN_E_INVALID, "%s: dtype %d is not a FOLKRNN_DTYPE_*", fn, dtype);
    if (ndim < 0 || ndim > NPY_MAX_DIMS || (ndim > 0 && !shape))
        return fr_error(FOLKRNN_E_INVALID, "%s: ndim %d (0..%d, shape not NULL)", fn, ndim,
                        NPY_MAX_DIMS);
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return fr_error(FOLKRNN_E_INVALID, "%s: shape[%d] = %ld", fn, d, shape[d]);
        if (shape[d] && count > (UINT64_MAX >> 4) / (uint64_t)shape[d])
            return fr_error(FOLKRNN_E_INVALID, "%s: shape too large", fn);
        count *= (uint64_t)shape[d];
    }
    if (!data && count)
        return fr_error(FOLKRNN_E_INVALID, "%s: NULL data", fn);
    return FOLKRNN_OK;
}

/* The .npy header, padded to a multiple of 64 bytes: out[>= 256]. */
static size_t npy_header(const struct array_src *src, unsigned char *out)
{
    static const char *descr[] = {"<f4", "<f8", "<i4"};
    char dict[240];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                       descr[src->dtype]);
    for (int d = 0; d < src->ndim; d++)
        len += snprintf(dict + len, sizeof dict - len, d ? ", %ld" : "%ld", src->shape[d]);
    len += snprintf(dict + len, sizeof dict - len, src->ndim == 1 ? ",), }" : "), }");
    size_t total = (10 + (size_t)len + 1 + 63) / 64 * 64; /* magic..len, dict, '\n' */
    size_t hlen = total - 10;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)(hlen & 0xff);
    out[9] = (unsigned char)(hlen >> 8);
    memcpy(out + 10, dict, (size_t)len);
    memset(out + 10 + len, ' ', hlen - (size_t)len - 1);
    out[total - 1] = '\n';
    return total;
}

static int little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* count elements of dtype at p, as little-endian bytes. */
static int put_elements(struct sink *s, const void *p, uint64_t count, int dtype, int finish)
{
    size_t size = dtype_size(dtype);
    if (little_endian() || count == 0)
        return sink_put(s, p, (size_t)(count * size), finish);
    unsigned char buf[CHUNK];
    const unsigned char *at = p;
    while (count > 0) {
        size_t part = count > CHUNK / size ? CHUNK / size : (size_t)count;
        for (size_t i = 0; i < part * size; i++) /* reverse each element's bytes */
            buf[i] = at[i - i % size + size - 1 - i % size];
        count -= part;
        at += part * size;
        int rc = sink_put(s, buf, part * size, finish && count == 0);
        if (rc)
            return rc;
    }
    return FOLKRNN_OK;
}

/* One matrix row converted to dtype into row[cols * 8]. */
static void convert_row(const folkrnn_matrix *a, int r, int dtype, void *row)
{
    for (int c = 0; c < a->cols; c++) {
        double v = FR_AT(a, r, c);
        if (dtype == FOLKRNN_DTYPE_F64)
            ((double *)row)[c] = v;
        else if (dtype == FOLKRNN_DTYPE_F32)
            ((float *)row)[c] = (float)v;
        else
            ((int32_t *)row)[c] = (int32_t)lround(v);
    }
}

/* FOLKRNN_E_NUMERIC when a matrix cannot become int32. */
static int check_int32(const folkrnn_matrix *a)
{
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++) {
            double v = FR_AT(a, r, c);
            if (!(v > -2147483648.5 && v < 2147483647.5))
                return fr_error(FOLKRNN_E_NUMERIC, "a[%d, %d] = %g does not fit int32", r, c, v);
        }
    return FOLKRNN_OK;
}

/* Header and elements of src into the sink (finishing it). */
static int put_npy(struct sink *s, const struct array_src *src)
{
    unsigned char header[256];
    size_t hlen = npy_header(src, header);
    int rc = sink_put(s, header, hlen, 0);
    if (rc || !src->a)
        return rc ? rc : put_elements(s, src->data, src_count(src), src->dtype, 1);
    void *row = malloc((size_t)src->a->cols * 8);
    if (!row)
        return fr_oom("npy row", (size_t)src->a->cols * 8);
    for (int r = 0; !rc && r < src->a->rows; r++) {
        convert_row(src->a, r, src->dtype, row);
        rc = put_elements(s, row, (uint64_t)src->a->cols, src->dtype, r == src->a->rows - 1);
    }
    free(row);
    return rc;
}

/* src describing matrix a, after checking it. */
static int matrix_src(const folkrnn_matrix *a, int dtype, struct array_src *src, const char *fn)
{
    int rc = fr_mat_check(a, fn);
    if (rc || (rc = check_array(a->data, dtype, 0, NULL, fn)))
        return rc;
    if (dtype == FOLKRNN_DTYPE_I32 && (rc = check_int32(a)))
        return rc;
    memset(src, 0, sizeof *src);
    src->a = a;
    src->dtype = dtype;
    src->ndim = 2;
    src->shape[0] = a->rows;
    src->shape[1] = a->cols;
    return FOLKRNN_OK;
}

static int raw_src(const void *data, int dtype, int ndim, const long *shape, struct array_src *src,
                   const char *fn)
{
    int rc = check_array(data, dtype, ndim, shape, fn);
    if (rc)
        return rc;
    memset(src, 0, sizeof *src);
    src->data = data;
    src->dtype = dtype;
    src->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        src->shape[d] = shape[d];
    return FOLKRNN_OK;
}

static int save_npy(const char *path, const struct array_src *src)
{
    struct fr_tmpfile t;
    if (!path)
        return fr_error(FOLKRNN_E_INVALID, "npy: NULL path");
    int rc = fr_tmpfile_open(&t, path);
    if (rc)
        return rc;
    struct sink s = {.f = t.f};
    rc = put_npy(&s, src);
    if (rc == FOLKRNN_E_IO)
        rc = fr_error(rc, "%s: write failed: %s", path, strerror(errno));
    return fr_tmpfile_commit(&t, rc);
}

int folkrnn_npy_save(const char *path, const void *data, int dtype, int ndim, const long *shape)
{
    struct array_src src;
    int rc = raw_src(data, dtype, ndim, shape, &src, "folkrnn_npy_save");
    return rc ? rc : save_npy(path, &src);
}

int folkrnn_npy_save_matrix(const char *path, const folkrnn_matrix *a, int dtype)
{
    struct array_src src;
    int rc = matrix_src(a, dtype, &src, "folkrnn_npy_save_matrix");
    return rc ? rc : save_npy(path, &src);
}

/* ---- .npz: a zip archive ------------------------------------------------- */

struct member {
    char *name; /* "name.npy", owned */
    uint32_t crc;
    uint64_t csize;  /* bytes stored */
    uint64_t usize;  /* bytes of the .npy */
    uint64_t offset; /* of the local header */
    int zip64;       /* sizes or offset need 64 bits (or forced) */
};

struct folkrnn_npz {
    struct fr_tmpfile file;
    int flags;  /* FOLKRNN_NPZ_* */
    int status; /* first failure; once set the archive is dropped at close */
    struct member *members;
    int nmembers, cap;
};

/* Little-endian fields into a byte buffer. */
static unsigned char *le16(unsigned char *p, unsigned v)
{
    p[0] = v & 0xff, p[1] = (v >> 8) & 0xff;
    return p + 2;
}
static unsigned char *le32(unsigned char *p, uint32_t v)
{
    return le16(le16(p, v & 0xffff), v >> 16);
}
static unsigned char *le64(unsigned char *p, uint64_t v)
{
    return le32(le32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

#define DOS_DATE 0x0021 /* 1980-01-01: fixed, so equal arrays give equal files */
#define DOS_TIME 0x0000

/* The local header of m (sizes filled when known); returns its length. */
static size_t local_header(const struct member *m, int deflated, unsigned char *buf)
{
    size_t nlen = strlen(m->name);
    unsigned char *p = le32(buf, 0x04034b50);
    p = le16(p, m->zip64 ? 45 : 20);
    p = le16(p, 0);
    p = le16(p, deflated ? 8 : 0);
    p = le16(p, DOS_TIME);
    p = le16(p, DOS_DATE);
    p = le32(p, m->crc);
    p = le32(p, m->zip64 ? U32_MAX : (uint32_t)m->csize);
    p = le32(p, m->zip64 ? U32_MAX : (uint32_t)m->usize);
    p = le16(p, (unsigned)nlen);
    p = le16(p, m->zip64 ? 20 : 0);
    memcpy(p, m->name, nlen);
    p += nlen;
    if (m->zip64) {
        p = le16(le16(p, 1), 16);
        p = le64(le64(p, m->usize), m->csize);
    }
    return (size_t)(p - buf);
}

static int npz_fail(folkrnn_npz *z, int rc)
{
    if (!z->status)
        z->status = rc;
    return rc;
}

static int npz_check_name(const folkrnn_npz *z, const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len < 1 || len > 200 || name[0] == '/')
        return fr_error(FOLKRNN_E_INVALID,
                        "folkrnn_npz_add: name \"%s\" (1..200 bytes, no leading '/')",
                        name ? name : "(null)");
    for (int i = 0; i < z->nmembers; i++)
        if (strncmp(z->members[i].name, name, len) == 0 &&
            strcmp(z->members[i].name + len, ".npy") == 0)
            return fr_error(FOLKRNN_E_INVALID, "folkrnn_npz_add: \"%s\" is already in the file",
                            name);
    return FOLKRNN_OK;
}

/* A new member entry named name.npy at the end of the file. */
static int npz_new_member(folkrnn_npz *z, const char *name, uint64_t usize, struct member **out)
{
    if (z->nmembers == z->cap) {
        int cap = z->cap ? 2 * z->cap : 8;
        struct member *grown = realloc(z->members, (size_t)cap * sizeof *grown);
        if (!grown)
            return fr_oom("npz directory", (size_t)cap * sizeof *grown);
        z->members = grown;
        z->cap = cap;
    }
    struct member *m = &z->members[z->nmembers];
    memset(m, 0, sizeof *m);
    size_t len = strlen(name);
    if (!(m->name = malloc(len + 5)))
        return fr_oom("npz member name", len + 5);
    memcpy(m->name, name, len);
    memcpy(m->name + len, ".npy", 5);
    off_t at = ftello(z->file.f);
    if (at < 0)
        return fr_error(FOLKRNN_E_IO, "%s: ftello: %s", z->file.path, strerror(errno));
    m->offset = (uint64_t)at;
    m->usize = usize;
    /* the worst deflate output decides whether the local header needs ZIP64 */
    uint64_t worst = usize + usize / 1000 + 64 * (usize / 16384 + 1) + 64;
    m->zip64 = (z->flags & FOLKRNN_NPZ_ZIP64) || worst >= U32_MAX;
    z->nmembers++;
    *out = m;
    return FOLKRNN_OK;
}

/* Write one member: local header, data, then the header again with the CRC
   and sizes now known. */
static int npz_put(folkrnn_npz *z, const char *name, const struct array_src *src)
{
    unsigned char header[256], local[300];
    uint64_t usize = npy_header(src, header) + src_count(src) * dtype_size(src->dtype);
    struct member *m = NULL;
    int rc = npz_new_member(z, name, usize, &m);
    if (rc)
        return rc;
    int deflated = !(z->flags & FOLKRNN_NPZ_STORE);
    size_t hlen = local_header(m, deflated, local);
    if (fwrite(local, 1, hlen, z->file.f) != hlen)
        return fr_error(FOLKRNN_E_IO, "%s: write failed", z->file.path);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    unsigned char *out = deflated ? malloc(CHUNK) : NULL;
    if (deflated &&
        (!out || deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)) {
        free(out);
        return fr_oom("deflate", CHUNK);
    }
    struct sink s = {.f = z->file.f, .z = deflated ? &zs : NULL, .out = out};
    rc = put_npy(&s, src);
    if (deflated)
        deflateEnd(&zs);
    free(out);
    if (rc)
        return rc == FOLKRNN_E_IO ? fr_error(rc, "%s: write failed", z->file.path) : rc;
    m->crc = s.crc;
    m->csize = s.out_bytes;
    off_t end = ftello(z->file.f);
    if (end < 0 || fseeko(z->file.f, (off_t)m->offset, SEEK_SET) != 0 ||
        fwrite(local, 1, local_header(m, deflated, local), z->file.f) != hlen ||
        fseeko(z->file.f, end, SEEK_SET) != 0)
        return fr_error(FOLKRNN_E_IO, "%s: cannot complete member %s", z->file.path, m->name);
    return FOLKRNN_OK;
}

int folkrnn_npz_open(const char *path, int flags, folkrnn_npz **out)
{
    if (!path || !out)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_npz_open: NULL %s", path ? "out" : "path");
    *out = NULL;
    if (flags & ~(FOLKRNN_NPZ_STORE | FOLKRNN_NPZ_ZIP64))
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_npz_open: unknown flags 0x%x", flags);
    folkrnn_npz *z = calloc(1, sizeof *z);
    if (!z)
        return fr_oom("folkrnn_npz", sizeof *z);
    int rc = fr_tmpfile_open(&z->file, path);
    if (rc) {
        free(z);
        return rc;
    }
    z->flags = flags;
    *out = z;
    return FOLKRNN_OK;
}

static int npz_add_src(folkrnn_npz *z, const char *name, const struct array_src *src)
{
    if (z->status)
        return fr_error(z->status, "folkrnn_npz_add: an earlier add failed");
    int rc = npz_check_name(z, name);
    return rc ? rc : npz_fail(z, npz_put(z, name, src));
}

int folkrnn_npz_add(folkrnn_npz *z, const char *name, const void *data, int dtype, int ndim,
                    const long *shape)
{
    if (!z)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_npz_add: NULL archive");
    struct array_src src;
    int rc = raw_src(data, dtype, ndim, shape, &src, "folkrnn_npz_add");
    return rc ? rc : npz_add_src(z, name, &src);
}

int folkrnn_npz_add_matrix(folkrnn_npz *z, const char *name, const folkrnn_matrix *a, int dtype)
{
    if (!z)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_npz_add_matrix: NULL archive");
    struct array_src src;
    int rc = matrix_src(a, dtype, &src, "folkrnn_npz_add_matrix");
    return rc ? rc : npz_add_src(z, name, &src);
}

/* The central directory record of m. */
static size_t central_record(const struct member *m, int deflated, int zip64, unsigned char *buf)
{
    size_t nlen = strlen(m->name);
    unsigned char *p = le32(buf, 0x02014b50);
    p = le16(p, (3u << 8) | (zip64 ? 45 : 20)); /* made by: Unix */
    p = le16(p, zip64 ? 45 : 20);
    p = le16(p, 0);
    p = le16(p, deflated ? 8 : 0);
    p = le16(p, DOS_TIME);
    p = le16(p, DOS_DATE);
    p = le32(p, m->crc);
    p = le32(p, zip64 ? U32_MAX : (uint32_t)m->csize);
    p = le32(p, zip64 ? U32_MAX : (uint32_t)m->usize);
    p = le16(p, (unsigned)nlen);
    p = le16(p, zip64 ? 28 : 0);
    p = le16(p, 0);                       /* comment */
    p = le16(p, 0);                       /* disk */
    p = le16(p, 0);                       /* internal attributes */
    p = le32(p, (uint32_t)0100644 << 16); /* regular file, rw-r--r-- */
    p = le32(p, zip64 ? U32_MAX : (uint32_t)m->offset);
    memcpy(p, m->name, nlen);
    p += nlen;
    if (zip64) {
        p = le16(le16(p, 1), 24);
        p = le64(le64(le64(p, m->usize), m->csize), m->offset);
    }
    return (size_t)(p - buf);
}

/* Central directory and end records. */
static int npz_finish(folkrnn_npz *z)
{
    FILE *f = z->file.f;
    int deflated = !(z->flags & FOLKRNN_NPZ_STORE), any64 = z->flags & FOLKRNN_NPZ_ZIP64;
    unsigned char buf[320];
    off_t start = ftello(f);
    if (start < 0)
        return fr_error(FOLKRNN_E_IO, "%s: ftello failed", z->file.path);
    for (int i = 0; i < z->nmembers; i++) {
        const struct member *m = &z->members[i];
        int zip64 = m->zip64 || m->offset >= U32_MAX;
        any64 |= zip64;
        size_t len = central_record(m, deflated, zip64, buf);
        if (fwrite(buf, 1, len, f) != len)
            return fr_error(FOLKRNN_E_IO, "%s: write failed", z->file.path);
    }
    off_t end = ftello(f);
    uint64_t cd_size = (uint64_t)(end - start), cd_at = (uint64_t)start, n = (uint64_t)z->nmembers;
    any64 |= cd_at >= U32_MAX || cd_size >= U32_MAX || n >= 0xffff;
    unsigned char *p = buf;
    if (any64) {
        p = le32(p, 0x06064b50);
        p = le64(p, 44);
        p = le16(le16(p, 45), 45);
        p = le32(le32(p, 0), 0);
        p = le64(le64(p, n), n);
        p = le64(le64(p, cd_size), cd_at);
        p = le32(p, 0x07064b50);
        p = le32(p, 0);
        p = le64(p, (uint64_t)end);
        p = le32(p, 1);
    }
    p = le32(p, 0x06054b50);
    p = le16(le16(p, 0), 0);
    p = le16(p, any64 ? 0xffff : (unsigned)n);
    p = le16(p, any64 ? 0xffff : (unsigned)n);
    p = le32(p, any64 ? U32_MAX : (uint32_t)cd_size);
    p = le32(p, any64 ? U32_MAX : (uint32_t)cd_at);
    p = le16(p, 0);
    size_t len = (size_t)(p - buf);
    return fwrite(buf, 1, len, f) == len ? FOLKRNN_OK
                                         : fr_error(FOLKRNN_E_IO, "%s: write failed", z->file.path);
}

int folkrnn_npz_close(folkrnn_npz *z)
{
    if (!z)
        return FOLKRNN_OK;
    int rc = z->status ? z->status : npz_finish(z);
    rc = fr_tmpfile_commit(&z->file, rc);
    for (int i = 0; i < z->nmembers; i++)
        free(z->members[i].name);
    free(z->members);
    free(z);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------- */

static void csv_name(FILE *f, const char *name)
{
    if (!strpbrk(name, ",\"\r\n")) {
        fputs(name, f);
        return;
    }
    fputc('"', f);
    for (; *name; name++) {
        if (*name == '"')
            fputc('"', f);
        fputc(*name, f);
    }
    fputc('"', f);
}

static void csv_value(FILE *f, double v)
{
    if (isnan(v))
        fputs("nan", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.17g", v);
}

int folkrnn_csv_save(const char *path, const folkrnn_matrix *a, const char *const *col_names)
{
    int rc = fr_mat_check(a, "folkrnn_csv_save a");
    if (rc)
        return rc;
    if (!path)
        return fr_error(FOLKRNN_E_INVALID, "folkrnn_csv_save: NULL path");
    for (int c = 0; col_names && c < a->cols; c++)
        if (!col_names[c])
            return fr_error(FOLKRNN_E_INVALID, "folkrnn_csv_save: col_names[%d] is NULL", c);
    struct fr_tmpfile t;
    if ((rc = fr_tmpfile_open(&t, path)))
        return rc;
    for (int c = 0; col_names && c < a->cols; c++) {
        csv_name(t.f, col_names[c]);
        fputc(c + 1 < a->cols ? ',' : '\n', t.f);
    }
    for (int r = 0; r < a->rows; r++)
        for (int c = 0; c < a->cols; c++) {
            csv_value(t.f, FR_AT(a, r, c));
            fputc(c + 1 < a->cols ? ',' : '\n', t.f);
        }
    return fr_tmpfile_commit(&t, FOLKRNN_OK);
}
