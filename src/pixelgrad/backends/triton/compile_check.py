"""Ahead-of-time compile check of the Triton kernels for real GPU targets, on any machine.

The interpreter (``TRITON_INTERPRET=1``) runs the kernels' arithmetic but ignores what a
GPU enforces: registers, spills to local memory, shared memory per block. Triton compiles
ahead of time without a GPU (its wheel bundles ``ptxas``), so this module

1. records the launches that typical public calls make (every kernel, each dtype, the
   illumination epilogue on and off, the largest tile configuration), without running them
   (:class:`._common.LaunchRecorder` in dry mode, CPU tensors);
2. turns each launch into the exact specialization Triton's JIT would compile for it
   (Triton's own binder for the target: constexprs, ``== 1`` and divisibility-by-16
   specializations of the integer and pointer arguments) and deduplicates them;
3. compiles each for ``sm_80`` and ``sm_90`` and reads registers and spills from
   ``ptxas -v`` and shared memory from the compiled kernel's metadata;
4. checks shared memory against each target's per-block limit and spills against
   :data:`SPILL_BUDGET`, prints a resource table, and exits 1 on a violation.

It also counts the compilations a stream of random-sigma calls needs (:func:`count_compiles`):
the kernels take the radius at run time, so that number stays at the number of tile
configurations whatever the sigma.

Run (without ``TRITON_INTERPRET``)::

    python -m pixelgrad.backends.triton.compile_check            # table + checks, sm_80 and sm_90
    python -m pixelgrad.backends.triton.compile_check --stream 200   # + compile count for a sigma stream

Set ``TRITON_CACHE_DIR`` to keep compiled kernels (and this module's ``ptxas`` results,
stored beside them) between runs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import torch

from ...kernels import gaussian
from ...kernels.motion import motion_kernel2d, motion_radius
from ...kernels.stack import KernelStack, stack_kernels

#: Shared memory one block may use (bytes, with the opt-in carve-out): A100 / H100.
SHARED_LIMIT = {80: 166912, 90: 232448}

#: Spilled bytes (stores + loads) allowed per thread, per target.
SPILL_BUDGET = {80: 0, 90: 0}

#: Batch shape of the recorded calls (a typical training batch; sizes only steer the
#: integer specializations, not the code).
SHAPE = (2, 3, 224, 224)


def _require_compiler() -> None:
    from ._common import interpreting

    if interpreting():
        raise RuntimeError("compile_check: unset TRITON_INTERPRET (the interpreter replaces the "
                           "compiler); run it in a separate process")


def _image(dtype: torch.dtype, shape=SHAPE) -> torch.Tensor:
    x = torch.rand(shape)
    return (x * 255).round().to(torch.uint8) if dtype == torch.uint8 else x.to(dtype)


def _per_sample(v, B: int, pair: bool = False) -> torch.Tensor:
    t = torch.as_tensor(v, dtype=torch.float64)
    return t.expand(B, 2).contiguous() if pair and t.ndim == 0 else (
        t[:, None].expand(B, 2).contiguous() if pair else t.expand(B).contiguous())


def gaussian_stacks(sigma: torch.Tensor, truncate: float = 4.0) -> tuple[KernelStack, KernelStack]:
    """The kernels the functional layer hands the backend for an axis-aligned Gaussian of
    per-sample ``sigma`` ``(B,)`` (one shared kernel when all are equal)."""
    if bool((sigma == sigma[:1]).all()):
        k = stack_kernels([gaussian.gaussian_kernel1d(float(sigma[0]), truncate)])
    else:
        k = gaussian.kernel_stack1d(sigma, truncate)
    return k, k


def typical_calls(dtype: torch.dtype) -> list:
    """``(label, call)`` pairs: the launches behind typical public calls, made through the
    backend's registry functions with the kernels the functional layer builds (this module
    sits below :mod:`pixelgrad.functional` and does not import it)."""
    from . import blur_then_blend, field, filter2d, separable_filter

    B = SHAPE[0]
    x = _image(dtype)
    sig = torch.linspace(0.5, 2.0, B, dtype=torch.float64)
    zero, one = torch.zeros(B, dtype=torch.float64), torch.ones(B, dtype=torch.float64)

    def gauss(s):
        ky, kx = gaussian_stacks(_per_sample(s, B))
        return dict(ky=ky, kx=kx, border="reflect", method="auto")

    L = sig * 5
    motion = dict(k=KernelStack(motion_kernel2d(L, sig, zero),
                                tuple((2 * motion_radius(v) + 1,) * 2 for v in L.tolist())),
                  border="reflect", method="auto")
    linear = dict(a=one * 0.5, b=one * -0.3, alpha=one * 0.2, offset=zero, mode="blend", clamp=True)
    spot = dict(center=torch.tensor([[0.3, 0.6]], dtype=torch.float64).expand(B, 2).contiguous(),
                sigma=_per_sample(0.3, B, pair=True), strength=one * 0.8, alpha=one * 0.5,
                offset=zero, mode="blend", clamp=True)
    return [
        ("gaussian sigma=1 (small tile)", lambda: separable_filter(x, **gauss(1.0))),
        ("gaussian sigma=8 (largest tile)", lambda: separable_filter(x, **gauss(8.0))),
        ("gaussian per-sample sigma", lambda: separable_filter(x, **gauss(sig))),
        ("gaussian sigma=30 (banded)", lambda: separable_filter(x, **gauss(30.0))),
        ("motion per-sample (taps)", lambda: filter2d(x, **motion)),
        ("linear_gradient", lambda: field(x, "linear_gradient", linear)),
        ("gaussian_spot", lambda: field(x, "gaussian_spot", spot)),
        ("fused gaussian(8) + spot", lambda: blur_then_blend(
            x, "separable", gauss(8.0), "gaussian_spot", spot)),
        ("fused gaussian(30) + spot (banded)", lambda: blur_then_blend(
            x, "separable", gauss(30.0), "gaussian_spot", spot)),
        ("fused motion + spot", lambda: blur_then_blend(x, "2d", motion, "gaussian_spot", spot)),
    ]


def record(calls) -> list:
    """Launches ``(label, kernel, args, kwargs)`` made by ``calls``, none of them run."""
    from ._common import LaunchRecorder

    out = []
    for label, call in calls:
        with LaunchRecorder(dry=True) as rec:
            call()
        out += [(label, k, a, kw) for k, _, a, kw in rec.launches]
    return out


def _backend(cc: int):
    from triton.backends.compiler import GPUTarget
    from triton.compiler import make_backend

    return GPUTarget("cuda", cc, 32), make_backend(GPUTarget("cuda", cc, 32))


def specialize(kernel, args, kwargs, backend) -> tuple:
    """Triton's JIT view of one launch: ``(cache key, signature, constexprs, attrs, options)``."""
    from triton.runtime.jit import compute_cache_key, create_function_from_signature

    binder = create_function_from_signature(kernel.signature, kernel.params, backend)
    bound, spec, opts = binder(*args, **kwargs)
    key = compute_cache_key({}, spec, opts)
    options, signature, constexprs, attrs = kernel._pack_args(backend, dict(kwargs), bound, spec, opts)
    return key, signature, constexprs, attrs, options


def _ptxas_info(ptx: str, cc: int, cache: dict) -> dict:
    """Registers and spill bytes from ``ptxas -v`` (the ptxas Triton uses for this target)."""
    h = hashlib.sha256(f"{cc}\n{ptx}".encode()).hexdigest()
    if h in cache:
        return cache[h]
    from triton.backends.nvidia.compiler import get_ptxas, sm_arch_from_capability

    ptxas = get_ptxas(cc).path
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "k.ptx")
        with open(src, "w") as f:
            f.write(ptx)
        r = subprocess.run([ptxas, "-v", "--regAllocOptLevel=2",
                            f"--gpu-name={sm_arch_from_capability(cc)}", src, "-o",
                            os.path.join(d, "k.cubin")], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"ptxas failed for sm_{cc}: {r.stderr[-2000:]}")
    regs = re.search(r"Used (\d+) registers", r.stderr)
    spill = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", r.stderr)
    info = dict(regs=int(regs.group(1)) if regs else -1,
                spills=int(spill.group(1)) + int(spill.group(2)) if spill else 0)
    cache[h] = info
    return info


def _describe(kernel, constexprs: dict, signature: dict) -> str:
    names = kernel.arg_names
    keep = ("BLOCK_H", "BLOCK_W", "BLOCK_K", "BLOCK_M", "BLOCK_N", "BORDER", "FIELD",
            "PREC", "PREC_ROW", "PREC_COL")
    parts = [f"{names[i[0]]}={v}" for i, v in sorted(constexprs.items()) if names[i[0]] in keep]
    dt = signature.get("x_ptr") or signature.get("a_ptr")
    return f"{dt} -> {signature.get('o_ptr')} " + " ".join(parts)


def check(targets=(80, 90), dtypes=None, verbose: bool = True) -> list[dict]:
    """Compile every recorded specialization for each target; returns the table rows
    (``target, kernel, spec, regs, spills, shared, ok``)."""
    _require_compiler()
    import triton
    from triton.compiler import ASTSource

    from ._common import KERNEL_DTYPES

    dtypes = KERNEL_DTYPES if dtypes is None else dtypes
    launches = []
    for dt in dtypes:
        launches += record(typical_calls(dt))
    cache_dir = os.environ.get("TRITON_CACHE_DIR")
    info_path = os.path.join(cache_dir, "compile_check_ptxas.json") if cache_dir else None
    info_cache = {}
    if info_path and os.path.exists(info_path):
        with open(info_path) as f:
            info_cache = json.load(f)
    rows = []
    for cc in targets:
        target, backend = _backend(cc)
        seen = set()
        for label, kernel, args, kwargs in launches:
            key, signature, constexprs, attrs, options = specialize(kernel, args, kwargs, backend)
            if (kernel.__name__, key) in seen:
                continue
            seen.add((kernel.__name__, key))
            k = triton.compile(ASTSource(kernel, signature, constexprs, attrs), target=target,
                               options=options.__dict__)
            info = _ptxas_info(k.asm["ptx"], cc, info_cache)
            row = dict(target=f"sm_{cc}", kernel=kernel.__name__, call=label,
                       spec=_describe(kernel, constexprs, signature), warps=options.num_warps,
                       regs=info["regs"], spills=info["spills"], shared=k.metadata.shared)
            row["ok"] = row["shared"] <= SHARED_LIMIT[cc] and row["spills"] <= SPILL_BUDGET[cc]
            rows.append(row)
            if verbose:
                print(_format_row(row), flush=True)
    if cache_dir and info_path:
        os.makedirs(cache_dir, exist_ok=True)
        with open(info_path, "w") as f:
            json.dump(info_cache, f)
    return rows


HEADER = f"{'target':7} {'kernel':20} {'regs':>4} {'spill B':>7} {'smem B':>7} {'warps':>5}  specialization  [first call]"


def _format_row(r: dict) -> str:
    flag = "" if r["ok"] else "  <-- over budget"
    return (f"{r['target']:7} {r['kernel']:20} {r['regs']:4d} {r['spills']:7d} {r['shared']:7d} "
            f"{r['warps']:5d}  {r['spec']}  [{r['call']}]{flag}")


def count_compiles(n: int = 200, seed: int = 0, cc: int = 90, dtypes=None, borders=None,
                   shape=SHAPE) -> dict:
    """Distinct Triton compilations (JIT cache keys for target ``sm_cc``) needed by ``n``
    Gaussian blurs with sigma drawn uniformly in (0.1, 8), half of them with one sigma per
    call and half with a per-sample sigma per batch. Returns ``{(dtype, border): count}``."""
    _require_compiler()
    from . import separable_filter
    from ._common import KERNEL_DTYPES

    dtypes = KERNEL_DTYPES if dtypes is None else dtypes
    borders = ("reflect", "constant") if borders is None else borders
    _, backend = _backend(cc)
    g = torch.Generator().manual_seed(seed)
    counts = {}
    for dt in dtypes:
        x = _image(dt, shape)
        for border in borders:
            keys = set()
            for i in range(n):
                # odd calls: one sigma for the batch; even calls: one per sample
                draw = torch.rand(1 if i % 2 else shape[0], generator=g, dtype=torch.float64)
                sigma = 0.1 + 7.9 * draw
                ky, kx = gaussian_stacks(_per_sample(sigma, shape[0]))
                for _, kernel, args, kwargs in record(
                        [("", lambda: separable_filter(x, ky, kx, border, "auto"))]):
                    keys.add((kernel.__name__, specialize(kernel, args, kwargs, backend)[0]))
            counts[(str(dt).replace("torch.", ""), border)] = len(keys)
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", type=int, nargs="+", default=[80, 90], choices=sorted(SHARED_LIMIT))
    ap.add_argument("--stream", type=int, default=0, metavar="N",
                    help="also count compilations for N random-sigma calls per dtype and border")
    args = ap.parse_args(argv)
    print(HEADER, flush=True)
    rows = check(tuple(args.targets))
    bad = [r for r in rows if not r["ok"]]
    for cc in args.targets:
        sub = [r for r in rows if r["target"] == f"sm_{cc}"]
        print(f"sm_{cc}: {len(sub)} specializations, max regs {max(r['regs'] for r in sub)}, "
              f"max spill {max(r['spills'] for r in sub)} B (budget {SPILL_BUDGET[cc]}), "
              f"max smem {max(r['shared'] for r in sub)} B (limit {SHARED_LIMIT[cc]})")
    if args.stream:
        counts = count_compiles(args.stream)
        print(f"compilations for {args.stream} random-sigma calls in (0.1, 8) (sm_90 keys):")
        for (dt, border), n in counts.items():
            print(f"  {dt:9} {border:9} {n}")
    if bad:
        print(f"FAILED: {len(bad)} specialization(s) over budget", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
