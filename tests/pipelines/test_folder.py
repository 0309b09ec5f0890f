"""Loading a folder of Synapse/ADF artifacts: what is read, and clear errors for what cannot be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakebox import ValidationError
from lakebox.pipelines.folder import load_folder

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"


def test_the_seed_folder_loads_every_kind_it_has() -> None:
    bundle = load_folder(SEED)
    assert [p.name for p in bundle.pipelines] == ["BatchScoringPipeline"]
    assert {d.name for d in bundle.datasets} == {
        "SynapseSQLDataset",
        "ADLSDataset",
        "PredictionsDataset",
        "SynapsePredictionsTable",
    }
    assert {s["name"] for s in bundle.linked_services} == {
        "AzureKeyVault",
        "AzureMLLinkedService",
        "DataLake",
        "SynapseSQLPool",
    }


def test_a_file_that_is_not_json_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "Broken.json").write_text('{\n  "name": "Broken",\n  "properties": {,}\n}\n')
    with pytest.raises(ValidationError, match=r"Broken.json: not valid JSON \(line 3, column 18"):
        load_folder(tmp_path)


def test_an_empty_folder_or_a_missing_one_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"has no artifacts .*pipeline/\*\.json"):
        load_folder(tmp_path)
    with pytest.raises(ValidationError, match="is not a folder of pipeline artifacts"):
        load_folder(tmp_path / "nope")


def test_an_artifact_without_properties_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "D.json").write_text(json.dumps({"name": "D"}))
    with pytest.raises(ValidationError, match=r"datasets\.0\.properties: Field required"):
        load_folder(tmp_path)
