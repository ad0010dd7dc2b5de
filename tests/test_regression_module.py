from functools import partial

import pytest
import torch

from colorgan.models.nets import FusionNet, PlainCNN
from colorgan.models.regression_module import RegressionColorizer
from tests.test_gan_module import fit


@pytest.mark.parametrize("loss", ["mse", "l1"])
@pytest.mark.parametrize("net", [PlainCNN, partial(FusionNet, classifier="resnet18")])
def test_regression_loss_goes_down_on_one_batch(photo_batch, net, loss):
    torch.manual_seed(0)
    model = RegressionColorizer(generator=net(), optimizer=partial(torch.optim.Adam, lr=1e-3), loss=loss)
    L, ab, _ = model.split_batch(photo_batch)
    with torch.no_grad():
        before = model.loss_fn(model(L), ab).item()
        gray = model.loss_fn(torch.zeros_like(ab), ab).item()
    fit(model, photo_batch, steps=30)
    with torch.no_grad():
        after = model.loss_fn(model(L), ab).item()
    assert after < 0.8 * before and after < 0.85 * gray  # learned colour, not just "predict gray"


def test_unknown_regression_loss_is_refused():
    with pytest.raises(ValueError, match="huber"):
        RegressionColorizer(generator=PlainCNN(), optimizer=partial(torch.optim.Adam), loss="huber")
