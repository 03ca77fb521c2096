"""mx.metric against hand-computed values."""
import math

import numpy as np
import pytest

import mxc as mx

nd = mx.nd


def test_accuracy_probabilities_and_indices():
    m = mx.metric.create("acc")
    assert isinstance(m, mx.metric.Accuracy)
    preds = nd.array([[0.3, 0.7], [0.6, 0.4], [0.2, 0.8], [0.9, 0.1]])
    labels = nd.array([1, 1, 1, 0])
    m.update([labels], [preds])
    assert m.get() == ("accuracy", 0.75)
    # class indices compared directly (same shape as labels)
    m.update([nd.array([2, 0])], [nd.array([2, 1])])
    assert m.get()[1] == pytest.approx(4 / 6)
    assert m.num_inst == 6 and m.sum_metric == 4


def test_accuracy_axis_and_multiple_outputs():
    m = mx.metric.Accuracy(axis=0)
    m.update([nd.array([1, 0])], [nd.array([[0.1, 0.9], [0.8, 0.2]])])  # argmax over axis 0 -> [1, 0]
    assert m.get()[1] == 1.0
    m = mx.metric.Accuracy()
    m.update([nd.array([0]), nd.array([1])], [nd.array([[0.9, 0.1]]), nd.array([[0.9, 0.1]])])
    assert m.get()[1] == 0.5
    with pytest.raises(ValueError, match="does not match"):
        m.update([nd.array([0])], [nd.array([[1, 0]]), nd.array([[1, 0]])])


def test_global_statistics_survive_reset_local():
    m = mx.metric.Accuracy()
    m.update([nd.array([0, 1])], [nd.array([[1, 0], [1, 0]])])  # 1/2
    m.reset_local()
    m.update([nd.array([0, 1])], [nd.array([[1, 0], [0, 1]])])  # 2/2
    assert m.get()[1] == 1.0
    assert m.get_global()[1] == 0.75
    assert m.get_global_name_value() == [("accuracy", 0.75)]
    m.reset()
    assert math.isnan(m.get()[1])


def test_top_k_accuracy():
    preds = nd.array([[0.1, 0.5, 0.4, 0.0],
                      [0.6, 0.05, 0.2, 0.15],
                      [0.25, 0.15, 0.5, 0.1],
                      [0.4, 0.3, 0.2, 0.1]])
    labels = nd.array([2, 3, 3, 1])
    m2 = mx.metric.TopKAccuracy(top_k=2)
    m2.update([labels], [preds])
    assert m2.get() == ("top_k_accuracy_2", 0.5)  # rows 0 (2 in {1,2}) and 3 (1 in {0,1})
    m3 = mx.metric.create("top_k_accuracy", top_k=3)
    m3.update([labels], [preds])
    assert m3.get()[1] == 0.75  # row 1's label 3 is third; row 2's is last
    with pytest.raises(ValueError):
        mx.metric.TopKAccuracy(top_k=1)


def test_f1_macro_and_micro():
    def batch(tp, fp, fn, tn):
        preds = [[0.3, 0.7]] * tp + [[0.3, 0.7]] * fp + [[0.7, 0.3]] * fn + [[0.7, 0.3]] * tn
        labels = [1] * tp + [0] * fp + [1] * fn + [0] * tn
        return [nd.array(labels)], [nd.array(preds)]

    def f1(tp, fp, fn):
        p, r = tp / (tp + fp), tp / (tp + fn)
        return 2 * p * r / (p + r)

    macro, micro = mx.metric.F1(), mx.metric.F1(average="micro")
    for m in (macro, micro):
        m.update(*batch(3, 1, 2, 4))
        m.update(*batch(5, 0, 1, 2))
    assert macro.get()[1] == pytest.approx((f1(3, 1, 2) + f1(5, 0, 1)) / 2)
    assert micro.get()[1] == pytest.approx(f1(8, 1, 3))
    with pytest.raises(ValueError, match="binary"):
        mx.metric.F1().update([nd.array([0, 1, 2])], [nd.array([[1, 0], [0, 1], [1, 0]])])


def test_mcc():
    tp, fp, fn, tn = 6, 2, 1, 5
    preds = [[0.2, 0.8]] * (tp + fp) + [[0.8, 0.2]] * (fn + tn)
    labels = [1] * tp + [0] * fp + [1] * fn + [0] * tn
    m = mx.metric.MCC()
    m.update([nd.array(labels)], [nd.array(preds)])
    expected = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert m.get()[1] == pytest.approx(expected)


def test_cross_entropy_and_nll():
    preds = nd.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    labels = nd.array([1, 0, 1])
    expected = -(math.log(0.8) + math.log(0.6) + math.log(0.5)) / 3
    for name in ("ce", "nll_loss"):
        m = mx.metric.create(name)
        m.update([labels], [preds])
        assert m.get()[1] == pytest.approx(expected, rel=1e-6)
    assert mx.metric.CrossEntropy().name == "cross-entropy"


def test_perplexity_with_ignore_label():
    preds = nd.array([[0.3, 0.7], [1.0, 0.0], [0.4, 0.6], [0.5, 0.5]])
    labels = nd.array([0, 0, 1, -1])
    m = mx.metric.Perplexity(ignore_label=-1)
    m.update([labels], [preds])
    assert m.get()[1] == pytest.approx(math.exp(-(math.log(0.3) + math.log(1.0) + math.log(0.6)) / 3), rel=1e-6)
    m = mx.metric.Perplexity(ignore_label=None)
    m.update([nd.array([0, 1])], [nd.array([[0.25, 0.75], [0.5, 0.5]])])
    assert m.get()[1] == pytest.approx(math.exp(-(math.log(0.25) + math.log(0.5)) / 2), rel=1e-6)


def test_regression_metrics_average_per_batch():
    l1, p1 = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 1.0])
    l2, p2 = np.array([0.0, 4.0]), np.array([1.0, 4.0])
    results = {}
    for name in ("mse", "mae", "rmse"):
        m = mx.metric.create(name)
        m.update([nd.array(l1)], [nd.array(p1)])
        m.update([nd.array(l2)], [nd.array(p2.reshape(2, 1))])
        results[name] = m.get()[1]
    assert results["mse"] == pytest.approx((np.mean((l1 - p1) ** 2) + np.mean((l2 - p2) ** 2)) / 2)
    assert results["mae"] == pytest.approx((np.mean(np.abs(l1 - p1)) + np.mean(np.abs(l2 - p2))) / 2)
    assert results["rmse"] == pytest.approx((math.sqrt(np.mean((l1 - p1) ** 2))
                                             + math.sqrt(np.mean((l2 - p2) ** 2))) / 2)


def test_pearson_correlation():
    a, b = np.array([1.0, 2.0, 3.0, 5.0]), np.array([1.2, 1.9, 3.5, 4.0])
    m = mx.metric.create("pearsonr")
    m.update([nd.array(a)], [nd.array(b)])
    assert m.get()[1] == pytest.approx(np.corrcoef(a, b)[0, 1])


def test_loss_metric():
    m = mx.metric.Loss()
    m.update(None, [nd.array([1.0, 2.0, 3.0])])
    assert m.get() == ("loss", 2.0)


def test_composite():
    m = mx.metric.create(["acc", "ce"])
    assert isinstance(m, mx.metric.CompositeEvalMetric)
    m.update([nd.array([1, 0])], [nd.array([[0.2, 0.8], [0.4, 0.6]])])
    names, values = m.get()
    assert names == ["accuracy", "cross-entropy"]
    assert values[0] == 0.5
    assert values[1] == pytest.approx(-(math.log(0.8) + math.log(0.4)) / 2, rel=1e-6)
    assert m.get_name_value()[0] == ("accuracy", 0.5)
    comp = mx.metric.CompositeEvalMetric()
    comp.add(mx.metric.MSE())
    assert isinstance(comp.get_metric(0), mx.metric.MSE)
    with pytest.raises(IndexError):
        comp.get_metric(3)


def test_update_dict_selects_outputs_and_labels():
    m = mx.metric.Accuracy(output_names=["b_output"], label_names=["lb"])
    labels = {"la": nd.array([0]), "lb": nd.array([1])}
    preds = {"a_output": nd.array([[1.0, 0.0]]), "b_output": nd.array([[0.0, 1.0]])}
    m.update_dict(labels, preds)
    assert m.get()[1] == 1.0


def test_custom_and_np_metrics():
    def mean_abs(label, pred):
        return np.abs(label - pred).mean()

    m = mx.metric.np(mean_abs)
    assert m.name == "mean_abs"
    m.update([nd.array([1.0, 2.0])], [nd.array([1.5, 2.5])])
    m.update([nd.array([0.0])], [nd.array([2.0])])
    assert m.get()[1] == pytest.approx((0.5 + 2.0) / 2)
    c = mx.metric.create(lambda label, pred: (float((label == pred).sum()), label.size))
    assert c.name.startswith("custom(")
    c.update([nd.array([1, 2, 3])], [nd.array([1, 0, 3])])
    assert c.get()[1] == pytest.approx(2 / 3)
    assert isinstance(mx.metric.CustomMetric(mean_abs), mx.metric.EvalMetric)


def test_create_errors_and_config():
    with pytest.raises(ValueError, match="Unknown metric 'nosuch'"):
        mx.metric.create("nosuch")
    with pytest.raises(TypeError):
        mx.metric.create(3)
    acc = mx.metric.Accuracy(axis=1, name="myacc")
    again = mx.metric.create(acc.get_config())
    assert isinstance(again, mx.metric.Accuracy) and again.name == "myacc"
    assert mx.metric.create(acc) is acc
    assert str(acc).startswith("EvalMetric:")


def test_numpy_inputs_accepted():
    m = mx.metric.Accuracy()
    m.update([np.array([1, 0])], [np.array([[0.0, 1.0], [0.0, 1.0]])])
    assert m.get()[1] == 0.5
