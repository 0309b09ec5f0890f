# scripts/monitor_job.py: the weekly workflow's second step. Follows the training job to its end and
# fails the workflow if it did not complete.
import sys
from pathlib import Path

from lakebox import MLClient  # was: from azure.ai.ml import MLClient
from lakebox.identity import DefaultAzureCredential  # was: from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    credential=DefaultAzureCredential(),
    subscription_id="your-subscription-id",
    resource_group_name="rg-ml-workspace",
    workspace_name="ml-workspace-prod",
)

job_name = Path("training_job.txt").read_text().strip()
ml_client.jobs.stream(job_name)
job = ml_client.jobs.get(job_name)
print(f"Training job {job.name}: {job.status}, accuracy {job.metrics.get('accuracy', float('nan')):.4f}")
if job.status != "Completed":
    sys.exit(f"training job {job.name} ended {job.status}")
