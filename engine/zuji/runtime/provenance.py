"""What a result records of its sources: the sha256 of the inventory, the PCR, its modules, the
datasets it read and the GWP set, with the engine's version (see result.Provenance)."""

from __future__ import annotations

from dataclasses import dataclass, field

from zuji.core.identity import by_identity
from zuji.core.version import __version__
from zuji.runtime.inventory import Inventory
from zuji.runtime.result import InventoryHash, Provenance, SourceHash, made
from zuji.semantics.compile import Plan


def provenance(plan: Plan, inventory: Inventory, dataset_ids: list[str]) -> Provenance:
    """The hashes pinning one evaluation: `dataset_ids` are the datasets it read values from."""
    pinned = _pinned(plan)
    return made(
        Provenance,
        engine_version=__version__,
        inventory=made(InventoryHash, sha256=inventory.sha256, of=inventory.hashed),
        pcr=pinned.pcr,
        modules=list(pinned.modules),
        datasets=[pinned.dataset(i) for i in dataset_ids],
        gwp=pinned.gwp,
    )


@dataclass(frozen=True)
class _Pinned:
    """The hashes of a plan's files: the same for every evaluation under it, made once."""

    plan: Plan
    pcr: SourceHash
    modules: tuple[SourceHash, ...]
    gwp: SourceHash
    datasets: dict[str, SourceHash] = field(default_factory=dict)

    def dataset(self, dataset_id: str) -> SourceHash:
        found = self.datasets.get(dataset_id)
        if found is None:
            dataset = self.plan.resolved.standards.datasets[dataset_id]
            found = self.datasets[dataset_id] = SourceHash(
                id=dataset_id, file=dataset.path, sha256=dataset.sha256, version=dataset.version
            )
        return found


@by_identity()
def _pinned(plan: Plan) -> _Pinned:
    resolved = plan.resolved
    pcr = plan.pcr
    gwp = resolved.standards.gwp_sets[pcr.gwp]
    return _Pinned(
        plan,
        SourceHash(id=pcr.id, file=pcr.path, sha256=pcr.source_hash, version=pcr.version),
        tuple(
            SourceHash(id=name, file=module.path, sha256=module.source_hash)
            for name, module in sorted(resolved.modules.items())
        ),
        SourceHash(id=gwp.id, file=gwp.path, sha256=gwp.sha256),
    )


__all__ = ["provenance"]
