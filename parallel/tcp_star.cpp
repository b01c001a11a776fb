// TCP sockets for the Tcp engine (see tcp_star.h): connection setup with retries, and
// deadline-bounded sends and receives with poll().
#include "parallel/tcp_star.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace learner::dist {

namespace {

constexpr uint32_t kMagic = 0x4c524e31;  // "LRN1"

struct Hello {
  uint32_t magic;
  int32_t rank;
  int32_t world_size;
  int32_t pad;
};

struct Header {
  uint32_t magic;
  uint32_t kind;
  uint64_t sequence;
  uint64_t nbytes;
  int32_t root;
  int32_t pad;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int remaining_ms(double deadline) {
  const double left = deadline - now_s();
  return left <= 0 ? 0 : static_cast<int>(std::min(left * 1000.0 + 1.0, 2.0e9));
}

// Waits until fd is readable (POLLIN) or writable (POLLOUT); false at the deadline.
bool wait_for(int fd, short events, double deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}

void send_all(int fd, const void* data, size_t n, double deadline, const std::string& context) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    LEARNER_CHECK(wait_for(fd, POLLOUT, deadline), context, ": timed out sending");
    const ssize_t sent = ::send(fd, p, n, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    LEARNER_CHECK(sent > 0, context, ": the connection is broken (", std::strerror(errno),
                  "): the peer exited");
    p += sent;
    n -= static_cast<size_t>(sent);
  }
}

void recv_all(int fd, void* data, size_t n, double deadline, const std::string& context) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    LEARNER_CHECK(wait_for(fd, POLLIN, deadline), context,
                  ": nothing arrived before the timeout: the peer died or is stuck (raise "
                  "LEARNER_DIST_TIMEOUT if it is only slow)");
    const ssize_t got = ::recv(fd, p, n, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    LEARNER_CHECK(got != 0, context, ": the peer closed the connection (it exited)");
    LEARNER_CHECK(got > 0, context, ": receive failed: ", std::strerror(errno));
    p += got;
    n -= static_cast<size_t>(got);
  }
}

void set_no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

const char* kind_name(uint32_t kind) {
  switch (static_cast<TcpStar::Kind>(kind)) {
    case TcpStar::Kind::Gather: return "gather";
    case TcpStar::Kind::Broadcast: return "broadcast";
    case TcpStar::Kind::Barrier: return "barrier";
    case TcpStar::Kind::Error: return "error";
  }
  return "unknown";
}

int listen_on(int port, int backlog) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  LEARNER_CHECK(fd >= 0, "tcp: socket() failed: ", std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, backlog) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(str("tcp rank 0: cannot listen on port ", port, ": ", std::strerror(err),
                    " (set MASTER_PORT or LEARNER_MASTER_PORT to a free port)"));
  }
  return fd;
}

int connect_to(const std::string& host, int port, double deadline) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  LEARNER_CHECK(rc == 0 && found != nullptr, "tcp: cannot resolve MASTER_ADDR '", host,
                "': ", ::gai_strerror(rc));
  int last_error = 0;
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    LEARNER_CHECK(fd >= 0, "tcp: socket() failed: ", std::strerror(errno));
    if (::connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    last_error = errno;
    ::close(fd);
    if (now_s() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // rank 0 may not listen yet
  }
  ::freeaddrinfo(found);
  throw Error(str("tcp: cannot connect to rank 0 at ", host, ":", port, " before the timeout: ",
                  std::strerror(last_error)));
}

}  // namespace

TcpStar::TcpStar(const TcpRendezvous& r) : rendezvous_(r) {
  LEARNER_CHECK(r.world_size >= 1 && r.rank >= 0 && r.rank < r.world_size, "tcp: rank ", r.rank,
                " is not in [0, world size ", r.world_size, ")");
  LEARNER_CHECK(r.timeout_s > 0, "tcp: the timeout must be positive, got ", r.timeout_s);
  const double deadline = now_s() + r.timeout_s;
  if (r.rank != 0) {
    const int fd = connect_to(r.master_addr, r.master_port, deadline);
    peers_.push_back(fd);
    set_no_delay(fd);
    const Hello hello{kMagic, r.rank, r.world_size, 0};
    send_all(fd, &hello, sizeof hello, deadline, who() + " hello");
    return;
  }
  peers_.assign(r.world_size, -1);
  if (r.world_size == 1) return;
  const int listener = listen_on(r.master_port, r.world_size);
  try {
    for (int connected = 1; connected < r.world_size;) {
      LEARNER_CHECK(wait_for(listener, POLLIN, deadline), who(), ": only ", connected - 1,
                    " of ", r.world_size - 1, " ranks connected to port ", r.master_port,
                    " before the timeout");
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      set_no_delay(fd);
      Hello hello{};
      try {
        recv_all(fd, &hello, sizeof hello, deadline, who() + " hello");
      } catch (const Error&) {
        ::close(fd);  // something else knocked on the port
        continue;
      }
      if (hello.magic != kMagic || hello.rank <= 0 || hello.rank >= r.world_size ||
          hello.world_size != r.world_size || peers_[hello.rank] >= 0) {
        ::close(fd);
        throw Error(str(who(), ": a process announced rank ", hello.rank, " of ",
                        hello.world_size, "; expected a new rank in [1, ", r.world_size,
                        ") of ", r.world_size, " (check RANK and WORLD_SIZE)"));
      }
      peers_[hello.rank] = fd;
      ++connected;
    }
  } catch (...) {
    ::close(listener);
    for (int fd : peers_)
      if (fd >= 0) ::close(fd);
    throw;
  }
  ::close(listener);
}

TcpStar::~TcpStar() {
  for (int fd : peers_)
    if (fd >= 0) ::close(fd);
}

std::string TcpStar::who() const {
  return str("tcp rank ", rendezvous_.rank, " of ", rendezvous_.world_size);
}

std::vector<char> TcpStar::exchange(Kind kind, const void* mine, uint64_t nbytes, int root,
                                    const char* what) {
  ++sequence_;
  const double deadline = now_s() + rendezvous_.timeout_s;
  return rendezvous_.rank == 0 ? exchange_as_root(kind, mine, nbytes, root, what, deadline)
                               : exchange_as_peer(kind, mine, nbytes, root, what, deadline);
}

std::vector<char> TcpStar::exchange_as_root(Kind kind, const void* mine, uint64_t nbytes,
                                            int root, const char* what, double deadline) {
  const int R = rendezvous_.world_size;
  std::vector<char> gathered(kind == Kind::Gather ? nbytes * R : 0);
  std::vector<char> root_bytes;
  if (kind == Kind::Gather) std::memcpy(gathered.data(), mine, nbytes);
  if (kind == Kind::Broadcast && root == 0)
    root_bytes.assign(static_cast<const char*>(mine), static_cast<const char*>(mine) + nbytes);

  std::string mismatch;
  for (int q = 1; q < R; ++q) {
    const std::string context = str(who(), ": ", what, " #", sequence_, ", from rank ", q);
    Header h{};
    recv_all(peers_[q], &h, sizeof h, deadline, context);
    const bool same = h.magic == kMagic && h.kind == static_cast<uint32_t>(kind) &&
                      h.sequence == sequence_ && h.nbytes == nbytes && h.root == root;
    if (!same && mismatch.empty()) {
      mismatch = str("ranks disagree on collective #", sequence_, ": rank 0 called ", what, " (",
                     kind_name(static_cast<uint32_t>(kind)), ", ", nbytes, " bytes, root ", root,
                     "), rank ", q, " called ", kind_name(h.kind), " #", h.sequence, " (",
                     h.nbytes, " bytes, root ", h.root, ")");
    }
    const bool sends = h.kind == static_cast<uint32_t>(Kind::Gather) ||
                       (h.kind == static_cast<uint32_t>(Kind::Broadcast) && h.root == q);
    if (!sends) continue;
    std::vector<char> payload(h.nbytes);
    recv_all(peers_[q], payload.data(), payload.size(), deadline, context);
    if (!same) continue;
    if (kind == Kind::Gather) std::memcpy(gathered.data() + q * nbytes, payload.data(), nbytes);
    if (kind == Kind::Broadcast) root_bytes = std::move(payload);
  }

  const std::vector<char>* reply = kind == Kind::Gather ? &gathered : &root_bytes;
  std::vector<char> message(mismatch.begin(), mismatch.end());
  if (!mismatch.empty()) reply = &message;
  const Header answer{kMagic, static_cast<uint32_t>(mismatch.empty() ? kind : Kind::Error),
                      sequence_, reply->size(), root, 0};
  for (int q = 1; q < R; ++q) {
    const std::string context = str(who(), ": ", what, " #", sequence_, ", to rank ", q);
    send_all(peers_[q], &answer, sizeof answer, deadline, context);
    send_all(peers_[q], reply->data(), reply->size(), deadline, context);
  }
  LEARNER_CHECK(mismatch.empty(), who(), ": ", mismatch);
  return kind == Kind::Gather ? gathered : root_bytes;
}

std::vector<char> TcpStar::exchange_as_peer(Kind kind, const void* mine, uint64_t nbytes,
                                            int root, const char* what, double deadline) {
  const int rank = rendezvous_.rank;
  const std::string context = str(who(), ": ", what, " #", sequence_, ", with rank 0");
  const Header h{kMagic, static_cast<uint32_t>(kind), sequence_, nbytes, root, 0};
  send_all(peers_[0], &h, sizeof h, deadline, context);
  if (kind == Kind::Gather || (kind == Kind::Broadcast && root == rank))
    send_all(peers_[0], mine, nbytes, deadline, context);
  Header answer{};
  recv_all(peers_[0], &answer, sizeof answer, deadline, context);
  LEARNER_CHECK(answer.magic == kMagic && answer.sequence == sequence_, context,
                ": the stream from rank 0 is out of step");
  std::vector<char> reply(answer.nbytes);
  recv_all(peers_[0], reply.data(), reply.size(), deadline, context);
  if (answer.kind == static_cast<uint32_t>(Kind::Error))
    throw Error(str(who(), ": ", std::string(reply.begin(), reply.end())));
  return reply;
}

}  // namespace learner::dist
