"""Random streams (augment._rng): DataLoader workers draw differently, runs repeat."""
from __future__ import annotations

import torch

from pixelgrad import augment as A


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
