CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(100) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    prefs       jsonb,
    score       numeric(10,2),
    active      boolean NOT NULL DEFAULT true
);
