"""MLOps: schedules and triggers, deploy-if-better with safe rollout, monitoring."""
