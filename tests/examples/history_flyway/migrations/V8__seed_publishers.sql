INSERT INTO publishers (name) VALUES
    ('Penguin'),
    ('Faber & Faber'),
    ('O''Reilly');
