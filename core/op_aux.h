// Operators whose auxiliary states are not their last inputs (Op::num_aux counts the last ones):
// _contrib_quantized_batch_norm takes data, gamma, beta, moving_mean, moving_var, min_data, max_data with
// moving_mean and moving_var auxiliary, as MXNet 1.9.1 lists them. A side table, so that operator.h stays as it is.
#pragma once

#include <vector>

namespace mxc {

struct Op;

// Declares inputs idx of op (and no others) its auxiliary states; called once at registration.
void SetAuxInputs(const Op *op, std::vector<int> idx);
// The indices declared for op, or nullptr (then its last NumAux inputs are the auxiliary ones).
const std::vector<int> *AuxInputsOf(const Op *op);

}  // namespace mxc
