"""VariationalDropoutCell and LSTMPCell, as MXNet 1.9.1's ``gluon.contrib.rnn``."""
from ...rnn.rnn_cell import HybridRecurrentCell, ModifierCell, BidirectionalCell, SequentialRNNCell, _lstm_gates, \
    _module

__all__ = ["VariationalDropoutCell", "LSTMPCell"]


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal and Ghahramani 2016) on ``base_cell``: one dropout mask per sequence (drawn at the
    first step after ``reset``, which ``unroll`` calls) for the step inputs (``drop_inputs``), the first state
    (``drop_states``) and the outputs (``drop_outputs``)."""

    def __init__(self, base_cell, drop_inputs=0., drop_states=0., drop_outputs=0.):
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise ValueError("BidirectionalCell doesn't support variational state dropout. "
                             "Please add VariationalDropoutCell to the cells underneath instead.")
        if drop_states and isinstance(base_cell, SequentialRNNCell) and base_cell._bidirectional_inside():
            raise ValueError("Bidirectional SequentialRNNCell doesn't support variational state dropout. "
                             "Please add VariationalDropoutCell to the cells underneath instead.")
        super().__init__(base_cell)
        self.drop_inputs, self.drop_states, self.drop_outputs = drop_inputs, drop_states, drop_outputs
        self.drop_inputs_mask = self.drop_states_mask = self.drop_outputs_mask = None

    def reset(self):
        super().reset()
        self.drop_inputs_mask = self.drop_states_mask = self.drop_outputs_mask = None

    def forward(self, x, states):
        F = _module(x)
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = F.Dropout(F.ones_like(states[0]), p=self.drop_states)
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = F.Dropout(F.ones_like(x), p=self.drop_inputs)
        if self.drop_states:
            states = list(states)
            states[0] = states[0] * self.drop_states_mask
        if self.drop_inputs:
            x = x * self.drop_inputs_mask
        out, new_states = self.base_cell(x, states)
        if self.drop_outputs:
            if self.drop_outputs_mask is None:
                self.drop_outputs_mask = F.Dropout(F.ones_like(out), p=self.drop_outputs)
            out = out * self.drop_outputs_mask
        return out, new_states

    def __repr__(self):
        return "%s(p_out = %s, p_state = %s)" % (type(self).__name__, self.drop_outputs, self.drop_states)


class LSTMPCell(HybridRecurrentCell):
    """LSTM with a projection of the hidden state (Sak et al. 2014): ``r = W_hr (o * tanh(c))`` of
    ``projection_size``; states [r, c], output r. Weights: i2h (4 * hidden, input), h2h (4 * hidden, projection),
    h2r (projection, hidden); gates in LSTMCell's order."""

    def __init__(self, hidden_size, projection_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 h2r_weight_initializer=None, i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 input_size=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size, self._projection_size, self._input_size = hidden_size, projection_size, input_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(4 * hidden_size, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(4 * hidden_size, projection_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.h2r_weight = self.params.get('h2r_weight', shape=(projection_size, hidden_size),
                                          init=h2r_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(4 * hidden_size,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(4 * hidden_size,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _name_hint(self):
        return 'lstmp'

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._projection_size), '__layout__': 'NC'},
                {'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}]

    def hybrid_forward(self, F, x, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias, h2h_bias):
        H = 4 * self._hidden_size
        gates = F.FullyConnected(x, i2h_weight, i2h_bias, num_hidden=H) + \
            F.FullyConnected(states[0], h2h_weight, h2h_bias, num_hidden=H)
        hidden, c = _lstm_gates(F, gates, states[1], 'tanh', 'sigmoid', axis=1)
        r = F.FullyConnected(hidden, h2r_weight, no_bias=True, num_hidden=self._projection_size)
        return r, [r, c]

    def __repr__(self):
        fan_in = self.i2h_weight.shape[1] if self.i2h_weight.shape[1] else None
        return "%s(%s -> %s -> %s)" % (type(self).__name__, fan_in, self.i2h_weight.shape[0],
                                       self.h2r_weight.shape[0])
