"""The batch endpoint the seed's batch_scoring_pipeline.json calls (its mlEndpointName), made as an Azure ML
user makes one with the v2 SDK: the registered model, no-code MLflow scoring, on the training cluster.

The seed assumes this endpoint exists; this is not one of its scripts. Only the imports and the client
construction differ from what runs against Azure ML.
"""

from lakebox import MLClient  # was: from azure.ai.ml import MLClient
from lakebox.entities import (  # was: from azure.ai.ml.entities import (
    BatchEndpoint,
    BatchRetrySettings,
    ModelBatchDeployment,
    ModelBatchDeploymentSettings,
)
from lakebox.identity import DefaultAzureCredential  # was: from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    credential=DefaultAzureCredential(),
    subscription_id="your-subscription-id",
    resource_group_name="rg-ml-workspace",
    workspace_name="ml-workspace-prod",
)

endpoint = BatchEndpoint(
    name="customer-churn-batch-endpoint",
    description="Batch scoring of customer churn",
)
ml_client.batch_endpoints.begin_create_or_update(endpoint).result()

model = ml_client.models.get(name="customer-churn-model", label="latest")
deployment = ModelBatchDeployment(
    name="churn-batch",
    endpoint_name=endpoint.name,
    model=model,
    compute="ml-compute-cluster",
    settings=ModelBatchDeploymentSettings(
        instance_count=1,
        max_concurrency_per_instance=2,
        mini_batch_size=10,
        output_action="append_row",
        output_file_name="predictions.csv",
        retry_settings=BatchRetrySettings(max_retries=3, timeout=300),
        logging_level="info",
    ),
)
ml_client.batch_deployments.begin_create_or_update(deployment).result()

endpoint = ml_client.batch_endpoints.get(endpoint.name)
print(f"Batch endpoint {endpoint.name} ready; default deployment {endpoint.defaults['deployment_name']}")
