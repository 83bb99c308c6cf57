from bnpl.returns import service
from bnpl.fields import WithRelated
from bnpl.returns.schemas import HandledReturnSchema, ReturnCreateSchema, ReturnSchema
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("returns", __name__, "Returned goods: announced (invoice paused) or received (credited).")


@blp.route("/orders/<order_id>/returns", methods=["POST"])
@writes
@blp.arguments(ReturnCreateSchema)
@blp.response(201, HandledReturnSchema)
def register_return(data, order_id):
    """Register a return of shipped lines; 'received' credits at once, 'announced' pauses."""
    handled = service.register_return(current_uow(), scope=current_scope(), order_id=order_id, data=data)
    return WithRelated(handled.return_, credit_notes=handled.credit_notes)


@blp.route("/returns/<return_id>/receipt", methods=["POST"])
@writes
@blp.response(200, HandledReturnSchema)
def receive_return(return_id):
    """The goods arrived: credit notes are issued and the invoices resume."""
    handled = service.receive_return(current_uow(), scope=current_scope(), return_id=return_id)
    return WithRelated(handled.return_, credit_notes=handled.credit_notes)


@blp.route("/returns/<return_id>", methods=["GET"])
@blp.response(200, ReturnSchema)
def read_return(return_id):
    """One return with the invoices its lines were allotted to."""
    return service.get_return(current_uow(), scope=current_scope(), return_id=return_id)
