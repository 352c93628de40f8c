import numpy as np
import pytest

from stdpnet.data import noise
from stdpnet.errors import DataError


def rng(seed=0):
    return np.random.default_rng(seed)


def speech_like(n=4000, seed=1):
    t = np.arange(n) / 8000
    envelope = np.sin(np.pi * t / t[-1]) ** 2
    r = rng(seed)
    return (0.3 * envelope * (np.sin(2 * np.pi * 220 * t) + 0.2 * r.standard_normal(n))).astype(np.float32)


@pytest.mark.parametrize("snr", [-10.0, -3.5, 0.0, 5.0, 20.0, 40.0])
def test_white_noise_has_the_asked_snr(snr):
    clean = speech_like()
    noisy = noise.white_noise(clean, snr, rng())
    assert noisy.shape == clean.shape and noisy.dtype == clean.dtype
    assert abs(noise.snr_db(clean, noisy) - snr) < 0.01
    assert np.std(noisy - clean) > 0


@pytest.mark.parametrize("snr", [-5.0, 0.0, 10.0])
def test_babble_has_the_asked_snr_and_uses_other_recordings(snr):
    clean = speech_like(3000)
    others = [speech_like(n, seed=s) for n, s in [(1000, 2), (5000, 3), (2500, 4)]]
    noisy = noise.babble(clean, others, snr, rng(), n_talkers=3)
    assert abs(noise.snr_db(clean, noisy) - snr) < 0.01
    # The added noise is speech from the others, not white noise: strongly periodic at 220 Hz.
    residual = noisy.astype(np.float64) - clean
    spectrum = np.abs(np.fft.rfft(residual))
    peak_hz = np.argmax(spectrum) * 8000 / len(residual)
    assert abs(peak_hz - 220) < 10


def test_audio_noise_is_seeded():
    clean = speech_like()
    a = noise.white_noise(clean, 5.0, rng(3))
    b = noise.white_noise(clean, 5.0, rng(3))
    c = noise.white_noise(clean, 5.0, rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_audio_noise_rejects_silence():
    with pytest.raises(DataError, match="silent signal"):
        noise.white_noise(np.zeros(100, dtype=np.float32), 10.0, rng())
    with pytest.raises(DataError, match="at least one other"):
        noise.babble(speech_like(), [], 10.0, rng())


def test_gaussian_noise_has_exact_sigma_per_image():
    images = np.full((5, 28, 28), 0.5, dtype=np.float32)
    noisy = noise.gaussian_noise(images, 0.05, rng())  # 10 sigma from the edges: no clipping
    diff = (noisy - images).reshape(5, -1).astype(np.float64)
    np.testing.assert_allclose(diff.std(axis=1), 0.05, rtol=1e-4)
    np.testing.assert_allclose(diff.mean(axis=1), 0.0, atol=1e-6)
    heavy = noise.gaussian_noise(images, 2.0, rng())
    assert heavy.min() >= 0.0 and heavy.max() <= 1.0 and heavy.dtype == np.float32


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_salt_and_pepper_flips_exactly_the_fraction(fraction):
    images = np.full((4, 28, 28), 0.5, dtype=np.float32)
    noisy = noise.salt_and_pepper(images, fraction, rng())
    n = int(round(fraction * 784))
    changed = (noisy != 0.5).reshape(4, -1).sum(axis=1)
    assert np.all(changed == n)
    salt = (noisy == 1.0).reshape(4, -1).sum(axis=1)
    assert np.all(salt == round(0.5 * n))


def test_occlusion_covers_an_exact_square():
    images = np.ones((6, 28, 28), dtype=np.float32)
    out = noise.occlusion(images, fraction=0.25, rng=rng())
    assert np.all((out == 0).reshape(6, -1).sum(axis=1) == 14 * 14)
    assert noise.patch_fraction(28, 28, fraction=0.25) == 0.25
    for img in out:
        rows, cols = np.nonzero(img == 0)
        assert rows.max() - rows.min() == 13 and cols.max() - cols.min() == 13
    positions = {tuple(np.argwhere(img == 0)[0]) for img in out}
    assert len(positions) > 1  # seeded, but not the same place every time
    flat = noise.occlusion(images.reshape(6, -1), size=5, rng=rng(), image_shape=(28, 28))
    assert flat.shape == (6, 784) and np.all((flat == 0).sum(axis=1) == 25)
    wide = noise.occlusion(np.ones((2, 16, 64), np.float32), fraction=0.5, rng=rng())  # side 23 > 16
    assert np.all((wide == 0).reshape(2, -1).sum(axis=1) == 16 * 16)    # capped at the shorter side
    assert noise.patch_fraction(16, 64, fraction=0.5) == 0.25


def test_image_noise_errors_are_clear():
    with pytest.raises(DataError, match="image_shape"):
        noise.occlusion(np.ones((2, 784), np.float32), fraction=0.1, rng=rng())
    with pytest.raises(DataError, match="exactly one of"):
        noise.occlusion(np.ones((2, 8, 8), np.float32), rng=rng())
    with pytest.raises(DataError, match="does not fit"):
        noise.occlusion(np.ones((2, 8, 8), np.float32), size=9, rng=rng())
    with pytest.raises(DataError, match="must be one of"):
        noise.add_image_noise(np.ones((2, 8, 8), np.float32), "speckle", 0.1, rng())


def test_a_noise_level_must_be_a_finite_number():
    """NaN would silence an ensemble and record a curve all the same; an
    infinite level could not be kept in the run's files."""
    import click

    from stdpnet.cli import _floats
    from stdpnet.errors import ConfigError
    from stdpnet.experiments.sweep import parse_noises

    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="sigma must be a number >= 0, got nan"):
        noise.gaussian_noise(np.full((2, 4), 0.5), float("nan"), rng)
    with pytest.raises(DataError, match="finite number of dB, got inf"):
        noise.white_noise(np.sin(np.arange(100.0)), float("inf"), rng)
    for text in ("nan", "inf,10", ",", "", "0.5,x"):
        with pytest.raises(click.BadParameter, match="--prune"):
            _floats(text, "--prune")
    with pytest.raises(ConfigError, match="finite"):
        parse_noises(["audio:white=-inf"])
    # a level outside its model's range is refused before anything is simulated
    for bad, words in (("image:salt_pepper=0.1,2", r"\[2.0\] out of range.* in \[0, 1\]"),
                       ("image:occlusion=1.5", r"occlusion: levels \[1.5\]"),
                       ("image:gaussian=-1", r"gaussian: levels \[-1.0\] .*sigma in \[0, inf\]")):
        with pytest.raises(ConfigError, match=words):
            parse_noises([bad])
    assert parse_noises(["audio:white=-40,40", "image:salt_pepper=0,1"])[1][2] == [0.0, 1.0]
    with pytest.raises(ConfigError, match=r"--noise image:gaussian is given twice: .*image:gaussian=0\.4,0\.8"):
        parse_noises(["image:gaussian=0.4", "audio:white=5", "image:gaussian=0.8"])


def test_robustness_refuses_a_level_out_of_range_before_reading_the_run(tmp_path):
    from click.testing import CliRunner

    from stdpnet.cli import main

    result = CliRunner().invoke(main, ["robustness", str(tmp_path), "--noise", "image:salt_pepper",
                                       "--levels", "0.1,2"])
    assert result.exit_code == 1 and "--noise image:salt_pepper: levels [2.0] out of range" in result.output


def test_audio_noise_errors_name_the_recording_and_the_babble_talker():
    word = np.sin(np.linspace(0, 60, 800))
    with pytest.raises(DataError, match=r"^3_theo_1\.wav: babble recording 4_george_0\.wav is empty or silent"):
        noise.add_audio_noise(word, "babble", 5, rng(), others=[np.zeros(400)], name="3_theo_1.wav",
                              names=["4_george_0.wav"])
    with pytest.raises(DataError, match=r"^3_theo_1\.wav: cannot set an SNR for a silent signal"):
        noise.add_audio_noise(np.zeros(800), "white", 5, rng(), name="3_theo_1.wav")
