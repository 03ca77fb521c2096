"""Text helpers of MXNet 1.x ``mx.contrib.text``: token counting (``utils``), vocabularies (``vocab``) and token
embeddings (``embedding``: CustomEmbedding from a local file, CompositeEmbedding, the GloVe/FastText names)."""
from . import utils
from . import vocab
from . import embedding

__all__ = ["utils", "vocab", "embedding"]
