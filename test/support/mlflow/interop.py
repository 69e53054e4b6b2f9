"""The official MLflow client's side of the interop test: the calls of the seed tutorial.

usage: interop.py write <tracking_uri> <model>    registers two versions, prints them as JSON
       interop.py verify <tracking_uri> <model>   prints the Production versions as JSON
       interop.py tutorial <tracking_uri> <model> registers a version described with the tutorial's save_model_metadata
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


METADATA = {
    "metrics": {"accuracy": 0.93, "precision": 0.91, "recall": 0.88, "f1": 0.895, "auc": 0.95},
    "training": {
        "framework": "sklearn",
        "algorithm": "RandomForestClassifier",
        "training_data": "s3://data/churn/2024-q1.parquet",
        "data_version": "v2.1",
    },
    "features": {
        "input_schema": {"age": "int", "tenure_months": "int", "monthly_charges": "float"},
        "output_schema": {"churn_probability": "float"},
    },
    "dependencies": {"python": "3.9", "sklearn": "1.3.0", "pandas": "2.0.3"},
}


def save_model_metadata(client: MlflowClient, model_name: str, version: str, metadata: dict) -> None:
    """The tutorial's convention: metrics as metric_* tags, schema and dependencies as JSON tags, a Markdown description."""
    for metric_name, value in metadata["metrics"].items():
        client.set_model_version_tag(model_name, version, f"metric_{metric_name}", str(value))
    client.set_model_version_tag(model_name, version, "features_schema", json.dumps(metadata["features"]))
    client.set_model_version_tag(model_name, version, "dependencies", json.dumps(metadata["dependencies"]))
    training = metadata["training"]
    metrics = "\n".join(f"- {name}: {value}" for name, value in metadata["metrics"].items())
    description = f"""# {model_name} v{version}

## Training Info
- Framework: {training['framework']}
- Algorithm: {training['algorithm']}
- Training Data: {training['training_data']}
- Data Version: {training['data_version']}

## Metrics
{metrics}
"""
    client.update_model_version(model_name, version, description=description)


def tutorial(client: MlflowClient, name: str) -> None:
    mlflow.set_experiment(f"interop-{name}")
    with mlflow.start_run() as run:
        # The run holds an accuracy too: which one wins is the gateway's metricSources order.
        mlflow.log_metric("accuracy", 0.9)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "MLmodel")
            with open(path, "w") as handle:
                handle.write("artifact_path: model\n")
            mlflow.log_artifact(path, artifact_path="model")
        registered = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    save_model_metadata(client, name, registered.version, METADATA)
    print(json.dumps([summary(client.get_model_version(name, registered.version))]))


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
    {"write": write, "verify": verify, "tutorial": tutorial}[phase](MlflowClient(tracking_uri), model)
