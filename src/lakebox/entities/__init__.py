"""Typed objects shared by the server, the SDK and the CLI (pydantic models, validated at the edge)."""

from lakebox.entities.audit import AuditEntry, AuditOutcome, AuditVerification
from lakebox.entities.authorization import RoleAssignment, RoleAssignmentCreate, RoleDefinition
from lakebox.entities.batch import (
    BatchDeployment,
    BatchDeploymentSettings,
    BatchEndpoint,
    BatchRetrySettings,
    ModelBatchDeployment,
    ModelBatchDeploymentSettings,
)
from lakebox.entities.command import Command, command
from lakebox.entities.compute import ComputeCluster
from lakebox.entities.connection import WorkspaceConnection
from lakebox.entities.data import AssetTypes, Data
from lakebox.entities.datastore import AzureBlobDatastore, AzureDataLakeGen2Datastore, Datastore
from lakebox.entities.endpoint import (
    BatchingSettings,
    CodeConfiguration,
    DataCollector,
    DeploymentCollection,
    EndpointAuthKeys,
    EndpointAuthToken,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    OnlineRequestSettings,
    ProbeSettings,
)
from lakebox.entities.environment import Environment
from lakebox.entities.identity import (
    CreatedToken,
    Identity,
    IdentityCreate,
    IdentityKind,
    Principal,
    TokenCreate,
    TokenInfo,
)
from lakebox.entities.job import Input, Job, JobCreate, JobLogs, JobOutput, JobStatus, Output
from lakebox.entities.model import Model
from lakebox.entities.monitor import (
    CategoricalDriftMetrics,
    DataDriftMetricThreshold,
    DataDriftSignal,
    MonitorDefinition,
    MonitoringTarget,
    NumericalDriftMetrics,
    ReferenceData,
)
from lakebox.entities.pipeline import ActivityRun, ActivityStatus, Artifact, PipelineRun, PipelineRunStatus
from lakebox.entities.rollout import DeployIfBetter, Rollout
from lakebox.entities.schedule import (
    CronTrigger,
    JobSchedule,
    MonitorSchedule,
    RecurrencePattern,
    RecurrenceTrigger,
    Schedule,
)
from lakebox.entities.spark_pool import SparkPool, spark
from lakebox.entities.vault import KeyVaultSecret, SecretProperties, SecretSet, SecretUpdate, Vault
from lakebox.entities.workspace import Workspace, WorkspaceConfig, WorkspaceUpdate

__all__ = [
    "ActivityRun",
    "ActivityStatus",
    "Artifact",
    "AssetTypes",
    "AuditEntry",
    "AuditOutcome",
    "AuditVerification",
    "AzureBlobDatastore",
    "AzureDataLakeGen2Datastore",
    "BatchDeployment",
    "BatchDeploymentSettings",
    "BatchEndpoint",
    "BatchRetrySettings",
    "BatchingSettings",
    "CategoricalDriftMetrics",
    "CodeConfiguration",
    "Command",
    "ComputeCluster",
    "CreatedToken",
    "CronTrigger",
    "Data",
    "DataCollector",
    "DataDriftMetricThreshold",
    "DataDriftSignal",
    "Datastore",
    "DeployIfBetter",
    "DeploymentCollection",
    "EndpointAuthKeys",
    "EndpointAuthToken",
    "Environment",
    "Identity",
    "IdentityCreate",
    "IdentityKind",
    "Input",
    "Job",
    "JobCreate",
    "JobLogs",
    "JobOutput",
    "JobSchedule",
    "JobStatus",
    "KeyVaultSecret",
    "ManagedOnlineDeployment",
    "ManagedOnlineEndpoint",
    "Model",
    "ModelBatchDeployment",
    "ModelBatchDeploymentSettings",
    "MonitorDefinition",
    "MonitorSchedule",
    "MonitoringTarget",
    "NumericalDriftMetrics",
    "OnlineRequestSettings",
    "Output",
    "PipelineRun",
    "PipelineRunStatus",
    "Principal",
    "ProbeSettings",
    "RecurrencePattern",
    "RecurrenceTrigger",
    "ReferenceData",
    "RoleAssignment",
    "RoleAssignmentCreate",
    "RoleDefinition",
    "Rollout",
    "Schedule",
    "SecretProperties",
    "SecretSet",
    "SecretUpdate",
    "SparkPool",
    "TokenCreate",
    "TokenInfo",
    "Vault",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceConnection",
    "WorkspaceUpdate",
    "command",
    "spark",
]
