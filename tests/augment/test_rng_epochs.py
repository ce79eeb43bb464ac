"""Epoch-aware per-sample seeding: sample_generators(..., epoch=), derive_seed(..., epoch=),
EpochSeeds.set_epoch with real DataLoader workers (persistent and not)."""
import copy

import numpy as np
import pytest
import torch

import pixelgrad.augment as A

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_derive_seed_without_epoch_is_unchanged():
    # the value of earlier releases: SeedSequence([seed, index]), first two words
    w = np.random.SeedSequence([5, 17]).generate_state(2)
    assert A.derive_seed(5, 17) == ((int(w[0]) << 32) | int(w[1])) & (2**63 - 1)
    assert A.derive_seed(5, 17, None) == A.derive_seed(5, 17)


def test_derive_seed_epoch_gives_distinct_reproducible_seeds():
    seeds = {A.derive_seed(3, i, e) for i in range(20) for e in range(20)}
    assert len(seeds) == 400                                   # no collisions
    assert A.derive_seed(3, 4, 0) != A.derive_seed(3, 4)       # epoch 0 is its own stream
    assert A.derive_seed(3, 4 + 2**32) != A.derive_seed(3, 4, 1)   # epoch is not an index word
    assert A.derive_seed(3, 4, 7) == A.derive_seed(3, 4, 7)
    assert A.derive_seed(np.int64(3), torch.tensor(4), np.int32(7)) == A.derive_seed(3, 4, 7)
    assert 0 <= A.derive_seed(-1, -1, -1) < 2**63


@pytest.mark.parametrize("bad", [1.5, "1", True, None])
def test_derive_seed_rejects_non_int(bad):
    with pytest.raises(TypeError, match="index"):
        A.derive_seed(0, bad)
    if bad is not None:
        with pytest.raises(TypeError, match="epoch"):
            A.derive_seed(0, 1, bad)


def test_sample_generators_epoch_changes_draws_but_not_batching(rng):
    x = torch.from_numpy(rng.random((6, 3, 8, 8)).astype(np.float32))
    t = A.Compose([A.RandomGradient(), A.RandomGaussianSpot()])
    e0 = t(x, generator=A.sample_generators(9, range(6), epoch=0))
    e1 = t(x, generator=A.sample_generators(9, range(6), epoch=1))
    assert all(not torch.equal(e0[i], e1[i]) for i in range(6))          # each image changes
    assert torch.equal(e0, t(x, generator=A.sample_generators(9, range(6), epoch=0)))   # repeats
    parts = torch.cat([t(x[s:e], generator=A.sample_generators(9, range(s, e), epoch=1))
                       for s, e in ((0, 2), (2, 5), (5, 6))])
    assert torch.equal(parts, e1)                                          # batching irrelevant
    # no epoch: the documented old behaviour (same every epoch) stays available
    assert torch.equal(t(x, generator=A.sample_generators(9, range(6))),
                       t(x, generator=A.sample_generators(9, range(6))))


def test_epoch_seeds_basics():
    s = A.EpochSeeds(4)
    assert s.epoch == 0 and s.seed == 4 and "epoch=0" in repr(s)
    s.set_epoch(3)
    assert s.epoch == 3
    g = s.generators([7])[0]
    ref = torch.Generator().manual_seed(A.derive_seed(4, 7, 3))
    assert torch.equal(torch.rand(5, generator=g), torch.rand(5, generator=ref))
    assert A.EpochSeeds(4, epoch=3).generators([7])[0].initial_seed() == A.derive_seed(4, 7, 3)
    with pytest.raises(TypeError, match="epoch"):
        s.set_epoch(1.0)
    with pytest.raises(TypeError, match="seed"):
        A.EpochSeeds("0")
    c = copy.deepcopy(s)                      # a plain copy is independent
    c.set_epoch(9)
    assert s.epoch == 3


class _Images(torch.utils.data.Dataset):
    def __init__(self, n=12):
        self.img = torch.full((3, 8, 8), 0.5)
        self.t = A.Compose([A.RandomGradient(alpha=(0.2, 0.4)), A.RandomGaussianSpot()])
        self.seeds = A.EpochSeeds(2024)
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, self.t(self.img, generator=self.seeds.generators([i]))


def _epochs(ds, loader, epochs):
    """{epoch: tensor (n, 3, 8, 8) in index order} over ``epochs`` epochs of ``loader``."""
    out = {}
    for e in epochs:
        ds.seeds.set_epoch(e)
        rows = {}
        for idx, img in loader:
            rows.update({int(i): im for i, im in zip(idx, img)})
        out[e] = torch.stack([rows[i] for i in range(len(ds))])
    return out


def _reference(ds, epochs):
    return {e: torch.stack([ds.t(ds.img, generator=A.sample_generators(2024, [i], epoch=e))
                            for i in range(len(ds))]) for e in epochs}


@pytest.mark.parametrize("persistent", [True, False])
def test_set_epoch_reaches_dataloader_workers(persistent):
    ds = _Images()
    loader = torch.utils.data.DataLoader(ds, batch_size=3, shuffle=True, num_workers=2,
                                         persistent_workers=persistent,
                                         generator=torch.Generator().manual_seed(0))
    got = _epochs(ds, loader, [0, 1, 2, 1])
    ref = _reference(ds, [0, 1, 2])
    for e in (0, 1, 2):
        assert torch.equal(got[e], ref[e]), e          # workers used the epoch set in the main process
    assert not torch.equal(got[0], got[1]) and not torch.equal(got[1], got[2])
    # whatever the worker count or batch size, the same images
    ds0 = _Images()
    single = _epochs(ds0, torch.utils.data.DataLoader(ds0, batch_size=5, num_workers=0), [2])
    assert torch.equal(single[2], got[2])


def test_set_epoch_reaches_spawned_persistent_workers():
    ds = _Images(n=4)
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=1, persistent_workers=True,
                                         multiprocessing_context="spawn")
    got = _epochs(ds, loader, [0, 5])
    ref = _reference(ds, [0, 5])
    assert torch.equal(got[0], ref[0]) and torch.equal(got[5], ref[5])


# ------------------------------------------------------------- issue 21: a single index
@pytest.mark.parametrize("one", [5, np.int64(5), np.int32(5), np.array(5), torch.tensor(5)])
def test_epoch_seeds_generators_accepts_a_single_index(one):
    s = A.EpochSeeds(11, epoch=2)
    gens = s.generators(one)
    assert len(gens) == 1 and gens[0].initial_seed() == s.generators([5])[0].initial_seed()
    assert [g.initial_seed() for g in A.sample_generators(11, one, epoch=2)] == [gens[0].initial_seed()]
    x = torch.full((3, 8, 8), 0.5)
    t = A.RandomGradient()
    assert torch.equal(t(x, generator=s.generators(one)), t(x, generator=s.generators([5])))


@pytest.mark.parametrize("many", [[3, 5], (3, 5), range(3, 6, 2), np.array([3, 5]), torch.tensor([3, 5]),
                                  (i for i in (3, 5))])
def test_epoch_seeds_generators_iterables(many):
    s = A.EpochSeeds(11)
    assert [g.initial_seed() for g in s.generators(many)] == [A.derive_seed(11, i, 0) for i in (3, 5)]


@pytest.mark.parametrize("bad, arg", [(5.0, "indices"), ("5", "indices"), (True, "indices"), (None, "indices"),
                                      (np.array(5.0), "indices"), ([1, 2.5], r"indices\[1\]"),
                                      ([True], r"indices\[0\]")])
def test_indices_errors_name_the_argument(bad, arg):
    with pytest.raises(TypeError, match=rf"EpochSeeds.generators: argument `{arg}`"):
        A.EpochSeeds(0).generators(bad)
    with pytest.raises(TypeError, match=rf"sample_generators: argument `{arg}`"):
        A.sample_generators(0, bad)


def test_params_subset_accepts_a_single_index():
    t = A.Compose([A.RandomGradient(p=0.5), A.RandomGaussianBlur()])
    x = torch.rand(4, 3, 8, 8)
    y, P = t(x, seed=0, return_params=True)
    ref = P.subset(torch.tensor([2])).per_sample()
    for one in (2, np.int64(2), torch.tensor(2), [2], range(2, 3)):
        assert P.subset(one).batch_size == 1 and P.subset(one).per_sample() == ref
    assert P.subset([True, False, True, False]).batch_size == 2
    assert torch.equal(t(x[2:3], params=P.subset(2)), y[2:3])
    with pytest.raises(TypeError, match="Params.subset: argument `index`"):
        P.subset(2.0)
