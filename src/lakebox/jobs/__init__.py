"""The job runner: templating, code snapshots, inputs and outputs, processes, MLflow wiring, logs."""
