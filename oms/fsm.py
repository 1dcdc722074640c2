"""Refusing a state-machine transition clearly, the same way for every state machine
(orders, returns, payments, shipments, purchase orders).

A service asks before it moves an object: the object's state first (someone else may have
acted meanwhile: "Order SO-000042 is shipped; it cannot be cancelled."), then the acting
user's permission on the transition ("You are not allowed to have an order cancelled.").
Both rules come from the `@transition` on the model; nothing here keeps a table of its own.
"""

from django_fsm import can_proceed

from oms.exceptions import NotPermitted, TransitionRefused


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def transition_refusal(instance, name: str, *, actor=None, noun: str, verb: str, subject: str | None = None,
                       refusal: str | None = None, conditions: bool = True) -> None:
    """Raise `TransitionRefused` when the state (and, with `conditions`, the transition's guards)
    forbids transition `name`, then `NotPermitted` when the actor may not take it; else return.

    `noun` names the kind of object ("order", "purchase order"), `verb` the done deed
    ("cancelled"); `subject` replaces "<Noun> <number>" and `refusal` replaces
    "it cannot be <verb>" in the message. `conditions=False` checks the state alone, for a
    transition whose guard looks at input the caller gives afterwards. The system (actor
    None) is never refused a permission.
    """
    method = getattr(instance, name)
    if not can_proceed(method, check_conditions=conditions):
        subject = subject or f"{noun[:1].upper()}{noun[1:]} {instance.number}"
        raise TransitionRefused(f"{subject} is {instance.get_status_display().lower()}; "
                                f"{refusal or f'it cannot be {verb}'}.")
    if actor is not None and not transition_permitted(instance, name, actor):
        raise NotPermitted(f"You are not allowed to have {_with_article(noun)} {verb}.")


def transition_permitted(instance, name: str, user) -> bool:
    """Whether `user` holds the permission of transition `name` from the object's current state
    (its guards aside)."""
    meta = getattr(instance, name)._django_fsm
    return meta.has_transition_perm(instance, meta.field.get_state(instance), user)


def offered_transitions(instance, user, *, field: str = "status") -> set[str]:
    """The names of the transitions a screen offers `user`: those leaving the current state that
    the user may take. Guards that look at what the user is about to enter (the quantities
    received, say) are not asked here; the service asks them when the form comes back."""
    offered = set()
    for transition in getattr(instance, f"get_all_{field}_transitions")():
        meta = getattr(instance, transition.name)._django_fsm
        state = meta.field.get_state(instance)
        if meta.has_transition(state) and meta.has_transition_perm(instance, state, user):
            offered.add(transition.name)
    return offered
