"""Every operator's symbol, created without a name, has MXNet 1.9.1's output, argument and auxiliary-state names.

tests/data/mxnet_symbol_names.json holds, for each operator name (and alias) MXNet 1.9.1 also has, the parameters
used to create it (its required ones, with plain values) and the names MXNet 1.9.1 printed: ``list_outputs()``,
``list_arguments()`` and ``list_auxiliary_states()`` of ``mx.sym.<op>(**kwargs)`` (``mx.sym.contrib.<x>`` for
``_contrib_<x>``, ``mx.sym.linalg.<x>`` for ``_linalg_<x>``, ``mx.sym.image.<x>`` for ``_image_<x>``; two symbol
inputs for variadic operators). Names carry the NameManager's counter, which differs between the two runs, so it is
taken out before comparing.
"""
import json
import os
import re

import pytest

import mxc as mx

_DATA = json.load(open(os.path.join(os.path.dirname(__file__), "data", "mxnet_symbol_names.json")))

# Differences: `_cvcopyMakeBorder`'s input is `src` (the keyword both take); MXNet lists it as `data`.
# `quantized_concat` given only its data inputs: MXNet creates the min/max range variables (`<name>_arg0_min`, ...),
# mxc asks for them (below).
_KNOWN = {"_cvcopyMakeBorder", "_contrib_quantized_concat"}
# Given two inputs, these need more (3 per weight with multi_precision, the learning rates as inputs with preloaded_,
# 4-6 with Adam and LAMB): MXNet 1.9.1 creates the symbol and fails when it is bound; mxc says so at once.
_TOO_FEW_INPUTS = {"_contrib_quantized_concat", "_multi_adamw_update", "_multi_lamb_update", "_multi_mp_adamw_update", "_multi_mp_lamb_update",
                   "multi_mp_sgd_mom_update", "multi_mp_sgd_update", "preloaded_multi_mp_sgd_mom_update",
                   "preloaded_multi_mp_sgd_update", "preloaded_multi_sgd_update"}


def _function(name):
    for prefix, module in (("_contrib_", mx.sym.contrib), ("_linalg_", mx.sym.linalg),
                           ("_image_", mx.sym.image)):
        if name.startswith(prefix):
            return getattr(module, name[len(prefix):])
    return getattr(mx.sym, name, None) or getattr(mx.sym._internal, name)


def _strip_counter(names):
    return [re.sub(r"^([a-z_0-9]*?)\d+_", r"\1#_", n) for n in names]


def test_the_data_covers_the_registry():
    assert len(_DATA) >= 400


def _create(name):
    case = _DATA[name]
    kwargs = dict(case["kwargs"])
    args = [mx.sym.Variable("a%d" % i) for i in range(2)] if case["variadic"] else []
    if case["variadic"] and case["variadic"] in kwargs:
        kwargs[case["variadic"]] = "2"
    return _function(name)(*args, **kwargs)


@pytest.mark.parametrize("name", sorted(n for n in _DATA if n not in _KNOWN | _TOO_FEW_INPUTS))
def test_names_as_mxnet(name):
    case = _DATA[name]
    s = _create(name)
    assert _strip_counter(s.list_outputs()) == _strip_counter(case["outputs"])
    assert _strip_counter(s.list_arguments()) == _strip_counter(case["arguments"])
    assert _strip_counter(s.list_auxiliary_states()) == _strip_counter(case["aux"])


@pytest.mark.parametrize("name", sorted(_TOO_FEW_INPUTS))
def test_too_few_inputs_is_a_clear_error(name):
    with pytest.raises(mx.base.MXNetError, match=r"operator %s \(node '[a-z_0-9]+'\): expects \d+ inputs \(from "
                       r"num_\w+\) but input 2 is not given" % name):
        _create(name)
