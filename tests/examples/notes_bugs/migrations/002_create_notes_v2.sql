-- expand: body is renamed content
CREATE TABLE notes_v2 (
    id      INTEGER PRIMARY KEY,
    content TEXT NOT NULL
);
