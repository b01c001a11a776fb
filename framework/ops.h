// Every differentiable op of the framework, for code that uses many of them.
#pragma once

#include "framework/autograd.h"
#include "framework/ops/batchnorm.h"
#include "framework/ops/contrastive.h"
#include "framework/ops/conv.h"
#include "framework/ops/dropout.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/linear.h"
#include "framework/ops/loss.h"
#include "framework/ops/pool.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/temporal_shift.h"
