"""The support desk's timed work: reading consumers' e-mail replies from the mailbox
(BNPL_SUPPORT_IMAP_URL) into their questions, every few minutes (bnpl/scheduler.py)."""
from __future__ import annotations

import logging
from collections import Counter

from bnpl.support import inbox, service
from bnpl.uow import unit_of_work

log = logging.getLogger("bnpl.support")
PER_PASS = 200  # messages read in one pass; the rest wait for the next


def read_mailbox(services) -> dict[str, int]:
    """Each unread message into the question it answers, each in a transaction of its own; it
    is marked read only once that transaction has committed (see bnpl/support/inbox.py).
    Returns how many were added, already known or refused."""
    url = services.settings.support.imap_url
    if not url:
        return {}
    done: Counter = Counter()
    with inbox.Mailbox.from_url(url).open() as mailbox:
        for uid in mailbox.unread(limit=PER_PASS):
            raw = mailbox.fetch(uid)
            if raw is None:
                continue  # deleted since the search: nothing to read
            with unit_of_work(services) as uow:
                outcome = service.take_reply(uow, raw=raw)
            mailbox.mark_read(uid, flag=outcome == "refused")
            if outcome == "refused":
                log.warning("mail reply %s refused (flagged in the mailbox)", uid)
            done[outcome] += 1
    return dict(done)
