/* testutil.h -- small helpers shared by the Check test programs. */
#ifndef FOLKRNN_TESTUTIL_H
#define FOLKRNN_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <folkrnn.h>

/* Path of a committed fixture: $FOLKRNN_TEST_DATA/name (static buffer). */
static inline const char *fixture_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("FOLKRNN_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    return path;
}

/* Path of a file of the shared data folder ($FOLKRNN_SHARED_DATA/name). */
static inline const char *shared_data_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("FOLKRNN_SHARED_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/data", name);
    return path;
}

/* Assert a library call succeeded, showing its message when not. */
#define ck_assert_ok(call)                                                      \
    do {                                                                        \
        int ck_rc_ = (call);                                                    \
        ck_assert_msg(ck_rc_ == FOLKRNN_OK, "%s -> %d (%s)", #call, ck_rc_,    \
                      folkrnn_errmsg());                                        \
    } while (0)

/* Run a suite and return the process exit status. */
static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
