"""What the run pictures say: the split and readout a confusion matrix
shows, whole neurons on the labelling axis, what the weight histogram's
"before" means. Each figure is caught as it is saved."""
import numpy as np
import pytest

from stdpnet import plots


@pytest.fixture
def saved(monkeypatch):
    figures = []

    def keep(fig, path):
        fig.canvas.draw()
        figures.append(fig)
        return path
    monkeypatch.setattr(plots, "_save", keep)
    return figures


def test_a_confusion_matrix_names_its_split_and_both_readouts(saved, tmp_path):
    conf = np.array([[8, 2], [1, 9]])
    plots.plot_confusion(conf, tmp_path / "c.png", ["cat", "dog"], "validation", 0.925)
    assert saved[-1].axes[0].get_title() == "validation split, vote readout: 85.0% of 20; likelihood readout 92.5%"
    plots.plot_confusion(conf, tmp_path / "c.png")
    assert saved[-1].axes[0].get_title() == "vote readout: 85.0% of 20"


def test_the_labelling_counts_whole_neurons(saved, tmp_path):
    plots.plot_labelling([3, 1, 0, 2], tmp_path / "l.png", [4.0, 1.5, 0.0, 2.2])
    neurons, spikes = saved[-1].axes
    ticks = [t for t in neurons.get_yticks() if neurons.get_ylim()[0] <= t <= neurons.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert spikes.get_ylabel() == "excitatory spikes per labelling example"


@pytest.mark.parametrize("during, said", [(False, "before the final quantisation"),
                                          (True, "before the final quantisation (also quantised at each "
                                                 "pruning step)")])
def test_the_weight_histogram_says_what_before_means(saved, tmp_path, during, said):
    before = np.linspace(0.01, 0.9, 50)
    after = np.round(before * 3) / 3
    plots.plot_weight_histogram(before, after, tmp_path / "w.png", np.unique(after), during)
    ax = saved[-1].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [said, "after quantisation"]
    assert ax.get_title() == f"live input weights ({len(np.unique(after))} levels, 50 live synapses)"


def test_receptive_field_tiles_keep_each_neurons_weights_upright_between_grey_lines():
    w = np.arange(2 * 3 * 5, dtype=float).reshape(6, 5)        # 6 inputs (2 x 3 images), 5 neurons
    mask = np.ones_like(w, bool)
    mask[0, 4] = False
    grid = plots.weight_grid(w, (2, 3), pruned=mask)
    assert grid.shape == (3 * 2 + 2, 2 * 3 + 1)                  # 3 rows x 2 columns of tiles, 1-pixel lines
    np.testing.assert_array_equal(grid[0:2, 4:7], w[:, 1].reshape(2, 3))   # neuron 1: first row, second tile
    assert (grid[2, :] == plots.GAP).all() and (grid[:, 3] == plots.GAP).all()
    assert np.isnan(grid[6, 0]) and grid[6, 1] == w[1, 4]         # neuron 4's pruned synapse
    assert (grid[6:8, 4:7] == plots.GAP).all()                     # no sixth neuron: left as background


def test_audio_receptive_fields_are_drawn_like_the_spectrogram_time_across_low_bands_at_the_bottom():
    frames, bands = 3, 2
    w = np.arange(frames * bands * 2, dtype=float).reshape(frames * bands, 2)   # inputs frame by frame
    grid = plots.weight_grid(w, (frames, bands), time_major=True)
    assert grid.shape == (bands * 2 + 1, frames)                 # 2 rows of tiles, each bands x frames
    tile = w[:, 0].reshape(frames, bands)
    np.testing.assert_array_equal(grid[bands - 1, :], tile[:, 0])   # band 0 on the tile's bottom row
    np.testing.assert_array_equal(grid[0, :], tile[:, bands - 1])
    np.testing.assert_array_equal(grid[bands + 1:, :], w[:, 1].reshape(frames, bands).T[::-1])


def test_the_robustness_curve_names_the_rule_that_combines_the_modalities(saved, tmp_path):
    rows = [{"image_gaussian": level, "acc_image": 0.9 - level / 2, "acc_audio": 0.8, "acc_both": 0.95 - level / 4}
            for level in (0.0, 0.5, 1.0)]
    plots.plot_robustness(rows, [("image", "gaussian", [0.0, 0.5, 1.0])], tmp_path / "r.png", "validation",
                          "normalised")
    ax = saved[-1].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["image only", "audio only",
                                                                   "image + audio (normalised vote)"]
    assert ax.get_ylabel() == "validation accuracy (%)"


def test_cross_weight_blocks_are_named_by_label_silent_neurons_apart(saved, tmp_path):
    w = np.random.default_rng(0).random((6, 4))
    plots.plot_cross_weights(w, np.array([1, 0, -1, 1, 0, 0]), np.array([2, 0, 2, 0]), tmp_path / "x.png",
                             "image_to_audio")
    ax = saved[-1].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["silent", "0", "1"]
    np.testing.assert_allclose(ax.get_yticks(), [0.0, 2.0, 4.5])       # blocks of 1, 3 and 2 neurons
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "2"]


def test_recall_spikes_of_neurons_silent_while_labelled_are_grey_not_a_class_colour(saved, tmp_path):
    labels = np.array([-1, 0, 1])
    panel = {"title": "audio, image shown", "spikes": (np.array([0, 1, 2]), np.array([0.01, 0.02, 0.03])),
             "neuron_labels": labels, "slot_labels": ["0"], "rates": np.zeros((2, 2))}
    plots.plot_recall([panel], tmp_path / "recall.png", slot=0.35)
    colours = saved[-1].axes[0].collections[0].get_facecolors()
    np.testing.assert_allclose(colours[0], plots.SILENT_GREY)
    assert not np.allclose(colours[0], colours[1]) and not np.allclose(colours[1], colours[2])
