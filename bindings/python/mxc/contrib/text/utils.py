"""Token counting for ``mx.contrib.text``."""
import collections
import re

__all__ = ["count_tokens_from_str"]


def count_tokens_from_str(source_str, token_delim=' ', seq_delim='\n', to_lower=False, counter_to_update=None):
    """Counts the tokens of ``source_str``: sequences separated by ``seq_delim``, tokens by ``token_delim``
    (empty tokens are dropped). Lower-cases first with ``to_lower``. Adds to ``counter_to_update`` (returned)
    when given, else returns a new collections.Counter."""
    if not isinstance(source_str, str):
        raise TypeError("count_tokens_from_str: source_str must be a str, got %s" % type(source_str).__name__)
    pattern = '|'.join(re.escape(d) for d in (token_delim, seq_delim) if d)
    tokens = [t for t in (re.split(pattern, source_str) if pattern else [source_str]) if t]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    if counter_to_update is None:
        return collections.Counter(tokens)
    counter_to_update.update(tokens)
    return counter_to_update
