"""Side A of bench:mlflow: the seed tutorial's compare_versions loop with the official client.

usage: mlflow_compare_loop.py <tracking_uri> <model> <versions> <rounds>
Prints one JSON list: the wall time of each round in milliseconds.
"""
import json
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
    tracking_uri, name, count, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    client = MlflowClient(tracking_uri)
    versions = [str(v) for v in range(1, count + 1)]
    compare_versions(client, name, versions)  # warm-up, as side B gets
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        rows = compare_versions(client, name, versions)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(rows) == count
    print(json.dumps(timings))
