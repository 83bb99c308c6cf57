"""Consumers' e-mail replies read from the mailbox (BNPL_SUPPORT_IMAP_URL) by the scheduler, over
real IMAP with the standard library's imaplib, against a small IMAP server on loopback
(tests/support/imap_server.py). A message is marked read only after what it brought is stored:
a pass cut off in between loses nothing and, read again, adds nothing twice (by Message-ID)."""
import dataclasses
import imaplib

import pytest
from sqlalchemy import select

from bnpl.config import Support
from bnpl.support import inbox, jobs, service
from bnpl.support.models import InboundMail
from tests.disputes.cases import act
from tests.support.imap_server import ImapServer, Mailbox
from tests.support.test_mail_replies import answered, messages, reply  # noqa: F401 (a fixture)

SEEN, FLAGGED = "\\Seen", "\\Flagged"


@pytest.fixture
def mailbox():
    box = Mailbox("support@bnpl.example", "pa ss:w@rd")
    with ImapServer(box) as server:
        box.url = server.url.replace("pa ss:w@rd", "pa%20ss%3Aw%40rd")  # URL-encoded, as configured
        yield box


@pytest.fixture
def reading(services, mailbox):
    """The services with BNPL_SUPPORT_IMAP_URL at the test mailbox."""
    settings = dataclasses.replace(services.settings, support=dataclasses.replace(
        services.settings.support, imap_url=mailbox.url))
    return dataclasses.replace(services, settings=settings)


def mail(to_message_id: str, message_id: str, **kw) -> bytes:
    raw = reply(to_message_id, **kw)
    return f"Message-ID: <{message_id}@mail.example.nl>\r\n".encode() + raw


def bodies(services, thread_id) -> list[str]:
    return [m.body for m in messages(services, thread_id)]


def test_the_scheduler_reads_an_unread_reply_into_its_thread_and_marks_it_read(reading, mailbox, answered):
    thread_id, mail_id = answered
    old = mailbox.deliver(b"From: someone@example.nl\r\nSubject: read before\r\n\r\nhello\r\n", flags={SEEN})
    new = mailbox.deliver(mail(mail_id, "reply-1"))

    assert jobs.read_mailbox(reading) == {"added": 1}

    assert bodies(reading, thread_id)[-1] == "Thank you, it came today!"
    assert mailbox.flags(new) == {SEEN} and mailbox.flags(old) == {SEEN}
    assert "UID FETCH" in mailbox.commands and jobs.read_mailbox(reading) == {}  # nothing unread is left
    assert bodies(reading, thread_id).count("Thank you, it came today!") == 1


def test_a_pass_cut_off_after_storing_loses_nothing_and_adds_nothing_twice(reading, mailbox, answered):
    thread_id, mail_id = answered
    uid = mailbox.deliver(mail(mail_id, "reply-2"))
    mailbox.hang_up_on = "STORE"  # the connection drops right after the reply was stored

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        jobs.read_mailbox(reading)
    assert mailbox.flags(uid) == set()  # still unread: it will be read again
    assert bodies(reading, thread_id).count("Thank you, it came today!") == 1

    assert jobs.read_mailbox(reading) == {"already": 1}
    assert mailbox.flags(uid) == {SEEN}
    assert bodies(reading, thread_id).count("Thank you, it came today!") == 1


def test_a_mail_that_answers_nothing_of_ours_is_recorded_marked_read_and_flagged(reading, mailbox, answered):
    uid = mailbox.deliver(mail("msg_unknown", "stray-1"))
    assert jobs.read_mailbox(reading) == {"refused": 1}
    assert mailbox.flags(uid) == {SEEN, FLAGGED}  # for a person to look at
    with reading.sessionmaker() as session:
        assert session.scalars(select(InboundMail.outcome)).all() == ["refused: not-found"]


def test_a_reply_from_another_address_is_refused_and_adds_nothing(reading, mailbox, answered):
    thread_id, mail_id = answered
    mailbox.deliver(mail(mail_id, "spoof-1", sender="someone@elsewhere.example"))
    assert jobs.read_mailbox(reading) == {"refused": 1}
    assert len(bodies(reading, thread_id)) == 2


def test_the_same_mail_imported_as_a_file_and_then_read_from_the_mailbox_is_added_once(reading, mailbox, answered):
    thread_id, mail_id = answered
    raw = mail(mail_id, "reply-3")
    assert act(reading, service.import_reply, raw=raw).added is True
    assert act(reading, service.import_reply, raw=raw).added is False  # the file again
    mailbox.deliver(raw)
    assert jobs.read_mailbox(reading) == {"already": 1}
    assert bodies(reading, thread_id).count("Thank you, it came today!") == 1


def test_without_a_mailbox_configured_the_pass_does_nothing(services):
    assert services.settings.support.imap_url is None
    assert jobs.read_mailbox(services) == {}


def test_a_wrong_password_fails_the_pass_and_marks_nothing(reading, mailbox, answered):
    thread_id, mail_id = answered
    uid = mailbox.deliver(mail(mail_id, "reply-4"))
    wrong = dataclasses.replace(reading, settings=dataclasses.replace(reading.settings, support=dataclasses.replace(
        reading.settings.support, imap_url=mailbox.url.replace("pa%20ss", "nope"))))
    with pytest.raises(imaplib.IMAP4.error):
        jobs.read_mailbox(wrong)
    assert mailbox.flags(uid) == set()


def test_the_mailbox_url():
    box = inbox.Mailbox.from_url("imaps://support%40shop.nl:s%2Fcret@imap.example.nl/Replies")
    assert (box.host, box.port, box.tls, box.username, box.password, box.folder) == (
        "imap.example.nl", 993, "implicit", "support@shop.nl", "s/cret", "Replies")
    plain = inbox.Mailbox.from_url("imap://u:p@127.0.0.1:1143")
    assert (plain.port, plain.tls, plain.folder) == (1143, "starttls", "INBOX")
    with pytest.raises(ValueError):
        inbox.Mailbox.from_url("pop3://u:p@host")
    assert Support.from_env({"BNPL_SUPPORT_IMAP_URL": " imaps://u:p@h/INBOX "}).imap_url == "imaps://u:p@h/INBOX"
