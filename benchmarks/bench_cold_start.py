"""Cold start: a fresh process's import, model set-up, client creation and first GetItem,
with and without the module ``dynamorm-async gen`` writes; and the Lambda layer's sizes.

Every sample is a new interpreter (what a Lambda cold start is), run against the null
server. Variants alternate, so the machine's drifts hit both alike; figures are medians.

Phases (milliseconds, ``time.perf_counter`` in the child):

- import: ``import dynamorm_async``;
- models: importing the model modules (and, with gen, the generated module);
- codec: ``db.register(...)`` of the models plus one encode and one decode of each;
- client: ``await db.open()`` (aiobotocore session, client, botocore's DynamoDB model);
- first get: the first ``GetItem`` (a new connection, signing, parsing), under a deadline
  as every call of a Lambda invocation is;
- peak RSS: ``ru_maxrss`` at the end, in MiB.

Layer sizes are read from ``build/`` (``nox -s lambda_layer`` writes both zips there).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import median, print_table, quick_requested, write_json
from null_server import NullServer

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
MODEL_MODULES = ("_common", "examples.payments.models")
GENERATED = "cold_start_generated"
PHASES = ("import", "models", "codec", "client", "first get")

CHILD = r"""
import time
started = time.perf_counter()
import asyncio, json, resource, sys
marks = {}
import dynamorm_async
marks["import"] = time.perf_counter()
import _common
from examples.payments import models
if sys.argv[2] == "gen":
    import cold_start_generated
marks["models"] = time.perf_counter()
from dynamorm_async import DB, Config, Credentials

db = DB(Config(
    region="us-east-1", endpoint_url=sys.argv[1],
    credentials=Credentials(access_key_id="bench", secret_access_key="bench"),
))
db.register(_common.Order, models.Payment)
for obj in (_common.ORDER, models.Payment(id="p1", amount=1, customer_id="c1")):
    db.codec.decode(type(obj), db.codec.encode(obj))
marks["codec"] = time.perf_counter()

async def main():
    await db.open()
    marks["client"] = time.perf_counter()
    await db.with_deadline(30).get(_common.Order, {"id": _common.ORDER.id})
    marks["first get"] = time.perf_counter()
    await db.close()

asyncio.run(main())
previous, phases = started, {}
for name, mark in marks.items():
    phases[name] = (mark - previous) * 1000
    previous = mark
phases["total"] = (previous - started) * 1000
phases["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(phases))
"""


def generate(folder: Path) -> None:
    """Write the generated module for the benchmark's models with the real command."""
    subprocess.run(
        [sys.executable, "-m", "dynamorm_async", "gen", *MODEL_MODULES,
         "-o", str(folder / f"{GENERATED}.py")],
        cwd=BENCH, check=True, capture_output=True, env=_env(folder),
    )  # fmt: skip
    # Byte-compile it once, as a deployed package would be (the cold start reads the .pyc).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(folder)], check=True, env=_env(folder)
    )


def _env(folder: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(BENCH), str(ROOT)])
    return env


def sample(endpoint: str, variant: str, folder: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, endpoint, variant],
        cwd=ROOT, check=True, capture_output=True, text=True, env=_env(folder),
    )  # fmt: skip
    phases: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return phases


def compile_cost(repeats: int) -> float:
    """Best-of-``repeats`` ms to compile the codec functions of the models, in this process.

    That is exactly the work the generated module saves; unlike the fresh-process phases it is
    measured many times over, so a loaded machine distorts it less.
    """
    import time

    import _common

    from dynamorm_async.codec import Codec
    from dynamorm_async.codec._models import GENERATED
    from examples.payments import models

    recorded: list[tuple[str, str, str]] = []
    token = GENERATED.set(recorded)
    try:
        Codec().register(_common.Order)
        Codec().register(models.Payment)
    finally:
        GENERATED.reset(token)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _owner, _name, source in recorded:
            compile(source, "<bench>", "exec")
        best = min(best, time.perf_counter() - started)
    return best * 1000


def layer_sizes() -> list[list[str]]:
    rows = []
    for name, label in (
        ("dynamorm-async-layer.zip", "trimmed"),
        ("dynamorm-async-layer-untrimmed.zip", "untrimmed"),
    ):
        path = ROOT / "build" / name
        if path.exists():
            rows.append([label, f"{path.stat().st_size / 1e6:.2f} MB", str(path.relative_to(ROOT))])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15, help="processes per variant")
    parser.add_argument("--quick", action="store_true", help="3 processes per variant")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    samples = 3 if quick_requested(args.quick) else args.samples
    results: dict[str, list[dict[str, float]]] = {"runtime compile": [], "gen": []}
    with tempfile.TemporaryDirectory() as temp, NullServer() as server:
        folder = Path(temp)
        generate(folder)
        for _ in range(samples):
            results["runtime compile"].append(sample(server.endpoint_url, "plain", folder))
            results["gen"].append(sample(server.endpoint_url, "gen", folder))
    medians = {
        variant: {key: median([s[key] for s in runs]) for key in runs[0]}
        for variant, runs in results.items()
    }
    rows = [
        [variant, *(f"{m[p]:.1f}" for p in (*PHASES, "total")), f"{m['rss']:.1f}"]
        for variant, m in medians.items()
    ]
    print_table(
        f"Cold start, fresh process, median of {samples} (ms; peak RSS in MiB)",
        ["variant", *PHASES, "total", "peak RSS"],
        rows,
    )
    codec_saving = medians["runtime compile"]["codec"] - medians["gen"]["codec"]
    compiling = compile_cost(repeats=5 if samples <= 3 else 30)
    print(f"\ngen saves {codec_saving:.1f} ms of model set-up (codec phase, median)")
    print(
        f"compiling these models' codec functions, best of many in one process: {compiling:.1f} ms"
    )
    sizes = layer_sizes()
    if sizes:
        print_table("Lambda layer (nox -s lambda_layer)", ["build", "size", "file"], sizes)
    else:
        print("\nno layer in build/: run `nox -s lambda_layer` for the layer sizes")
    write_json(
        args.json,
        {"samples": results, "medians": medians, "compile_ms": compiling, "layers": sizes},
    )


if __name__ == "__main__":
    main()
