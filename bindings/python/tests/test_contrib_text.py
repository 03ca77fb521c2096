"""mx.contrib.text (utils, vocab, embedding) and mx.contrib.tensorboard; expected values printed by MXNet 1.9.1
on the same inputs."""
import collections
import sys
import types

import numpy as np
import pytest

import mxc as mx
from mxc.contrib import text

_TEXT = " Life is great ! \n life is good . \n"


def _write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(body)
    return str(path)


def test_count_tokens_from_str():
    c = text.utils.count_tokens_from_str(_TEXT)
    assert isinstance(c, collections.Counter)
    assert sorted(c.items()) == [('!', 1), ('.', 1), ('Life', 1), ('good', 1), ('great', 1), ('is', 2), ('life', 1)]
    assert sorted(text.utils.count_tokens_from_str(_TEXT, to_lower=True).items()) == [
        ('!', 1), ('.', 1), ('good', 1), ('great', 1), ('is', 2), ('life', 2)]
    base = collections.Counter({'a': 2})
    c2 = text.utils.count_tokens_from_str("a b", counter_to_update=base)
    assert c2 is base and c2 == collections.Counter({'a': 3, 'b': 1})
    assert sorted(text.utils.count_tokens_from_str("a,b;c,a", token_delim=',', seq_delim=';').items()) == [
        ('a', 2), ('b', 1), ('c', 1)]


def test_vocabulary():
    c = text.utils.count_tokens_from_str(_TEXT)
    v = text.vocab.Vocabulary(c, most_freq_count=None, min_freq=1, unknown_token='<unk>', reserved_tokens=['<pad>'])
    assert len(v) == 9
    assert v.idx_to_token == ['<unk>', '<pad>', 'is', '!', '.', 'Life', 'good', 'great', 'life']
    assert v.token_to_idx == {'<unk>': 0, '<pad>': 1, 'is': 2, '!': 3, '.': 4, 'Life': 5, 'good': 6, 'great': 7,
                              'life': 8}
    assert v.unknown_token == '<unk>' and v.reserved_tokens == ['<pad>']
    assert v.to_indices(['is', 'Life', 'xyz']) == [2, 5, 0] and v.to_indices('is') == 2
    assert v.to_tokens([0, 2]) == ['<unk>', 'is'] and v.to_tokens(3) == '!'
    with pytest.raises(ValueError, match="Token index 100"):
        v.to_tokens(100)
    assert text.vocab.Vocabulary(c, most_freq_count=2, min_freq=2).idx_to_token == ['<unk>', 'is']
    assert text.vocab.Vocabulary(c, most_freq_count=3).idx_to_token == ['<unk>', 'is', '!', '.']
    empty = text.vocab.Vocabulary()
    assert empty.idx_to_token == ['<unk>'] and empty.reserved_tokens is None
    with pytest.raises(AssertionError, match="cannot contain `unknown_token`"):
        text.vocab.Vocabulary(c, reserved_tokens=['<unk>'])
    with pytest.raises(AssertionError, match="duplicate reserved tokens"):
        text.vocab.Vocabulary(c, reserved_tokens=['a', 'a'])
    with pytest.raises(AssertionError, match="positive"):
        text.vocab.Vocabulary(c, min_freq=0)


def test_custom_embedding(tmp_path):
    path = _write(tmp_path, 'emb.txt', "hello 0.1 0.2 0.3\nworld 0.4 0.5 0.6\nhi 1 2 3\n")
    e = text.embedding.CustomEmbedding(path)
    assert len(e) == 4 and e.vec_len == 3
    assert e.idx_to_token == ['<unk>', 'hello', 'world', 'hi']
    assert e.token_to_idx == {'<unk>': 0, 'hello': 1, 'world': 2, 'hi': 3}
    assert e.unknown_token == '<unk>' and e.reserved_tokens is None
    np.testing.assert_allclose(e.idx_to_vec.asnumpy(), [[0, 0, 0], [.1, .2, .3], [.4, .5, .6], [1, 2, 3]],
                               rtol=1e-6)
    np.testing.assert_allclose(e.get_vecs_by_tokens('hello').asnumpy(), [.1, .2, .3], rtol=1e-6)
    np.testing.assert_allclose(e.get_vecs_by_tokens(['hi', 'nope', 'HELLO']).asnumpy(),
                               [[1, 2, 3], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(e.get_vecs_by_tokens(['HELLO'], lower_case_backup=True).asnumpy(), [[.1, .2, .3]],
                               rtol=1e-6)
    e.update_token_vectors('hello', mx.nd.array([9, 9, 9]))
    np.testing.assert_array_equal(e.get_vecs_by_tokens('hello').asnumpy(), [9, 9, 9])
    e.update_token_vectors(['hi', 'world'], mx.nd.array([[1, 1, 1], [2, 2, 2]]))
    np.testing.assert_array_equal(e.idx_to_vec.asnumpy(), [[0, 0, 0], [9, 9, 9], [2, 2, 2], [1, 1, 1]])
    with pytest.raises(ValueError, match="Token nope is unknown"):
        e.update_token_vectors('nope', mx.nd.array([1, 1, 1]))
    with pytest.raises(ValueError, match="new_vectors"):
        e.update_token_vectors(['hi'], mx.nd.array([1, 1]))
    e3 = text.embedding.CustomEmbedding(path, init_unknown_vec=mx.nd.ones)
    np.testing.assert_array_equal(e3.idx_to_vec[0].asnumpy(), [1, 1, 1])
    tabs = _write(tmp_path, 'tab.txt', "hello\t1\t2\nworld\t3\t4\n")
    np.testing.assert_array_equal(text.embedding.CustomEmbedding(tabs, elem_delim='\t').idx_to_vec.asnumpy(),
                                  [[0, 0], [1, 2], [3, 4]])


def test_custom_embedding_file_quirks(tmp_path):
    path = _write(tmp_path, 'e3.txt', "<unk> 5 5 5\nhello 0.1 0.2 0.3\nhello 7 7 7\nsolo 4\nworld 0.4 0.5 0.6\n")
    with pytest.warns(UserWarning):
        e = text.embedding.CustomEmbedding(path)
    # MXNet 1.9.1: the file's <unk> vector, the first 'hello', the 1-element line skipped as a header
    assert e.idx_to_token == ['<unk>', 'hello', 'world']
    np.testing.assert_allclose(e.idx_to_vec.asnumpy(), [[5, 5, 5], [.1, .2, .3], [.4, .5, .6]], rtol=1e-6)
    bad = _write(tmp_path, 'bad.txt', "hello 1 2 3\nbad 1 2\n")
    with pytest.raises(AssertionError, match="dimension of token bad is 2"):
        text.embedding.CustomEmbedding(bad)
    with pytest.raises(ValueError, match="pretrained_file_path"):
        text.embedding.CustomEmbedding(str(tmp_path / 'missing.txt'))


def test_embedding_with_vocabulary_and_composite(tmp_path):
    p1 = _write(tmp_path, 'emb.txt', "hello 0.1 0.2 0.3\nworld 0.4 0.5 0.6\nhi 1 2 3\n")
    p2 = _write(tmp_path, 'emb2.txt', "hello 1 1\nworld 2 2\n")
    c = text.utils.count_tokens_from_str("hello world hi hello zz")
    v = text.vocab.Vocabulary(c)
    ce = text.embedding.CompositeEmbedding(v, [text.embedding.CustomEmbedding(p1),
                                               text.embedding.CustomEmbedding(p2)])
    # MXNet 1.9.1
    assert ce.vec_len == 5 and ce.idx_to_token == ['<unk>', 'hello', 'hi', 'world', 'zz']
    assert ce.reserved_tokens is None and ce.unknown_token == '<unk>'
    np.testing.assert_allclose(ce.idx_to_vec.asnumpy(), [[0, 0, 0, 0, 0], [.1, .2, .3, 1, 1], [1, 2, 3, 0, 0],
                                                         [.4, .5, .6, 2, 2], [0, 0, 0, 0, 0]], rtol=1e-6)
    e2 = text.embedding.CustomEmbedding(p1, vocabulary=text.vocab.Vocabulary(c, reserved_tokens=['<pad>']))
    assert e2.reserved_tokens == ['<pad>'] and e2.idx_to_token == ['<unk>', '<pad>', 'hello', 'hi', 'world', 'zz']
    np.testing.assert_allclose(e2.idx_to_vec.asnumpy(), [[0, 0, 0], [0, 0, 0], [.1, .2, .3], [1, 2, 3],
                                                         [.4, .5, .6], [0, 0, 0]], rtol=1e-6)
    with pytest.raises(TypeError):
        text.embedding.CompositeEmbedding(c, [e2])


def test_registry_and_pretrained(tmp_path):
    names = text.embedding.get_pretrained_file_names()
    assert sorted(names) == ['fasttext', 'glove']
    # MXNet 1.9.1: the GloVe files, and 327 fastText files
    assert text.embedding.get_pretrained_file_names('glove') == [
        'glove.42B.300d.txt', 'glove.6B.50d.txt', 'glove.6B.100d.txt', 'glove.6B.200d.txt', 'glove.6B.300d.txt',
        'glove.840B.300d.txt', 'glove.twitter.27B.25d.txt', 'glove.twitter.27B.50d.txt',
        'glove.twitter.27B.100d.txt', 'glove.twitter.27B.200d.txt']
    ft = text.embedding.get_pretrained_file_names('fasttext')
    assert len(ft) == 327 and ft[:3] == ['crawl-300d-2M.vec', 'wiki.aa.vec', 'wiki.ab.vec']
    assert 'wiki.simple.vec' in ft and 'wiki-news-300d-1M.vec' in ft
    with pytest.raises(KeyError, match="Cannot find `embedding_name` nope"):
        text.embedding.get_pretrained_file_names('nope')

    @text.embedding.register
    class MyEmb(text.embedding._TokenEmbedding):
        pretrained_file_name_sha1 = {'a.txt': None}

    x = text.embedding.create('myemb')
    assert type(x).__name__ == 'MyEmb' and len(x) == 1 and x.idx_to_token == ['<unk>']
    assert text.embedding.get_pretrained_file_names('myemb') == ['a.txt']
    with pytest.raises(AssertionError, match="zzz is not registered"):
        text.embedding.create('zzz')
    # no download: a clear error naming where the file should be
    with pytest.raises(IOError, match="does not download"):
        text.embedding.GloVe(pretrained_file_name='glove.6B.50d.txt', embedding_root=str(tmp_path))
    with pytest.raises(KeyError, match="Cannot find pretrained file nope.txt"):
        text.embedding.GloVe(pretrained_file_name='nope.txt')
    # a file already in place is loaded
    (tmp_path / 'fasttext').mkdir()
    (tmp_path / 'fasttext' / 'wiki.simple.vec').write_text("2 3\nthe 1 2 3\nof 4 5 6\n")
    with pytest.warns(UserWarning, match="header"):
        ft_emb = text.embedding.create('fasttext', embedding_root=str(tmp_path))
    assert ft_emb.idx_to_token == ['<unk>', 'the', 'of']
    np.testing.assert_array_equal(ft_emb.get_vecs_by_tokens(['of']).asnumpy(), [[4, 5, 6]])


class _FakeWriter(object):
    def __init__(self, logdir):
        self.logdir = logdir
        self.scalars = []

    def add_scalar(self, name, value, global_step=None):
        self.scalars.append((name, value, global_step))


def test_tensorboard_log_metrics_callback(monkeypatch, tmp_path):
    fake = types.ModuleType('tensorboardX')
    fake.SummaryWriter = _FakeWriter
    monkeypatch.setitem(sys.modules, 'tensorboardX', fake)
    cb = mx.contrib.tensorboard.LogMetricsCallback(str(tmp_path), prefix='train')
    assert cb.summary_writer.logdir == str(tmp_path)
    metric = mx.metric.create('acc')
    metric.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.8, 0.2]])])
    cb(mx.model.BatchEndParam(epoch=3, nbatch=1, eval_metric=metric, locals=None))
    assert cb.summary_writer.scalars == [('train-accuracy', 0.5, 3)]
    cb(mx.model.BatchEndParam(epoch=4, nbatch=1, eval_metric=None, locals=None))
    assert len(cb.summary_writer.scalars) == 1


def test_tensorboard_without_a_writer(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'tensorboardX', None)
    monkeypatch.setitem(sys.modules, 'torch', None)
    monkeypatch.setitem(sys.modules, 'torch.utils', None)
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    with pytest.raises(ImportError, match="tensorboardX"):
        mx.contrib.tensorboard.LogMetricsCallback(str(tmp_path))
