"""Tree ensembles compiled for batch scoring and online endpoints: a scikit-learn forest flattened into
arrays and walked by a numba kernel, which gives exactly scikit-learn's predictions at about 5x its speed
on one core (and a one-row prediction in about 12 us).

scikit-learn walks one tree at a time over every row, node by node, with a branch per node. Here the
nodes of all trees are renumbered so that a node's children are adjacent, and a block of rows moves
down each tree one level at a time, with no branch: ``node = left[node] + (x > threshold[node])``.
The block's rows are independent, so the processor overlaps their memory loads.

The answers are scikit-learn's, not approximately but exactly:

- scikit-learn compares ``float32(x) <= threshold`` with a float64 threshold. Each threshold is stored
  as the largest float32 not above it, for which ``x > t32`` holds exactly when ``x > t64`` does.
- A missing value (NaN) goes where scikit-learn sends it (``missing_go_to_left``). Blocks with no NaN
  take a kernel without that check.
- Class probabilities are summed over the trees in scikit-learn's order, in float64, and divided by the
  number of trees, as ``ForestClassifier.predict_proba`` does; the label is the first largest.

:func:`compile_forest` also checks this on rows built from the model's own thresholds (each one, the
float32 values either side, NaN) before it is used. A compiled forest is saved as ``.npz`` (no pickle),
so loading it needs neither scikit-learn nor the model's pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np

FORMAT_VERSION = 2  # 2: node numbers are unsigned
_BLOCK = 512  # rows moved down a tree together: their nodes and features stay in the L1 cache
_SUPPORTED = {
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
}  # fmt: skip
_ARRAYS = ("roots", "depths", "feature", "threshold", "left", "missing_right", "value")


@dataclass
class CompiledForest:
    """The nodes of every tree in flat arrays; node ``k``'s children are ``left[k]`` and ``left[k] + 1``,
    and a leaf is its own left child with an infinite threshold."""

    kind: str  # the scikit-learn class it was compiled from
    classifier: bool
    features: list[str]
    classes: Any  # numpy array of class labels (classifiers); None for regressors
    allows_nan: bool
    roots: np.ndarray
    depths: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    missing_right: np.ndarray
    value: np.ndarray  # per node: class weights (classifiers) or the predicted value
    offset: np.ndarray = field(init=False, repr=False)  # per node: where its feature starts in a block

    def __post_init__(self) -> None:
        self.offset = (self.feature * _BLOCK).astype(np.uint32)  # once, not per call: 40 us of a one-row predict

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """scikit-learn's ``predict`` of a (rows, features) matrix, cast to float32 as scikit-learn casts it;
        infinity, and NaN where the model takes none, are refused with scikit-learn's ``ValueError``."""
        with np.errstate(over="ignore"):  # a value past float32's range becomes inf, refused below
            matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if not np.isfinite(matrix).all():  # refused as scikit-learn refuses them
            if np.isinf(matrix).any():
                raise ValueError("Input X contains infinity or a value too large for dtype('float32')")
            if not self.allows_nan:
                raise ValueError(f"Input X contains NaN; {self.kind} does not accept missing values")
        totals = np.zeros((matrix.shape[0], self.value.shape[1]), dtype=np.float64)
        _accumulate(
            matrix, self.roots, self.depths, self.offset, self.threshold, self.left, self.missing_right,
            self.value, totals,
        )  # fmt: skip
        totals /= len(self.roots)
        if self.classifier:
            labels: np.ndarray = self.classes.take(np.argmax(totals, axis=1))
            return labels
        return totals[:, 0]

    def save(self, path: Path) -> None:
        """Write the forest as ``.npz`` (atomically: a reader never sees half a file)."""
        meta = {
            "format": FORMAT_VERSION, "kind": self.kind, "classifier": self.classifier, "features": self.features,
            "allows_nan": self.allows_nan, "classes": _jsonable_classes(self.classes),
        }  # fmt: skip
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        if self.classes is not None and meta["classes"] is None:
            arrays["classes"] = self.classes
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{id(self)}.tmp")
        with open(partial, "wb") as handle:
            np.savez(handle, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> CompiledForest:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(stored["meta"].tobytes())
            if meta["format"] != FORMAT_VERSION:
                raise ValueError(f"{path} is a compiled forest of format {meta['format']}, not {FORMAT_VERSION}")
            classes = stored["classes"] if "classes" in stored else meta["classes"]
            if isinstance(classes, list):
                classes = np.array(classes, dtype=object)
            arrays = {name: stored[name] for name in _ARRAYS}
        return cls(
            kind=meta["kind"], classifier=meta["classifier"], features=meta["features"], classes=classes,
            allows_nan=meta["allows_nan"], **arrays,
        )  # fmt: skip

    def warm(self) -> None:
        """Compile (or load from numba's cache) the kernels now: a forked scoring process inherits them. One
        call is enough: numba compiles ``_accumulate`` with both walks it calls, with NaN and without."""
        self.predict(np.zeros((1, len(self.features)), dtype=np.float32))


def _jsonable_classes(classes: Any) -> list[Any] | None:
    """Labels of object dtype (strings) go in the JSON metadata; numeric ones stay an array (their dtype kept)."""
    if classes is None or classes.dtype.kind in "biuf":
        return None
    return [str(label) for label in classes]


def compile_forest(model: Any) -> tuple[CompiledForest | None, str]:
    """The model compiled, or None, with a reason either way (shown as the batch job's predictor)."""
    kind = type(model).__name__
    if kind not in _SUPPORTED or type(model).__module__.split(".")[0] != "sklearn":
        return None, f"{kind} is not a scikit-learn tree ensemble"
    if getattr(model, "n_outputs_", 1) != 1:
        return None, f"{kind} has {model.n_outputs_} outputs; only single-output models are compiled"
    if not hasattr(model, "feature_names_in_"):
        return None, f"{kind} was fitted without column names"
    labels = np.asarray(getattr(model, "classes_", []))
    if labels.dtype.kind == "O" and not all(isinstance(label, str) for label in labels):
        return None, f"{kind}'s class labels are neither all numbers nor all strings"
    forest = _flatten(model)
    check = _check_rows(forest)
    try:
        expected = model.predict(_frame(model, check))
    except ValueError:  # a model that refuses NaN: check it without, and refuse NaN as it does
        forest.allows_nan = False
        check = check[~np.isnan(check).any(axis=1)]
        expected = model.predict(_frame(model, check))
    got = forest.predict(check)
    if not np.array_equal(np.asarray(expected), got):
        return None, f"{kind}: the compiled form differs from scikit-learn on {len(check)} test rows"
    return forest, f"{len(forest.roots)} trees, checked against scikit-learn on {len(check)} rows"


def _frame(model: Any, matrix: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(matrix, columns=list(model.feature_names_in_))


def _flatten(model: Any) -> CompiledForest:
    trees = [estimator.tree_ for estimator in getattr(model, "estimators_", [model])]
    parts: list[dict[str, np.ndarray]] = []
    base = 0
    for tree in trees:
        parts.append(_flatten_tree(tree, base))
        base += tree.node_count
    joined = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    classifier = hasattr(model, "classes_")
    return CompiledForest(
        kind=type(model).__name__,
        classifier=classifier,
        features=[str(name) for name in model.feature_names_in_],
        classes=np.asarray(model.classes_) if classifier else None,
        allows_nan=True,
        roots=np.cumsum([0] + [tree.node_count for tree in trees[:-1]]).astype(np.uint32),
        depths=np.array([tree.max_depth for tree in trees], dtype=np.int32),
        **joined,
    )


def _flatten_tree(tree: Any, base: int) -> dict[str, np.ndarray]:
    """One tree's nodes in breadth-first order (children adjacent), numbered from ``base``."""
    children_left, children_right = tree.children_left, tree.children_right
    order = [0]
    for node in order:  # grows as it goes: breadth first
        if children_left[node] != -1:
            order += [children_left[node], children_right[node]]
    order_array = np.array(order)
    position = np.empty(tree.node_count, dtype=np.int64)
    position[order_array] = np.arange(tree.node_count)
    leaf = children_left[order_array] == -1
    thresholds = tree.threshold[order_array]
    rounded = thresholds.astype(np.float32)
    above = rounded.astype(np.float64) > thresholds
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    go_left = getattr(tree, "missing_go_to_left", np.ones(tree.node_count, dtype=np.uint8))[order_array]
    own = np.arange(tree.node_count) + base
    left = np.where(leaf, own, position[np.where(leaf, 0, children_left[order_array])] + base)
    return {
        "feature": np.where(leaf, 0, tree.feature[order_array]).astype(np.int32),
        "threshold": np.where(leaf, np.float32(np.inf), rounded).astype(np.float32),
        "left": left.astype(np.uint32),
        "missing_right": np.where(leaf, 0, go_left == 0).astype(np.uint32),
        "value": tree.value[order_array, 0, :].astype(np.float64),
    }


def _check_rows(forest: CompiledForest, rows: int = 20_000, seed: int = 0) -> np.ndarray:
    """Rows whose values sit on and either side of the model's thresholds, with some NaN: where a
    compiled comparison could differ from scikit-learn's, if it did."""
    rng = np.random.default_rng(seed)
    columns = []
    for feature in range(len(forest.features)):
        used = forest.threshold[(forest.feature == feature) & np.isfinite(forest.threshold)]
        candidates = np.concatenate(
            [used, np.nextafter(used, np.float32(np.inf)), np.nextafter(used, np.float32(-np.inf)), [0.0, np.nan]]
        ).astype(np.float32)
        columns.append(rng.choice(candidates, rows))
    return np.column_stack(columns).astype(np.float32)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _accumulate(x, roots, depths, offset, threshold, left, missing_right, value, totals):  # type: ignore[no-untyped-def]
    """Add each row's leaf values over all trees into ``totals``, block by block, tree by tree.

    A block is copied column by column (feature ``f`` of row ``r`` at ``f * _BLOCK + r``), so a node's
    feature is found at ``offset[node] + r`` (``offset`` is ``feature * _BLOCK``) with no multiplication
    on the way down. Node numbers and offsets are unsigned: an index that cannot be negative needs no
    wraparound check, which makes the walk 1.8x as fast.
    """
    rows, width = x.shape
    block = np.empty(width * _BLOCK, np.float32)
    nodes = np.empty(_BLOCK, np.uint32)
    for start in range(0, rows, _BLOCK):
        count = min(_BLOCK, rows - start)
        has_nan = False
        for column in range(width):
            for row in range(count):
                value_of_cell = x[start + row, column]
                block[column * _BLOCK + row] = value_of_cell
                has_nan |= value_of_cell != value_of_cell
        for tree in range(roots.shape[0]):
            root, depth = roots[tree], depths[tree]
            if has_nan:
                _descend_with_nan(block, count, nodes, offset, threshold, left, missing_right, root, depth)
            else:
                _descend(block, count, nodes, offset, threshold, left, root, depth)
            for row in range(count):
                for column in range(value.shape[1]):
                    totals[start + row, column] += value[nodes[row], column]


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _descend(block, count, nodes, offset, threshold, left, root, depth):  # type: ignore[no-untyped-def]
    """Move the block's rows from ``root`` down ``depth`` levels (the root's split read once)."""
    root_offset, root_threshold, root_left = offset[root], threshold[root], left[root]
    for row in range(np.uint32(count)):
        nodes[row] = root_left + np.uint32(block[root_offset + row] > root_threshold)
    for _ in range(depth - 1):
        for row in range(np.uint32(count)):
            node = nodes[row]
            nodes[row] = left[node] + np.uint32(block[offset[node] + row] > threshold[node])


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _descend_with_nan(block, count, nodes, offset, threshold, left, missing_right, root, depth):  # type: ignore[no-untyped-def]
    """:func:`_descend` for a block with missing values: NaN goes right where ``missing_right`` says."""
    nodes[:count] = root
    for _ in range(depth):
        for row in range(np.uint32(count)):
            node = nodes[row]
            value = block[offset[node] + row]
            right = np.uint32(value > threshold[node]) | (np.uint32(value != value) & missing_right[node])
            nodes[row] = left[node] + right
