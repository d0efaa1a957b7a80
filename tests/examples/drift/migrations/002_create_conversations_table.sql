CREATE TABLE conversations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- a conversation outlives the task it was started from
    task_id UUID REFERENCES tasks (id) ON DELETE SET NULL,
    title VARCHAR(200),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The sidebar lists a user's conversations, most recently updated first.
CREATE INDEX ix_conversations_user_id_updated_at ON conversations (user_id, updated_at);
