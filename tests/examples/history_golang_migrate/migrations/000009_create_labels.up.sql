CREATE TABLE labels (
    id    SERIAL PRIMARY KEY,
    name  VARCHAR(50) NOT NULL UNIQUE,
    color CHAR(7) NOT NULL DEFAULT '#cccccc' CHECK (color ~ '^#[0-9a-f]{6}$')
);

CREATE TABLE ticket_labels (
    ticket_id UUID NOT NULL REFERENCES tickets ON DELETE CASCADE,
    label_id  INTEGER NOT NULL REFERENCES labels ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, label_id)
);
