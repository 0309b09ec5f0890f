# scripts/deploy_if_better.py: the weekly workflow's last step. The retrained model replaces the one behind
# the endpoint only if it scores better on the held-out test data, and then only step by step: 10%, 50%,
# 100% of the traffic, each step watched for errors and latency, with an automatic rollback.
import sys
from pathlib import Path

from lakebox import MLClient  # was: from azure.ai.ml import MLClient
from lakebox.entities import DeployIfBetter
from lakebox.identity import DefaultAzureCredential  # was: from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    credential=DefaultAzureCredential(),
    subscription_id="your-subscription-id",
    resource_group_name="rg-ml-workspace",
    workspace_name="ml-workspace-prod",
)

job_name = Path("training_job.txt").read_text().strip()
policy = DeployIfBetter(
    endpoint_name="customer-churn-endpoint",
    candidate=f"azureml://jobs/{job_name}/outputs/model_output",
    test_data="azureml://datastores/workspaceblobstore/paths/testing/customer_features",
    label_column="target",
    metric="accuracy",
    min_improvement=0.005,
    traffic_steps=[10, 50, 100],
    step_seconds=30,
    max_error_rate=0.01,
    max_latency_ms=500,
)
rollout = ml_client.online_endpoints.begin_deploy_if_better(policy).result()
print(f"Rollout {rollout.name}: {rollout.status}")
print(f"  {rollout.metric}: candidate {rollout.candidate_score:.4f}, production {rollout.production_score:.4f}")
print(f"  {rollout.reason}")
if rollout.status not in ("Succeeded", "NotBetter"):
    sys.exit(f"rollout {rollout.name} ended {rollout.status}")
