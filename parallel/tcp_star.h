// The transport of the Tcp engine: every rank > 0 holds one TCP connection to rank 0, which
// collects each collective's contributions in rank order and sends every rank its answer.
// Every receive has a deadline; a closed connection or a silent peer becomes learner::Error
// on this rank (never a hang), and a mismatch between ranks (different collective, size or
// root) is reported by rank 0 to everybody.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parallel/engines.h"

namespace learner::dist {

class TcpStar {
 public:
  enum class Kind : uint32_t { Gather = 1, Broadcast = 2, Barrier = 3, Error = 4 };

  // Rank 0 listens on master_port and waits for the others; the others connect (retrying
  // while rank 0 is not up yet). Both within rendezvous.timeout_s.
  explicit TcpStar(const TcpRendezvous& rendezvous);
  ~TcpStar();
  TcpStar(const TcpStar&) = delete;
  TcpStar& operator=(const TcpStar&) = delete;

  // Gather: every rank gives nbytes (the same everywhere) -> world_size * nbytes, rank order.
  // Broadcast: root gives nbytes -> those bytes. Barrier: nothing -> nothing.
  std::vector<char> exchange(Kind kind, const void* mine, uint64_t nbytes, int root,
                             const char* what);

 private:
  std::vector<char> exchange_as_root(Kind kind, const void* mine, uint64_t nbytes, int root,
                                     const char* what, double deadline);
  std::vector<char> exchange_as_peer(Kind kind, const void* mine, uint64_t nbytes, int root,
                                     const char* what, double deadline);
  std::string who() const;

  TcpRendezvous rendezvous_;
  std::vector<int> peers_;  // rank 0: the socket of rank r at [r] (-1 at [0]); others: [0]
  uint64_t sequence_ = 0;   // collectives so far: both sides must agree
};

}  // namespace learner::dist
