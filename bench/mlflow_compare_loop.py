"""Side A of bench:mlflow: the seed tutorial's compare_versions loop with the official client.

usage: mlflow_compare_loop.py <tracking_uri> <model> <versions>
Runs one warm-up, prints "ready", then for each line "run" on stdin runs the loop once and
prints its wall time in milliseconds, so the benchmark can interleave it with other clients.
"""
import sys
import time
import warnings

warnings.filterwarnings("ignore")

from mlflow import MlflowClient  # noqa: E402


def compare_versions(client, name, versions):
    rows = []
    for version in versions:
        mv = client.get_model_version(name, version)
        run = client.get_run(mv.run_id)
        rows.append({"version": version, "stage": mv.current_stage, **run.data.metrics})
    return rows


if __name__ == "__main__":
    tracking_uri, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = MlflowClient(tracking_uri)
    versions = [str(v) for v in range(1, count + 1)]
    compare_versions(client, name, versions)  # warm-up, as the other sides get
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        started = time.perf_counter()
        rows = compare_versions(client, name, versions)
        elapsed = (time.perf_counter() - started) * 1000
        assert len(rows) == count
        print(f"{elapsed:.3f}", flush=True)
