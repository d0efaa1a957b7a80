"""Scenario 3: the application's first tables (migrations 000-003), used through the ORM.

The plugin's `models_match_migrations` item already proves that app/models.py and the
migrations agree; this test shows the `dualwrite_db` fixture with an ORM session, and
that the cascades the migrations declare work on every backend.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Conversation, Message, Task, User


def test_defaults_and_cascades(engine_at):
    engine = engine_at(3)
    with Session(engine) as session, session.begin():
        user = User(email="ada@example.com")
        session.add(user)
        session.flush()
        conversation = Conversation(user_id=user.id, title="Plans")
        session.add_all([Task(user_id=user.id, title="Write the spec"), conversation])
        session.flush()
        session.add(Message(conversation_id=conversation.id, role="user", content="hi"))
        session.flush()
        task = session.scalars(sa.select(Task)).one()
        message = session.scalars(sa.select(Message)).one()
        session.refresh(task)
        session.refresh(message)
        assert (task.status, message.tool_calls) == ("pending", [])
        assert user.is_active is True
        session.execute(sa.delete(User))
        for model in (Task, Conversation, Message):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
