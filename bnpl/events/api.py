from bnpl.events import service
from bnpl.events.schemas import EventListArgsSchema, EventPageSchema
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow

blp = merchant_blueprint("events", __name__, "Every event of your account, oldest first, for replay.")


@blp.route("/events", methods=["GET"])
@blp.arguments(EventListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, EventPageSchema)
def list_events(limit, cursor, type):
    """Events in the order they happened; pass the last id as cursor to continue."""
    items, next_cursor = service.list_events(current_uow(), scope=current_scope(), after=cursor,
                                             limit=limit, type=type)
    return {"items": items, "next_cursor": next_cursor}
