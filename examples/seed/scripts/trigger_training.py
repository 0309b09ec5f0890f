# scripts/trigger_training.py: the weekly workflow's first step. Submits the training job as
# training_pipeline.py does (on the existing cluster and environment) and records its name for the next steps.
from pathlib import Path

from lakebox import Input, MLClient, Output, command  # was: from azure.ai.ml import ...
from lakebox.entities import Environment  # was: from azure.ai.ml.entities import Environment
from lakebox.identity import DefaultAzureCredential  # was: from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    credential=DefaultAzureCredential(),
    subscription_id="your-subscription-id",
    resource_group_name="rg-ml-workspace",
    workspace_name="ml-workspace-prod",
)

training_job = command(
    code="./src",
    command="python train.py \
            --data ${{inputs.training_data}} \
            --test-data ${{inputs.test_data}} \
            --model-output ${{outputs.model_output}}",
    environment=Environment(name="sklearn-env", conda_file="environment.yml"),
    compute="ml-compute-cluster",
    experiment_name="customer-churn-retraining",
    inputs={
        "training_data": Input(
            type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/training/customer_features"
        ),
        "test_data": Input(
            type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/testing/customer_features"
        ),
    },
    outputs={"model_output": Output(type="mlflow_model")},
)

job = ml_client.jobs.create_or_update(training_job)
Path("training_job.txt").write_text(job.name)
print(f"Training job submitted: {job.name}")
