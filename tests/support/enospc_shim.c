/* LD_PRELOAD shim for the full-disk tests: once MIGRATE_TEST_ENOSPC_AFTER
 * bytes have been written to files whose path contains
 * MIGRATE_TEST_ENOSPC_PATH, write() fails with ENOSPC, as on a full disk. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long long written;

static int watched(int fd) {
  const char* needle = getenv("MIGRATE_TEST_ENOSPC_PATH");
  if (!needle || !*needle) return 0;
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  return strstr(target, needle) != NULL;
}

ssize_t write(int fd, const void* buf, size_t count) {
  static ssize_t (*real_write)(int, const void*, size_t);
  if (!real_write) real_write = (ssize_t (*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  const char* limit = getenv("MIGRATE_TEST_ENOSPC_AFTER");
  if (limit && watched(fd)) {
    if (written + (long long)count > atoll(limit)) {
      errno = ENOSPC;
      return -1;
    }
    written += (long long)count;
  }
  return real_write(fd, buf, count);
}
