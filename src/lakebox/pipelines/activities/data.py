"""Data movement and queries: Copy, Lookup, GetMetadata, Script."""

from __future__ import annotations

import time
from typing import Any

from lakebox.pipelines import datasets
from lakebox.pipelines.activities.base import ActivityContext, ActivityFailure, activity, required
from lakebox.security import actions

LOOKUP_MAX_ROWS = 5000


def _dataset(context: ActivityContext, key: str) -> datasets.DatasetTarget:
    references = context.activity.get(key) or []
    if len(references) != 1:
        raise ActivityFailure(f"{context.activity.get('type')} needs exactly one dataset in {key}")
    return datasets.resolve(context.services, references[0], context.scope)


@activity("Copy")
def copy(context: ActivityContext, properties: dict[str, Any]) -> Any:
    started = time.perf_counter()
    source, sink = _dataset(context, "inputs"), _dataset(context, "outputs")
    data = datasets.read(context.services, source, properties.get("source") or {})
    context.check()
    mapped = datasets.map_columns(data, properties.get("translator"))
    written = datasets.write(context.services, sink, mapped, properties.get("sink") or {}, context.state.run_id)
    return {
        "rowsRead": data.num_rows,
        "rowsCopied": written,
        "dataRead": data.nbytes,
        "copyDuration": round(time.perf_counter() - started, 3),
        "source": source.describe(),
        "sink": sink.describe(),
        "effectiveIntegrationRuntime": "lakebox (local)",
    }


@activity("Lookup")
def lookup(context: ActivityContext, properties: dict[str, Any]) -> Any:
    target = datasets.resolve(context.services, required(properties, "dataset", "Lookup"), context.scope)
    rows = datasets.read(context.services, target, properties.get("source") or {}).slice(0, LOOKUP_MAX_ROWS)
    records = rows.to_pylist()
    if properties.get("firstRowOnly", True):
        if not records:
            return {}
        return {"firstRow": records[0]}
    return {"count": len(records), "value": records}


@activity("GetMetadata")
def get_metadata(context: ActivityContext, properties: dict[str, Any]) -> Any:
    target = datasets.resolve(context.services, required(properties, "dataset", "GetMetadata"), context.scope)
    fields = [str(f) for f in properties.get("fieldList") or ["exists"]]
    if target.kind == "warehouse":
        principal = context.services.sql_principal(target.linked_service)
        context.services.authorize(actions.WAREHOUSE_READ, "warehouse", principal=principal)
        table = context.services.warehouse().read_table(target.table)
        known = {
            "exists": True,
            "itemName": target.table,
            "columnCount": table.num_columns,
            "structure": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        }
        return {field: known.get(field) for field in fields}
    context.services.authorize(actions.BLOBS_READ, f"datastores/{target.datastore}")
    return datasets.file_metadata(target, fields)


@activity("Script")
def script(context: ActivityContext, properties: dict[str, Any]) -> Any:
    """SQL on the workspace's warehouse: ``Query`` scripts return their rows, ``NonQuery`` ones do not."""
    service = str((context.activity.get("linkedServiceName") or {}).get("referenceName", ""))
    target = context.services.linked_services().target(context.services.stores.linked_services.get(service))
    if target.kind != "warehouse":
        raise ActivityFailure(f"Script runs on a SQL linked service; {service} is {target.kind}")
    context.services.authorize(actions.WAREHOUSE_WRITE, "warehouse", principal=context.services.sql_principal(service))
    result_sets = []
    for entry in required(properties, "scripts", "Script"):
        table = context.services.warehouse().query(str(entry.get("text", "")), read_only=False)
        if str(entry.get("type", "Query")) == "Query" and table.num_columns:
            records = table.slice(0, LOOKUP_MAX_ROWS).to_pylist()
            result_sets.append({"rowCount": len(records), "rows": records})
    return {"resultSetCount": len(result_sets), "resultSets": result_sets}
