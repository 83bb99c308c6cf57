from bnpl.fields import page_schema
from bnpl.support import service
from bnpl.support.schemas import (ConversationListArgsSchema, ConversationSchema, MessageCreateSchema,
                                  PromiseStatisticsArgsSchema, PromiseStatisticsSchema)
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("conversations", __name__,
                         "Your customers' questions about their orders that the provider's support desk passed "
                         "to you (announced by the conversation.passed webhook), and your answers: they reach "
                         "the customer in the same thread, with the same promised answer time.")


def _shown(thread) -> dict:
    view = service.conversation_view(thread)
    view["messages"] = [{"at": m["at"], "sender": m["from"], "text": m["text"]} for m in view["messages"]]
    return view


@blp.route("/conversations", methods=["GET"])
@blp.arguments(ConversationListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, page_schema(ConversationSchema))
def list_conversations(limit, cursor):
    """The questions passed to you, newest first."""
    items, next_cursor = service.list_conversations(current_uow(), scope=current_scope(), cursor=cursor, limit=limit)
    return {"items": [_shown(item) for item in items], "next_cursor": next_cursor}


@blp.route("/conversations/<conversation_id>", methods=["GET"])
@blp.response(200, ConversationSchema)
def read_conversation(conversation_id):
    """One conversation with every message and when the customer was promised an answer."""
    return _shown(service.get_conversation(current_uow(), scope=current_scope(), conversation_id=conversation_id))


@blp.route("/conversations/<conversation_id>/messages", methods=["POST"])
@writes
@blp.arguments(MessageCreateSchema)
@blp.response(201, ConversationSchema)
def post_message(data, conversation_id):
    """Answer the customer: your message is shown in their thread and e-mailed to them."""
    return _shown(service.merchant_message(current_uow(), scope=current_scope(), conversation_id=conversation_id,
                                           message=data["message"]))


@blp.route("/conversation-statistics", methods=["GET"])
@blp.arguments(PromiseStatisticsArgsSchema, location="query", as_kwargs=True)
@blp.response(200, PromiseStatisticsSchema)
def read_statistics(since, until):
    """Promises kept on the questions passed to you, per channel and week in which they were
    asked, and the median first answer in office time (default: the last eight weeks)."""
    uow = current_uow()
    since, until = service.statistics_period(uow, since=since, until=until)
    return {"since": since, "until": until,
            "weeks": service.promise_statistics(uow, since=since, until=until, scope=current_scope())}
