"""Make a ranking reproducible (a manifest) and shareable (keyed pseudonyms).

1. Score a synthetic force (``crimeharm.builtin.demo``) and write the top 10 to ``ranking.csv`` with
   its manifest beside it (``ranking.csv.manifest.json``): library version, scheme checksum,
   decay, as_of, window, row report, and fingerprints of the input events and of the result.
2. Later, check the events are the ones scored and reproduce the ranking bit for bit.
3. Replace offender ids with keyed HMAC-SHA256 pseudonyms before sharing the ranking.

Pseudonymised data is still personal data (GDPR): keep the key apart from the data. A real
key is random (``secrets.token_bytes(32)``); this demo derives a fixed one so that its output
is the same on every run. Never use a fixed or guessable key for real data.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import tempfile
from pathlib import Path

import crimeharm as ch
from crimeharm.audit.manifest import Manifest, write_manifest_next_to
from crimeharm.audit.pseudonymise import pseudonymise
from crimeharm.builtin.demo import make_demo_events

AS_OF = "2023-07-18"


def main() -> int:
    """Write ranking + manifest to a temporary folder, verify, reproduce, pseudonymise."""
    events = make_demo_events(50_000, seed=3, as_of=AS_OF)
    decay = ch.get_decay("exponential", half_life_days=365)
    top = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=1826, decay=decay).top(10)
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "ranking.csv"
        with output.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(top.to_records()[0]))
            writer.writeheader()
            writer.writerows(top.to_records())
        path = write_manifest_next_to(output, Manifest.from_result(top, events))
        print(f"wrote {output.name} and {path.name}")
        manifest = Manifest.read(path)
    m = manifest
    print(f"  scheme {m.scheme} {m.scheme_version}, checksum {m.scheme_checksum[:16]}...")
    print(f"  decay {m.decay} {dict(m.decay_params)}, as_of {m.as_of}, window {m.window_days} days")
    print(f"  input: {m.input_rows:,} rows, fingerprint {m.input_fingerprint[:16]}...")
    result = f"{m.result_kind} of {m.result_rows} rows"
    print(f"  result: {result}, fingerprint {m.result_fingerprint[:16]}...")
    print(f"events verified: {m.verify(events)}")
    without_first = events.take(list(range(1, len(events))))
    print(f"first event left out, verified: {m.verify(without_first)}")
    again = manifest.reproduce(events)
    print(f"reproduced bit for bit: {manifest.matches(again)}")
    print()
    key = hashlib.sha256(b"crimeharm demo key: never use a fixed key for real data").digest()
    shared = pseudonymise(top, key)
    print("Top 10 with pseudonymised offender ids")
    print(f"{'rank':>4}  {'offender':<16}  {'harm (days)':>11}  {'events':>6}")
    for row in shared.to_records():
        rank, pseudonym, harm, events = (
            row[k] for k in ("rank", "offender_id", "harm", "n_events")
        )
        print(f"{rank:>4}  {pseudonym:<16}  {harm:>11,.2f}  {events:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
