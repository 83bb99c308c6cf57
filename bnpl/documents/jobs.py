"""Scheduled work of the documents feature: thin, batched, idempotent."""
from bnpl.documents import service
from bnpl.uow import unit_of_work


def render_documents(services, *, limit: int = 500) -> int:
    """One pass of the renderer: each requested PDF in its own short transaction."""
    seen: set[str] = set()
    while len(seen) < limit:
        with unit_of_work(services) as uow:
            request_id = service.render_next_requested(uow, skip=seen)
        if request_id is None:
            break
        seen.add(request_id)
    return len(seen)
