/* fileio.c -- whole-file reads, gzip, and atomic writes. */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE, beyond POSIX */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "internal.h"

int fr_has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && strcmp(path + n - k, suffix) == 0;
}

/* Open path for reading, refusing anything but a regular file (a FIFO or a
   device would block or never end); its size in *size. */
static int open_regular(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fr_error(FOLKRNN_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fr_error(FOLKRNN_E_IO, "%s: not a regular file", path);
    }
    *size = (size_t)st.st_size;
    return fd;
}

/* All n bytes of fd into buf. */
static int read_all(int fd, const char *path, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return fr_error(FOLKRNN_E_IO, "%s: read %zu of %zu bytes%s%s", path, got, n,
                            r < 0 ? ": " : " (file shrank?)", r < 0 ? strerror(errno) : "");
        got += (size_t)r;
    }
    return FOLKRNN_OK;
}

void *fr_block_alloc(size_t bytes)
{
    if (bytes < FR_HUGE_BLOCK)
        return calloc(bytes ? bytes : 1, 1);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* advice: failure changes nothing */
#endif
    return p;
}

void fr_block_free(void *p, size_t bytes)
{
    if (bytes < FR_HUGE_BLOCK)
        free(p);
    else if (p)
        munmap(p, bytes);
}

/* The whole file at path into a buffer from malloc, or from fr_block_alloc
   when block is set. */
static int read_whole(const char *path, int block, unsigned char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    size_t n = 0;
    int fd = open_regular(path, &n);
    if (fd < 0)
        return fd;
    unsigned char *buf = block ? fr_block_alloc(n) : malloc(n ? n : 1);
    int rc = buf ? read_all(fd, path, buf, n) : fr_oom(path, n);
    close(fd);
    if (rc == FOLKRNN_OK) {
        *data = buf;
        *size = n;
    } else if (block) {
        fr_block_free(buf, n);
    } else {
        free(buf);
    }
    return rc;
}

int fr_read_file(const char *path, unsigned char **data, size_t *size)
{
    return read_whole(path, 0, data, size);
}

int fr_file_open(const char *path, struct fr_file *f)
{
    unsigned char *data;
    int rc = read_whole(path, 1, &data, &f->size);
    f->data = data;
    return rc;
}

void fr_file_close(struct fr_file *f)
{
    fr_block_free((void *)f->data, f->size);
    memset(f, 0, sizeof *f);
}

int fr_is_gzip(const unsigned char *data, size_t size)
{
    return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

int fr_gunzip(const unsigned char *data, size_t size, size_t limit,
              unsigned char **out, size_t *outsize)
{
    *out = NULL;
    *outsize = 0;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return fr_error(FOLKRNN_E_NOMEM, "gzip: cannot initialise zlib");
    /* The gzip trailer holds the size mod 2^32: a good first guess that a
       hostile file cannot use to make us allocate more than limit. */
    size_t cap = size >= 4 ? (size_t)data[size - 4] | (size_t)data[size - 3] << 8 |
                                 (size_t)data[size - 2] << 16 | (size_t)data[size - 1] << 24
                           : 0;
    /* robustness (issue 8): deflate expands at most 1032:1, so a trailer
       claiming more is a lie; without this check a 24-byte file made us
       allocate 4 GiB (fuzz/run.sh gzip, tests/regress/gzip/gzip-isize-lie.gz). */
    if (cap < size || cap / 1032 > size)
        cap = size * 4;
    if (cap > limit)
        cap = limit;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        inflateEnd(&zs);
        return fr_oom("gzip output", cap + 1);
    }
    zs.next_in = (unsigned char *)data;
    size_t used = 0;
    size_t in_left = size;
    int zrc = Z_OK;
    while (zrc != Z_STREAM_END) {
        if (used == cap) {
            if (cap >= limit) {
                free(buf);
                inflateEnd(&zs);
                return fr_error(FOLKRNN_E_FORMAT, "gzip: inflates beyond %zu bytes", limit);
            }
            size_t grow = cap * 2 < limit ? cap * 2 : limit;
            unsigned char *bigger = realloc(buf, grow + 1);
            if (!bigger) {
                free(buf);
                inflateEnd(&zs);
                return fr_oom("gzip output", grow + 1);
            }
            buf = bigger;
            cap = grow;
        }
        uInt in_chunk = in_left > 1u << 30 ? 1u << 30 : (uInt)in_left;
        uInt out_chunk = cap - used > 1u << 30 ? 1u << 30 : (uInt)(cap - used);
        zs.avail_in = in_chunk;
        zs.next_out = buf + used;
        zs.avail_out = out_chunk;
        zrc = inflate(&zs, Z_NO_FLUSH);
        in_left -= in_chunk - zs.avail_in;
        used += out_chunk - zs.avail_out;
        if (zrc == Z_BUF_ERROR && in_left == 0 && zs.avail_in == 0)
            zrc = Z_DATA_ERROR; /* needs more input than there is: truncated */
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            free(buf);
            inflateEnd(&zs);
            return fr_error(FOLKRNN_E_FORMAT, "gzip: %s after %zu bytes of output",
                            zrc == Z_MEM_ERROR ? "out of memory" : "corrupt or truncated data",
                            used);
        }
    }
    inflateEnd(&zs);
    *out = buf;
    *outsize = used;
    return FOLKRNN_OK;
}

/* Write all of data to fd, gzip-compressed when gzip is set. */
static int write_all(int fd, const char *path, const void *data, size_t size, int gzip)
{
    if (gzip) {
        gzFile gz = gzdopen(dup(fd), "wb6");
        if (!gz)
            return fr_error(FOLKRNN_E_IO, "%s: cannot start gzip stream", path);
        const unsigned char *p = data;
        size_t left = size;
        while (left > 0) {
            unsigned chunk = left > 1u << 30 ? 1u << 30 : (unsigned)left;
            if (gzwrite(gz, p, chunk) != (int)chunk) {
                gzclose(gz);
                return fr_error(FOLKRNN_E_IO, "%s: gzip write failed", path);
            }
            p += chunk;
            left -= chunk;
        }
        if (gzclose(gz) != Z_OK)
            return fr_error(FOLKRNN_E_IO, "%s: gzip write failed at close", path);
        return FOLKRNN_OK;
    }
    const unsigned char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fr_error(FOLKRNN_E_IO, "%s: write failed: %s", path,
                            n < 0 ? strerror(errno) : "no progress");
        p += n;
        left -= (size_t)n;
    }
    return FOLKRNN_OK;
}

int fr_write_atomic(const char *path, const void *data, size_t size, int gzip)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return fr_oom("temporary file name", n + 16);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = fr_error(FOLKRNN_E_IO, "%s: cannot create temporary file: %s", path,
                          strerror(errno));
        free(tmp);
        return rc;
    }
    /* mkstemp makes the file private; a model is an ordinary document. */
    int rc = fchmod(fd, 0644) == 0 ? FOLKRNN_OK
                                   : fr_error(FOLKRNN_E_IO, "%s: chmod failed: %s", path,
                                              strerror(errno));
    if (rc == FOLKRNN_OK)
        rc = write_all(fd, path, data, size, gzip);
    if (rc == FOLKRNN_OK && fsync(fd) != 0)
        rc = fr_error(FOLKRNN_E_IO, "%s: fsync failed: %s", path, strerror(errno));
    if (close(fd) != 0 && rc == FOLKRNN_OK)
        rc = fr_error(FOLKRNN_E_IO, "%s: close failed: %s", path, strerror(errno));
    if (rc == FOLKRNN_OK) {
        if (rename(tmp, path) != 0)
            rc = fr_error(FOLKRNN_E_IO, "%s: rename failed: %s", path, strerror(errno));
    }
    if (rc != FOLKRNN_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}
