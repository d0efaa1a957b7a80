-- parent first: Postgres refuses, other objects depend on it
DROP TABLE collections;
DROP TABLE files;
