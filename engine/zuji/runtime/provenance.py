"""What a result records of its sources: the sha256 of the inventory, the PCR, its modules, the
datasets it read and the GWP set, with the engine's version (see result.Provenance)."""

from __future__ import annotations

from zuji.core.version import __version__
from zuji.runtime.inventory import Inventory
from zuji.runtime.result import InventoryHash, Provenance, SourceHash
from zuji.semantics.compile import Plan


def provenance(plan: Plan, inventory: Inventory, dataset_ids: list[str]) -> Provenance:
    """The hashes pinning one evaluation: `dataset_ids` are the datasets it read values from."""
    resolved = plan.resolved
    pcr = plan.pcr
    standards = resolved.standards
    gwp = standards.gwp_sets[pcr.gwp]
    return Provenance(
        engine_version=__version__,
        inventory=InventoryHash(sha256=inventory.sha256, of=inventory.hashed),
        pcr=SourceHash(id=pcr.id, file=pcr.path, sha256=pcr.source_hash, version=pcr.version),
        modules=[
            SourceHash(id=name, file=module.path, sha256=module.source_hash)
            for name, module in sorted(resolved.modules.items())
        ],
        datasets=[
            SourceHash(
                id=i,
                file=standards.datasets[i].path,
                sha256=standards.datasets[i].sha256,
                version=standards.datasets[i].version,
            )
            for i in dataset_ids
        ],
        gwp=SourceHash(id=gwp.id, file=gwp.path, sha256=gwp.sha256),
    )


__all__ = ["provenance"]
