// all_gather_rows and all_gather_values (see global_batch.h for the gradient convention).
#include "parallel/global_batch.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/shape.h"

namespace learner::dist {

Tensor all_gather_rows(const Tensor& u, Communicator& comm) {
  LEARNER_NVTX_RANGE("all_gather_rows");
  LEARNER_CHECK(u.defined() && u.dtype() == DType::F32 && u.dim() >= 1,
                "all_gather_rows: u must be an f32 tensor of rank >= 1, got ",
                u.defined() ? u.describe() : std::string("an undefined tensor"));
  Tensor gathered = comm.all_gather(u.detach());
  const int64_t rows = u.size(0);
  Communicator* c = &comm;
  return record(gathered, "all_gather_rows", {u}, [c, rows](const Tensor& g, const NeedsGrad&) {
    Tensor summed = g.clone();  // g may be shared with another consumer of the gathered rows
    c->all_reduce_sum(summed);
    const int64_t first = c->rank() * rows;
    return std::vector<Tensor>{slice(summed, 0, first, first + rows)};
  });
}

Tensor all_gather_values(const Tensor& y, Communicator& comm) {
  LEARNER_NVTX_RANGE("all_gather_values");
  return comm.all_gather(y.detach());
}

}  // namespace learner::dist
