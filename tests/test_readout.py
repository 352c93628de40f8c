"""Label assignment and voting on hand-made spike counts."""
import numpy as np
import pytest

from stdpnet.readout import likelihood, vote


def test_each_neuron_takes_the_class_it_answers_most():
    # neuron 0 fires for class 0, neuron 1 for class 1, neuron 2 for class 2,
    # neuron 3 never fires
    counts = np.array([[5, 0, 1, 0], [4, 1, 0, 0], [0, 6, 1, 0], [1, 3, 0, 0], [0, 0, 9, 0]])
    labels = np.array([0, 0, 1, 1, 2])
    np.testing.assert_array_equal(vote.assign_labels(counts, labels, 3), [0, 1, 2, -1])


def test_assignment_uses_mean_not_sum():
    # class 0 has many weak examples, class 1 one strong example
    counts = np.array([[2], [2], [2], [2], [3]])
    labels = np.array([0, 0, 0, 0, 1])
    assert vote.assign_labels(counts, labels, 2)[0] == 1


def test_vote_by_mean_count_of_class_neurons():
    assignments = np.array([0, 0, 1, -1])
    # class 0 neurons fire 2 and 0 (mean 1), class 1 neuron fires 3; the silent-labelled ignored
    # (counted for the last class, its 100 spikes would win the second row); a sum over the
    # class's neurons would give the third row (2 + 2 against 3) to class 0
    counts = np.array([[2, 0, 3, 100], [4, 4, 1, 100], [2, 2, 3, 0]])
    np.testing.assert_array_equal(vote.predict(counts, assignments, 2), [1, 0, 1])


def test_class_without_neurons_never_wins_over_a_responding_class():
    assignments = np.array([1, 1])
    scores = vote.class_scores(np.array([[1, 0]]), assignments, 3)
    np.testing.assert_array_equal(scores, [[0.0, 0.5, 0.0]])
    assert vote.predict(np.array([[1, 0]]), assignments, 3)[0] == 1


def test_accuracy_and_confusion():
    y = np.array([0, 1, 1, 2])
    p = np.array([0, 1, 2, 2])
    assert vote.accuracy(y, p) == 0.75
    np.testing.assert_array_equal(vote.confusion_matrix(y, p, 3),
                                  [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


def test_likelihood_readout_weighs_neurons_by_what_their_counts_tell_apart():
    # neuron 0 (label 0) fires ~10 for class 0 but ~8 for class 1 as well;
    # neuron 1 (label 1) fires 1 for class 1 and rarely for class 0
    rates = np.array([[10.0, 0.1], [8.0, 1.0]])
    counts = np.array([[9, 1]])
    # class 0: 9 ln 10 - 10 + ln 0.1 - 0.1 = 8.32;  class 1: 9 ln 8 - 8 + ln 1 - 1 = 9.71
    ll = likelihood.log_likelihoods(counts, rates)
    assert ll[0] == pytest.approx([9 * np.log(10) - 10 + np.log(0.1) - 0.1, 9 * np.log(8) - 9])
    assert ll.argmax(axis=1).tolist() == [1]
    assert vote.predict(counts, vote.labels_from_rates(rates), 2).tolist() == [0]  # the vote
    # a rate never seen (0) is raised to the floor: one spike costs ln(floor), not -inf
    assert likelihood.log_likelihoods(np.array([[1, 0]]), np.array([[0.0, 2.0]]))[0, 0] == pytest.approx(
        np.log(likelihood.RATE_FLOOR) - likelihood.RATE_FLOOR - 2.0)


def test_a_class_with_no_rates_is_never_chosen_by_the_likelihood():
    # class 2 had no labelling example: floored, it would explain a silent example best
    rates = vote.class_rates(np.array([[4, 1], [1, 3]]), np.array([0, 1]), 3)
    ll = likelihood.log_likelihoods(np.array([[0, 0], [3, 0]]), rates)
    assert ll[:, 2].tolist() == [-np.inf, -np.inf]
    assert ll.argmax(axis=1).tolist() == [1, 0]
    assert np.isfinite(likelihood.log_likelihoods(np.array([[0, 0]]), np.zeros((3, 2)))).all()  # all silent


def test_class_rates_are_class_means_and_silent_neurons_get_no_label():
    counts = np.array([[2, 0, 0], [4, 0, 1], [0, 0, 3]])
    rates = vote.class_rates(counts, np.array([0, 0, 1]), 3)
    assert rates.tolist() == [[3, 0, 0.5], [0, 0, 3], [0, 0, 0]]
    assert vote.labels_from_rates(rates).tolist() == [0, -1, 1]


def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_with():
    rng = np.random.default_rng(0)
    log_lik = rng.normal(0, 20, size=(4000, 5))
    for t_true in (0.5, 8.0):
        p = np.exp(log_lik / t_true - (log_lik / t_true).max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        labels = np.array([rng.choice(5, p=row) for row in p])
        assert likelihood.fit_temperature(log_lik, labels) == pytest.approx(t_true, rel=0.15)
    with pytest.raises(ValueError, match="no examples"):
        likelihood.fit_temperature(np.zeros((0, 5)), np.zeros(0, dtype=int))
    # an example of a class without rates (-inf) cannot be predicted at any T: left out
    extra = np.vstack([log_lik, np.full((1, 5), 3.0)])
    extra[-1, 4] = -np.inf
    assert likelihood.fit_temperature(extra, np.append(labels, 4)) == \
        pytest.approx(likelihood.fit_temperature(log_lik, labels), rel=1e-6)


def test_fit_reliability_recovers_an_example_dependent_weight():
    """Labels drawn from softmax(w * log_lik) with w = softplus(a + b * x):
    the fit finds a and b from the labels; with the offset alone it is
    temperature scaling (1 / softplus(a) = T)."""
    rng = np.random.default_rng(1)
    n = 6000
    log_lik = rng.normal(0, 5, size=(n, 5))
    x = rng.uniform(-1, 2, n)
    features = np.stack([np.ones(n), x], axis=1)
    weight = likelihood.reliability(features, np.array([-1.0, 1.5]))
    logits = weight[:, None] * log_lik
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=row) for row in p])
    (a, b), = likelihood.fit_reliability([log_lik], [features], labels)
    assert a == pytest.approx(-1.0, abs=0.25) and b == pytest.approx(1.5, abs=0.25)
    (offset,), = likelihood.fit_reliability([log_lik], [features[:, :1]], labels)
    assert 1 / np.logaddexp(0, offset) == pytest.approx(likelihood.fit_temperature(log_lik, labels), rel=0.02)
    # pairs whose class an ensemble has no rates for (-inf) are left out, not an infinite loss
    unknown = np.vstack([log_lik, np.zeros((3, 5))])
    unknown[-3:, 2] = -np.inf
    again = likelihood.fit_reliability([unknown], [np.vstack([features, np.ones((3, 2))])],
                                       np.append(labels, [2, 2, 2]))
    np.testing.assert_allclose(again, [[a, b]], rtol=1e-4)
