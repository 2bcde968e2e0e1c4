"""The example host described to the store contract: its kinds, its columns, its reset."""

from __future__ import annotations

from collections.abc import Callable

from deleted_repo import Record
from deleted_repo.testing.contract import ContractWorld
from examples.host.tables import HOST_HIERARCHY

__all__ = ["host_record", "host_world"]


def host_record(kind: str, ident: str, parent_id: str | None, n: int) -> Record:
    """A record the host's tables hold: every column filled, from variant `n`.

    An item's barcode is "B{n}", distinct for each `n`, as the contract's lookup field needs.
    """
    if kind == "bib":
        data = {"title": f"Title {n}", "author": f"Author {n % 3}"}
    elif kind == "holding":
        data = {"location": f"Stacks {n % 2}", "call_number": f"QA{n}"}
    else:
        data = {"barcode": f"B{n}", "status": "on shelf" if n % 2 else "on loan"}
    return Record(kind, ident, parent_id, data)


def host_world(reset: Callable[[], None]) -> ContractWorld:
    """The contract's world for the host: its institutions, kinds and columns, and `reset`."""
    return ContractWorld(
        institutions=("01UNI", "02COLLEGE"),
        hierarchy=HOST_HIERARCHY,
        lookup=("item", "barcode"),
        make_record=host_record,
        free_form=False,
        reset=reset,
    )
