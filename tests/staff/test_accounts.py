"""Back-office accounts: creating them (service and command line) and signing in."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from bnpl import cli
from bnpl.errors import Conflict, InvalidInput
from bnpl.staff import accounts, service
from bnpl.staff.models import StaffMember
from tests.staff.conftest import PASSWORD, PRODUCTION_HASHER, make_member


def stored(services, email="anna@bnpl.example") -> StaffMember:
    with services.sessionmaker() as session:
        return session.scalar(select(StaffMember).where(StaffMember.email == email))


def test_a_member_is_stored_with_a_normalized_email_and_only_an_argon2_hash(uow):
    member = service.create_member(uow, email="  Anna@BNPL.example ", name="Anna", role="admin", password=PASSWORD)
    assert member.id.startswith("stf_") and member.email == "anna@bnpl.example"
    assert member.password_hash.startswith("$argon2id$") and PASSWORD not in member.password_hash
    assert member.active and member.failed_logins == 0


def test_the_name_defaults_to_the_part_before_the_at(uow):
    assert service.create_member(uow, email="piet@bnpl.example", name=None, role="mediator",
                                 password=PASSWORD).name == "piet"


@pytest.mark.parametrize("field, kwargs", [
    ("password", {"password": "too short"}),
    ("role", {"role": "superuser"}),
    ("email", {"email": "not-an-address"}),
])
def test_bad_input_is_refused_with_the_field(uow, field, kwargs):
    with pytest.raises(InvalidInput) as caught:
        service.create_member(uow, **{"email": "a@bnpl.example", "name": "A", "role": "mediator",
                                      "password": PASSWORD, **kwargs})
    assert list(caught.value.extra["errors"]) == [field]


def test_an_email_is_taken_once_whatever_its_case(uow):
    service.create_member(uow, email="anna@bnpl.example", name="A", role="mediator", password=PASSWORD)
    with pytest.raises(Conflict):
        service.create_member(uow, email="ANNA@bnpl.example", name="B", role="admin", password=PASSWORD)


def test_the_production_hasher_uses_argon2id_with_memory_hard_parameters():
    # The tests swap in quick parameters; make sure the real ones are not the quick ones.
    assert PRODUCTION_HASHER.type.name == "ID"
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024 and PRODUCTION_HASHER.time_cost >= 2


# --- signing in ---------------------------------------------------------------------------

def test_sign_in_resets_the_count_and_records_the_time(services, uow, clock):
    make_member(services)
    with pytest.raises(service.SignInFailed):
        service.sign_in(uow, email="anna@bnpl.example", password="wrong password!")
    member = service.sign_in(uow, email="ANNA@bnpl.example ", password=PASSWORD)
    assert member.failed_logins == 0 and member.last_login_at == clock.now()


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(services, uow):
    make_member(services)
    with pytest.raises(service.SignInFailed) as wrong:
        service.sign_in(uow, email="anna@bnpl.example", password="wrong password!")
    with pytest.raises(service.SignInFailed) as unknown:
        service.sign_in(uow, email="nobody@bnpl.example", password="wrong password!")
    assert type(wrong.value) is type(unknown.value)
    assert wrong.value.detail == unknown.value.detail == service.WRONG_CREDENTIALS


def test_an_unknown_email_still_costs_a_hash_verification(services, uow, monkeypatch):
    verified = []

    class Counting(PasswordHasher):
        def verify(self, hash, password):
            verified.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(service, "HASHER", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    with pytest.raises(service.SignInFailed):
        service.sign_in(uow, email="nobody@bnpl.example", password="whatever it is")
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_five_failures_lock_the_account_for_fifteen_minutes(services, clock):
    from bnpl.uow import unit_of_work
    make_member(services)

    def attempt(password):
        with unit_of_work(services) as uow:
            try:
                return service.sign_in(uow, email="anna@bnpl.example", password=password)
            except service.SignInFailed as exc:
                uow.commit()  # as the login page does: the count outlives the refusal
                return exc

    for _ in range(4):
        assert type(attempt("wrong password!")) is service.SignInFailed
    fifth = attempt("wrong password!")
    assert isinstance(fifth, service.AccountLocked) and "locked" in fifth.detail
    assert "23-11-2026 11:15" in fifth.detail  # 10:00 UTC + 15 min, shown in Amsterdam time
    # Locked: even the right password is refused, with the same words as a wrong one.
    right, wrong = attempt(PASSWORD), attempt("wrong password!")
    assert isinstance(right, service.AccountLocked) and right.detail == wrong.detail
    clock.advance(minutes=14, seconds=59)
    assert isinstance(attempt(PASSWORD), service.AccountLocked)
    clock.advance(seconds=1)
    assert isinstance(attempt(PASSWORD), StaffMember)
    assert stored(services).failed_logins == 0 and stored(services).locked_until is None


def test_failures_that_are_not_consecutive_do_not_lock(services, uow):
    make_member(services)
    for _ in range(3):
        for _ in range(4):
            with pytest.raises(service.SignInFailed) as caught:
                service.sign_in(uow, email="anna@bnpl.example", password="wrong password!")
            assert not isinstance(caught.value, service.AccountLocked)
        service.sign_in(uow, email="anna@bnpl.example", password=PASSWORD)


def test_an_old_hash_is_replaced_at_the_next_sign_in(services, uow, monkeypatch):
    make_member(services)  # with the quick test parameters
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(service, "HASHER", stronger)
    old = stored(services).password_hash
    member = service.sign_in(uow, email="anna@bnpl.example", password=PASSWORD)
    assert member.password_hash != old and not stronger.check_needs_rehash(member.password_hash)


def test_an_inactive_member_cannot_sign_in_and_is_not_found(services, uow):
    member_id = make_member(services)
    uow.session.get(StaffMember, member_id).active = False
    with pytest.raises(service.SignInFailed) as caught:
        service.sign_in(uow, email="anna@bnpl.example", password=PASSWORD)
    assert caught.value.detail == service.WRONG_CREDENTIALS
    assert service.get_member(uow, member_id=member_id) is None


def test_a_session_lasts_twelve_hours(services, uow, clock):
    member = uow.session.get(StaffMember, make_member(services))
    token = accounts.start_session(uow, member=member)
    clock.advance(hours=11, minutes=59)
    assert accounts.member_of_session(uow, token=token) is member
    clock.advance(minutes=1)
    assert accounts.member_of_session(uow, token=token) is None
    assert accounts.member_of_session(uow, token="a token nobody was given") is None


# --- the command line ---------------------------------------------------------------------

@pytest.fixture
def run(services, monkeypatch):
    monkeypatch.setattr(cli, "_services", lambda: services)

    def invoke(*args, input=None, env=None):
        return CliRunner().invoke(cli.main, ["staff", "create", *args], input=input, env=env or {},
                                  catch_exceptions=False)
    return invoke


def test_the_command_asks_the_password_twice_and_prints_the_id(run, services):
    result = run("Anna@bnpl.example", "--role", "mediator", "--name", "Anna de Vries",
                 input=f"{PASSWORD}\n{PASSWORD}\n", env={"BNPL_STAFF_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    member = stored(services)
    assert member.name == "Anna de Vries" and member.role == "mediator"
    assert member.id in result.output and PASSWORD not in result.output


def test_the_command_reads_the_password_from_the_environment_for_scripts(run, services):
    result = run("piet@bnpl.example", "--role", "admin", env={"BNPL_STAFF_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert stored(services, "piet@bnpl.example").role == "admin"


def test_the_command_refuses_a_short_password_and_an_unknown_role(run, services):
    result = run("anna@bnpl.example", "--role", "mediator", env={"BNPL_STAFF_PASSWORD": "short"})
    assert result.exit_code != 0 and "password: Between 12" in result.output
    result = run("anna@bnpl.example", "--role", "boss", env={"BNPL_STAFF_PASSWORD": PASSWORD})
    assert result.exit_code != 0 and "boss" in result.output
    assert stored(services) is None


def test_the_command_refuses_a_second_account_for_one_address(run):
    assert run("anna@bnpl.example", "--role", "mediator", env={"BNPL_STAFF_PASSWORD": PASSWORD}).exit_code == 0
    result = run("ANNA@bnpl.example", "--role", "admin", env={"BNPL_STAFF_PASSWORD": PASSWORD})
    assert result.exit_code != 0 and "already a staff account" in result.output
