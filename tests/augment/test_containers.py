"""Containers (augment.containers): OneOf weights and choices, RandomApply, their params' repr."""
from __future__ import annotations

import torch

from pixelgrad import augment as A
from pixelgrad.augment import Params, Rng


def test_oneof_weights_and_choices():
    t = A.OneOf([A.RandomGradient(), A.RandomCornerGradient(), A.RandomGaussianSpot()], weights=[1, 0, 3])
    P = t.draw((4000, 1, 4, 4), Rng(4000, torch.Generator().manual_seed(0)))
    counts = torch.bincount(P.values["chosen"], minlength=3).tolist()
    assert counts[1] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    x = torch.rand(12, 3, 8, 8)
    y, P = t(x, seed=4, return_params=True)
    for i, d in enumerate(P.per_sample()):
        k = d["chosen"]
        child = t.transforms[k]
        yi = child(x[i:i + 1], params=Params.from_per_sample([d["transforms"][k]]))
        assert torch.equal(y[i:i + 1], yi)


def test_random_apply_gates_everything_together():
    t = A.RandomApply([A.RandomGradient(alpha=(0.5, 0.5)), A.RandomGaussianSpot(alpha=(0.3, 0.3))], p=0.5)
    x = torch.rand(40, 3, 8, 8)
    y, P = t(x, seed=0, return_params=True)
    off = ~P.applied
    assert 0 < int(off.sum()) < 40 and torch.equal(y[off], x[off])


def test_params_repr_shows_unchosen_one_of_child_not_applied():
    t = A.Compose([A.OneOf([A.RandomShear(), A.RandomBoxBlur()]), A.RandomApply([A.RandomGradient()], p=0.0)])
    _, P = t(torch.rand(4, 3, 8, 8), seed=0, return_params=True)
    chosen = P.children[0].values["chosen"].tolist()
    text = repr(P)
    for k, name in enumerate(["RandomShear", "RandomBoxBlur"]):
        part = text.split(f"type='{name}', applied=")[1].split("]")[0] + "]"
        assert part == str([c == k for c in chosen])
    assert "type='RandomGradient', applied=[False, False, False, False]" in text
    assert [s["transforms"][0]["transforms"][k]["applied"] for s in P.per_sample() for k in (0, 1)] == \
        [c == k for c in chosen for k in (0, 1)]
