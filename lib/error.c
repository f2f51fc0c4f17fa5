/* error.c -- status codes, per-thread messages and the version. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

/* Each thread keeps the message of its own last failure. */
static _Thread_local char thread_errmsg[512];

FOLKRNN_API const char *folkrnn_version(void)
{
    return FOLKRNN_VERSION;
}

FOLKRNN_API const char *folkrnn_strerror(int status)
{
    switch (status) {
    case FOLKRNN_OK: return "success";
    case FOLKRNN_E_INVALID: return "invalid argument";
    case FOLKRNN_E_NOMEM: return "out of memory";
    case FOLKRNN_E_IO: return "input/output error";
    case FOLKRNN_E_FORMAT: return "malformed or truncated data";
    case FOLKRNN_E_UNSUPPORTED: return "unsupported content";
    case FOLKRNN_E_SHAPE: return "shapes disagree";
    case FOLKRNN_E_RANGE: return "out of range";
    case FOLKRNN_E_HOOK: return "a hook aborted the step";
    case FOLKRNN_E_NUMERIC: return "not a finite number";
    case FOLKRNN_E_PARSE: return "text not understood";
    default: return "unknown status";
    }
}

FOLKRNN_API const char *folkrnn_errmsg(void)
{
    return thread_errmsg;
}

int fr_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(thread_errmsg, sizeof thread_errmsg, fmt, ap);
    va_end(ap);
    return status;
}

int fr_opts_over(void *dst, size_t dst_size, const void *opts, size_t min_size,
                 const char *func)
{
    if (!opts)
        return FOLKRNN_OK;
    size_t size;
    memcpy(&size, opts, sizeof size);
    if (size < min_size)
        return fr_error(FOLKRNN_E_INVALID, "%s: options size %zu is below %zu: call its "
                                           "_init function first", func, size, min_size);
    memcpy(dst, opts, size < dst_size ? size : dst_size);
    return FOLKRNN_OK;
}

int fr_oom(const char *what, size_t bytes)
{
    return fr_error(FOLKRNN_E_NOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
}
