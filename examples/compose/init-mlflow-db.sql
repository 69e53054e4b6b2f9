-- MLflow keeps its own database beside modelgate's.
CREATE DATABASE mlflow OWNER modelgate;
