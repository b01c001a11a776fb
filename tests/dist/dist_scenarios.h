// Multi-rank test scenarios, written once against the Communicator interface and run by
// every rank: by learner_tests with Tcp ranks as threads of one process (tests/dist/test_dist.cpp),
// and by learner_dist_tests under `mpirun -np 2` with the Mpi engine (tests/dist/).
// Each rank rebuilds the whole global batch from fixed seeds and checks its share against a
// one-process reference. Only CHECK-style assertions are used before a collective, so that a
// failure on one rank never leaves another waiting in a collective.
#pragma once

#include "parallel/communicator.h"

namespace learner::test::dist_scenarios {

// all_reduce (sum, average, async), all_gather (f32, i64), broadcast (several dtypes and
// roots), barrier, sum_over_ranks: odd sizes, against the rank-ordered double reference
// (bit-exact on the CPU engines); bad dtypes are learner::Error on every rank.
void collectives(dist::Communicator& comm);

// The same inputs give the same bits twice, and every rank holds the same bits.
void determinism(dist::Communicator& comm);

// all_gather_rows + contrastive_loss on R ranks x B=4 against one rank x B=4R: the loss, the
// embedding gradient (R times the reference, the documented convention), and after gradient
// averaging the parameter gradients of MSE + CL.
void global_contrastive(dist::Communicator& comm);

// sync_batch_norm2d on R ranks x N=2 against batch_norm2d on N=2R: outputs, running
// statistics, input gradients, summed weight/bias gradients; eval mode.
void sync_batch_norm(dist::Communicator& comm);

// GradientSync with small buckets: every gradient becomes the mean over ranks; a parameter
// without a gradient anywhere keeps none; one with a gradient on rank 0 only gets mean with zeros.
void gradient_buckets(dist::Communicator& comm);

// broadcast_module copies rank 0's parameters and buffers; a different model is an error.
void module_broadcast(dist::Communicator& comm);

// A small conv net with SyncBatchNorm, global mining (MSE + CL) and SGD with momentum: three
// steps on R ranks x B=4 end with the weights of three steps on one rank x B=4R.
void training_equivalence(dist::Communicator& comm);

}  // namespace learner::test::dist_scenarios
