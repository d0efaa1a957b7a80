CREATE TABLE user_profiles (
    user_id       uuid PRIMARY KEY,
    display_name  varchar(100) NOT NULL,
    created_at    timestamptz NOT NULL,
    prefs         jsonb,
    score         numeric(10,2),
    active        boolean NOT NULL
);
