"""Random streams (augment._rng): DataLoader workers draw differently, runs repeat."""
from __future__ import annotations

import pytest
import torch

from pixelgrad import augment as A
from pixelgrad.augment._rng import Rng


def _worker_ds(kind):
    class DS(torch.utils.data.Dataset):
        def __init__(self):
            self.img = torch.full((3, 8, 8), 0.5)
            self.t = A.Compose([A.RandomGradient(alpha=(0.2, 0.4)), A.RandomGaussianSpot()])

        def __len__(self):
            return 12

        def __getitem__(self, i):
            if kind == "global":        # torch's global generator, seeded per worker by PyTorch
                return self.t(self.img)
            return self.t(self.img, generator=A.sample_generators(2024, [i]))
    return DS()


def _run_loader(kind, workers):
    loader = torch.utils.data.DataLoader(_worker_ds(kind), batch_size=3, num_workers=workers)
    return torch.cat(list(loader))


def test_dataloader_workers_differ_and_runs_repeat():
    torch.manual_seed(0)
    run1 = _run_loader("global", 2)
    torch.manual_seed(0)
    run2 = _run_loader("global", 2)
    assert torch.equal(run1, run2)                       # same main seed -> same run
    flat = run1.flatten(1)
    assert torch.unique(flat, dim=0).shape[0] == 12      # no two images (hence workers) alike
    torch.manual_seed(1)
    assert not torch.equal(_run_loader("global", 2), run1)
    # index-derived generators: identical whatever the number of workers
    assert torch.equal(_run_loader("index", 0), _run_loader("index", 2))


# ------------------------------------------------------- one torch.rand for several draws
@pytest.mark.parametrize("B", [0, 1, 3, 700])
@pytest.mark.parametrize("per_sample_generators", [False, True])
def test_draws_in_one_block_equal_the_draws_in_turn(B, per_sample_generators):
    """Rng.draws (and a deferred gate) give exactly the numbers of the calls made in turn:
    torch fills a CPU float64 tensor serially from its generator."""
    from pixelgrad.augment._rng import Integers, Uniform

    seed = int(torch.randint(0, 2**31, ()))

    def rng():
        if per_sample_generators:
            return Rng(B, [torch.Generator().manual_seed(seed + i) for i in range(B)])
        return Rng(B, seed=seed)

    r = rng()
    want = [r.bernoulli(0.3), r.uniform(-1.0, 2.0, 3), r.integers(7), r.uniform(0.5, 0.5), r.rand(2, 2)]
    after = r.rand(4)
    r = rng()
    r.defer_gate(0.3)
    got = r.draws(Uniform(-1.0, 2.0, 3), Integers(7), Uniform(0.5, 0.5))
    got = [r.take_gate(), *got, r.rand(2, 2)]
    assert all(a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b) for a, b in zip(got, want))
    assert torch.equal(r.rand(4), after)                 # the generator is where it would be
    r = rng()
    r.defer_gate(0.3)                                    # no draw after the gate
    assert torch.equal(r.take_gate(), want[0])


def test_deferred_gate_misuse_is_an_error():
    r = Rng(2, seed=0)
    with pytest.raises(RuntimeError, match="no deferred gate"):
        r.take_gate()
    r.defer_gate(0.5)
    with pytest.raises(RuntimeError, match="still pending"):
        r.defer_gate(0.5)
