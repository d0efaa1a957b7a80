-- expand: the display name moves to its own table
CREATE TABLE user_profiles (
    user_id      UUID PRIMARY KEY,
    display_name VARCHAR(100) NOT NULL
);
