"""Platform operators: the people of the /admin console, apart from every tenant's users."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from engine.core.passwords import check_password, hash_password
from engine.errors import AuthenticationFailed, BadRequest
from engine.storage.models import Operator

NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def add(session: Session, name: str, password: str) -> bool:
    """Create an operator, or set a new password for an existing one; True when created."""
    if not NAME.match(name):
        raise BadRequest(f"operator name {name!r} may use letters, digits and _ . @ - only",
                         message_code="operator_bad_name", params={"name": name})
    if len(password) < 8:
        raise BadRequest("an operator password needs at least 8 characters", message_code="operator_password_short")
    operator = session.get(Operator, name)
    if operator is not None:
        operator.password_hash, operator.is_active = hash_password(password), True
        end_sessions(operator)
        return False
    session.add(Operator(name=name, password_hash=hash_password(password), is_active=True,
                         created_at=datetime.now(UTC)))
    return True


def authenticate(session: Session, name: str, password: str) -> Operator:
    """The operator whose password this is; an unknown name takes as long and answers the same."""
    operator = session.get(Operator, name)
    matches = check_password(operator.password_hash if operator is not None else None, password)
    if operator is None or not operator.is_active or not matches:
        raise AuthenticationFailed("wrong operator name or password", message_code="operator_login_failed")
    return operator


def end_sessions(operator: Operator) -> None:
    """End every console session of the operator: a session is only good for the generation it was opened in."""
    operator.session_generation = (operator.session_generation or 0) + 1


def log_out(session: Session, name: str) -> None:
    operator = session.get(Operator, name)
    if operator is not None:
        end_sessions(operator)


def is_signed_in(session: Session, name: str, generation: object) -> bool:
    """Whether a console session of `name` opened in `generation` still holds: active, not logged out since."""
    operator = session.get(Operator, name)
    return operator is not None and operator.is_active and generation == operator.session_generation
