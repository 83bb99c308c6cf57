"""One helper for every status in the house: a transition table as data, and one way to
move along it. A feature's states.py writes its table and builds a StateMachine from it;
models and services change a status only through `next`, so an illegal move always raises
IllegalTransition (a 409) with a sentence a person can act on."""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from bnpl.errors import IllegalTransition

# (state, action, subject) -> the refusal's detail; subject names the thing ("Payment pay_1").
Explain = Callable[[str, str, str], str]


class StateMachine:
    def __init__(self, name: str, transitions: Mapping[tuple[str, str], str], *,
                 states: Iterable[str] = (), explain: Explain | None = None):
        self.name = name
        self.transitions = dict(transitions)
        # States with no way out (final ones) appear only as targets or in `states`.
        self.states = tuple(dict.fromkeys([*states, *(s for s, _ in self.transitions), *self.transitions.values()]))
        self.actions = tuple(dict.fromkeys(action for _, action in self.transitions))
        self._explain = explain or self._plain

    def next(self, state: str, action: str, *, subject: str | None = None) -> str:
        """The state after `action`; raises IllegalTransition when the table has no such row."""
        try:
            return self.transitions[(state, action)]
        except KeyError:
            detail = self._explain(state, action, subject or f"This {self.name}")
            raise IllegalTransition(detail, state=state, action=action) from None

    def allows(self, state: str, action: str) -> bool:
        return (state, action) in self.transitions

    def actions_from(self, state: str) -> frozenset[str]:
        return frozenset(action for (from_state, action) in self.transitions if from_state == state)

    def _plain(self, state: str, action: str, subject: str) -> str:
        return f"{subject} is {state.replace('_', ' ')}; '{action}' is not possible."

    def __repr__(self) -> str:
        return f"StateMachine({self.name!r}, {len(self.transitions)} transitions)"
