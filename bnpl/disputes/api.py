from datetime import timedelta
from functools import wraps

from flask import request

from bnpl.disputes import service
from bnpl.disputes.evidence import EvidenceFile, body_limit
from bnpl.disputes.schemas import (DisputeListArgsSchema, DisputeSchema, MerchantStatisticsSchema,
                                   ResponseCreateSchema, StatisticsArgsSchema)
from bnpl.fields import page_schema
from bnpl.web.api import handed_in_file_response, merchant_blueprint
from bnpl.web.context import current_scope, current_uow, services
from bnpl.web.idempotency import writes

blp = merchant_blueprint("disputes", __name__,
                         "Cases your customers opened with the mediators: the shared timeline, your deadline, "
                         "your answer with evidence, the decision with its reasons.")


def accepts_evidence(view):
    """Raise the body limit for this request to what a full set of evidence files needs."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = body_limit(services().settings.disputes)
        return view(*args, **kwargs)

    return wrapper


@blp.route("/disputes", methods=["GET"])
@blp.arguments(DisputeListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, page_schema(DisputeSchema))
def list_disputes(limit, cursor, status=None):
    """Your disputes, newest first; `status=awaiting_merchant` lists the ones waiting for you."""
    items, next_cursor = service.list_disputes(current_uow(), scope=current_scope(), cursor=cursor, limit=limit,
                                               status=status)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/disputes/<dispute_id>", methods=["GET"])
@blp.response(200, DisputeSchema)
def read_dispute(dispute_id):
    """One dispute: the shared timeline, whose move it is and the deadline, the decision."""
    return service.get_dispute(current_uow(), scope=current_scope(), dispute_id=dispute_id)


@blp.route("/disputes/<dispute_id>/responses", methods=["POST"])
@accepts_evidence
@writes
@blp.arguments(ResponseCreateSchema)
@blp.response(201, DisputeSchema)
def respond(data, dispute_id):
    """Answer a dispute before its deadline: `accept` or `partial_credit` ends it with a credit
    note; `reject` hands it to a mediator. Evidence: up to 5 files (PDF, JPEG, PNG, WebP) of
    4 MB each, as base64."""
    response = service.MerchantResponse(
        message=data["message"], proposal=data["proposal"], amount=data.get("amount"),
        evidence=tuple(EvidenceFile(filename=item["filename"], content=item["content"]) for item in data["evidence"]))
    return service.respond(current_uow(), scope=current_scope(), dispute_id=dispute_id, response=response)


@blp.route("/disputes/<dispute_id>/evidence/<evidence_id>", methods=["GET"])
@blp.response(200, content_type="application/octet-stream", description="The file as it was handed in.")
def evidence_file(dispute_id, evidence_id):
    """One evidence file from the shared timeline (yours or the consumer's)."""
    uow = current_uow()
    dispute = service.get_dispute(uow, scope=current_scope(), dispute_id=dispute_id)
    item = service.evidence_file(uow, dispute=dispute, evidence_id=evidence_id)
    return handed_in_file_response(content=item.content, content_type=item.content_type, filename=item.filename)


@blp.route("/dispute-statistics", methods=["GET"])
@blp.arguments(StatisticsArgsSchema, location="query", as_kwargs=True)
@blp.response(200, MerchantStatisticsSchema)
def statistics(since=None, until=None):
    """Your dispute rate (per 100 invoices issued), outcomes and median response time for
    disputes opened in the period (default: the last 90 days)."""
    uow = current_uow()
    until = until or uow.today()
    since = since or until - timedelta(days=89)
    return service.statistics(uow, since=since, until=until, scope=current_scope())[0]
