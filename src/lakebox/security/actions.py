"""Action names and how role patterns match them.

Actions are paths such as ``lakebox/workspaces/jobs/write``; data actions (reading a secret's value,
a datastore's bytes) are checked apart from them, as in Azure RBAC. A pattern's ``*`` matches any
run of characters, ``/`` included, and matching ignores case.
"""

from __future__ import annotations

import functools
import re

# The workspace and its resources.
WORKSPACE_READ = "lakebox/workspaces/read"
WORKSPACE_WRITE = "lakebox/workspaces/write"
AUDIT_READ = "lakebox/workspaces/audit/read"
EXPERIMENTS_READ = "lakebox/workspaces/experiments/read"
EXPERIMENTS_WRITE = "lakebox/workspaces/experiments/write"
MODELS_READ = "lakebox/workspaces/models/read"
MODELS_WRITE = "lakebox/workspaces/models/write"
ENVIRONMENTS_READ = "lakebox/workspaces/environments/read"
ENVIRONMENTS_WRITE = "lakebox/workspaces/environments/write"
JOBS_READ = "lakebox/workspaces/jobs/read"
JOBS_WRITE = "lakebox/workspaces/jobs/write"
JOBS_CANCEL = "lakebox/workspaces/jobs/cancel/action"
CODES_WRITE = "lakebox/workspaces/codes/write"
COMPUTES_READ = "lakebox/workspaces/computes/read"
COMPUTES_WRITE = "lakebox/workspaces/computes/write"
COMPUTES_DELETE = "lakebox/workspaces/computes/delete"
LINKED_SERVICES_READ = "lakebox/workspaces/linkedServices/read"
LINKED_SERVICES_WRITE = "lakebox/workspaces/linkedServices/write"
LINKED_SERVICES_DELETE = "lakebox/workspaces/linkedServices/delete"
DATA_READ = "lakebox/workspaces/data/read"
DATA_WRITE = "lakebox/workspaces/data/write"
DATASTORES_READ = "lakebox/workspaces/datastores/read"
DATASTORES_WRITE = "lakebox/workspaces/datastores/write"
DATASTORES_DELETE = "lakebox/workspaces/datastores/delete"
CONNECTIONS_READ = "lakebox/workspaces/connections/read"
CONNECTIONS_WRITE = "lakebox/workspaces/connections/write"
CONNECTIONS_DELETE = "lakebox/workspaces/connections/delete"
ENDPOINTS_READ = "lakebox/workspaces/onlineEndpoints/read"
ENDPOINTS_WRITE = "lakebox/workspaces/onlineEndpoints/write"
ENDPOINTS_DELETE = "lakebox/workspaces/onlineEndpoints/delete"
ENDPOINT_KEYS_LIST = "lakebox/workspaces/onlineEndpoints/listKeys/action"
ENDPOINT_KEYS_REGENERATE = "lakebox/workspaces/onlineEndpoints/regenerateKeys/action"
BATCH_ENDPOINTS_READ = "lakebox/workspaces/batchEndpoints/read"
BATCH_ENDPOINTS_WRITE = "lakebox/workspaces/batchEndpoints/write"
BATCH_ENDPOINTS_DELETE = "lakebox/workspaces/batchEndpoints/delete"
BATCH_ENDPOINTS_INVOKE = "lakebox/workspaces/batchEndpoints/jobs/write"
PIPELINES_READ = "lakebox/workspaces/pipelines/read"
PIPELINES_WRITE = "lakebox/workspaces/pipelines/write"
PIPELINES_DELETE = "lakebox/workspaces/pipelines/delete"
PIPELINES_RUN = "lakebox/workspaces/pipelines/createRun/action"
PIPELINE_RUNS_CANCEL = "lakebox/workspaces/pipelineRuns/cancel/action"
SCHEDULES_READ = "lakebox/workspaces/schedules/read"
SCHEDULES_WRITE = "lakebox/workspaces/schedules/write"
SCHEDULES_DELETE = "lakebox/workspaces/schedules/delete"
VAULTS_READ = "lakebox/workspaces/vaults/read"
VAULTS_WRITE = "lakebox/workspaces/vaults/write"
VAULTS_DELETE = "lakebox/workspaces/vaults/delete"

# Authorization itself: who exists, which roles there are, who holds them.
IDENTITIES_READ = "lakebox/authorization/identities/read"
IDENTITIES_WRITE = "lakebox/authorization/identities/write"
IDENTITIES_DELETE = "lakebox/authorization/identities/delete"
ROLE_DEFINITIONS_READ = "lakebox/authorization/roleDefinitions/read"
ROLE_DEFINITIONS_WRITE = "lakebox/authorization/roleDefinitions/write"
ROLE_DEFINITIONS_DELETE = "lakebox/authorization/roleDefinitions/delete"
ROLE_ASSIGNMENTS_READ = "lakebox/authorization/roleAssignments/read"
ROLE_ASSIGNMENTS_WRITE = "lakebox/authorization/roleAssignments/write"
ROLE_ASSIGNMENTS_DELETE = "lakebox/authorization/roleAssignments/delete"

# What any authenticated caller may do about itself, whatever its roles.
SELF_READ = "lakebox/identities/me/read"
SELF_TOKENS_WRITE = "lakebox/identities/me/tokens/write"
SELF_BROWSER_SESSIONS_WRITE = "lakebox/identities/me/browserSessions/write"
SELF_SERVICE = frozenset({SELF_READ, SELF_TOKENS_WRITE, SELF_BROWSER_SESSIONS_WRITE})

# Data actions.
SECRETS_GET = "lakebox/workspaces/vaults/secrets/getSecret/action"
SECRETS_SET = "lakebox/workspaces/vaults/secrets/setSecret/action"
SECRETS_DELETE = "lakebox/workspaces/vaults/secrets/delete"
SECRETS_READ_METADATA = "lakebox/workspaces/vaults/secrets/readMetadata/action"
BLOBS_READ = "lakebox/workspaces/datastores/blobs/read"
BLOBS_WRITE = "lakebox/workspaces/datastores/blobs/write"
BLOBS_DELETE = "lakebox/workspaces/datastores/blobs/delete"
WAREHOUSE_READ = "lakebox/workspaces/warehouse/tables/read"
WAREHOUSE_WRITE = "lakebox/workspaces/warehouse/tables/write"
ENDPOINT_SCORE = "lakebox/workspaces/onlineEndpoints/score/action"


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def matches(pattern: str, action: str) -> bool:
    """Whether a role's action pattern covers ``action``."""
    return _compile(pattern).fullmatch(action) is not None


def allowed(action: str, grants: list[str], exclusions: list[str]) -> bool:
    """Granted by a pattern of ``grants`` and not taken back by one of ``exclusions``."""
    return any(matches(p, action) for p in grants) and not any(matches(p, action) for p in exclusions)
