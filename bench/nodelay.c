/* Preloaded into the benchmarks' s3s-fs servers: sets TCP_NODELAY on every accepted
 * connection, as RustFS does on its own (rustfs/src/server/http.rs). s3s-fs leaves
 * Nagle's algorithm on and writes a response's headers and body in two writes, so
 * without this every GET waits for the client's delayed ACK (~40 ms on Linux), a cost
 * of the test server that no client should be measured by.
 *
 *   cc -shared -fPIC -O2 -o nodelay.so bench/nodelay.c -ldl
 *   LD_PRELOAD=$PWD/nodelay.so s3s-fs ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int nodelay(int fd) {
  int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int accept(int s, struct sockaddr *a, socklen_t *l) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  return nodelay(real(s, a, l));
}

int accept4(int s, struct sockaddr *a, socklen_t *l, int f) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  return nodelay(real(s, a, l, f));
}
