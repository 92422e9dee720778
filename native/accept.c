/*
 * Accepts every connection waiting on a listening socket, for src/http/accept-backlog.ts.
 *
 * libuv, under Node's event loop, accepts one connection per turn of the loop since libuv 1.45
 * (libuv/libuv#3696, "unix: don't accept() connections in a loop"). On a busy server a turn lasts
 * as long as the requests it answers, so when fifty clients connect at once the last one waits
 * fifty turns before its first request is even read: ~250 ms on a loaded token endpoint here
 * (bench/README.md, "Thirteenth round"). This takes the whole queue in one call, and the JavaScript
 * side hands each socket to the server as libuv's own accept would.
 *
 *   acceptPending(fd: number, max: number) -> number[]   the new sockets, non-blocking, close-on-exec
 *
 * It stops at EAGAIN (the queue is empty), at `max`, or at any error other than a connection that
 * was reset while queued; libuv sees the listening socket still readable on its next turn and
 * deals with that error as it always does (EMFILE included).
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sys/socket.h>
#include <unistd.h>

static int accept_one(int fd) {
#if defined(__linux__) || defined(__FreeBSD__)
  return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  int client = accept(fd, NULL, NULL);
  if (client >= 0 && (fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK) < 0 ||
                      fcntl(client, F_SETFD, FD_CLOEXEC) < 0)) {
    close(client);
    return -1;
  }
  return client;
#endif
}

static napi_value accept_pending(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  int32_t max = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &max) != napi_ok || fd < 0 || max < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "acceptPending() takes a listening socket's descriptor and a count");
    return NULL;
  }
  napi_value accepted;
  if (napi_create_array(env, &accepted) != napi_ok) return NULL;
  uint32_t count = 0;
  while (count < (uint32_t)max) {
    int client = accept_one(fd);
    if (client < 0) {
      if (errno == ECONNABORTED || errno == EINTR) continue;
      break; /* EAGAIN: nothing left; anything else is libuv's to handle on its next turn */
    }
    napi_value value;
    if (napi_create_int32(env, client, &value) != napi_ok ||
        napi_set_element(env, accepted, count, value) != napi_ok) {
      close(client);
      break;
    }
    count++;
  }
  return accepted;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "acceptPending", NAPI_AUTO_LENGTH, accept_pending, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "acceptPending", fn) != napi_ok)
    return NULL;
  return exports;
}
