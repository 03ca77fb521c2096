"""Numeric gradient check, through the executor, of every registered operator that has a gradient.

For each operator a symbol is built from variables, bound with ``simple_bind`` in float64, run forward and backward
with random head gradients, and every input gradient is compared with central finite differences of
``sum_j <head_j, output_j>`` evaluated by forward passes of the same executor (loss operators ignore the head
gradient: their own loss function is differentiated instead).

GRAD_CASES must list every operator of the registry with a gradient: a new operator fails
``test_every_operator_with_a_gradient_has_a_case`` until a case is added here.
"""
import numpy as np
import pytest

import mxc as mx
from mxc.base import list_op_names, op_meta


def _ce(outs, vals):  # SoftmaxOutput: cross-entropy of the softmax against integer labels
    p, label = outs[0], vals["label"].astype(int)
    return -np.sum(np.log(p[np.arange(p.shape[0]), label]))


def _per_sample(label):
    return label.size / label.shape[0]


def _l2(outs, vals):  # LinearRegressionOutput
    return 0.5 * np.sum((outs[0] - vals["label"]) ** 2) / _per_sample(vals["label"])


def _bce(outs, vals):  # LogisticRegressionOutput (output = sigmoid(data))
    o, lab = outs[0], vals["label"]
    return -np.sum(lab * np.log(o) + (1 - lab) * np.log(1 - o)) / _per_sample(lab)


def _l1(outs, vals):  # MAERegressionOutput
    return np.sum(np.abs(outs[0] - vals["label"])) / _per_sample(vals["label"])


def _sum(outs, vals):  # MakeLoss: gradient of ones
    return np.sum(outs[0])


def case(shapes, params=None, ints=None, nograd=(), lo=-1.0, hi=1.0, train=False, loss=None, seed_each=False,
         eps=1e-6, rtol=1e-4, atol=1e-6, ranges=None, build=None):
    """shapes: one per input; ints: {input index: (low, high)} integer-valued inputs (not checked); nograd: inputs
    not checked; ranges: {input index: (lo, hi)}; loss: objective of a loss operator; seed_each: reseed the random
    generator before every forward (random operators); build: f(namespace (mx.sym or mx.nd), the operator's
    function, inputs) -> the checked outputs, for operators that need structured inputs (potrf and syevd of
    syrk(A): symmetric positive-definite matrices, perturbed symmetrically)."""
    return dict(shapes=shapes, params=params or {}, ints=ints or {}, nograd=set(nograd) | set((ints or {}).keys()),
                lo=lo, hi=hi, train=train, loss=loss, seed_each=seed_each, eps=eps, rtol=rtol, atol=atol,
                ranges=ranges or {}, build=build)


class _SquareTimes(mx.operator.CustomOp):
    """A custom operator for the Custom case: k * data**2 * weight (k a parameter)."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], self.k * in_data[0] * in_data[0] * in_data[1])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * 2 * self.k * in_data[0] * in_data[1])
        self.assign(in_grad[1], req[1], out_grad[0] * self.k * in_data[0] * in_data[0])


@mx.operator.register("_grad_case_square_times")
class _SquareTimesProp(mx.operator.CustomOpProp):
    def __init__(self, k):
        super().__init__()
        self.k = float(k)

    def list_arguments(self):
        return ["data", "weight"]

    def create_operator(self, ctx, shapes, dtypes):
        return _SquareTimes(self.k)


S = [(2, 3)]
S2 = [(2, 3), (2, 3)]
POS = dict(lo=0.5, hi=2.0)

GRAD_CASES = {
    "Custom": [case(S2, {"op_type": "_grad_case_square_times", "k": 1.5})],
    # elementwise binary (same shape)
    "elemwise_add": [case(S2)], "elemwise_sub": [case(S2)], "elemwise_mul": [case(S2)],
    "elemwise_div": [case(S2, ranges={1: (0.5, 2.0)})],
    "_mod": [case(S2, ranges={0: (0.1, 3.0), 1: (0.7, 1.3)})],
    "_power": [case(S2, **POS)],
    "_maximum": [case(S2)], "_minimum": [case(S2)],
    "_equal": [case(S2)], "_not_equal": [case(S2)], "_greater": [case(S2)], "_greater_equal": [case(S2)],
    "_lesser": [case(S2)], "_lesser_equal": [case(S2)],
    # scalar
    "_plus_scalar": [case(S, {"scalar": 2.5})], "_minus_scalar": [case(S, {"scalar": 2.5})],
    "_rminus_scalar": [case(S, {"scalar": 2.5})], "_mul_scalar": [case(S, {"scalar": -1.5})],
    "_div_scalar": [case(S, {"scalar": 4.0})], "_rdiv_scalar": [case(S, {"scalar": 3.0}, **POS)],
    "_mod_scalar": [case(S, {"scalar": 0.7}, lo=0.1, hi=3.0)],
    "_rmod_scalar": [case(S, {"scalar": 3.0}, lo=0.7, hi=1.3)],
    "_power_scalar": [case(S, {"scalar": 3.0}, **POS)], "_rpower_scalar": [case(S, {"scalar": 2.0})],
    "_maximum_scalar": [case(S, {"scalar": 0.1})], "_minimum_scalar": [case(S, {"scalar": 0.1})],
    "_equal_scalar": [case(S, {"scalar": 0.5})], "_not_equal_scalar": [case(S, {"scalar": 0.5})],
    "_greater_scalar": [case(S, {"scalar": 0.5})], "_greater_equal_scalar": [case(S, {"scalar": 0.5})],
    "_lesser_scalar": [case(S, {"scalar": 0.5})], "_lesser_equal_scalar": [case(S, {"scalar": 0.5})],
    # unary
    "negative": [case(S)], "abs": [case(S)], "sign": [case(S)], "exp": [case(S)], "log": [case(S, **POS)],
    "sqrt": [case(S, **POS)], "rsqrt": [case(S, **POS)], "square": [case(S)], "sin": [case(S)], "cos": [case(S)],
    "tanh": [case(S)], "sigmoid": [case(S)], "relu": [case(S)], "floor": [case(S, lo=-2.9, hi=2.9)],
    "ceil": [case(S, lo=-2.9, hi=2.9)], "round": [case(S, lo=-2.9, hi=2.9)], "reciprocal": [case(S, **POS)],
    "log1p": [case(S, **POS)], "expm1": [case(S)],
    "clip": [case(S, {"a_min": -0.5, "a_max": 0.6})],
    "Cast": [case(S, {"dtype": "float64"}), case(S, {"dtype": "float32"}, eps=1e-2, rtol=1e-4, atol=1e-4)],
    "_copy": [case(S)], "_copyto": [case(S)],
    "add_n": [case([(2, 3), (2, 3), (2, 3)])],
    "log2": [case(S, **POS)], "log10": [case(S, **POS)], "tan": [case(S)], "arcsin": [case(S, lo=-0.8, hi=0.8)],
    "arccos": [case(S, lo=-0.8, hi=0.8)], "arctan": [case(S)], "sinh": [case(S)], "cosh": [case(S)],
    "arcsinh": [case(S)], "arccosh": [case(S, lo=1.5, hi=3.0)], "arctanh": [case(S, lo=-0.8, hi=0.8)],
    "cbrt": [case(S, **POS)], "degrees": [case(S)], "radians": [case(S)], "trunc": [case(S, lo=-2.9, hi=2.9)],
    "fix": [case(S, lo=-2.9, hi=2.9)], "rint": [case(S, lo=-2.9, hi=2.9)], "logical_not": [case(S)],
    "erf": [case(S)], "erfinv": [case(S, lo=-0.8, hi=0.8)], "gamma": [case(S, **POS), case(S, lo=-0.9, hi=-0.1)],
    "gammaln": [case(S, **POS)],
    "hard_sigmoid": [case(S, lo=-2.0, hi=2.0), case(S, {"alpha": 0.5, "beta": 0.2}, lo=-0.3)],
    "_contrib_isnan": [case(S)], "_contrib_isinf": [case(S)], "_contrib_isfinite": [case(S)],
    "zeros_like": [case(S)], "ones_like": [case(S)],
    # broadcasting binary
    "broadcast_add": [case([(2, 3), (1, 3)]), case([(2, 1, 3), (4, 1)])],
    "broadcast_sub": [case([(2, 3), (2, 1)])], "broadcast_mul": [case([(2, 3), (3,)])],
    "broadcast_div": [case([(2, 3), (2, 1)], ranges={1: (0.5, 2.0)})],
    "broadcast_mod": [case([(2, 3), (1, 3)], ranges={0: (0.1, 3.0), 1: (0.7, 1.3)})],
    "broadcast_power": [case([(2, 3), (1, 3)], **POS)],
    "broadcast_maximum": [case([(2, 3), (1, 3)])], "broadcast_minimum": [case([(2, 3), (2, 1)])],
    "broadcast_equal": [case([(2, 3), (1, 3)])], "broadcast_not_equal": [case([(2, 3), (1, 3)])],
    "broadcast_greater": [case([(2, 3), (1, 3)])], "broadcast_greater_equal": [case([(2, 3), (1, 3)])],
    "broadcast_lesser": [case([(2, 3), (1, 3)])], "broadcast_lesser_equal": [case([(2, 3), (1, 3)])],
    # slice assignment
    "_slice_assign": [case([(4, 3), (2, 3)], {"begin": (1,), "end": (3,)}),
                      case([(4, 5), (2, 3)], {"begin": (None, -1), "end": (None, None), "step": (2, -2)})],
    "_slice_assign_scalar": [case([(3, 4)], {"scalar": 2.0, "begin": (None, 1), "end": (None, 3)})],
    # indexing
    "take": [case([(4, 3), (2, 2)], {"axis": 0}, ints={1: (0, 4)})],
    "pick": [case([(3, 4), (3,)], {"axis": 1}, ints={1: (0, 4)})],
    "gather_nd": [case([(3, 4), (2, 5)], ints={1: (0, 3)})],
    "one_hot": [case([(2, 3)], {"depth": 4, "dtype": "float64"}, ints={0: (0, 4)})],
    "where": [case([(2, 3), (2, 3), (2, 3)], ints={0: (0, 2)})],
    # linear algebra
    "dot": [case([(2, 3), (3, 4)]), case([(3, 2), (4, 3)], {"transpose_a": True, "transpose_b": True})],
    "batch_dot": [case([(2, 2, 3), (2, 3, 4)]), case([(2, 3, 2), (2, 3, 4)], {"transpose_a": True})],
    # linalg: potrf and syevd read the lower triangle of a symmetric matrix and give a symmetric gradient, checked
    # through syrk(A) (a symmetric positive-definite input perturbed symmetrically)
    "_linalg_gemm": [case([(2, 3, 4), (2, 5, 4), (2, 3, 5)], {"transpose_b": True, "alpha": 0.7, "beta": -1.2})],
    "_linalg_gemm2": [case([(2, 3, 4), (2, 4, 5)], {"alpha": 1.5}),
                      case([(3, 2, 4), (5, 2, 3)], {"axis": 0, "transpose_a": True, "transpose_b": True})],
    "_linalg_trmm": [case([(2, 3, 3), (2, 3, 2)], {"transpose": True, "alpha": 1.5}),
                     case([(3, 3), (2, 3)], {"rightside": True, "lower": False})],
    "_linalg_trsm": [case([(2, 3, 3), (2, 3, 2)], {"alpha": 2.0}, ranges={0: (0.5, 2.0)}),
                     case([(3, 3), (2, 3)], {"rightside": True, "transpose": True, "lower": False},
                          ranges={0: (0.5, 2.0)})],
    "_linalg_syrk": [case([(2, 3, 4)], {"alpha": 0.5}), case([(3, 2)], {"transpose": True})],
    "_linalg_sumlogdiag": [case([(2, 3, 3)], **POS)],
    "_linalg_extractdiag": [case([(2, 3, 3)], {"offset": 1})],
    "_linalg_makediag": [case([(2, 3)], {"offset": -1})],
    "_linalg_extracttrian": [case([(2, 4, 4)], {"lower": False})],
    "_linalg_maketrian": [case([(2, 6)], {"offset": 1})],
    "_linalg_potrf": [case([(2, 3, 5)], build=lambda ns, op, v: op(ns.linalg.syrk(v[0])))],
    "_linalg_potri": [case([(2, 3, 3)], ranges={0: (0.5, 2.0)})],
    "_linalg_inverse": [case([(2, 3, 3)])],
    "_linalg_det": [case([(2, 3, 3)])],
    "_linalg_slogdet": [case([(3, 3)])],
    "_linalg_gelqf": [case([(2, 2, 3)])],
    "_linalg_syevd": [case([(2, 3, 4)], build=lambda ns, op, v: op(ns.linalg.syrk(v[0])))],
    # neural network
    "Activation": [case(S, {"act_type": t}) for t in ("relu", "sigmoid", "softrelu", "softsign", "tanh")],
    "LeakyReLU": [case([(2, 3, 4)], {"act_type": "leaky", "slope": 0.1}), case([(2, 3, 4)], {"act_type": "elu"}),
                  case([(2, 3, 4), (3,)], {"act_type": "prelu"}), case([(2, 3, 4)], {"act_type": "selu"}),
                  case([(2, 3, 4)], {"act_type": "gelu"})],
    "BatchNorm": [case([(4, 3, 2), (3,), (3,), (3,), (3,)], {"fix_gamma": False}, train=True,
                       ranges={1: (0.5, 1.5), 4: (0.5, 1.5)}, rtol=1e-3, atol=1e-5),
                  case([(4, 3, 2), (3,), (3,), (3,), (3,)], {"fix_gamma": False, "use_global_stats": True},
                       ranges={1: (0.5, 1.5), 4: (0.5, 1.5)})],
    "LayerNorm": [case([(3, 5), (5,), (5,)]),
                  case([(2, 3, 4), (3,), (3,)], {"axis": 1, "eps": 0.1}),
                  case([(4, 2, 3), (4,), (4,)], {"axis": 0})],
    "Pad": [case([(2, 2, 3, 4)], {"mode": m, "pad_width": (0, 0, 0, 0, 1, 2, 2, 1)}) for m in
            ("constant", "edge", "reflect")],
    "L2Normalization": [case([(2, 3, 4)], {"mode": m}) for m in ("instance", "channel", "spatial")],
    "SoftmaxActivation": [case([(2, 3, 4)]), case([(2, 3, 2)], {"mode": "channel"})],
    "InstanceNorm": [case([(2, 3, 4), (3,), (3,)]),
                     case([(2, 2, 2, 3), (2,), (2,)], {"eps": 0.1})],
    "Convolution": [case([(2, 2, 5, 5), (3, 2, 3, 3), (3,)], {"kernel": (3, 3), "num_filter": 3}),
                    case([(1, 2, 6, 6), (4, 1, 3, 3), (4,)],
                         {"kernel": (3, 3), "num_filter": 4, "num_group": 2, "stride": (2, 2), "pad": (1, 1)}),
                    case([(2, 2, 7), (3, 2, 3)], {"kernel": (3,), "num_filter": 3, "no_bias": True}),
                    case([(1, 4, 4, 3, 4), (2, 2, 2, 2, 3), (2,)],  # 3-D, grouped, strided, padded, dilated
                         {"kernel": (2, 2, 3), "num_filter": 2, "num_group": 2, "stride": (2, 1, 1),
                          "pad": (1, 0, 1), "dilate": (1, 2, 1)})],
    "Deconvolution": [case([(2, 2, 3, 3), (2, 3, 3, 3), (3,)], {"kernel": (3, 3), "num_filter": 3, "no_bias": False}),
                      case([(1, 4, 3, 2), (4, 1, 3, 2)],
                           {"kernel": (3, 2), "num_filter": 2, "num_group": 2, "stride": (2, 2), "pad": (1, 0),
                            "adj": (1, 1), "dilate": (1, 2)}),
                      case([(2, 2, 4), (2, 3, 3), (3,)],
                           {"kernel": (3,), "num_filter": 3, "stride": (2,), "target_shape": (8,), "no_bias": False}),
                      case([(1, 2, 2, 3, 2), (2, 2, 2, 2, 3), (2,)],  # 3-D
                           {"kernel": (2, 2, 3), "num_filter": 2, "stride": (2, 1, 2), "pad": (1, 0, 1),
                            "adj": (1, 0, 0), "no_bias": False})],
    "Dropout": [case([(4, 5)], {"p": 0.5}, train=True, seed_each=True)],
    "Embedding": [case([(2, 3), (5, 4)], {"input_dim": 5, "output_dim": 4, "dtype": "float64"}, ints={0: (0, 5)})],
    "FullyConnected": [case([(3, 4), (2, 4), (2,)], {"num_hidden": 2}),
                       case([(2, 2, 3), (4, 6)], {"num_hidden": 4, "no_bias": True}),
                       case([(2, 2, 3), (4, 3), (4,)], {"num_hidden": 4, "flatten": False})],
    "LinearRegressionOutput": [case([(3, 2), (3, 2)], loss=_l2, nograd=(1,))],
    "LogisticRegressionOutput": [case([(3, 2), (3, 2)], loss=_bce, ints={1: (0, 2)})],
    "MAERegressionOutput": [case([(3, 2), (3, 2)], loss=_l1, nograd=(1,))],
    "MakeLoss": [case(S, loss=_sum)], "make_loss": [case(S, loss=_sum)],
    "BlockGrad": [],  # gradient is zero by definition: checked in test_executor.py (finite differences see it)
    # straight-through estimators: the gradient is the identity by definition (test_contrib_misc.py checks it)
    "_contrib_round_ste": [], "_contrib_sign_ste": [],
    "_contrib_quadratic": [case(S, {"a": 1.5, "b": -0.5, "c": 2.0})],
    "_contrib_gradientmultiplier": [case(S, {"scalar": 1.0})],  # other scalars: test_contrib_misc.py
    "_contrib_div_sqrt_dim": [case([(2, 3, 4)])],
    "_contrib_interleaved_matmul_selfatt_qk": [case([(3, 2, 12)], {"heads": 2})],
    "_contrib_interleaved_matmul_selfatt_valatt": [case([(3, 2, 12), (4, 3, 3)], {"heads": 2})],
    "_contrib_interleaved_matmul_encdec_qk": [case([(4, 2, 6), (3, 2, 12)], {"heads": 2})],
    "_contrib_interleaved_matmul_encdec_valatt": [case([(3, 2, 12), (4, 4, 3)], {"heads": 2})],
    "_contrib_BatchNormWithReLU": [case([(4, 3, 2), (3,), (3,), (3,), (3,)], {"fix_gamma": False}, train=True,
                                        ranges={1: (0.5, 1.5), 4: (0.5, 1.5)}, rtol=1e-3, atol=1e-5)],
    "_contrib_SyncBatchNorm": [case([(4, 3, 2), (3,), (3,), (3,), (3,)], {"fix_gamma": False, "key": "k"},
                                    train=True, ranges={1: (0.5, 1.5), 4: (0.5, 1.5)}, rtol=1e-3, atol=1e-5)],
    "Pooling": [case([(1, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2), "pool_type": t})
                for t in ("max", "avg", "sum")] +
               [case([(1, 2, 4, 4)], {"global_pool": True, "pool_type": "avg"})] +
               [case([(1, 2, 4, 3, 4)], {"kernel": (2, 2, 3), "stride": (2, 1, 1), "pad": (1, 0, 1), "pool_type": t,
                                         "count_include_pad": False})
                for t in ("max", "avg", "sum")],
    "softmax": [case(S), case([(2, 3, 2)], {"axis": 1, "temperature": 2.0})],
    "log_softmax": [case(S), case([(2, 3, 2)], {"axis": 0})],
    "SoftmaxOutput": [case([(3, 4), (3,)], loss=_ce, ints={1: (0, 4)})],
    "smooth_l1": [case(S, {"scalar": 1.5}, lo=-2.0, hi=2.0), case([(3, 4)], {"scalar": 0.5}, lo=-5.0, hi=5.0)],
    "_rnn_param_concat": [case([(6,), (4,)], {"num_args": 2, "dim": 0})],
    "RNN": [case([(3, 2, 2), (224,), (4, 2, 2), (4, 2, 2)],
                 {"state_size": 2, "num_layers": 2, "mode": "lstm", "bidirectional": True, "state_outputs": True}),
            case([(3, 2, 2), (72,), (2, 2, 2)],
                 {"state_size": 2, "num_layers": 1, "mode": "gru", "bidirectional": True, "state_outputs": True}),
            case([(3, 2, 2), (48,), (1, 2, 2), (1, 2, 2), (2,)],
                 {"state_size": 2, "num_layers": 1, "mode": "lstm", "use_sequence_length": True}, ints={4: (1, 4)}),
            case([(3, 2, 2), (24,), (2, 2, 2)], {"state_size": 2, "num_layers": 2, "mode": "rnn_tanh", "p": 0.3},
                 train=True, seed_each=True)],
    "SequenceMask": [case([(4, 3, 2), (3,)], {"use_sequence_length": True, "value": 0.5}, ints={1: (0, 5)}),
                     case([(3, 4, 2), (3,)], {"use_sequence_length": True, "axis": 1}, ints={1: (0, 5)}),
                     case([(3, 2)])],
    "SequenceReverse": [case([(4, 3, 2), (3,)], {"use_sequence_length": True}, ints={1: (0, 5)}),
                        case([(3, 4, 2), (3,)], {"use_sequence_length": True, "axis": 1}, ints={1: (0, 5)}),
                        case([(3, 2)])],
    "SequenceLast": [case([(4, 3, 2), (3,)], {"use_sequence_length": True}, ints={1: (1, 5)}),
                     case([(3, 4, 2), (3,)], {"use_sequence_length": True, "axis": 1}, ints={1: (1, 5)}),
                     case([(3, 2)])],
    "UpSampling": [case([(1, 2, 2, 3)], {"scale": 2, "sample_type": "nearest"}),
                   case([(2, 1, 2, 2)], {"scale": 3, "sample_type": "nearest"})],
    # reductions
    "sum": [case([(2, 3, 2)], {"axis": 1}), case([(2, 3)])], "mean": [case([(2, 3, 2)], {"axis": (0, 2)})],
    "max": [case([(2, 3)], {"axis": 1})], "min": [case([(2, 3)], {"axis": 0, "keepdims": True})],
    "prod": [case([(2, 3)], {"axis": 1}, **POS)], "norm": [case([(2, 3)]), case([(2, 3)], {"axis": 1})],
    "argmax": [case([(2, 3)], {"axis": 1})], "argmin": [case([(2, 3)], {"axis": 0})],
    "argmax_channel": [case([(2, 3, 2)])],
    # ordering (random values: no ties, so finite differences keep the order)
    "topk": [case([(2, 5)], {"k": 2, "ret_typ": "value"}), case([(3, 4)], {"k": 2, "axis": 0, "ret_typ": "both"}),
             case([(2, 3)], {"k": 2, "axis": None, "ret_typ": "value", "is_ascend": True}),
             case([(2, 3)], {"ret_typ": "indices"}), case([(2, 3)], {"k": 2, "ret_typ": "mask"})],
    "sort": [case([(2, 4)]), case([(3, 2, 2)], {"axis": 1, "is_ascend": False}), case([(2, 3)], {"axis": None})],
    "argsort": [case([(2, 3)])],
    # shapes
    "Concat": [case([(2, 3), (2, 2)], {"dim": 1})], "stack": [case([(2, 3), (2, 3)], {"axis": 1})],
    "SliceChannel": [case([(2, 4)], {"num_outputs": 2, "axis": 1})],
    "Reshape": [case([(2, 3)], {"shape": (3, 2)})], "Flatten": [case([(2, 3, 2)])],
    "expand_dims": [case(S, {"axis": 1})], "squeeze": [case([(2, 1, 3)])],
    "transpose": [case([(2, 3, 2)], {"axes": (2, 0, 1)})], "swapaxes": [case([(2, 3, 2)], {"dim1": 0, "dim2": 2})],
    "slice": [case([(3, 4)], {"begin": (0, 1), "end": (2, 4)})],
    "slice_axis": [case([(3, 4)], {"axis": 1, "begin": 1, "end": 3})],
    "reverse": [case([(2, 3, 2)], {"axis": (0, 2)})],
    "reshape_like": [case([(2, 3), (3, 1, 2)])],
    "broadcast_to": [case([(1, 3)], {"shape": (2, 3)})],
    "broadcast_axis": [case([(2, 1)], {"axis": 1, "size": 3})],
    "tile": [case([(2, 2)], {"reps": (2, 1)})], "repeat": [case([(2, 2)], {"repeats": 2, "axis": 0})],
    # more nn and tensor operators (test_ops_more.py)
    "LRN": [case([(2, 5, 2, 2)], {"nsize": 3, "alpha": 0.4}), case([(1, 4, 3)], {"nsize": 2, "beta": 0.5})],
    "GroupNorm": [case([(2, 4, 3), (2,), (2,)], {"num_groups": 2}),
                  case([(2, 3, 2, 2), (3,), (3,)], {"num_groups": 3, "eps": 0.1, "output_mean_var": True})],
    "moments": [case([(2, 3, 2)], {"axes": (1,)}), case([(2, 3, 2)], {"axes": (0, 2), "keepdims": True})],
    "softmin": [case(S), case([(2, 3, 2)], {"axis": 1, "temperature": 2.0})],
    "softsign": [case(S, lo=-2.0, hi=2.0)], "rcbrt": [case(S, **POS)],
    "cumsum": [case([(2, 3)]), case([(2, 3, 2)], {"axis": 1})],
    "depth_to_space": [case([(1, 8, 2, 3)], {"block_size": 2})],
    "space_to_depth": [case([(2, 1, 4, 2)], {"block_size": 2})],
    "diag": [case([(3, 4)], {"k": -1}), case([(3,)], {"k": 1}), case([(2, 3, 3)], {"axis1": 2, "axis2": 1})],
    "broadcast_like": [case([(1, 3), (2, 3)], nograd=(1,)),
                       case([(1, 3), (2, 4)], {"lhs_axes": (0,), "rhs_axes": (1,)}, nograd=(1,))],
    "slice_like": [case([(3, 4), (2, 3)], nograd=(1,)), case([(3, 4, 2), (2, 2)], {"axes": (1,)}, nograd=(1,))],
    "broadcast_hypot": [case([(2, 3), (1, 3)], **POS)],
    "_logical_and": [case(S2)], "_logical_or": [case(S2)], "_logical_xor": [case(S2)],
    "broadcast_logical_and": [case([(2, 3), (1, 3)])], "broadcast_logical_or": [case([(2, 3), (1, 3)])],
    "broadcast_logical_xor": [case([(2, 3), (1, 3)])],
    "_logical_and_scalar": [case(S, {"scalar": 1})], "_logical_or_scalar": [case(S, {"scalar": 0})],
    "_logical_xor_scalar": [case(S, {"scalar": 1})],
    "nansum": [case([(2, 3, 2)], {"axis": (0, 2)})], "nanprod": [case([(2, 3)], {"axis": 1}, **POS)],
    "shape_array": [case(S)], "size_array": [case(S)],
    "_contrib_AdaptiveAvgPooling2D": [case([(1, 2, 5, 7)], {"output_size": (2, 3)}),
                                      case([(1, 1, 3, 2)], {"output_size": (4, 5)})],
    "_contrib_BilinearResize2D": [case([(1, 2, 3, 4)], {"height": 5, "width": 3}),
                                  case([(1, 1, 4, 3)], {"height": 3, "width": 5, "align_corners": False}),
                                  case([(1, 1, 3, 3), (1, 1, 4, 2)], {"mode": "like"}, nograd=(1,))],
    "_contrib_index_copy": [case([(4, 3), (2,), (2, 3)], ints={1: (0, 4)})],
    "_contrib_arange_like": [case(S)],
    "scatter_nd": [case([(3, 2), (2, 3)], {"shape": (2, 4, 2)}, ints={1: (0, 2)})],
    # random: densities of samples (2, 3) under parameters (2,) (integer samples of the discrete ones not checked:
    # their gradient is 0, as MXNet's), with and without is_log; multinomial's log-probabilities (reseeded: the same
    # draws in every forward)
    "_random_pdf_uniform": [case([(2, 3), (2,), (2,)], {"is_log": lg}, ranges={1: (-2.0, -1.0), 2: (1.0, 2.0)})
                            for lg in (False, True)],
    "_random_pdf_normal": [case([(2, 3), (2,), (2,)], {"is_log": lg}, ranges={2: (0.5, 2.0)})
                           for lg in (False, True)],
    "_random_pdf_gamma": [case([(2, 3), (2,), (2,)], {"is_log": lg}, lo=0.5, hi=2.0) for lg in (False, True)],
    "_random_pdf_exponential": [case([(2, 3), (2,)], {"is_log": lg}, lo=0.5, hi=2.0) for lg in (False, True)],
    "_random_pdf_poisson": [case([(2, 3), (2,)], {"is_log": lg}, ints={0: (0, 6)}, lo=0.5, hi=3.0)
                            for lg in (False, True)],
    "_random_pdf_negative_binomial": [case([(2, 3), (2,), (2,)], {"is_log": lg}, ints={0: (0, 6)},
                                           ranges={1: (0.5, 3.0), 2: (0.2, 0.8)}) for lg in (False, True)],
    "_random_pdf_generalized_negative_binomial": [case([(2, 3), (2,), (2,)], {"is_log": lg}, ints={0: (0, 6)},
                                                       ranges={1: (0.5, 3.0), 2: (0.2, 1.5)})
                                                  for lg in (False, True)],
    "_random_pdf_dirichlet": [case([(2, 2, 3), (2, 3)], {"is_log": lg}, lo=0.2, hi=1.0, ranges={1: (0.5, 3.0)})
                              for lg in (False, True)],
    "_sample_multinomial": [case([(2, 3)], {"shape": 4, "get_prob": True}, lo=0.2, hi=0.5, seed_each=True)],
}


def _svm(outs, vals, margin=1.0, reg=1.0):  # SVMOutput (squared hinge, one-vs-all)
    x, lab = outs[0], vals["label"].astype(int)
    sign = -np.ones_like(x)
    sign[np.arange(x.shape[0]), lab] = 1
    return reg * np.sum(np.maximum(0, margin - sign * x) ** 2)


GRAD_CASES.update({
    "CTCLoss": [case([(5, 3, 4), (3, 2)], ints={1: (1, 4)}, lo=-2.0, hi=2.0),
                case([(5, 2, 3), (2, 2), (2,), (2,)], {"use_data_lengths": True, "use_label_lengths": True,
                                                       "blank_label": "last"},
                     ints={1: (0, 2), 2: (3, 6), 3: (0, 3)}, lo=-2.0, hi=2.0)],
    "GridGenerator": [case([(2, 6)], {"transform_type": "affine", "target_shape": (3, 4)}),
                      case([(1, 2, 3, 4)], {"transform_type": "warp"})],
    "BilinearSampler": [case([(2, 2, 4, 5), (2, 2, 3, 2)], lo=-1.1, hi=1.1)],
    "SpatialTransformer": [case([(2, 2, 4, 5), (2, 6)], {"target_shape": (3, 3), "transform_type": "affine",
                                                         "sampler_type": "bilinear"})],
    "ROIPooling": [case([(4, 2, 5, 6), (3, 5)], {"pooled_size": (2, 2), "spatial_scale": 1.0}, nograd=(1,),
                        ranges={1: (0.0, 3.9)})],
    "_contrib_ROIAlign": [case([(4, 2, 5, 6), (3, 5)], {"pooled_size": (2, 3), "spatial_scale": 1.0}, nograd=(1,),
                               ranges={1: (0.0, 3.9)}),
                          case([(4, 2, 5, 6), (3, 5)], {"pooled_size": (2, 2), "spatial_scale": 0.8,
                                                        "sample_ratio": 2}, nograd=(1,), ranges={1: (0.0, 3.9)})],
    "SVMOutput": [case([(3, 4), (3,)], ints={1: (0, 4)}, loss=_svm, lo=-2.0, hi=2.0)],
    "Crop": [case([(1, 2, 5, 6)], {"num_args": 1, "h_w": (2, 3), "offset": (1, 2)}),
             case([(1, 2, 5, 6), (1, 1, 3, 3)], {"num_args": 2, "center_crop": True}, nograd=(1,))],
    "softmax_cross_entropy": [case([(3, 4), (3,)], ints={1: (0, 4)})],
    "_split_v2": [case([(2, 6, 2)], {"indices": (0, 1, 4), "axis": 1}),
                  case([(3, 2)], {"indices": (), "sections": 3, "axis": 0, "squeeze_axis": True})],
    "im2col": [case([(1, 2, 4, 5)], {"kernel": (2, 3), "stride": (1, 2), "pad": (1, 0)}),
               case([(2, 1, 5)], {"kernel": (2,), "dilate": (2,)})],
    "col2im": [case([(1, 12, 10)], {"output_size": (4, 5), "kernel": (2, 3), "stride": (1, 2), "pad": (1, 0)})],
})  # ops2

GRAD_CASES.update({
    # float64 inputs pass amp_cast / amp_multicast unchanged (only float16/float32 are cast): identity gradients
    "amp_cast": [case(S, {"dtype": "float16"})],
    "amp_multicast": [case(S2, {"num_outputs": 2}), case(S2, {"num_outputs": 2, "cast_narrow": True})],
})  # optops


def _ops_with_gradient():
    return sorted(n for n in list_op_names() if op_meta(n).has_gradient)


GRAD_CASES.update({
    # box_nms: each kept output row's gradient flows back to its input row (formats unchanged: MXNet passes the
    # gradient through a format conversion unchanged, which finite differences would not see)
    "_contrib_box_nms": [case([(8, 6)]), case([(2, 7, 6)], {"id_index": 0, "topk": 4, "overlap_thresh": 0.3}),
                         case([(6, 7)], {"score_index": 0, "coord_start": 3, "in_format": "center",
                                         "out_format": "center", "valid_thresh": -0.5})],
    # gradients defined as zero by MXNet 1.9.1 (checked in test_detection.py; finite differences would see the
    # forward's dependence)
    "_contrib_box_iou": [], "_contrib_bipartite_matching": [], "_contrib_box_encode": [], "_contrib_box_decode": [],
    "_contrib_MultiBoxPrior": [], "_contrib_MultiBoxTarget": [], "_contrib_MultiBoxDetection": [],
    "_contrib_Proposal": [], "_contrib_MultiProposal": [],
})  # detect


GRAD_CASES.update({
    # offsets keep the sampling positions off integer coordinates (where bilinear sampling has kinks)
    "_contrib_DeformableConvolution": [
        case([(2, 2, 3, 4), (2, 8, 4, 5), (3, 2, 2, 2), (3,)], {"kernel": (2, 2), "pad": (1, 1), "num_filter": 3},
             ranges={1: (0.1, 0.9)}),
        case([(1, 4, 5, 4), (1, 16, 3, 4), (4, 2, 2, 2)],
             {"kernel": (2, 2), "stride": (2, 1), "dilate": (1, 2), "pad": (1, 1), "num_filter": 4, "num_group": 2,
              "num_deformable_group": 2, "no_bias": True}, ranges={1: (-1.9, -1.1)})],
    "_contrib_ModulatedDeformableConvolution": [
        case([(2, 2, 3, 4), (2, 8, 4, 5), (2, 4, 4, 5), (3, 2, 2, 2), (3,)],
             {"kernel": (2, 2), "pad": (1, 1), "num_filter": 3}, ranges={1: (0.1, 0.9)}),
        case([(1, 4, 5, 4), (1, 16, 3, 4), (1, 8, 3, 4), (4, 2, 2, 2)],
             {"kernel": (2, 2), "stride": (2, 1), "dilate": (1, 2), "pad": (1, 1), "num_filter": 4, "num_group": 2,
              "num_deformable_group": 2, "no_bias": True}, ranges={1: (-1.9, -1.1)})],
    "_contrib_PSROIPooling": [
        case([(4, 8, 5, 6), (3, 5)], {"spatial_scale": 1.0, "output_dim": 2, "pooled_size": 2}, nograd=(1,),
             ranges={1: (0.0, 3.9)}),
        case([(4, 9, 6, 5), (3, 5)], {"spatial_scale": 1.3, "output_dim": 1, "pooled_size": 2, "group_size": 3},
             nograd=(1,), ranges={1: (0.0, 3.9)})],
    "_contrib_DeformablePSROIPooling": [
        case([(4, 8, 5, 6), (3, 5), (3, 2, 2, 2)], {"spatial_scale": 1.0, "output_dim": 2, "group_size": 2,
                                                    "pooled_size": 2, "sample_per_part": 2, "trans_std": 0.1},
             nograd=(1,), ranges={1: (0.0, 3.9)}),
        case([(4, 8, 5, 6), (3, 5), (3, 4, 3, 3)], {"spatial_scale": 0.8, "output_dim": 2, "group_size": 2,
                                                    "pooled_size": 3, "part_size": 3, "sample_per_part": 3,
                                                    "trans_std": 0.2},
             nograd=(1,), ranges={1: (0.0, 3.9)}),
        case([(4, 8, 5, 6), (3, 5)], {"spatial_scale": 1.0, "output_dim": 2, "group_size": 2, "pooled_size": 2,
                                      "sample_per_part": 2, "no_trans": True}, nograd=(1,), ranges={1: (0.0, 3.9)})],
})  # deform


GRAD_CASES.update({
    "Correlation": [
        case([(2, 3, 5, 6), (2, 3, 5, 6)], {"kernel_size": 3, "max_displacement": 2, "pad_size": 2}),
        case([(1, 2, 6, 5), (1, 2, 6, 5)], {"max_displacement": 2, "stride1": 2, "stride2": 2, "pad_size": 1}),
        case([(1, 2, 4, 5), (1, 2, 4, 5)], {"kernel_size": 3, "max_displacement": 1, "pad_size": 1,
                                            "is_multiply": False})],
    "_contrib_count_sketch": [case([(3, 7), (1, 7), (1, 7)], {"out_dim": 4}, ints={1: (0, 4)}, nograd=(2,)),
                              case([(2, 5), (2, 5), (2, 5)], {"out_dim": 3}, ints={1: (0, 3)}, nograd=(2,))],
    # hawkesll: the gradient of the log likelihood (output 0) for lda, alpha and beta, as MXNet; marks cast to int32
    "_contrib_hawkesll": [
        case([(3, 2), (2,), (2,), (3, 2), (3, 5), (3, 5), (3,), (3,)], ints={5: (0, 2), 6: (0, 6)},
             nograd=(3, 4, 7), ranges={0: (0.5, 2.0), 1: (0.1, 0.8), 2: (0.5, 2.5), 3: (0.0, 1.5), 4: (0.1, 1.0),
                                       7: (5.0, 6.0)},
             build=lambda ns, op, v: op(*v[:5], ns.cast(v[5], dtype="int32"), *v[6:])[0])],
})  # ops3


GRAD_CASES.update({
    "_contrib_fft": [case([(3, 8)]), case([(2, 3, 1, 6)], {"compute_size": 2})],
    "_contrib_ifft": [case([(3, 8)]), case([(2, 1, 2, 10)], {"compute_size": 1})],
    "Convolution_v1": [case([(2, 2, 5, 5), (3, 2, 3, 3), (3,)], {"kernel": (3, 3), "num_filter": 3}),
                       case([(1, 2, 6, 6), (4, 1, 3, 3)], {"kernel": (3, 3), "num_filter": 4, "num_group": 2,
                                                           "stride": (2, 2), "pad": (1, 1), "no_bias": True})],
    "Pooling_v1": [case([(1, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2), "pool_type": t})
                   for t in ("max", "avg", "sum")] +
                  [case([(1, 2, 5, 5)], {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg",
                                         "pooling_convention": "full"})],
    "BatchNorm_v1": [case([(4, 3, 2, 2), (3,), (3,), (3,), (3,)], {"fix_gamma": False}, train=True,
                          ranges={1: (0.5, 1.5), 4: (0.5, 1.5)}, rtol=1e-3, atol=1e-5),
                     case([(4, 3, 2), (3,), (3,), (3,), (3,)], {"fix_gamma": False, "use_global_stats": True},
                          ranges={1: (0.5, 1.5), 4: (0.5, 1.5)})],
    "_grad_add": [case([(3, 4), (3, 4)])],
    "_identity_with_attr_like_rhs": [case([(2, 5), (2, 5)])],
    # penalty 0: the KL penalty's gradient is not the derivative of the (identity) output
    "IdentityAttachKLSparseReg": [case([(4, 3), (3,)], {"penalty": 0.0}, lo=0.1, hi=0.9, train=True)],
})  # misc

GRAD_CASES.update({
    # all linear: a large step is exact, and keeps float32 arithmetic (to_tensor's float32 output) out of the way
    "_image_to_tensor": [case([(3, 5, 3)], eps=1e-2, rtol=1e-3), case([(2, 4, 3, 1)], eps=1e-2, rtol=1e-3)],
    "_image_normalize": [case([(3, 4, 5)], {"mean": (0.1, 0.2, 0.3), "std": (0.5, 2.0, 1.5)}, eps=1e-2, rtol=1e-3),
                         case([(2, 1, 3, 4)], {"mean": (0.4,), "std": (0.7,)}, eps=1e-2, rtol=1e-3)],
    "_image_flip_left_right": [case([(3, 5, 3)]), case([(2, 4, 1)])],
    "_image_flip_top_bottom": [case([(3, 5, 3)]), case([(4, 2, 1)])],
    "_image_adjust_lighting": [case([(3, 4, 3)], {"alpha": (0.1, -0.2, 0.3)}, eps=1e-2, rtol=1e-3)],
    "_image_crop": [case([(4, 5, 3)], {"x": 1, "y": 2, "width": 3, "height": 2}),
                    case([(2, 5, 4, 1)], {"x": 0, "y": 1, "width": 4, "height": 3})],
})  # image


def _csr_build(ns, f, v):  # _sparse_csr_dot: a valid indptr ([0, 2, 4, 6]: two entries per row) from a zero input
    return f(v[0], v[1], v[2] + ns.arange(0, 8, 2, dtype="float64"), v[3])


GRAD_CASES.update({
    "_sparse_csr_dot": [case([(6,), (6,), (4,), (5, 2)], {"num_cols": 5}, ints={1: (0, 5), 2: (0, 1)},
                             build=_csr_build),
                        case([(6,), (6,), (4,), (3, 2)], {"num_cols": 5, "transpose_a": True},
                             ints={1: (0, 5), 2: (0, 1)}, build=_csr_build)],
})  # sparse


def test_every_operator_with_a_gradient_has_a_case():
    missing = [n for n in _ops_with_gradient() if n not in GRAD_CASES]
    assert not missing, ("operators with a gradient but no case in GRAD_CASES (add one in "
                         "bindings/python/tests/test_executor_grad.py): " + ", ".join(missing))


def _build(opname, c):
    meta = op_meta(opname)
    n = len(c["shapes"])
    fn = getattr(mx.sym, opname)
    if meta.key_var_num_args:
        names = ["arg%d" % i for i in range(n)]
        sym = fn(*[mx.sym.Variable(x) for x in names], name="op", **c["params"])
    else:
        names = list(meta.input_names[:n])
        if opname == "LeakyReLU" and n == 2:
            names = ["data", "gamma"]
        if opname == "Custom":  # inputs named by the op_type's property
            names = ["data", "weight"]
        if c["build"] is not None:
            return c["build"](mx.sym, lambda *a: fn(*a, name="op", **c["params"]),
                              [mx.sym.Variable(x) for x in names]), names
        sym = fn(name="op", **dict(zip(names, [mx.sym.Variable(x) for x in names])), **c["params"])
    return sym, names


def _check(opname, c, rng):
    sym, names = _build(opname, c)
    shapes = dict(zip(names, c["shapes"]))
    args, auxs = sym.list_arguments(), sym.list_auxiliary_states()
    assert sorted(args + auxs) == sorted(names), (args, auxs, names)
    checked = [x for i, x in enumerate(names) if i not in c["nograd"] and x in args]
    reqs = {x: ("write" if x in checked else "null") for x in args}
    exe = sym.simple_bind(mx.current_context(), grad_req=reqs, type_dict={x: np.float64 for x in names}, **shapes)
    vals = {}
    for i, x in enumerate(names):
        if i in c["ints"]:
            v = rng.randint(c["ints"][i][0], c["ints"][i][1], size=c["shapes"][i]).astype(np.float64)
        else:
            lo, hi = c["ranges"].get(i, (c["lo"], c["hi"]))
            v = rng.uniform(lo, hi, size=c["shapes"][i])
        vals[x] = v
        (exe.arg_dict if x in args else exe.aux_dict)[x][:] = v
    aux0 = {x: vals[x].copy() for x in auxs}
    heads = [rng.uniform(-1, 1, size=o.shape) for o in exe.outputs]

    def forward():
        for x in auxs:  # training BatchNorm updates its moving statistics: restore them
            exe.aux_dict[x][:] = aux0[x]
        if c["seed_each"]:
            mx.random.seed(7)
        exe.forward(is_train=c["train"])
        return [o.asnumpy().astype(np.float64) for o in exe.outputs]

    def objective():
        outs = forward()
        if c["loss"] is not None:
            return c["loss"](outs, vals)
        return sum(np.sum(h * o) for h, o in zip(heads, outs))

    forward()
    if c["loss"] is not None:
        exe.backward()
    else:
        exe.backward([mx.nd.array(h, dtype=o.dtype) for h, o in zip(heads, exe.outputs)])
    analytic = {x: exe.grad_dict[x].asnumpy() for x in checked}
    for x in checked:
        v = vals[x]
        num = np.zeros_like(v)
        flat = v.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + c["eps"]
            exe.arg_dict[x][:] = v
            fp = objective()
            flat[k] = orig - c["eps"]
            exe.arg_dict[x][:] = v
            fm = objective()
            flat[k] = orig
            exe.arg_dict[x][:] = v
            num.reshape(-1)[k] = (fp - fm) / (2 * c["eps"])
        np.testing.assert_allclose(analytic[x], num, rtol=c["rtol"], atol=c["atol"],
                                   err_msg="%s: gradient of input %r (params %s)" % (opname, x, c["params"]))


_ALL = [(op, i) for op in sorted(GRAD_CASES) for i in range(len(GRAD_CASES[op]))]


@pytest.mark.parametrize("opname,idx", _ALL, ids=["%s-%d" % x for x in _ALL])
def test_gradient(opname, idx):
    from mxc.base import has_op
    if not has_op(opname):
        pytest.skip("operator %s not in this build" % opname)
    _check(opname, GRAD_CASES[opname][idx], np.random.RandomState(1000 + idx))
