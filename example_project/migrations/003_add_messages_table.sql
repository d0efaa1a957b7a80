-- migrate:up
CREATE TABLE messages (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role VARCHAR(20) NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content TEXT NOT NULL,
    tool_calls JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A conversation is always read in order.
CREATE INDEX ix_messages_conversation_id_created_at ON messages (conversation_id, created_at);

-- migrate:down
-- ix_messages_conversation_id_created_at goes with its table.
DROP TABLE messages;
