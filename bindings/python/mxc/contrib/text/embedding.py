"""Token embeddings for ``mx.contrib.text`` (MXNet 1.x ``mx.contrib.text.embedding``).

CustomEmbedding reads a local text file of ``token v1 v2 ...`` lines; CompositeEmbedding concatenates several
embeddings over one Vocabulary. GloVe and FastText know their pre-trained file names but mxc never downloads:
they load a file already present under ``embedding_root/<name>/`` and otherwise raise a clear error."""
import io
import logging
import os
import warnings

import numpy as np

from ... import ndarray as nd
from ...ndarray import NDArray
from . import vocab

__all__ = ["register", "create", "get_pretrained_file_names", "CustomEmbedding", "CompositeEmbedding", "GloVe",
           "FastText"]

_REGISTRY = {}


def register(embedding_cls):
    """Class decorator registering a token embedding under its lower-cased class name (for ``create``)."""
    if not (isinstance(embedding_cls, type) and issubclass(embedding_cls, _TokenEmbedding)):
        raise TypeError("register: %r is not a subclass of mx.contrib.text.embedding._TokenEmbedding"
                        % (embedding_cls,))
    _REGISTRY[embedding_cls.__name__.lower()] = embedding_cls
    return embedding_cls


def create(embedding_name, **kwargs):
    """An instance of the registered embedding ``embedding_name`` (case-insensitive) built with ``kwargs``."""
    name = embedding_name.lower()
    assert name in _REGISTRY, '%s is not registered. Please register with token embedding.register first' % (
        embedding_name,)
    return _REGISTRY[name](**kwargs)


def get_pretrained_file_names(embedding_name=None):
    """The pre-trained file names of one registered embedding (a list), or of all of them (a dict name ->
    list)."""
    if embedding_name is not None:
        name = embedding_name.lower()
        if name not in _REGISTRY:
            raise KeyError('Cannot find `embedding_name` %s. Use `get_pretrained_file_names('
                           'embedding_name=None).keys()` to get all the valid embedding names.' % embedding_name)
        return list(_REGISTRY[name].pretrained_file_name_sha1.keys())
    return {name: list(cls.pretrained_file_name_sha1.keys()) for name, cls in _REGISTRY.items()
            if getattr(cls, 'pretrained_file_name_sha1', None) is not None}


class _TokenEmbedding(vocab.Vocabulary):
    """The base of token embeddings: a Vocabulary with a vector per token (``idx_to_vec``, an NDArray of shape
    (len, vec_len); index 0 is the unknown token)."""
    pretrained_file_name_sha1 = {}

    def __init__(self, **kwargs):
        super(_TokenEmbedding, self).__init__(**kwargs)
        self._vec_len = 0
        self._idx_to_vec = None

    @classmethod
    def _get_pretrained_file(cls, embedding_root, pretrained_file_name):
        """The local path of a pre-trained file; mxc does not download, so it must be there already."""
        name = cls.__name__.lower()
        root = os.path.expanduser(embedding_root)
        path = os.path.join(root, name, pretrained_file_name)
        if os.path.isfile(path):
            return path
        raise IOError("%s: the pre-trained file %s is not at %s and mxc does not download (no network access); "
                      "place the file there, or load it with mx.contrib.text.embedding.CustomEmbedding(path)"
                      % (cls.__name__, pretrained_file_name, path))

    @classmethod
    def _check_pretrained_file_names(cls, pretrained_file_name):
        name = cls.__name__.lower()
        if pretrained_file_name not in cls.pretrained_file_name_sha1:
            raise KeyError('Cannot find pretrained file %s for token embedding %s. Valid pretrained files for '
                           'embedding %s: %s' % (pretrained_file_name, name, name,
                                                 ', '.join(cls.pretrained_file_name_sha1.keys())))

    def _load_embedding(self, pretrained_file_path, elem_delim, init_unknown_vec, encoding='utf8'):
        """Reads ``token<delim>v1<delim>v2...`` lines. A line with a one-element vector is taken for a header and
        skipped, a repeated token keeps its first vector (both with a warning), a different length is an error.
        The unknown token gets its vector from the file when listed there, else ``init_unknown_vec``."""
        pretrained_file_path = os.path.expanduser(pretrained_file_path)
        if not os.path.isfile(pretrained_file_path):
            raise ValueError('`pretrained_file_path` must be a valid path to the pre-trained token embedding '
                             'file, got %s' % pretrained_file_path)
        logging.info('Loading pre-trained token embedding vectors from %s', pretrained_file_path)
        vec_len = None
        rows = []
        tokens = set()
        loaded_unknown_vec = None
        with io.open(pretrained_file_path, 'r', encoding=encoding) as f:
            for line_num, line in enumerate(f, 1):
                elems = line.rstrip().split(elem_delim)
                if len(elems) < 2 or not elems[0]:
                    raise ValueError('At line %d of the pre-trained token embedding file %s: expected a token '
                                     'and its vector, got %r' % (line_num, pretrained_file_path, line))
                token, values = elems[0], elems[1:]
                try:
                    vec = [float(v) for v in values]
                except ValueError:
                    raise ValueError('At line %d of the pre-trained token embedding file %s: the vector of token '
                                     '%s is not numeric' % (line_num, pretrained_file_path, token))
                if token in tokens:
                    warnings.warn('At line %d of the pre-trained token embedding file: the embedding vector for '
                                  'token %s has been loaded and a duplicate embedding for the same token is seen '
                                  'and skipped.' % (line_num, token))
                    continue
                if len(vec) == 1:
                    warnings.warn('At line %d of the pre-trained text embedding file: token %s with '
                                  '1-dimensional vector %s is likely a header and is skipped.'
                                  % (line_num, token, vec))
                    continue
                if vec_len is None:
                    vec_len = len(vec)
                else:
                    assert len(vec) == vec_len, \
                        'At line %d of the pre-trained token embedding file: the dimension of token %s is %d ' \
                        'but the dimension of previous tokens is %d. Dimensions of all the tokens must be ' \
                        'the same.' % (line_num, token, len(vec), vec_len)
                tokens.add(token)
                if token == self.unknown_token:
                    loaded_unknown_vec = vec
                    continue
                rows.append(vec)
                self._idx_to_token.append(token)
                self._token_to_idx[token] = len(self._idx_to_token) - 1
        if vec_len is None:
            raise ValueError('The pre-trained token embedding file %s has no token vectors' % pretrained_file_path)
        self._vec_len = vec_len
        # rows: the unknown token, the reserved tokens (zeros), then the file's tokens
        n_reserved = len(self._reserved_tokens or ())
        table = np.zeros((1 + n_reserved + len(rows), vec_len), dtype=np.float32)
        if rows:
            table[1 + n_reserved:] = np.asarray(rows, dtype=np.float32)
        if loaded_unknown_vec is None:
            table[0] = _host_vec(init_unknown_vec(shape=vec_len), vec_len)
        else:
            table[0] = loaded_unknown_vec
        self._idx_to_vec = nd.array(table)

    def _index_tokens_from_vocabulary(self, vocabulary):
        self._token_to_idx = dict(vocabulary.token_to_idx)
        self._idx_to_token = list(vocabulary.idx_to_token)
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = list(vocabulary.reserved_tokens) if vocabulary.reserved_tokens else None

    def _set_idx_to_vec_by_embeddings(self, token_embeddings, vocab_len, vocab_idx_to_token):
        """Rows of the vocabulary's tokens: the concatenated vectors of ``token_embeddings``."""
        new_vec_len = sum(e.vec_len for e in token_embeddings)
        table = np.zeros((vocab_len, new_vec_len), dtype=np.float32)
        col = 0
        for embed in token_embeddings:
            end = col + embed.vec_len
            table[0, col:end] = embed.idx_to_vec[0].asnumpy()
            table[1:, col:end] = embed.get_vecs_by_tokens(vocab_idx_to_token[1:]).asnumpy().reshape(
                (vocab_len - 1, embed.vec_len))
            col = end
        self._vec_len = new_vec_len
        self._idx_to_vec = nd.array(table)

    def _build_embedding_for_vocabulary(self, vocabulary):
        if vocabulary is None:
            return
        if not isinstance(vocabulary, vocab.Vocabulary):
            raise TypeError('The vocabulary must be an instance of mx.contrib.text.vocab.Vocabulary, got %s'
                            % type(vocabulary).__name__)
        self._set_idx_to_vec_by_embeddings([self], len(vocabulary), vocabulary.idx_to_token)
        self._index_tokens_from_vocabulary(vocabulary)

    @property
    def vec_len(self):
        """The length of each vector."""
        return self._vec_len

    @property
    def idx_to_vec(self):
        """NDArray (len(self), vec_len): the vector of each index."""
        return self._idx_to_vec

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """The vector (1-d NDArray) of a token, or the (len(tokens), vec_len) NDArray of a list of tokens;
        unknown tokens get the unknown vector. ``lower_case_backup``: a token not found is looked up lower-cased.
        """
        single = not isinstance(tokens, list)
        toks = [tokens] if single else tokens
        if lower_case_backup:
            idx = [self._token_to_idx.get(t, self._token_to_idx.get(t.lower(), 0)) for t in toks]
        else:
            idx = [self._token_to_idx.get(t, 0) for t in toks]
        table = self._idx_to_vec.asnumpy()
        vecs = nd.array(table[np.asarray(idx, dtype=np.int64)])
        return vecs[0] if single else vecs

    def update_token_vectors(self, tokens, new_vectors):
        """Replaces the vectors of known ``tokens`` (a token or a list) by ``new_vectors`` (an NDArray of shape
        (vec_len,) or (len(tokens), vec_len)). The unknown token must be named explicitly to be updated."""
        assert self._idx_to_vec is not None, 'The property `idx_to_vec` has not been properly set.'
        toks = tokens if isinstance(tokens, list) else [tokens]
        if not isinstance(new_vectors, NDArray):
            raise TypeError('`new_vectors` must be an NDArray, got %s' % type(new_vectors).__name__)
        new = new_vectors.asnumpy()
        if new.ndim == 1:
            new = new.reshape(1, -1)
        if new.shape != (len(toks), self.vec_len):
            raise ValueError('The length of new_vectors must be equal to the number of tokens and the width of '
                             'new_vectors must be equal to the dimension of embeddings of the glossary: '
                             'got shape %s for %d tokens of %d-dimensional vectors'
                             % (new_vectors.shape, len(toks), self.vec_len))
        indices = []
        for token in toks:
            if token in self._token_to_idx:
                indices.append(self._token_to_idx[token])
            else:
                raise ValueError('Token %s is unknown. To update the embedding vector for an unknown token, please '
                                 'specify it explicitly as the `unknown_token` %s in `tokens`. This is to avoid '
                                 'unintended updates.' % (token, self._idx_to_token[0]))
        table = self._idx_to_vec.asnumpy().copy()
        table[np.asarray(indices, dtype=np.int64)] = new
        self._idx_to_vec = nd.array(table)


def _host_vec(value, vec_len):
    arr = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value, dtype=np.float32)
    return arr.reshape(vec_len)


class CustomEmbedding(_TokenEmbedding):
    """An embedding read from a local file of ``token<elem_delim>v1<elem_delim>v2 ...`` lines. With
    ``vocabulary`` the result is indexed like that Vocabulary (tokens missing from the file get the unknown
    vector). ``init_unknown_vec(shape=vec_len)`` makes the unknown token's vector when the file has none."""

    def __init__(self, pretrained_file_path, elem_delim=' ', encoding='utf8', init_unknown_vec=nd.zeros,
                 vocabulary=None, **kwargs):
        super(CustomEmbedding, self).__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim, init_unknown_vec, encoding)
        if vocabulary is not None:
            self._build_embedding_for_vocabulary(vocabulary)


class CompositeEmbedding(_TokenEmbedding):
    """The tokens of ``vocabulary`` with the concatenated vectors of ``token_embeddings`` (one embedding or a
    list)."""

    def __init__(self, vocabulary, token_embeddings):
        if not isinstance(vocabulary, vocab.Vocabulary):
            raise TypeError('The argument `vocabulary` must be an instance of mx.contrib.text.vocab.Vocabulary, '
                            'got %s' % type(vocabulary).__name__)
        if not isinstance(token_embeddings, list):
            token_embeddings = [token_embeddings]
        for embed in token_embeddings:
            if not isinstance(embed, _TokenEmbedding):
                raise TypeError('The argument `token_embeddings` must hold token embeddings, got %s'
                                % type(embed).__name__)
        super(CompositeEmbedding, self).__init__()
        self._index_tokens_from_vocabulary(vocabulary)
        self._set_idx_to_vec_by_embeddings(token_embeddings, len(self), self.idx_to_token)


_GLOVE_FILES = ('glove.42B.300d.txt', 'glove.6B.50d.txt', 'glove.6B.100d.txt', 'glove.6B.200d.txt',
                'glove.6B.300d.txt', 'glove.840B.300d.txt', 'glove.twitter.27B.25d.txt',
                'glove.twitter.27B.50d.txt', 'glove.twitter.27B.100d.txt', 'glove.twitter.27B.200d.txt')

# the languages of the wiki.<lang>.vec files of fastText
_FASTTEXT_WIKI = """aa ab ace ady af ak als am ang an arc ar arz ast as av ay azb az bar bat_smg ba bcl be bg bh bi bjn
bm bn bo bpy br bs bug bxr ca cbk_zam cdo ceb ce cho chr ch chy ckb co crh cr csb cs cu cv cy da de diq dsb dv dz ee
el eml en eo es et eu ext fa ff fiu_vro fi fj fo frp frr fr fur fy gag gan ga gd glk gl gn gom got gu gv hak ha haw
he hif hi ho hr hsb ht hu hy hz ia id ie ig ii ik ilo io is it iu jam ja jbo jv kaa kab ka kbd kg ki kj kk kl km kn
koi ko krc kr ksh ks ku kv kw ky lad la lbe lb lez lg lij li lmo ln lo lrc ltg lt lv mai map_bms mdf mg mhr mh min
mi mk ml mn mo mrj mr ms mt multi.ar multi.bg multi.ca multi.cs multi.da multi.de multi.el multi.en multi.es
multi.et multi.fi multi.fr multi.he multi.hr multi.hu multi.id multi.it multi.mk multi.nl multi.no multi.pl
multi.pt multi.ro multi.ru multi.sk multi.sl multi.sv multi.tr multi.uk multi.vi mus mwl my myv mzn nah nap na
nds_nl nds ne new ng nl nn no nov nrm nso nv ny oc olo om or os pag pam pap pa pcd pdc pfl pih pi pl pms pnb pnt ps
pt qu rm rmy rn roa_rup roa_tara ro rue ru rw sah sa scn sco sc sd se sg sh simple si sk sl sm sn so sq srn sr ss
stq st su sv sw szl ta tcy tet te tg th ti tk tl tn to tpi tr ts tt tum tw ty tyv udm ug uk ur uz vec vep ve vi vls
vo war wa wo wuu xal xh xmf yi yo za zea zh_classical zh_min_nan zh zh_yue zu""".split()

_FASTTEXT_FILES = (['crawl-300d-2M.vec'] + ['wiki.%s.vec' % lang for lang in _FASTTEXT_WIKI] +
                   ['wiki-news-300d-1M-subword.vec', 'wiki-news-300d-1M.vec'])


class _Pretrained(_TokenEmbedding):
    """GloVe/FastText: a known pre-trained file, read from ``embedding_root/<name>/<file>`` when present
    (mxc has no network access and never downloads)."""

    def __init__(self, pretrained_file_name, embedding_root, init_unknown_vec, vocabulary, **kwargs):
        self._check_pretrained_file_names(pretrained_file_name)
        super(_Pretrained, self).__init__(**kwargs)
        path = self._get_pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, ' ', init_unknown_vec)
        if vocabulary is not None:
            self._build_embedding_for_vocabulary(vocabulary)


_ROOT = os.path.join('~', '.mxnet', 'embeddings')


@register
class GloVe(_Pretrained):
    """GloVe vectors (Pennington et al. 2014) from a local ``embedding_root/glove/<pretrained_file_name>``."""
    pretrained_file_name_sha1 = dict.fromkeys(_GLOVE_FILES)

    def __init__(self, pretrained_file_name='glove.840B.300d.txt', embedding_root=_ROOT,
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super(GloVe, self).__init__(pretrained_file_name, embedding_root, init_unknown_vec, vocabulary, **kwargs)


@register
class FastText(_Pretrained):
    """fastText vectors (Bojanowski et al. 2016) from a local ``embedding_root/fasttext/<pretrained_file_name>``.
    """
    pretrained_file_name_sha1 = dict.fromkeys(_FASTTEXT_FILES)

    def __init__(self, pretrained_file_name='wiki.simple.vec', embedding_root=_ROOT,
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super(FastText, self).__init__(pretrained_file_name, embedding_root, init_unknown_vec, vocabulary,
                                       **kwargs)
