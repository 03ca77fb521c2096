"""mx.contrib.amp (automatic mixed precision) against MXNet 1.9.1.

The expected graphs below are what MXNet 1.9.1's ``amp.convert_symbol(...).tojson(remove_amp_cast=False)`` printed
for the same nets (node op, node name, dtype attributes, input node ids), with ``tojson()``'s node names (the casts
removed), ``list_arguments`` / ``list_auxiliary_states`` / ``list_outputs``. The other expected values (operator
lists, imperative dtypes, symbol internals, loss scaler numbers) were printed by MXNet 1.9.1 too.
"""
import json
import math

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon
from mxc.contrib import amp
from mxc.contrib.amp import amp as amp_impl
from mxc.base import has_op

MXNET_CONVERTED = {'add_n': {'args': ['data', 'fcx_weight', 'fcx_bias', 'fcw_weight', 'fcw_bias'],
           'aux': [],
           'heads': [[15, 0]],
           'nodes': [('null', 'data', None, []), ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                     ('null', 'fcx_weight', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcx_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                     ('null', 'fcx_bias', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcx_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                     ('FullyConnected', 'fcx', None, [1, 3, 5]),
                     ('amp_cast', 'fcx_output_amp_cast_float32', {'dtype': 'float32'}, [6]),
                     ('exp', 'expy', None, [0]), ('null', 'fcw_weight', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcw_weight_amp_cast_float16', {'dtype': 'float16'}, [9]),
                     ('null', 'fcw_bias', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcw_bias_amp_cast_float16', {'dtype': 'float16'}, [11]),
                     ('FullyConnected', 'fcw', None, [1, 10, 12]),
                     ('amp_cast', 'fcw_output_amp_cast_float32', {'dtype': 'float32'}, [13]),
                     ('add_n', 'an', None, [7, 8, 14])],
           'outs': ['an_output'],
           'stripped': [('data', []), ('fcx_weight', []), ('fcx_bias', []), ('fcx', [0, 1, 2]), ('expy', [0]),
                        ('fcw_weight', []), ('fcw_bias', []), ('fcw', [0, 5, 6]), ('an', [3, 4, 7])]},
 'cond_widest': {'args': ['data', 'fcb_weight', 'fcb_bias', 'fc1_weight', 'fc1_bias', 'fce_weight', 'fce_bias'],
                 'aux': [],
                 'heads': [[24, 0], [26, 0]],
                 'nodes': [('null', 'data', None, []),
                           ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                           ('null', 'fcb_weight', {'__dtype__': '0'}, []),
                           ('amp_cast', 'fcb_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                           ('null', 'fcb_bias', {'__dtype__': '0'}, []),
                           ('amp_cast', 'fcb_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                           ('FullyConnected', 'fcb', None, [1, 3, 5]),
                           ('amp_cast', 'fcb_output_amp_cast_float32', {'dtype': 'float32'}, [6]),
                           ('null', 'fc1_weight', {'__dtype__': '0'}, []),
                           ('amp_cast', 'fc1_weight_amp_cast_float16', {'dtype': 'float16'}, [8]),
                           ('null', 'fc1_bias', {'__dtype__': '0'}, []),
                           ('amp_cast', 'fc1_bias_amp_cast_float16', {'dtype': 'float16'}, [10]),
                           ('FullyConnected', 'fc1', None, [1, 9, 11]),
                           ('amp_cast', 'fc1_output_amp_cast_float32', {'dtype': 'float32'}, [12]),
                           ('Activation', 'act_sr', None, [13]), ('elemwise_add', 'add0', None, [7, 14]),
                           ('exp', 'exp0', None, [0]),
                           ('amp_cast', 'exp0_0_amp_cast_float16', {'dtype': 'float16'}, [16]),
                           ('null', 'fce_weight', {'__dtype__': '0'}, []),
                           ('amp_cast', 'fce_weight_amp_cast_float16', {'dtype': 'float16'}, [18]),
                           ('null', 'fce_bias', {'__dtype__': '0'}, []),
                           ('amp_cast', 'fce_bias_amp_cast_float16', {'dtype': 'float16'}, [20]),
                           ('FullyConnected', 'fce', None, [17, 19, 21]),
                           ('amp_cast', 'fce_output_amp_cast_float32', {'dtype': 'float32'}, [22]),
                           ('elemwise_add', 'add1', None, [15, 23]), ('Activation', 'sig', None, [6]),
                           ('amp_cast', 'sig_output_amp_cast_float32', {'dtype': 'float32'}, [25])],
                 'outs': ['add1_output', 'sig_output_amp_cast_float32_output'],
                 'stripped': [('data', []), ('fcb_weight', []), ('fcb_bias', []), ('fcb', [0, 1, 2]),
                              ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 4, 5]), ('act_sr', [6]),
                              ('add0', [3, 7]), ('exp0', [0]), ('fce_weight', []), ('fce_bias', []),
                              ('fce', [9, 10, 11]), ('add1', [8, 12]), ('sig', [3]),
                              ('sig_output_amp_cast_float32', [14])]},
 'conv': {'args': ['data', 'conv0_weight', 'conv0_bias', 'bn0_gamma', 'bn0_beta', 'fc_weight', 'fc_bias'],
          'aux': ['bn0_moving_mean', 'bn0_moving_var'],
          'heads': [[20, 0]],
          'nodes': [('null', 'data', None, []), ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                    ('null', 'conv0_weight', {'__dtype__': '0'}, []),
                    ('amp_cast', 'conv0_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                    ('null', 'conv0_bias', {'__dtype__': '0'}, []),
                    ('amp_cast', 'conv0_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                    ('Convolution', 'conv0', None, [1, 3, 5]), ('null', 'bn0_gamma', {'__dtype__': '0'}, []),
                    ('null', 'bn0_beta', {'__dtype__': '0'}, []),
                    ('null', 'bn0_moving_mean', {'__dtype__': '0'}, []),
                    ('null', 'bn0_moving_var', {'__dtype__': '0'}, []),
                    ('BatchNorm', 'bn0', None, [6, 7, 8, 9, 10]), ('Activation', 'relu0', None, [11]),
                    ('Pooling', 'pool0', None, [12]), ('Flatten', 'flat0', None, [13]),
                    ('null', 'fc_weight', {'__dtype__': '0'}, []),
                    ('amp_cast', 'fc_weight_amp_cast_float16', {'dtype': 'float16'}, [15]),
                    ('null', 'fc_bias', {'__dtype__': '0'}, []),
                    ('amp_cast', 'fc_bias_amp_cast_float16', {'dtype': 'float16'}, [17]),
                    ('FullyConnected', 'fc', None, [14, 16, 18]),
                    ('amp_cast', 'fc_output_amp_cast_float32', {'dtype': 'float32'}, [19])],
          'outs': ['fc_output_amp_cast_float32_output'],
          'stripped': [('data', []), ('conv0_weight', []), ('conv0_bias', []), ('conv0', [0, 1, 2]),
                       ('bn0_gamma', []), ('bn0_beta', []), ('bn0_moving_mean', []), ('bn0_moving_var', []),
                       ('bn0', [3, 4, 5, 6, 7]), ('relu0', [8]), ('pool0', [9]), ('flat0', [10]), ('fc_weight', []),
                       ('fc_bias', []), ('fc', [11, 12, 13]), ('fc_output_amp_cast_float32', [14])]},
 'conv_castopt': {'args': ['data', 'conv0_weight', 'conv0_bias', 'bn0_gamma', 'bn0_beta', 'fc_weight', 'fc_bias'],
                  'aux': ['bn0_moving_mean', 'bn0_moving_var'],
                  'heads': [[16, 0]],
                  'nodes': [('null', 'data', None, []),
                            ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                            ('null', 'conv0_weight', {'__dtype__': '2'}, []),
                            ('null', 'conv0_bias', {'__dtype__': '2'}, []),
                            ('Convolution', 'conv0', None, [1, 2, 3]),
                            ('null', 'bn0_gamma', {'__dtype__': '0'}, []),
                            ('null', 'bn0_beta', {'__dtype__': '0'}, []),
                            ('null', 'bn0_moving_mean', {'__dtype__': '0'}, []),
                            ('null', 'bn0_moving_var', {'__dtype__': '0'}, []),
                            ('BatchNorm', 'bn0', None, [4, 5, 6, 7, 8]), ('Activation', 'relu0', None, [9]),
                            ('Pooling', 'pool0', None, [10]), ('Flatten', 'flat0', None, [11]),
                            ('null', 'fc_weight', {'__dtype__': '2'}, []),
                            ('null', 'fc_bias', {'__dtype__': '2'}, []),
                            ('FullyConnected', 'fc', None, [12, 13, 14]),
                            ('amp_cast', 'fc_output_amp_cast_float32', {'dtype': 'float32'}, [15])],
                  'outs': ['fc_output_amp_cast_float32_output'],
                  'stripped': [('data', []), ('conv0_weight', []), ('conv0_bias', []), ('conv0', [0, 1, 2]),
                               ('bn0_gamma', []), ('bn0_beta', []), ('bn0_moving_mean', []), ('bn0_moving_var', []),
                               ('bn0', [3, 4, 5, 6, 7]), ('relu0', [8]), ('pool0', [9]), ('flat0', [10]),
                               ('fc_weight', []), ('fc_bias', []), ('fc', [11, 12, 13]),
                               ('fc_output_amp_cast_float32', [14])]},
 'conv_nodn': {'args': ['data', 'conv0_weight', 'conv0_bias', 'bn0_gamma', 'bn0_beta', 'fc_weight', 'fc_bias'],
               'aux': ['bn0_moving_mean', 'bn0_moving_var'],
               'heads': [[20, 0]],
               'nodes': [('null', 'data', None, []),
                         ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                         ('null', 'conv0_weight', None, []),
                         ('amp_cast', 'conv0_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                         ('null', 'conv0_bias', None, []),
                         ('amp_cast', 'conv0_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                         ('Convolution', 'conv0', None, [1, 3, 5]), ('null', 'bn0_gamma', None, []),
                         ('null', 'bn0_beta', None, []), ('null', 'bn0_moving_mean', None, []),
                         ('null', 'bn0_moving_var', None, []), ('BatchNorm', 'bn0', None, [6, 7, 8, 9, 10]),
                         ('Activation', 'relu0', None, [11]), ('Pooling', 'pool0', None, [12]),
                         ('Flatten', 'flat0', None, [13]), ('null', 'fc_weight', None, []),
                         ('amp_cast', 'fc_weight_amp_cast_float16', {'dtype': 'float16'}, [15]),
                         ('null', 'fc_bias', None, []),
                         ('amp_cast', 'fc_bias_amp_cast_float16', {'dtype': 'float16'}, [17]),
                         ('FullyConnected', 'fc', None, [14, 16, 18]),
                         ('amp_cast', 'fc_output_amp_cast_float32', {'dtype': 'float32'}, [19])],
               'outs': ['fc_output_amp_cast_float32_output'],
               'stripped': [('data', []), ('conv0_weight', []), ('conv0_bias', []), ('conv0', [0, 1, 2]),
                            ('bn0_gamma', []), ('bn0_beta', []), ('bn0_moving_mean', []), ('bn0_moving_var', []),
                            ('bn0', [3, 4, 5, 6, 7]), ('relu0', [8]), ('pool0', [9]), ('flat0', [10]),
                            ('fc_weight', []), ('fc_bias', []), ('fc', [11, 12, 13]),
                            ('fc_output_amp_cast_float32', [14])]},
 'excluded': {'args': ['data', 'fcb_weight', 'fcb_bias', 'fc1_weight', 'fc1_bias', 'fce_weight', 'fce_bias'],
              'aux': [],
              'heads': [[21, 0], [22, 0]],
              'nodes': [('null', 'data', None, []), ('null', 'fcb_weight', {'__dtype__': '0'}, []),
                        ('null', 'fcb_bias', {'__dtype__': '0'}, []), ('FullyConnected', 'fcb', None, [0, 1, 2]),
                        ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                        ('null', 'fc1_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fc1_weight_amp_cast_float16', {'dtype': 'float16'}, [5]),
                        ('null', 'fc1_bias', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fc1_bias_amp_cast_float16', {'dtype': 'float16'}, [7]),
                        ('FullyConnected', 'fc1', None, [4, 6, 8]),
                        ('amp_cast', 'fc1_output_amp_cast_float32', {'dtype': 'float32'}, [9]),
                        ('Activation', 'act_sr', None, [10]), ('elemwise_add', 'add0', None, [3, 11]),
                        ('exp', 'exp0', None, [0]),
                        ('amp_cast', 'exp0_0_amp_cast_float16', {'dtype': 'float16'}, [13]),
                        ('null', 'fce_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fce_weight_amp_cast_float16', {'dtype': 'float16'}, [15]),
                        ('null', 'fce_bias', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fce_bias_amp_cast_float16', {'dtype': 'float16'}, [17]),
                        ('FullyConnected', 'fce', None, [14, 16, 18]),
                        ('amp_cast', 'fce_output_amp_cast_float32', {'dtype': 'float32'}, [19]),
                        ('elemwise_add', 'add1', None, [12, 20]), ('Activation', 'sig', None, [3])],
              'outs': ['add1_output', 'sig_output'],
              'stripped': [('data', []), ('fcb_weight', []), ('fcb_bias', []), ('fcb', [0, 1, 2]),
                           ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 4, 5]), ('act_sr', [6]),
                           ('add0', [3, 7]), ('exp0', [0]), ('fce_weight', []), ('fce_bias', []),
                           ('fce', [9, 10, 11]), ('add1', [8, 12]), ('sig', [3])]},
 'fp32_list': {'args': ['data', 'fcb_weight', 'fcb_bias', 'fc1_weight', 'fc1_bias', 'fce_weight', 'fce_bias'],
               'aux': [],
               'heads': [[24, 0], [25, 0]],
               'nodes': [('null', 'data', None, []),
                         ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                         ('null', 'fcb_weight', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fcb_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                         ('null', 'fcb_bias', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fcb_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                         ('FullyConnected', 'fcb', None, [1, 3, 5]),
                         ('amp_cast', 'fcb_output_amp_cast_float32', {'dtype': 'float32'}, [6]),
                         ('null', 'fc1_weight', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fc1_weight_amp_cast_float16', {'dtype': 'float16'}, [8]),
                         ('null', 'fc1_bias', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fc1_bias_amp_cast_float16', {'dtype': 'float16'}, [10]),
                         ('FullyConnected', 'fc1', None, [1, 9, 11]),
                         ('amp_cast', 'fc1_output_amp_cast_float32', {'dtype': 'float32'}, [12]),
                         ('Activation', 'act_sr', None, [13]), ('elemwise_add', 'add0', None, [7, 14]),
                         ('exp', 'exp0', None, [0]),
                         ('amp_cast', 'exp0_0_amp_cast_float16', {'dtype': 'float16'}, [16]),
                         ('null', 'fce_weight', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fce_weight_amp_cast_float16', {'dtype': 'float16'}, [18]),
                         ('null', 'fce_bias', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fce_bias_amp_cast_float16', {'dtype': 'float16'}, [20]),
                         ('FullyConnected', 'fce', None, [17, 19, 21]),
                         ('amp_cast', 'fce_output_amp_cast_float32', {'dtype': 'float32'}, [22]),
                         ('elemwise_add', 'add1', None, [15, 23]), ('Activation', 'sig', None, [7])],
               'outs': ['add1_output', 'sig_output'],
               'stripped': [('data', []), ('fcb_weight', []), ('fcb_bias', []), ('fcb', [0, 1, 2]),
                            ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 4, 5]), ('act_sr', [6]),
                            ('add0', [3, 7]), ('exp0', [0]), ('fce_weight', []), ('fce_bias', []),
                            ('fce', [9, 10, 11]), ('add1', [8, 12]), ('sig', [3])]},
 'leaky_elu': {'args': ['data', 'fcl_weight', 'fcl_bias', 'fco_weight', 'fco_bias'],
               'aux': [],
               'heads': [[16, 0]],
               'nodes': [('null', 'data', None, []),
                         ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                         ('null', 'fcl_weight', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fcl_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                         ('null', 'fcl_bias', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fcl_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                         ('FullyConnected', 'fcl', None, [1, 3, 5]),
                         ('amp_cast', 'fcl_output_amp_cast_float32', {'dtype': 'float32'}, [6]),
                         ('LeakyReLU', 'elu', None, [7]), ('sum', 's0', None, [8]),
                         ('amp_cast', 's0_0_amp_cast_float16', {'dtype': 'float16'}, [9]),
                         ('null', 'fco_weight', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fco_weight_amp_cast_float16', {'dtype': 'float16'}, [11]),
                         ('null', 'fco_bias', {'__dtype__': '0'}, []),
                         ('amp_cast', 'fco_bias_amp_cast_float16', {'dtype': 'float16'}, [13]),
                         ('FullyConnected', 'fco', None, [10, 12, 14]),
                         ('amp_cast', 'fco_output_amp_cast_float32', {'dtype': 'float32'}, [15])],
               'outs': ['fco_output_amp_cast_float32_output'],
               'stripped': [('data', []), ('fcl_weight', []), ('fcl_bias', []), ('fcl', [0, 1, 2]), ('elu', [3]),
                            ('s0', [4]), ('fco_weight', []), ('fco_bias', []), ('fco', [5, 6, 7]),
                            ('fco_output_amp_cast_float32', [8])]},
 'mixed': {'args': ['tok', 'emb_weight', 'ln_gamma', 'ln_beta', 'proj_weight', 'proj_bias', 'proj2_weight',
                    'proj2_bias', 'scale', 'fcr_weight', 'fcr_bias'],
           'aux': [],
           'heads': [[37, 0], [39, 0], [40, 0]],
           'nodes': [('null', 'tok', None, []), ('null', 'emb_weight', {'__dtype__': '0'}, []),
                     ('Embedding', 'emb', None, [0, 1]),
                     ('amp_cast', 'emb_0_amp_cast_float32', {'dtype': 'float32'}, [2]),
                     ('null', 'ln_gamma', {'__dtype__': '0'}, []), ('null', 'ln_beta', {'__dtype__': '0'}, []),
                     ('LayerNorm', 'ln', None, [3, 4, 5]),
                     ('amp_cast', 'ln_output_amp_cast_float16', {'dtype': 'float16'}, [6]),
                     ('null', 'proj_weight', {'__dtype__': '0'}, []),
                     ('amp_cast', 'proj_weight_amp_cast_float16', {'dtype': 'float16'}, [8]),
                     ('null', 'proj_bias', {'__dtype__': '0'}, []),
                     ('amp_cast', 'proj_bias_amp_cast_float16', {'dtype': 'float16'}, [10]),
                     ('FullyConnected', 'proj', None, [7, 9, 11]), ('Dropout', 'drop', None, [12]),
                     ('amp_cast', 'emb_0_amp_cast_float16', {'dtype': 'float16'}, [2]),
                     ('null', 'proj2_weight', {'__dtype__': '0'}, []),
                     ('amp_cast', 'proj2_weight_amp_cast_float16', {'dtype': 'float16'}, [15]),
                     ('null', 'proj2_bias', {'__dtype__': '0'}, []),
                     ('amp_cast', 'proj2_bias_amp_cast_float16', {'dtype': 'float16'}, [17]),
                     ('FullyConnected', 'proj2', None, [14, 16, 18]), ('Concat', 'cat', None, [13, 19]),
                     ('null', 'scale', {'__dtype__': '0'}, []),
                     ('amp_multicast', 'cat_output_amp_multicast', {'num_outputs': '2'}, [20, 21]),
                     ('broadcast_mul', 'bm', None, [22, 22]),
                     ('amp_multicast', 'bm_0_amp_multicast', {'num_outputs': '2'}, [23, 23]),
                     ('batch_dot', 'bd', None, [24, 24]),
                     ('amp_cast', 'bd_0_amp_cast_float32', {'dtype': 'float32'}, [25]),
                     ('softmax', 'sm', None, [26]), ('SliceChannel', 'sl', None, [27]),
                     ('transpose', 'tr', None, [28]), ('Reshape', 'rs', None, [29]),
                     ('amp_cast', 'rs_0_amp_cast_float16', {'dtype': 'float16'}, [30]),
                     ('null', 'fcr_weight', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcr_weight_amp_cast_float16', {'dtype': 'float16'}, [32]),
                     ('null', 'fcr_bias', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcr_bias_amp_cast_float16', {'dtype': 'float16'}, [34]),
                     ('FullyConnected', 'fcr', None, [31, 33, 35]),
                     ('amp_cast', 'fcr_output_amp_cast_float32', {'dtype': 'float32'}, [36]),
                     ('LeakyReLU', 'selu', None, [28]), ('mean', 'mn', None, [38]), ('exp', 'ex', None, [37])],
           'outs': ['fcr_output_amp_cast_float32_output', 'mn_output', 'ex_output'],
           'stripped': [('tok', []), ('emb_weight', []), ('emb', [0, 1]), ('ln_gamma', []), ('ln_beta', []),
                        ('ln', [2, 3, 4]), ('proj_weight', []), ('proj_bias', []), ('proj', [5, 6, 7]),
                        ('drop', [8]), ('proj2_weight', []), ('proj2_bias', []), ('proj2', [2, 10, 11]),
                        ('cat', [9, 12]), ('scale', []), ('bm', [13, 14]), ('bd', [15, 15]), ('sm', [16]),
                        ('sl', [17]), ('tr', [18]), ('rs', [19]), ('fcr_weight', []), ('fcr_bias', []),
                        ('fcr', [20, 21, 22]), ('fcr_output_amp_cast_float32', [23]), ('selu', [18]), ('mn', [25]),
                        ('ex', [23])]},
 'mixed_castopt': {'args': ['tok', 'emb_weight', 'ln_gamma', 'ln_beta', 'proj_weight', 'proj_bias', 'proj2_weight',
                            'proj2_bias', 'scale', 'fcr_weight', 'fcr_bias'],
                   'aux': [],
                   'heads': [[31, 0], [33, 0]],
                   'nodes': [('null', 'tok', None, []), ('null', 'emb_weight', {'__dtype__': '0'}, []),
                             ('Embedding', 'emb', None, [0, 1]),
                             ('amp_cast', 'emb_0_amp_cast_float32', {'dtype': 'float32'}, [2]),
                             ('null', 'ln_gamma', {'__dtype__': '0'}, []),
                             ('null', 'ln_beta', {'__dtype__': '0'}, []), ('LayerNorm', 'ln', None, [3, 4, 5]),
                             ('amp_cast', 'ln_output_amp_cast_float16', {'dtype': 'float16'}, [6]),
                             ('null', 'proj_weight', {'__dtype__': '2'}, []),
                             ('null', 'proj_bias', {'__dtype__': '2'}, []),
                             ('FullyConnected', 'proj', None, [7, 8, 9]), ('Dropout', 'drop', None, [10]),
                             ('amp_cast', 'emb_0_amp_cast_float16', {'dtype': 'float16'}, [2]),
                             ('null', 'proj2_weight', {'__dtype__': '2'}, []),
                             ('null', 'proj2_bias', {'__dtype__': '2'}, []),
                             ('FullyConnected', 'proj2', None, [12, 13, 14]), ('Concat', 'cat', None, [11, 15]),
                             ('null', 'scale', {'__dtype__': '0'}, []),
                             ('amp_multicast', 'cat_output_amp_multicast', {'num_outputs': '2'}, [16, 17]),
                             ('broadcast_mul', 'bm', None, [18, 18]),
                             ('amp_multicast', 'bm_0_amp_multicast', {'num_outputs': '2'}, [19, 19]),
                             ('batch_dot', 'bd', None, [20, 20]),
                             ('amp_cast', 'bd_0_amp_cast_float32', {'dtype': 'float32'}, [21]),
                             ('softmax', 'sm', None, [22]), ('SliceChannel', 'sl', None, [23]),
                             ('transpose', 'tr', None, [24]), ('Reshape', 'rs', None, [25]),
                             ('amp_cast', 'rs_0_amp_cast_float16', {'dtype': 'float16'}, [26]),
                             ('null', 'fcr_weight', {'__dtype__': '2'}, []),
                             ('null', 'fcr_bias', {'__dtype__': '2'}, []),
                             ('FullyConnected', 'fcr', None, [27, 28, 29]),
                             ('amp_cast', 'fcr_output_amp_cast_float32', {'dtype': 'float32'}, [30]),
                             ('LeakyReLU', 'selu', None, [24]), ('mean', 'mn', None, [32])],
                   'outs': ['fcr_output_amp_cast_float32_output', 'mn_output'],
                   'stripped': [('tok', []), ('emb_weight', []), ('emb', [0, 1]), ('ln_gamma', []), ('ln_beta', []),
                                ('ln', [2, 3, 4]), ('proj_weight', []), ('proj_bias', []), ('proj', [5, 6, 7]),
                                ('drop', [8]), ('proj2_weight', []), ('proj2_bias', []), ('proj2', [2, 10, 11]),
                                ('cat', [9, 12]), ('scale', []), ('bm', [13, 14]), ('bd', [15, 15]), ('sm', [16]),
                                ('sl', [17]), ('tr', [18]), ('rs', [19]), ('fcr_weight', []), ('fcr_bias', []),
                                ('fcr', [20, 21, 22]), ('fcr_output_amp_cast_float32', [23]), ('selu', [18]),
                                ('mn', [25])]},
 'mlp': {'args': ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label'],
         'aux': [],
         'heads': [[15, 0]],
         'nodes': [('null', 'data', None, []), ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                   ('null', 'fc1_weight', None, []),
                   ('amp_cast', 'fc1_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                   ('null', 'fc1_bias', None, []),
                   ('amp_cast', 'fc1_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                   ('FullyConnected', 'fc1', None, [1, 3, 5]), ('Activation', 'relu1', None, [6]),
                   ('null', 'fc2_weight', None, []),
                   ('amp_cast', 'fc2_weight_amp_cast_float16', {'dtype': 'float16'}, [8]),
                   ('null', 'fc2_bias', None, []),
                   ('amp_cast', 'fc2_bias_amp_cast_float16', {'dtype': 'float16'}, [10]),
                   ('FullyConnected', 'fc2', None, [7, 9, 11]),
                   ('amp_cast', 'fc2_output_amp_cast_float32', {'dtype': 'float32'}, [12]),
                   ('null', 'softmax_label', None, []), ('SoftmaxOutput', 'softmax', None, [13, 14])],
         'outs': ['softmax_output'],
         'stripped': [('data', []), ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 1, 2]), ('relu1', [3]),
                      ('fc2_weight', []), ('fc2_bias', []), ('fc2', [4, 5, 6]), ('softmax_label', []),
                      ('softmax', [7, 8])]},
 'mlp_castopt': {'args': ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label'],
                 'aux': [],
                 'heads': [[11, 0]],
                 'nodes': [('null', 'data', None, []),
                           ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                           ('null', 'fc1_weight', {'__dtype__': '2'}, []),
                           ('null', 'fc1_bias', {'__dtype__': '2'}, []), ('FullyConnected', 'fc1', None, [1, 2, 3]),
                           ('Activation', 'relu1', None, [4]), ('null', 'fc2_weight', {'__dtype__': '2'}, []),
                           ('null', 'fc2_bias', {'__dtype__': '2'}, []), ('FullyConnected', 'fc2', None, [5, 6, 7]),
                           ('amp_cast', 'fc2_output_amp_cast_float32', {'dtype': 'float32'}, [8]),
                           ('null', 'softmax_label', {'__dtype__': '0'}, []),
                           ('SoftmaxOutput', 'softmax', None, [9, 10])],
                 'outs': ['softmax_output'],
                 'stripped': [('data', []), ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 1, 2]),
                              ('relu1', [3]), ('fc2_weight', []), ('fc2_bias', []), ('fc2', [4, 5, 6]),
                              ('softmax_label', []), ('softmax', [7, 8])]},
 'mlp_dn': {'args': ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label'],
            'aux': [],
            'heads': [[15, 0]],
            'nodes': [('null', 'data', None, []), ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                      ('null', 'fc1_weight', {'__dtype__': '0'}, []),
                      ('amp_cast', 'fc1_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                      ('null', 'fc1_bias', {'__dtype__': '0'}, []),
                      ('amp_cast', 'fc1_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                      ('FullyConnected', 'fc1', None, [1, 3, 5]), ('Activation', 'relu1', None, [6]),
                      ('null', 'fc2_weight', {'__dtype__': '0'}, []),
                      ('amp_cast', 'fc2_weight_amp_cast_float16', {'dtype': 'float16'}, [8]),
                      ('null', 'fc2_bias', {'__dtype__': '0'}, []),
                      ('amp_cast', 'fc2_bias_amp_cast_float16', {'dtype': 'float16'}, [10]),
                      ('FullyConnected', 'fc2', None, [7, 9, 11]),
                      ('amp_cast', 'fc2_output_amp_cast_float32', {'dtype': 'float32'}, [12]),
                      ('null', 'softmax_label', {'__dtype__': '0'}, []),
                      ('SoftmaxOutput', 'softmax', None, [13, 14])],
            'outs': ['softmax_output'],
            'stripped': [('data', []), ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 1, 2]), ('relu1', [3]),
                         ('fc2_weight', []), ('fc2_bias', []), ('fc2', [4, 5, 6]), ('softmax_label', []),
                         ('softmax', [7, 8])]},
 'mlp_head': {'args': ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias'],
              'aux': [],
              'heads': [[13, 0]],
              'nodes': [('null', 'data', None, []),
                        ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                        ('null', 'fc1_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fc1_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                        ('null', 'fc1_bias', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fc1_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                        ('FullyConnected', 'fc1', None, [1, 3, 5]), ('Activation', 'relu1', None, [6]),
                        ('null', 'fc2_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fc2_weight_amp_cast_float16', {'dtype': 'float16'}, [8]),
                        ('null', 'fc2_bias', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fc2_bias_amp_cast_float16', {'dtype': 'float16'}, [10]),
                        ('FullyConnected', 'fc2', None, [7, 9, 11]),
                        ('amp_cast', 'fc2_output_amp_cast_float32', {'dtype': 'float32'}, [12])],
              'outs': ['fc2_output_amp_cast_float32_output'],
              'stripped': [('data', []), ('fc1_weight', []), ('fc1_bias', []), ('fc1', [0, 1, 2]), ('relu1', [3]),
                           ('fc2_weight', []), ('fc2_bias', []), ('fc2', [4, 5, 6]),
                           ('fc2_output_amp_cast_float32', [7])]},
 'resblock': {'args': ['data', 'c1_weight', 'c1_bias', 'b1_gamma', 'b1_beta', 'c2_weight', 'dc_weight',
                       'fco_weight', 'fco_bias', 'so_label'],
              'aux': ['b1_moving_mean', 'b1_moving_var'],
              'heads': [[30, 0]],
              'nodes': [('null', 'data', None, []),
                        ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                        ('null', 'c1_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'c1_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                        ('null', 'c1_bias', {'__dtype__': '0'}, []),
                        ('amp_cast', 'c1_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                        ('Convolution', 'c1', None, [1, 3, 5]), ('null', 'b1_gamma', {'__dtype__': '0'}, []),
                        ('null', 'b1_beta', {'__dtype__': '0'}, []),
                        ('null', 'b1_moving_mean', {'__dtype__': '0'}, []),
                        ('null', 'b1_moving_var', {'__dtype__': '0'}, []),
                        ('BatchNorm', 'b1', None, [6, 7, 8, 9, 10]), ('Activation', 'a1', None, [11]),
                        ('null', 'c2_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'c2_weight_amp_cast_float16', {'dtype': 'float16'}, [13]),
                        ('Convolution', 'c2', None, [12, 14]), ('elemwise_add', '_plus0', None, [12, 15]),
                        ('UpSampling', 'up', None, [16]), ('null', 'dc_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'dc_weight_amp_cast_float16', {'dtype': 'float16'}, [18]),
                        ('Deconvolution', 'dc', None, [17, 19]), ('Pooling', 'gp', None, [20]),
                        ('Flatten', 'fl', None, [21]), ('null', 'fco_weight', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fco_weight_amp_cast_float16', {'dtype': 'float16'}, [23]),
                        ('null', 'fco_bias', {'__dtype__': '0'}, []),
                        ('amp_cast', 'fco_bias_amp_cast_float16', {'dtype': 'float16'}, [25]),
                        ('FullyConnected', 'fco', None, [22, 24, 26]),
                        ('amp_cast', 'fco_output_amp_cast_float32', {'dtype': 'float32'}, [27]),
                        ('null', 'so_label', None, []), ('SoftmaxOutput', 'so', None, [28, 29])],
              'outs': ['so_output'],
              'stripped': [('data', []), ('c1_weight', []), ('c1_bias', []), ('c1', [0, 1, 2]), ('b1_gamma', []),
                           ('b1_beta', []), ('b1_moving_mean', []), ('b1_moving_var', []), ('b1', [3, 4, 5, 6, 7]),
                           ('a1', [8]), ('c2_weight', []), ('c2', [9, 10]), ('_plus0', [9, 11]), ('up', [12]),
                           ('dc_weight', []), ('dc', [13, 14]), ('gp', [15]), ('fl', [16]), ('fco_weight', []),
                           ('fco_bias', []), ('fco', [17, 18, 19]), ('so_label', []), ('so', [20, 21])]},
 'resblock_castopt': {'args': ['data', 'c1_weight', 'c1_bias', 'b1_gamma', 'b1_beta', 'c2_weight', 'dc_weight',
                               'fco_weight', 'fco_bias', 'so_label'],
                      'aux': ['b1_moving_mean', 'b1_moving_var'],
                      'heads': [[24, 0]],
                      'nodes': [('null', 'data', None, []),
                                ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                                ('null', 'c1_weight', {'__dtype__': '2'}, []),
                                ('null', 'c1_bias', {'__dtype__': '2'}, []), ('Convolution', 'c1', None, [1, 2, 3]),
                                ('null', 'b1_gamma', {'__dtype__': '0'}, []),
                                ('null', 'b1_beta', {'__dtype__': '0'}, []),
                                ('null', 'b1_moving_mean', {'__dtype__': '0'}, []),
                                ('null', 'b1_moving_var', {'__dtype__': '0'}, []),
                                ('BatchNorm', 'b1', None, [4, 5, 6, 7, 8]), ('Activation', 'a1', None, [9]),
                                ('null', 'c2_weight', {'__dtype__': '2'}, []),
                                ('Convolution', 'c2', None, [10, 11]), ('elemwise_add', '_plus0', None, [10, 12]),
                                ('UpSampling', 'up', None, [13]), ('null', 'dc_weight', {'__dtype__': '2'}, []),
                                ('Deconvolution', 'dc', None, [14, 15]), ('Pooling', 'gp', None, [16]),
                                ('Flatten', 'fl', None, [17]), ('null', 'fco_weight', {'__dtype__': '2'}, []),
                                ('null', 'fco_bias', {'__dtype__': '2'}, []),
                                ('FullyConnected', 'fco', None, [18, 19, 20]),
                                ('amp_cast', 'fco_output_amp_cast_float32', {'dtype': 'float32'}, [21]),
                                ('null', 'so_label', {'__dtype__': '0'}, []),
                                ('SoftmaxOutput', 'so', None, [22, 23])],
                      'outs': ['so_output'],
                      'stripped': [('data', []), ('c1_weight', []), ('c1_bias', []), ('c1', [0, 1, 2]),
                                   ('b1_gamma', []), ('b1_beta', []), ('b1_moving_mean', []), ('b1_moving_var', []),
                                   ('b1', [3, 4, 5, 6, 7]), ('a1', [8]), ('c2_weight', []), ('c2', [9, 10]),
                                   ('_plus0', [9, 11]), ('up', [12]), ('dc_weight', []), ('dc', [13, 14]),
                                   ('gp', [15]), ('fl', [16]), ('fco_weight', []), ('fco_bias', []),
                                   ('fco', [17, 18, 19]), ('so_label', []), ('so', [20, 21])]},
 'resblock_targets': {'args': ['data', 'c1_weight', 'c1_bias', 'b1_gamma', 'b1_beta', 'c2_weight', 'dc_weight',
                               'fco_weight', 'fco_bias', 'so_label'],
                      'aux': ['b1_moving_mean', 'b1_moving_var'],
                      'heads': [[27, 0]],
                      'nodes': [('null', 'data', None, []),
                                ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                                ('null', 'c1_weight', {'__dtype__': '0'}, []),
                                ('amp_cast', 'c1_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                                ('null', 'c1_bias', {'__dtype__': '0'}, []),
                                ('amp_cast', 'c1_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                                ('Convolution', 'c1', None, [1, 3, 5]),
                                ('null', 'b1_gamma', {'__dtype__': '0'}, []),
                                ('null', 'b1_beta', {'__dtype__': '0'}, []),
                                ('null', 'b1_moving_mean', {'__dtype__': '0'}, []),
                                ('null', 'b1_moving_var', {'__dtype__': '0'}, []),
                                ('BatchNorm', 'b1', None, [6, 7, 8, 9, 10]), ('Activation', 'a1', None, [11]),
                                ('null', 'c2_weight', {'__dtype__': '0'}, []),
                                ('amp_cast', 'c2_weight_amp_cast_float16', {'dtype': 'float16'}, [13]),
                                ('Convolution', 'c2', None, [12, 14]), ('elemwise_add', '_plus0', None, [12, 15]),
                                ('UpSampling', 'up', None, [16]), ('null', 'dc_weight', {'__dtype__': '2'}, []),
                                ('Deconvolution', 'dc', None, [17, 18]),
                                ('amp_cast', 'dc_output_amp_cast_float32', {'dtype': 'float32'}, [19]),
                                ('Pooling', 'gp', None, [20]), ('Flatten', 'fl', None, [21]),
                                ('null', 'fco_weight', {'__dtype__': '0'}, []),
                                ('null', 'fco_bias', {'__dtype__': '0'}, []),
                                ('FullyConnected', 'fco', None, [22, 23, 24]),
                                ('null', 'so_label', {'__dtype__': '0'}, []),
                                ('SoftmaxOutput', 'so', None, [25, 26])],
                      'outs': ['so_output'],
                      'stripped': [('data', []), ('c1_weight', []), ('c1_bias', []), ('c1', [0, 1, 2]),
                                   ('b1_gamma', []), ('b1_beta', []), ('b1_moving_mean', []), ('b1_moving_var', []),
                                   ('b1', [3, 4, 5, 6, 7]), ('a1', [8]), ('c2_weight', []), ('c2', [9, 10]),
                                   ('_plus0', [9, 11]), ('up', [12]), ('dc_weight', []), ('dc', [13, 14]),
                                   ('gp', [15]), ('fl', [16]), ('fco_weight', []), ('fco_bias', []),
                                   ('fco', [17, 18, 19]), ('so_label', []), ('so', [20, 21])]},
 'split': {'args': ['data', 'fcs_weight', 'fcs_bias'],
           'aux': [],
           'heads': [[9, 0], [10, 0]],
           'nodes': [('null', 'data', None, []), ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                     ('null', 'fcs_weight', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcs_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                     ('null', 'fcs_bias', {'__dtype__': '0'}, []),
                     ('amp_cast', 'fcs_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                     ('FullyConnected', 'fcs', None, [1, 3, 5]), ('SliceChannel', 'sp', None, [6]),
                     ('amp_cast', 'sp_output1_amp_cast_float32', {'dtype': 'float32'}, [7]),
                     ('exp', 'e1', None, [8]),
                     ('amp_cast', 'sp_output0_amp_cast_float32', {'dtype': 'float32'}, [7])],
           'outs': ['e1_output', 'sp_output0_amp_cast_float32_output'],
           'stripped': [('data', []), ('fcs_weight', []), ('fcs_bias', []), ('fcs', [0, 1, 2]), ('sp', [3]),
                        ('e1', [4]), ('sp_output0_amp_cast_float32', [4])]},
 'widest_var': {'args': ['data', 'fcx_weight', 'fcx_bias'],
                'aux': [],
                'heads': [[11, 0]],
                'nodes': [('null', 'data', None, []),
                          ('amp_cast', 'data_amp_cast_float16', {'dtype': 'float16'}, [0]),
                          ('null', 'fcx_weight', {'__dtype__': '0'}, []),
                          ('amp_cast', 'fcx_weight_amp_cast_float16', {'dtype': 'float16'}, [2]),
                          ('null', 'fcx_bias', {'__dtype__': '0'}, []),
                          ('amp_cast', 'fcx_bias_amp_cast_float16', {'dtype': 'float16'}, [4]),
                          ('FullyConnected', 'fcx', None, [1, 3, 5]),
                          ('amp_cast', 'fcx_output_amp_cast_float32', {'dtype': 'float32'}, [6]),
                          ('exp', 'expy', None, [0]), ('elemwise_add', 'a0', None, [7, 8]),
                          ('amp_cast', 'data_amp_cast_float32', {'dtype': 'float32'}, [0]),
                          ('elemwise_add', 'a1', None, [9, 10])],
                'outs': ['a1_output'],
                'stripped': [('data', []), ('fcx_weight', []), ('fcx_bias', []), ('fcx', [0, 1, 2]), ('expy', [0]),
                             ('a0', [3, 4]), ('a1', [5, 0])]}}

def _nets():
    S = mx.sym
    out = {}
    data = S.var('data')
    fc1 = S.FullyConnected(data, num_hidden=16, name='fc1')
    a1 = S.Activation(fc1, act_type='relu', name='relu1')
    fc2 = S.FullyConnected(a1, num_hidden=4, name='fc2')
    out['mlp'] = (S.SoftmaxOutput(fc2, name='softmax'), {})
    out['mlp_dn'] = (S.SoftmaxOutput(fc2, name='softmax'), dict(data_names=['data']))
    out['mlp_head'] = (fc2, dict(data_names=['data']))
    out['mlp_castopt'] = (S.SoftmaxOutput(fc2, name='softmax'), dict(data_names=['data'], cast_optional_params=True))
    c = S.Convolution(data, kernel=(3, 3), num_filter=4, name='conv0')
    b = S.BatchNorm(c, name='bn0')
    r = S.Activation(b, act_type='relu', name='relu0')
    p = S.Pooling(r, kernel=(2, 2), stride=(2, 2), pool_type='max', name='pool0')
    f = S.flatten(p, name='flat0')
    fc = S.FullyConnected(f, num_hidden=3, name='fc')
    out['conv'] = (fc, dict(data_names=['data']))
    out['conv_castopt'] = (fc, dict(data_names=['data'], cast_optional_params=True))
    out['conv_nodn'] = (fc, dict(cast_optional_params=True))
    fc1 = S.FullyConnected(data, num_hidden=8, name='fc1')
    sr = S.Activation(fc1, act_type='softrelu', name='act_sr')
    fcb = S.FullyConnected(data, num_hidden=8, name='fcb')
    e = S.exp(data, name='exp0')
    fce = S.FullyConnected(e, num_hidden=8, name='fce')
    add = S.elemwise_add(fcb, sr, name='add0')
    add2 = S.elemwise_add(add, fce, name='add1')
    g = S.Group([add2, S.Activation(fcb, act_type='sigmoid', name='sig')])
    out['cond_widest'] = (g, dict(data_names=['data']))
    out['excluded'] = (g, dict(data_names=['data'], excluded_sym_names=['fcb']))
    out['fp32_list'] = (g, dict(data_names=['data'], fp32_ops=['exp', 'Activation'], conditional_fp32_ops=[]))
    x = S.FullyConnected(data, num_hidden=8, name='fcx')
    y = S.exp(data, name='expy')
    z = S.elemwise_add(S.elemwise_add(x, y, name='a0'), data, name='a1')
    out['widest_var'] = (z, dict(data_names=['data']))
    w = S.add_n(x, y, S.FullyConnected(data, num_hidden=8, name='fcw'), name='an')
    out['add_n'] = (w, dict(data_names=['data']))
    sp = S.split(S.FullyConnected(data, num_hidden=8, name='fcs'), num_outputs=2, name='sp')
    out['split'] = (S.Group([S.exp(sp[1], name='e1'), sp[0]]), dict(data_names=['data']))
    lr = S.LeakyReLU(S.FullyConnected(data, num_hidden=8, name='fcl'), act_type='elu', name='elu')
    out['leaky_elu'] = (S.FullyConnected(S.sum(lr, axis=1, keepdims=True, name='s0'), num_hidden=2, name='fco'),
                        dict(data_names=['data']))
    tok = S.var('tok')
    w = S.var('scale')
    e = S.Embedding(tok, input_dim=10, output_dim=8, name='emb')
    ln = S.LayerNorm(e, name='ln')
    f = S.FullyConnected(ln, num_hidden=8, flatten=False, name='proj')
    d = S.Dropout(f, p=0.1, name='drop')
    f2 = S.FullyConnected(e, num_hidden=8, flatten=False, name='proj2')
    cat = S.Concat(d, f2, dim=2, name='cat')
    bm = S.broadcast_mul(cat, w, name='bm')
    bd = S.batch_dot(bm, bm, transpose_b=True, name='bd')
    sm = S.softmax(bd, axis=-1, name='sm')
    sl = S.SliceChannel(sm, num_outputs=2, axis=1, name='sl')
    lk = S.LeakyReLU(sl[0], act_type='selu', name='selu')
    tr = S.transpose(sl[1], axes=(0, 2, 1), name='tr')
    r = S.reshape(tr, shape=(0, -1), name='rs')
    fc = S.FullyConnected(r, num_hidden=4, name='fcr')
    m = S.mean(lk, axis=(1, 2), name='mn')
    out['mixed'] = (S.Group([fc, m, S.exp(fc, name='ex')]), dict(data_names=['tok']))
    out['mixed_castopt'] = (S.Group([fc, m]), dict(data_names=['tok'], cast_optional_params=True))
    c = S.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=4, name='c1')
    bn = S.BatchNorm(c, fix_gamma=False, name='b1')
    a = S.Activation(bn, act_type='relu', name='a1')
    c2 = S.Convolution(a, kernel=(3, 3), pad=(1, 1), num_filter=4, no_bias=True, name='c2')
    res = S.elemwise_add(a, c2, name='_plus0')  # what a + c2 gives in a fresh process
    up = S.UpSampling(res, scale=2, sample_type='nearest', name='up')
    dc = S.Deconvolution(up, kernel=(2, 2), stride=(2, 2), num_filter=2, name='dc')
    p = S.Pooling(dc, global_pool=True, kernel=(1, 1), pool_type='avg', name='gp')
    fl = S.Flatten(p, name='fl')
    so = S.SoftmaxOutput(S.FullyConnected(fl, num_hidden=3, name='fco'), name='so')
    out['resblock'] = (so, dict(data_names=['data', 'so_label']))
    out['resblock_castopt'] = (so, dict(data_names=['data'], cast_optional_params=True))
    out['resblock_targets'] = (so, dict(data_names=['data'], target_dtype_ops=['Convolution'],
                                        fp32_ops=['Pooling', 'SoftmaxOutput']))
    return out


def _nodes(text):
    g = json.loads(text)
    return [(n['op'], n['name'], {a: v for a, v in n.get('attrs', {}).items() if a in ('dtype', '__dtype__') or
                                  (a == 'num_outputs' and n['op'] == 'amp_multicast')} or None,
             [e[0] for e in n['inputs']]) for n in g['nodes']], [h[:2] for h in g['heads']]


# -- operator lists ------------------------------------------------------------------------------------------------
def test_lists_as_mxnet():
    L = amp.lists.symbol_fp16
    assert L.FP16_FUNCS == ['Convolution', 'Deconvolution', 'FullyConnected', 'RNN']
    assert [tuple(c) for c in L.CONDITIONAL_FP32_FUNCS] == [('Activation', 'act_type', ['softrelu']),
                                                            ('LeakyReLU', 'act_type', ['elu', 'selu'])]
    assert L.LOSS_OUTPUT_FUNCTIONS == ['SoftmaxOutput', 'LinearRegressionOutput', 'LogisticRegressionOutput',
                                       'MAERegressionOutput']
    # MXNet's categories of a few operators
    for op in ('BatchNorm', 'Pooling', 'Flatten', 'Dropout', 'relu', 'sigmoid', 'Embedding', 'transpose'):
        assert op in L.FP16_FP32_FUNCS, op
    for op in ('exp', 'log', 'softmax', 'SoftmaxOutput', 'LayerNorm', 'sum', 'mean', 'norm', 'topk', 'CTCLoss'):
        assert op in L.FP32_FUNCS, op
    for op in ('elemwise_add', 'broadcast_mul', 'Concat', 'add_n', 'dot', 'batch_dot', 'where', 'stack'):
        assert op in L.WIDEST_TYPE_CASTS, op
    every = L.FP16_FUNCS + L.FP16_FP32_FUNCS + L.FP32_FUNCS + L.WIDEST_TYPE_CASTS
    assert all(has_op(op) for op in every + [c[0] for c in L.CONDITIONAL_FP32_FUNCS])
    assert len(set(L.FP16_FUNCS) & set(L.FP32_FUNCS)) == 0
    assert len(set(L.FP16_FP32_FUNCS) & set(L.FP32_FUNCS)) == 0
    assert amp.list_lp16_ops('float16') == L.FP16_FUNCS
    assert amp.list_fp32_ops('float16') == L.FP32_FUNCS
    assert amp.list_lp16_fp32_ops('float16') == L.FP16_FP32_FUNCS
    assert amp.list_conditional_fp32_ops('float16') == L.CONDITIONAL_FP32_FUNCS
    assert amp.list_widest_type_cast('float16') == L.WIDEST_TYPE_CASTS
    assert amp.list_loss_output_functions('float16') == L.LOSS_OUTPUT_FUNCTIONS
    assert amp.list_lp16_use_fp32_params('float16') is None


def test_bfloat16_and_bad_dtypes_are_refused():
    with pytest.raises(ValueError, match='bfloat16'):
        amp.list_lp16_ops('bfloat16')
    with pytest.raises(ValueError, match='no bfloat16'):
        amp.convert_symbol(mx.sym.var('x'), target_dtype='bfloat16')
    with pytest.raises(ValueError, match='bfloat16'):
        amp.init(target_dtype='bfloat16')
    with pytest.raises(ValueError, match='float16'):
        amp.list_fp32_ops('float32')


# -- graph conversion ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('case', sorted(MXNET_CONVERTED))
def test_convert_symbol_graph_as_mxnet(case):
    s, kw = _nets()[case]
    c = amp.convert_symbol(s, **kw)
    exp = MXNET_CONVERTED[case]
    nodes, heads = _nodes(c.tojson(remove_amp_cast=False))
    assert nodes == [(op, nm, at, ins) for op, nm, at, ins in exp['nodes']]
    assert heads == exp['heads']
    assert [(n[1], n[3]) for n in _nodes(c.tojson())[0]] == [tuple(n) for n in exp['stripped']]
    assert c.list_arguments() == exp['args']
    assert c.list_auxiliary_states() == exp['aux']
    assert c.list_outputs() == exp['outs']


def test_convert_symbol_same_lists_error():
    s, kw = _nets()['cond_widest']
    with pytest.raises(ValueError, match='fp32_ops and conditional_fp32_ops'):
        amp.convert_symbol(s, fp32_ops=['Activation'], **kw)
    with pytest.raises(TypeError, match='target_dtype_ops must be a list'):
        amp.convert_symbol(s, target_dtype_ops='FullyConnected')
    with pytest.raises(ValueError, match='nosuch'):
        amp.convert_symbol(s, data_names=['nosuch'])


def _random_args(sym, shapes, rng):
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    args = {n: rng.uniform(-1, 1, s).astype(np.float32) for n, s in zip(sym.list_arguments(), arg_shapes)}
    aux = {n: rng.uniform(0.5, 1.5, s).astype(np.float32) for n, s in zip(sym.list_auxiliary_states(), aux_shapes)}
    return args, aux


@pytest.mark.parametrize('case,shape', [('mlp_head', (4, 10)), ('conv', (2, 3, 8, 8)), ('conv_castopt', (2, 3, 8, 8)),
                                        ('cond_widest', (3, 5)), ('widest_var', (3, 8)), ('add_n', (3, 8)),
                                        ('split', (3, 5)), ('leaky_elu', (3, 5)), ('resblock_castopt', (2, 3, 6, 6)),
                                        ('resblock_targets', (2, 3, 6, 6))])
def test_converted_graph_runs_close_to_float32(case, shape):
    ctx = mx.current_context()
    s, kw = _nets()[case]
    rng = np.random.RandomState(0)
    args, aux = _random_args(s, {'data': shape}, rng)
    ref = s.bind(ctx, {k: mx.nd.array(v, ctx=ctx) for k, v in args.items()},
                 aux_states={k: mx.nd.array(v, ctx=ctx) for k, v in aux.items()}).forward()
    c = amp.convert_symbol(s, **kw)
    types = {k: ('float16' if a.get('__dtype__') == '2' else 'float32') for k, a in c.attr_dict().items()
             if k in args or k in aux}
    got = c.bind(ctx, {k: mx.nd.array(v, ctx=ctx, dtype=types.get(k, 'float32')) for k, v in args.items()},
                 aux_states={k: mx.nd.array(v, ctx=ctx, dtype=types.get(k, 'float32')) for k, v in aux.items()}
                 ).forward()
    assert len(got) == len(ref)
    for r, g in zip(ref, got):
        assert g.dtype == np.float32  # float16 outputs are cast back
        r, g = r.asnumpy(), g.asnumpy()
        np.testing.assert_allclose(g, r, rtol=2e-2, atol=2e-2 * max(1.0, np.abs(r).max()))


def test_convert_model_casts_optional_params():
    ctx = mx.current_context()
    s, _ = _nets()['conv']
    rng = np.random.RandomState(1)
    args, aux = _random_args(s, {'data': (2, 3, 8, 8)}, rng)
    arg_params = {k: mx.nd.array(v, ctx=ctx) for k, v in args.items() if k != 'data'}
    aux_params = {k: mx.nd.array(v, ctx=ctx) for k, v in aux.items()}
    c, a2, x2 = amp.convert_model(s, arg_params, aux_params)
    assert all(v.dtype == np.float32 for v in list(a2.values()) + list(x2.values()))
    assert _nodes(c.tojson(remove_amp_cast=False))[0] == [tuple(n) for n in MXNET_CONVERTED['conv']['nodes']]
    c, a2, x2 = amp.convert_model(s, arg_params, aux_params, cast_optional_params=True)
    assert _nodes(c.tojson(remove_amp_cast=False))[0] == [tuple(n) for n in MXNET_CONVERTED['conv_castopt']['nodes']]
    assert {k: v.dtype.__name__ for k, v in a2.items()} == {
        'conv0_weight': 'float16', 'conv0_bias': 'float16', 'bn0_gamma': 'float32', 'bn0_beta': 'float32',
        'fc_weight': 'float16', 'fc_bias': 'float16'}
    assert all(v.dtype == np.float32 for v in x2.values())
    a2['data'] = mx.nd.array(args['data'], ctx=ctx)
    ref = s.bind(ctx, dict(arg_params, data=a2['data']), aux_states=aux_params).forward()[0].asnumpy()
    got = c.bind(ctx, a2, aux_states=x2).forward()[0].asnumpy()
    np.testing.assert_allclose(got, ref, rtol=2e-2, atol=2e-2 * np.abs(ref).max())


def test_tojson_remove_amp_cast_keeps_plain_graphs():
    s = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    assert s.tojson() == s.tojson(remove_amp_cast=False)
    c = mx.sym.amp_cast(mx.sym.exp(mx.sym.amp_cast(mx.sym.var('x'), dtype='float16', name='c0'), name='e'),
                        dtype='float32', name='c1')
    assert [n[1] for n in _nodes(c.tojson())[0]] == ['x', 'e', 'c1']  # the output cast stays
    assert mx.sym.load_json(c.tojson()).list_outputs() == ['c1_output']


def test_save_and_checkpoint_remove_amp_cast(tmp_path):
    s, kw = _nets()['mlp_dn']
    c = amp.convert_symbol(s, **kw)
    exp = MXNET_CONVERTED['mlp_dn']
    c.save(str(tmp_path / 'a.json'))
    assert [n[1] for n in _nodes((tmp_path / 'a.json').read_text())[0]] == [n[0] for n in exp['stripped']]
    c.save(str(tmp_path / 'b.json'), remove_amp_cast=False)
    assert [n[1] for n in _nodes((tmp_path / 'b.json').read_text())[0]] == [n[1] for n in exp['nodes']]
    mx.model.save_checkpoint(str(tmp_path / 'm'), 0, c, {}, {})
    assert [n[1] for n in _nodes((tmp_path / 'm-symbol.json').read_text())[0]] == [n[0] for n in exp['stripped']]
    mx.model.save_checkpoint(str(tmp_path / 'k'), 0, c, {}, {}, remove_amp_cast=False)
    assert [n[1] for n in _nodes((tmp_path / 'k-symbol.json').read_text())[0]] == [n[1] for n in exp['nodes']]
    assert mx.sym.load(str(tmp_path / 'k-symbol.json')).list_arguments() == exp['args']


def _mlp(ctx, seed=0):
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(16, activation='relu', in_units=6), gluon.nn.Dense(3, in_units=16))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    return net


def test_convert_hybrid_block():
    ctx = mx.current_context()
    net = _mlp(ctx)
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(2).uniform(-1, 1, (5, 6)), ctx=ctx)
    ref = net(x).asnumpy()
    for cast_optional in (False, True):
        block = amp.convert_hybrid_block(net, ctx=ctx, cast_optional_params=cast_optional)
        assert isinstance(block, gluon.SymbolBlock)
        out = block(x)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.asnumpy(), ref, rtol=2e-2, atol=2e-2 * np.abs(ref).max())
        dtypes = set(np.dtype(p.data().dtype) for p in block.collect_params().values())
        assert dtypes == ({np.dtype(np.float16)} if cast_optional else {np.dtype(np.float32)})
        assert block._graph.list_outputs()[0].endswith('_amp_cast_float32_output')
    with pytest.raises(RuntimeError, match='forward'):
        amp.convert_hybrid_block(_mlp(ctx), ctx=ctx)


# -- imperative AMP -------------------------------------------------------------------------------------------------
@pytest.fixture
def amp_on():
    amp.init()
    try:
        yield
    finally:
        amp_impl._deinit()


def test_init_patches_operators_as_mxnet(amp_on):
    ctx = mx.current_context()
    h = mx.nd.ones((2, 4), dtype='float16', ctx=ctx)
    f = mx.nd.ones((2, 4), ctx=ctx)
    # dtypes printed by MXNet 1.9.1 after amp.init()
    assert mx.nd.FullyConnected(f, mx.nd.ones((3, 4), ctx=ctx), num_hidden=3, no_bias=True).dtype == np.float16
    assert mx.nd.exp(h).dtype == np.float16  # float32 operators cast nothing on NDArrays (as MXNet 1.9.1)
    assert mx.nd.exp(f).dtype == np.float32
    assert mx.nd.elemwise_add(h, f).dtype == np.float32
    assert mx.nd.elemwise_add(h, h).dtype == np.float16
    assert mx.nd.relu(f).dtype == np.float32
    assert mx.nd.concat(h, f, dim=1).dtype == np.float32
    assert mx.nd.add_n(h, f).dtype == np.float32
    assert (h + f).dtype == np.float32
    np.testing.assert_array_equal((h + f).asnumpy(), np.full((2, 4), 2.0))
    # the Symbol graphs MXNet 1.9.1 built
    with mx.name.NameManager():
        _check_symbol_names()


def _check_symbol_names():
    s = mx.sym.FullyConnected(mx.sym.var('d'), num_hidden=2, name='f')
    assert s.get_internals().list_outputs() == ['d', 'amp_cast0_output', 'f_weight', 'amp_cast1_output', 'f_bias',
                                                'amp_cast2_output', 'f_output']
    assert mx.sym.exp(s).get_internals().list_outputs()[-2:] == ['amp_cast3_output', 'exp0_output']
    assert mx.sym.elemwise_add(s, mx.sym.var('z')).get_internals().list_outputs()[-4:] == [
        'z', 'amp_multicast0_output0', 'amp_multicast0_output1', 'elemwise_add0_output']
    assert mx.sym.Activation(s, act_type='softrelu').get_internals().list_outputs()[-2:] == [
        'amp_cast4_output', 'activation0_output']
    assert mx.sym.Activation(s, act_type='relu').get_internals().list_outputs()[-2:] == [
        'f_output', 'activation1_output']


def test_init_symbol_inputs_created_by_operators_are_cast(amp_on):
    d = mx.sym.var('d')
    S = mx.sym
    # MXNet 1.9.1's get_internals() after amp.init() (amp_cast<N> renumbered from 0 per symbol)
    cases = [
        (lambda: S.LayerNorm(d, name='ln'), ['d', 'C', 'ln_gamma', 'C', 'ln_beta', 'C', 'ln_output']),
        (lambda: S.SoftmaxOutput(d, name='so'), ['d', 'C', 'so_label', 'C', 'so_output']),
        (lambda: S.LinearRegressionOutput(d, name='lro'), ['d', 'C', 'lro_label', 'C', 'lro_output']),
        (lambda: S.CTCLoss(d, name='ctc'), ['d', 'C', 'ctc_label', 'C', 'ctc_output0']),
        (lambda: S.softmax(d, name='sm'), ['d', 'C', 'sm_output']),
        (lambda: S.Convolution(d, kernel=(1, 1), num_filter=2, name='cv'),
         ['d', 'C', 'cv_weight', 'C', 'cv_bias', 'C', 'cv_output']),
        (lambda: S.Deconvolution(d, kernel=(1, 1), num_filter=2, name='dc'), ['d', 'C', 'dc_weight', 'C', 'dc_output']),
        (lambda: S.RNN(d, S.var('p'), S.var('st'), state_size=2, num_layers=1, mode='rnn_tanh', name='rnn'),
         ['d', 'C', 'p', 'C', 'st', 'C', 'rnn_output']),
        (lambda: S.InstanceNorm(d, name='inn'), ['d', 'C', 'inn_gamma', 'C', 'inn_beta', 'C', 'inn_output']),
        (lambda: S.SVMOutput(d, name='svm'), ['d', 'C', 'svm_label', 'C', 'svm_output']),
        (lambda: S.LeakyReLU(d, act_type='elu', name='lk'), ['d', 'C', 'lk_output']),
        (lambda: S.LeakyReLU(d, act_type='prelu', name='lkp'), ['d', 'lkp_gamma', 'lkp_output']),
    ]
    for make, expected in cases:
        got = make().get_internals().list_outputs()
        assert ['C' if n.startswith('amp_cast') else n for n in got] == expected, got
        assert all(n == 'amp_cast' for n in [n.rsplit('_', 1)[0].rstrip('0123456789') for n in got
                                            if n.startswith('amp_cast')])


def test_loss_output_gradient_scaled_after_init_trainer(amp_on):
    x = mx.nd.array([[1., 2.]])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.SoftmaxOutput(x, mx.nd.array([0]))
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[-0.7310586, 0.7310586]], rtol=1e-5)
    tr = gluon.Trainer(_mlp(mx.cpu()).collect_params(), 'sgd')
    amp.init_trainer(tr)
    with autograd.record():
        y = mx.nd.SoftmaxOutput(x, mx.nd.array([0]))
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[-47910.656, 47910.656]], rtol=1e-5)  # MXNet 1.9.1's values
    assert tr._amp_loss_scaler is amp_impl._loss_scaler


def test_deinit_restores_operators(amp_on):
    amp_impl._deinit()
    f = mx.nd.ones((2, 4))
    assert mx.nd.FullyConnected(f, mx.nd.ones((3, 4)), num_hidden=3, no_bias=True).dtype == np.float32
    amp.init()


def test_init_trainer_needs_init():
    tr = gluon.Trainer(_mlp(mx.current_context()).collect_params(), 'sgd')
    with pytest.raises(RuntimeError, match='amp.init'):
        amp.init_trainer(tr)
    with pytest.raises(RuntimeError, match='init_trainer'):
        with amp.scale_loss(mx.nd.ones((1,)), tr):
            pass


def test_init_trainer_takes_a_trainer_only(amp_on):
    with pytest.raises(TypeError, match='only compatible with Gluon Trainer'):
        amp.init_trainer(mx.optimizer.SGD())
    amp.init()  # a second init does nothing
    f = mx.nd.ones((2, 4))
    assert mx.nd.FullyConnected(f, mx.nd.ones((3, 4)), num_hidden=3, no_bias=True).dtype == np.float16


def test_loss_scaler_as_mxnet():
    ls = amp.loss_scaler.LossScaler()
    assert (ls.loss_scale, ls._next_loss_scale, ls._max_loss_scale, ls._scale_seq_len, ls._unskipped) == \
        (65536.0, 65536.0, 16777216.0, 2000, 0)
    ctx = mx.current_context()
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5), ctx=ctx)
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    amp.init()
    try:
        amp.init_trainer(tr)
    finally:
        amp_impl._deinit()  # the net runs in float32 (as in the MXNet run on the CPU, where float16 Dense is refused)
    assert tr._amp_original_scale == 1.0
    ls = tr._amp_loss_scaler
    x = mx.nd.ones((4, 3), ctx=ctx)
    seen = []

    def step(inject=False):
        with autograd.record():
            loss = net(x).astype('float32').sum()
            with amp.scale_loss(loss, tr) as scaled:
                np.testing.assert_allclose(scaled.asnumpy(), loss.asnumpy() * ls.loss_scale, rtol=1e-6)
                assert tr._scale == 1.0 / ls.loss_scale
                autograd.backward(scaled)
        if inject:
            g = net.weight.grad()
            g[0, 0] = float('inf')
        w0 = net.weight.data().asnumpy()
        tr.step(4)
        changed = int((net.weight.data().asnumpy() != w0).sum())
        seen.append((changed, ls.loss_scale, ls._next_loss_scale, ls._unskipped))

    # the sequence MXNet 1.9.1 printed (same steps): (weights changed, loss_scale, _next_loss_scale, _unskipped)
    step()
    step(inject=True)
    ls._scale_seq_len = 2
    step()
    step()
    step()
    assert seen == [(6, 65536.0, 65536.0, 1), (0, 65536.0, 32768.0, 0), (6, 32768.0, 32768.0, 1),
                    (6, 32768.0, 65536.0, 0), (6, 65536.0, 65536.0, 1)]
    # unscale: the gradients of the last step (scaled by 32768) become the true ones
    with autograd.record():
        loss = net(x).sum()
        with amp.scale_loss(loss, tr) as scaled:
            autograd.backward(scaled)
    amp.unscale(tr)
    assert tr._scale == 1.0
    np.testing.assert_allclose(net.weight.grad().asnumpy(), np.full((2, 3), 4.0), rtol=1e-6)


def test_float16_overflow_skips_the_step_and_halves_the_scale(amp_on):
    ctx = mx.current_context()
    net = _mlp(ctx)
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    amp.init_trainer(tr)
    ls = tr._amp_loss_scaler
    ls._loss_scale = ls._next_loss_scale = 2.0 ** 24  # scaled float16 gradients overflow (65504 is the largest)
    x = mx.nd.array(np.random.RandomState(4).uniform(-1, 1, (8, 6)), ctx=ctx)
    before = {k: p.data().asnumpy() for k, p in net.collect_params().items()}

    def step():
        with autograd.record():
            loss = net(x).astype('float32').sum()
            with amp.scale_loss(loss, tr) as scaled:
                autograd.backward(scaled)
        tr.step(8)

    step()
    assert not np.isfinite(net[0].weight.grad().asnumpy()).all()
    for k, p in net.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), before[k])  # skipped
    assert ls._next_loss_scale == 2.0 ** 23 and ls._unskipped == 0
    for _ in range(24):  # halves until the gradients fit, then updates
        step()
        if ls._unskipped:
            break
    assert ls.loss_scale <= 2.0 ** 14 and ls._unskipped == 1
    assert np.isfinite(net[0].weight.grad().asnumpy()).all()
    assert any((p.data().asnumpy() != before[k]).any() for k, p in net.collect_params().items())


def _train(net, x, y, ctx, use_amp, steps=150):
    tr = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.02, 'multi_precision': True})
    if use_amp:
        amp.init_trainer(tr)
    lossfn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for _ in range(steps):
        with autograd.record():
            out = net(x)
            loss = lossfn(out.astype('float32'), y).mean()
            if use_amp:
                with amp.scale_loss(loss, tr) as scaled:
                    autograd.backward(scaled)
            else:
                loss.backward()
        tr.step(1)
        losses.append(float(loss.asscalar()))
    return losses


@pytest.mark.parametrize('hybridize', [False, True])
def test_gluon_mlp_trains_with_amp_like_float32(hybridize):
    ctx = mx.current_context()
    rng = np.random.RandomState(3)
    centers = rng.uniform(-2, 2, (3, 6))
    labels = rng.randint(0, 3, 90)
    xs = centers[labels] + 0.3 * rng.randn(90, 6)
    x = mx.nd.array(xs, ctx=ctx)
    y = mx.nd.array(labels, ctx=ctx)
    ref = _train(_mlp(ctx), x, y, ctx, False)
    amp.init()
    try:
        net = _mlp(ctx)
        if hybridize:
            net.hybridize()
        out = net(x)
        assert out.dtype == np.float16  # Dense runs in float16
        got = _train(net, x, y, ctx, True)
    finally:
        amp_impl._deinit()
    assert ref[-1] < 0.1 * ref[0]
    assert got[-1] < 0.1 * got[0]
    assert abs(got[-1] - ref[-1]) < 0.05 + 0.5 * ref[-1]
    assert all(math.isfinite(v) for v in got)
