"""The published harm-v1 fingerprints, and a check that the generator still produces them.

    python -m benchmarks.fingerprints            # regenerate 1e5, 1e6 (and --n 1e7) in memory
    python -m benchmarks.fingerprints --gen /path/to/shared/bench/gen.py   # also the original

``run.py`` checks every size it loads against :data:`PUBLISHED` (the ``--quick`` CI smoke run
checks N = 1e5), and docs/performance.md quotes these values.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harmv1

#: fingerprint (sha256 prefix of the generated arrays) by N, seed 20230718; checked 2026-11-27
#: against shared/bench/gen.py at N = 1e5, 1e6 and 1e7.
PUBLISHED = {
    100_000: "a59b38f423740e00",
    1_000_000: "1f27df1897d45e3a",
    10_000_000: "1b1c86300014b1cb",
}


class FingerprintMismatchError(RuntimeError):
    """The generator no longer produces the published data."""


def check(n: int, found: str, source: str = "benchmarks.harmv1") -> None:
    """Raise if ``found`` differs from the published fingerprint of size ``n`` (if any)."""
    expected = PUBLISHED.get(n)
    if expected is not None and found != expected:
        msg = f"harm-v1 N={n}: {source} gives fingerprint {found}, published {expected}"
        raise FingerprintMismatchError(msg)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.fingerprints", description=__doc__)
    ap.add_argument("--n", type=float, action="append", help="sizes (default 1e5 and 1e6)")
    ap.add_argument("--gen", type=Path, help="also check this copy of the original gen.py")
    args = ap.parse_args(argv)
    sizes = [int(n) for n in (args.n or [1e5, 1e6])]
    gen = None
    if args.gen:
        spec = importlib.util.spec_from_file_location("harm_gen", args.gen)
        assert spec is not None
        assert spec.loader is not None
        gen = importlib.util.module_from_spec(spec)
        sys.modules["harm_gen"] = gen
        spec.loader.exec_module(gen)
    for n in sizes:
        found = harmv1.fingerprint(harmv1.generate(n, harmv1.SEED))
        check(n, found)
        if gen is not None:
            check(n, gen.fingerprint(gen.generate(n, harmv1.SEED)), str(args.gen))
        print(f"N={n}: {found} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
