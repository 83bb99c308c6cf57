"""A consumer's e-mail reply to our answer lands in the same thread: found by the message it
answers (In-Reply-To / References), accepted only from the address the answer went to, the
quoted answer left out (`bnpl support import-mail FILE`, the local .eml route)."""
from email.message import EmailMessage

import pytest

from bnpl.errors import Conflict, NotFound
from bnpl.support import service
from tests.disputes.cases import act
from tests.disputes.support import outbox
from tests.payments.flows import ship
from tests.support.threads import STAFF, ask_about


@pytest.fixture
def answered(services, api):
    invoice = ship(api)
    thread = ask_about(services, invoice, subject="Where is my parcel?", message="Nothing arrived yet.")
    act(services, service.answer, thread_id=thread.id, message="It arrives tomorrow.", **STAFF)
    [mail] = [m for m in outbox(services) if m.kind == "support_answer"]
    return thread.id, mail.id


def reply(to_message_id: str, *, sender="Sanne de Vries <Sanne.deVries@example.nl>",
          text="Thank you, it came today!\n\nOn 23 Nov 2026 Anna wrote:\n> It arrives tomorrow.\n") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, "support@bnpl.example"
    message["Subject"] = "Re: Antwoord op uw vraag: Where is my parcel?"
    message["In-Reply-To"] = f"<{to_message_id}@bnpl.example>"
    message["References"] = f"<{to_message_id}@bnpl.example>"
    message.set_content(text)
    return bytes(message)


def messages(services, thread_id):
    return act(services, service.thread_page, thread_id=thread_id).thread.messages


def test_a_reply_lands_in_the_thread_without_the_quoted_answer(services, answered):
    thread_id, mail_id = answered
    thread = act(services, service.import_reply, raw=reply(mail_id)).thread
    assert thread.id == thread_id and thread.status == "waiting_for_us" and thread.due_at is not None
    last = messages(services, thread_id)[-1]
    assert (last.party, last.body) == ("consumer", "Thank you, it came today!")


def test_a_reply_from_another_address_is_refused(services, answered):
    thread_id, mail_id = answered
    with pytest.raises(Conflict):
        act(services, service.import_reply, raw=reply(mail_id, sender="someone@elsewhere.example"))
    assert len(messages(services, thread_id)) == 2


def test_a_mail_that_answers_nothing_of_ours_is_not_found(services, answered):
    with pytest.raises(NotFound):
        act(services, service.import_reply, raw=reply("msg_unknown"))


def test_the_command_imports_an_eml_file(services, answered, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bnpl import cli
    thread_id, mail_id = answered
    path = tmp_path / "reply.eml"
    path.write_bytes(reply(mail_id))
    monkeypatch.setattr(cli, "_services", lambda: services)
    result = CliRunner().invoke(cli.main, ["support", "import-mail", str(path)])
    assert result.exit_code == 0, result.output
    assert thread_id in result.output and messages(services, thread_id)[-1].body == "Thank you, it came today!"
