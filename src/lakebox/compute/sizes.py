"""Azure VM size names and the cores and memory they stand for on a lakebox compute.

The local backend gives each job of a cluster at most these cores (CPU affinity) and this much
memory (the resident memory of its process tree, watched twice a second; a job that outgrows it is
stopped and fails saying so), as far as the machine has them. Names match without
regard to case (the seed writes both ``STANDARD_DS3_V2`` and ``Standard_DS3_v2``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lakebox.errors import ValidationError


@dataclass(frozen=True)
class VmSize:
    name: str
    cores: int
    memory_gib: float


_SIZES = [
    VmSize("Standard_B1s", 1, 1),
    VmSize("Standard_B1ms", 1, 2),
    VmSize("Standard_B2s", 2, 4),
    VmSize("Standard_DS1_v2", 1, 3.5),
    VmSize("Standard_DS2_v2", 2, 7),
    VmSize("Standard_DS3_v2", 4, 14),
    VmSize("Standard_DS4_v2", 8, 28),
    VmSize("Standard_DS5_v2", 16, 56),
    VmSize("Standard_D2s_v3", 2, 8),
    VmSize("Standard_D4s_v3", 4, 16),
    VmSize("Standard_D8s_v3", 8, 32),
    VmSize("Standard_D16s_v3", 16, 64),
    VmSize("Standard_E4s_v3", 4, 32),
    VmSize("Standard_E8s_v3", 8, 64),
    VmSize("Standard_F4s_v2", 4, 8),
    VmSize("Standard_F8s_v2", 8, 16),
]
SIZES: dict[str, VmSize] = {size.name.lower(): size for size in _SIZES}
DEFAULT_SIZE = "Standard_DS3_v2"


def vm_size(name: str) -> VmSize:
    """The size called ``name``; the error lists the sizes there are."""
    size = SIZES.get(name.lower())
    if size is None:
        known = ", ".join(s.name for s in _SIZES)
        raise ValidationError(f"unknown compute size {name!r}; sizes: {known}")
    return size
