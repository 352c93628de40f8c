import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep.attack import (craft_all, fgsm, markdown_table, pgd,  # noqa: E402
                                 robustness_table)
from stdpnet.deep.convert import convert  # noqa: E402

from .conftest import synthetic  # noqa: E402


def _loss(model, x, y):
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(model(x), y).item()


def test_fgsm_increases_the_loss_of_ann_and_snn(trained_ann, data):
    x, y = synthetic(128, seed=4)
    snn = convert(trained_ann, data[0], timesteps=8)
    for model in (trained_ann, snn):
        torch.manual_seed(0)
        adv = fgsm(model, x, y, eps=0.1)
        torch.manual_seed(0)
        assert _loss(model, adv, y) > _loss(model, x, y)
        assert (adv - x).abs().max().item() <= 0.1 + 1e-6


def test_pgd_stays_within_eps_and_pixel_range(trained_ann):
    x, y = synthetic(64, seed=5)
    eps = 0.07
    adv = pgd(trained_ann, x, y, eps=eps, steps=5, generator=torch.Generator().manual_seed(0))
    assert (adv - x).abs().max().item() <= eps + 1e-6
    assert adv.min().item() >= 0 and adv.max().item() <= 1
    assert _loss(trained_ann, adv, y) > _loss(trained_ann, x, y)


def test_pgd_starts_come_from_the_cell_seed_whatever_the_batch_size(trained_ann):
    x, y = synthetic(24, seed=5)
    whole = craft_all(trained_ann, "pgd", x, y, 0.1, batch_size=24, seed=3, steps=1)
    assert torch.equal(whole, craft_all(trained_ann, "pgd", x, y, 0.1, batch_size=8, seed=3, steps=1))
    # another cell (seed) starts elsewhere, batch by batch, not from the batch's index
    other = craft_all(trained_ann, "pgd", x, y, 0.1, batch_size=8, seed=4, steps=1)
    assert all(not torch.equal(whole[k:k + 8], other[k:k + 8]) for k in (0, 8, 16))


def test_robustness_table_has_every_cell(trained_ann, data):
    x, y = synthetic(32, seed=6)
    snn = convert(trained_ann, data[0], timesteps=4, encoding="poisson")
    table = robustness_table({"ann": trained_ann, "snn": snn}, "ann", trained_ann, x, y,
                             [0.05, 0.2], steps=2, log=lambda *a: None)
    for row in table["rows"]:
        for mode in ("white_box", "black_box"):
            assert set(row[mode]) == {"fgsm", "pgd"}
            assert set(row[mode]["pgd"]) == {"0.05", "0.2"}
    ann_row = table["rows"][0]
    # the ANN is its own black-box source here: both columns must match
    assert ann_row["white_box"]["fgsm"] == ann_row["black_box"]["fgsm"]
    text = markdown_table(table)
    assert text.count("| ann |") == 2 and text.count("| snn |") == 2
    assert "PGD ε=0.2" in text


def test_an_interrupted_table_resumes_to_the_same_figures(trained_ann, data, ctrl_c):
    from stdpnet.deep import attack

    x, y = synthetic(24, seed=7)
    snn = convert(trained_ann, data[0], timesteps=4, encoding="poisson")   # draws at random
    args = ({"ann": trained_ann, "snn": snn}, "ann", trained_ann, x, y, [0.1, 0.2])
    whole = robustness_table(*args, steps=2, log=lambda *a: None)

    kept = {}
    stop = ctrl_c(attack, "accuracy", at=7)
    with pytest.raises(KeyboardInterrupt):
        robustness_table(*args, steps=2, log=lambda *a: None, keep=lambda c: kept.update(c))
    assert len(kept) == 6
    measured = dict(kept)
    stop.calls, stop.at = 0, None
    resumed = robustness_table(*args, steps=2, log=lambda *a: None, measured=measured)
    assert resumed == whole
    assert stop.calls == 2 * (1 + 2 * 2 * 2) - 6   # only the cells not kept are measured
