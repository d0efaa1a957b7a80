-- contract: sessions live in redis now
DROP TABLE legacy_sessions;
