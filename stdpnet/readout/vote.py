"""Label assignment and voting (Diehl & Cook 2015).

Each excitatory neuron is labelled with the class to which it responded most
on average; an example is classified as the class whose labelled neurons
fire most on average. The number of classes always comes from the data.
"""
from __future__ import annotations

import numpy as np



def class_rates(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(examples, neurons) spike counts -> (classes, neurons) mean count per class."""
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels)
    rates = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        members = labels == c
        if members.any():
            rates[c] = counts[members].mean(axis=0)
    return rates


def labels_from_rates(rates: np.ndarray) -> np.ndarray:
    """(classes, neurons) mean responses -> (neurons,) class labels; -1 for silent neurons."""
    assignments = rates.argmax(axis=0)
    assignments[rates.max(axis=0) <= 0] = -1
    return assignments


def neurons_per_class(assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """(classes,) how many neurons each class labels (silent neurons, -1, left out)."""
    assignments = np.asarray(assignments)
    return np.bincount(assignments[assignments >= 0], minlength=n_classes)


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(examples, neurons) spike counts -> (neurons,) class labels; -1 for silent neurons."""
    return labels_from_rates(class_rates(counts, labels, n_classes))


def class_scores(counts: np.ndarray, assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """(examples, classes) mean spike count of each class's neurons (0 if it has none)."""
    counts = np.asarray(counts, dtype=np.float64)
    scores = np.zeros((counts.shape[0], n_classes))
    for c in range(n_classes):
        members = assignments == c
        if members.any():
            scores[:, c] = counts[:, members].mean(axis=1)
    return scores


def predict(counts: np.ndarray, assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """(examples,) the class whose labelled neurons fire most on average."""
    return class_scores(counts, assignments, n_classes).argmax(axis=1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true = np.asarray(y_true)
    return float((y_true == np.asarray(y_pred)).mean()) if len(y_true) else float("nan")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m
