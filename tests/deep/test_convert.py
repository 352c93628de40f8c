import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep.convert import balance_thresholds, convert  # noqa: E402
from stdpnet.deep.models import fold_batch_norm  # noqa: E402
from stdpnet.deep.neurons import neuron_layers  # noqa: E402

from .conftest import synthetic, tiny_model, train_quickly  # noqa: E402

AGREEMENT = 0.97  # stated rate: converted SNN at T=512 vs ANN predictions


def test_conversion_preserves_ann_predictions_at_large_T(trained_ann):
    images, _ = synthetic(200, seed=1)
    calibration, _ = synthetic(200, seed=2)
    with torch.no_grad():
        ann_pred = trained_ann(images).argmax(1)
        snn = convert(trained_ann, calibration, percentile=99.99, timesteps=512)
        snn_pred = snn(images).argmax(1)
    agreement = (ann_pred == snn_pred).float().mean().item()
    assert agreement >= AGREEMENT, agreement


def test_conversion_latency_short_T_agrees_less(trained_ann):
    images, _ = synthetic(200, seed=1)
    calibration, _ = synthetic(200, seed=2)
    with torch.no_grad():
        ann_out = trained_ann(images)
        snn = convert(trained_ann, calibration, percentile=100, timesteps=256)
        _, partial = snn(images, checkpoints=(2, 256))
    err = {t: (partial[t] - ann_out).abs().mean().item() for t in (2, 256)}
    assert err[256] < 0.5 * err[2]  # the SNN approaches the ANN as T grows


def test_thresholds_are_the_maximum_pre_activation_at_percentile_100(trained_ann):
    images, _ = synthetic(64, seed=3)
    maxima = []
    hooks = [layer.register_forward_pre_hook(lambda m, i: maxima.append(i[0].max().item()))
             for layer in neuron_layers(trained_ann)]
    with torch.no_grad():
        trained_ann(images)
    for h in hooks:
        h.remove()
    thresholds = balance_thresholds(trained_ann, images, percentile=100, batch_size=64)
    assert thresholds == pytest.approx(maxima)
    lower = balance_thresholds(trained_ann, images, percentile=90, batch_size=64)
    assert all(lo < hi for lo, hi in zip(lower, thresholds))


def test_batch_norm_folding_keeps_ann_outputs():
    images, labels = synthetic(128)
    model = train_quickly(tiny_model(batch_norm=True), images, labels, steps=20)
    with torch.no_grad():
        before = model(images)
        after = fold_batch_norm(model)(images)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert torch.allclose(before, after, atol=1e-4)


def test_residual_network_converts_too():
    torch.manual_seed(0)
    images, labels = synthetic(256)
    model = train_quickly(tiny_model(arch="resnet", stem=4, stages=[4, 8], blocks=1),
                          images, labels, steps=60)
    test, _ = synthetic(200, seed=1)
    with torch.no_grad():
        ann_pred = model(test).argmax(1)
        snn_pred = convert(model, images, percentile=99.99, timesteps=512)(test).argmax(1)
    assert (ann_pred == snn_pred).float().mean().item() >= AGREEMENT


@pytest.mark.parametrize("arch", ["vgg5", "vgg9", "vgg11", "vgg16", "resnet8", "resnet20"])
def test_presets_build_for_cifar_shapes(arch):
    from stdpnet.deep.data import INFO as DATA
    from stdpnet.deep.models import build_model
    from stdpnet.deep.config import DEFAULTS
    cfg = dict(DEFAULTS["model"], arch=arch, width=1 / 16)
    model = build_model(cfg, DATA["cifar10"])
    with torch.no_grad():
        assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)
