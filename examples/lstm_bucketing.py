#!/usr/bin/env python3
"""An LSTM language model trained with mx.rnn.BucketSentenceIter and mx.mod.BucketingModule, as MXNet 1.x's
example/rnn/bucketing/lstm_bucketing.py does, on sentences of a tiny grammar (no download).

    python examples/lstm_bucketing.py              # 2-layer LSTM(64), buckets 8..32, 10 epochs, Adam lr 1e-2

The grammar ("the big dog sees a cat near the house .") draws each word from a small class, so a model that
learns it predicts the next word far better than the uniform baseline (the vocabulary size). Each bucket (sentence
length, padded with 0) gets its own unrolled graph; all share one set of weights. The final validation perplexity
is printed and, with --max-perplexity, checked (exit status 1 when above).
"""
import argparse
import logging
import random
import sys
import time

import numpy as np

import mxc as mx

DETS = ['the', 'a', 'every', 'no']
ADJS = ['big', 'small', 'red', 'old', 'quick']
NOUNS = ['dog', 'cat', 'bird', 'house', 'tree', 'car']
VERBS = ['sees', 'likes', 'chases', 'finds']
PREPS = ['near', 'under', 'behind']


def noun_phrase(rs):
    words = [DETS[rs.randint(len(DETS))]]
    if rs.rand() < 0.5:
        words.append(ADJS[rs.randint(len(ADJS))])
    words.append(NOUNS[rs.randint(len(NOUNS))])
    if rs.rand() < 0.3:
        words += [PREPS[rs.randint(len(PREPS))]] + noun_phrase(rs)
    return words


def sentences(n, rs):
    out = []
    for _ in range(n):
        words = noun_phrase(rs) + [VERBS[rs.randint(len(VERBS))]] + noun_phrase(rs)
        if rs.rand() < 0.3:
            words += ['and'] + noun_phrase(rs) + [VERBS[rs.randint(len(VERBS))]] + noun_phrase(rs)
        out.append(words + ['.'])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--embed", type=int, default=32)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-perplexity", type=float, default=None,
                    help="exit with status 1 when the final validation perplexity is above this (for CI)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    random.seed(args.seed)
    np.random.seed(args.seed)
    mx.random.seed(args.seed)

    rs = np.random.RandomState(args.seed)
    train_sent, vocab = mx.rnn.encode_sentences(sentences(args.sentences, rs), invalid_label=0, start_label=1)
    val_sent, _ = mx.rnn.encode_sentences(sentences(args.sentences // 4, rs), vocab=vocab, invalid_label=0)
    buckets = [8, 12, 16, 20, 26, 32]
    train = mx.rnn.BucketSentenceIter(train_sent, args.batch_size, buckets=buckets, invalid_label=0)
    val = mx.rnn.BucketSentenceIter(val_sent, args.batch_size, buckets=buckets, invalid_label=0)
    num_words = len(vocab)  # the padding index 0 included

    stack = mx.rnn.SequentialRNNCell()
    for i in range(args.layers):
        stack.add(mx.rnn.LSTMCell(num_hidden=args.hidden, prefix='lstm_l%d_' % i))

    def sym_gen(seq_len):
        data = mx.sym.Variable('data')
        label = mx.sym.Variable('softmax_label')
        embed = mx.sym.Embedding(data=data, input_dim=num_words, output_dim=args.embed, name='embed')
        stack.reset()
        outputs, _ = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.FullyConnected(data=mx.sym.Reshape(outputs, shape=(-1, args.hidden)), num_hidden=num_words,
                                     name='pred')
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name='softmax', use_ignore=True, ignore_label=0)
        return pred, ('data',), ('softmax_label',)

    model = mx.mod.BucketingModule(sym_gen=sym_gen, default_bucket_key=train.default_bucket_key,
                                   context=mx.cpu())
    print("vocabulary %d words (uniform perplexity %d), %d training batches, buckets %s"
          % (num_words - 1, num_words - 1, len(train), buckets))
    tic = time.time()
    model.fit(train_data=train, eval_data=val, eval_metric=mx.metric.Perplexity(ignore_label=0),
              optimizer='adam', optimizer_params={'learning_rate': args.lr}, initializer=mx.init.Xavier(),
              num_epoch=args.epochs, batch_end_callback=mx.callback.Speedometer(args.batch_size, 100))
    (_, ppl), = model.score(val, mx.metric.Perplexity(ignore_label=0))
    print("final validation perplexity %.3f (uniform %d) after %d epochs in %.1f s; %d buckets bound"
          % (ppl, num_words - 1, args.epochs, time.time() - tic, len(model._buckets)))
    if args.max_perplexity is not None and not ppl <= args.max_perplexity:
        print("FAILED: perplexity %.3f is above %.3f" % (ppl, args.max_perplexity))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
