"""The official MLflow client's side of the interop test: the calls of the seed tutorial.

usage: interop.py write <tracking_uri> <model>   registers two versions, prints them as JSON
       interop.py verify <tracking_uri> <model>  prints the Production versions as JSON
"""
import json
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402


def write(client: MlflowClient, name: str) -> None:
    mlflow.set_experiment(f"interop-{name}")
    scores = [(0.88, 0.84), (0.92, 0.89)]
    for accuracy, f1 in scores:
        with mlflow.start_run() as run:
            mlflow.log_metric("accuracy", accuracy)
            mlflow.log_metric("f1_score", f1)
            mlflow.log_param("algorithm", "gradient_boosting")
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "MLmodel")
                with open(path, "w") as handle:
                    handle.write("artifact_path: model\n")
                mlflow.log_artifact(path, artifact_path="model")
            mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    client.update_model_version(name=name, version="1", description="baseline from the seed")
    client.set_model_version_tag(name, "2", "validated", "true")
    client.transition_model_version_stage(name=name, version="2", stage="Staging")
    versions = client.search_model_versions(f"name='{name}'")
    print(json.dumps([summary(v) for v in versions]))


def verify(client: MlflowClient, name: str) -> None:
    latest = client.get_latest_versions(name, stages=["Production"])
    print(json.dumps([summary(v) for v in latest]))


def summary(version) -> dict:
    return {
        "version": version.version,
        "stage": version.current_stage,
        "description": version.description,
        "tags": dict(version.tags),
        "run_id": version.run_id,
    }


if __name__ == "__main__":
    phase, tracking_uri, model = sys.argv[1:4]
    mlflow.set_tracking_uri(tracking_uri)
    {"write": write, "verify": verify}[phase](MlflowClient(tracking_uri), model)
