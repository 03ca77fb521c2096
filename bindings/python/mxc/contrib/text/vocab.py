"""Vocabulary: the index of text tokens for ``mx.contrib.text``."""
import collections

__all__ = ["Vocabulary"]


class Vocabulary(object):
    """Indexes tokens: the unknown token is index 0, then ``reserved_tokens`` in order, then the tokens of
    ``counter`` (a collections.Counter) by decreasing count, equal counts in token order, keeping at most
    ``most_freq_count`` of them and only those counted at least ``min_freq`` times."""

    def __init__(self, counter=None, most_freq_count=None, min_freq=1, unknown_token='<unk>',
                 reserved_tokens=None):
        assert min_freq > 0, '`min_freq` must be set to a positive value.'
        if reserved_tokens is not None:
            reserved_set = set(reserved_tokens)
            assert unknown_token not in reserved_set, '`reserved_token` cannot contain `unknown_token`.'
            assert len(reserved_set) == len(reserved_tokens), \
                '`reserved_tokens` cannot contain duplicate reserved tokens.'
        self._index_unknown_and_reserved_tokens(unknown_token, reserved_tokens)
        if counter is not None:
            self._index_counter_keys(counter, unknown_token, reserved_tokens, most_freq_count, min_freq)

    def _index_unknown_and_reserved_tokens(self, unknown_token, reserved_tokens):
        self._unknown_token = unknown_token
        self._idx_to_token = [unknown_token]
        if reserved_tokens is None:
            self._reserved_tokens = None
        else:
            self._reserved_tokens = list(reserved_tokens)
            self._idx_to_token.extend(reserved_tokens)
        self._token_to_idx = {token: idx for idx, token in enumerate(self._idx_to_token)}

    def _index_counter_keys(self, counter, unknown_token, reserved_tokens, most_freq_count, min_freq):
        if not isinstance(counter, collections.Counter):
            raise TypeError("Vocabulary: counter must be a collections.Counter, got %s" % type(counter).__name__)
        skip = {unknown_token} | set(reserved_tokens or ())
        ordered = sorted(counter.items(), key=lambda kv: kv[0])
        ordered.sort(key=lambda kv: kv[1], reverse=True)
        limit = len(counter) if most_freq_count is None else most_freq_count
        taken = 0
        for token, freq in ordered:
            if freq < min_freq or taken >= limit:
                break
            if token in skip:
                continue
            self._idx_to_token.append(token)
            self._token_to_idx[token] = len(self._idx_to_token) - 1
            taken += 1

    def __len__(self):
        return len(self._idx_to_token)

    @property
    def token_to_idx(self):
        """dict token -> index."""
        return self._token_to_idx

    @property
    def idx_to_token(self):
        """list index -> token."""
        return self._idx_to_token

    @property
    def unknown_token(self):
        return self._unknown_token

    @property
    def reserved_tokens(self):
        return self._reserved_tokens

    def to_indices(self, tokens):
        """The index of a token, or the list of indices of a list of tokens (unknown tokens give 0)."""
        single = not isinstance(tokens, list)
        indices = [self._token_to_idx.get(t, 0) for t in ([tokens] if single else tokens)]
        return indices[0] if single else indices

    def to_tokens(self, indices):
        """The token of an index, or the list of tokens of a list of indices."""
        single = not isinstance(indices, list)
        out = []
        for idx in ([indices] if single else indices):
            if not isinstance(idx, int) or not 0 <= idx < len(self._idx_to_token):
                raise ValueError('Token index %s in the provided `indices` is invalid.' % (idx,))
            out.append(self._idx_to_token[idx])
        return out[0] if single else out
