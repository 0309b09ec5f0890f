# retraining_schedule.py: the seed's .github/workflows/ml-retraining.yml as a lakebox schedule. Every Sunday at
# 2 AM (UTC) a job runs the workflow's three steps, in order, on the compute cluster, as the workspace's
# managed identity: trigger_training.py, monitor_job.py, deploy_if_better.py.
from lakebox import MLClient, command  # was: from azure.ai.ml import MLClient, command
from lakebox.entities import CronTrigger, JobSchedule  # was: from azure.ai.ml.entities import ...
from lakebox.identity import DefaultAzureCredential  # was: from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    credential=DefaultAzureCredential(),
    subscription_id="your-subscription-id",
    resource_group_name="rg-ml-workspace",
    workspace_name="ml-workspace-prod",
)

retraining = command(
    code=".",
    command="python scripts/trigger_training.py && python scripts/monitor_job.py && python scripts/deploy_if_better.py",
    compute="ml-compute-cluster",
    experiment_name="customer-churn-retraining",
    display_name="Model Retraining",
)

schedule = JobSchedule(
    name="ml-retraining",
    display_name="Model Retraining",
    trigger=CronTrigger(expression="0 2 * * 0", time_zone="UTC"),  # Weekly on Sunday at 2 AM
    create_job=retraining,
)
created = ml_client.schedules.begin_create_or_update(schedule).result()
print(f"Schedule {created.name} created; next run at {created.next_run_time}")
