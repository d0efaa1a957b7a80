ALTER TABLE inventory ADD COLUMN warehouse VARCHAR(8) NOT NULL DEFAULT 'main';
ALTER TABLE inventory DROP CONSTRAINT inventory_pkey;
ALTER TABLE inventory ADD PRIMARY KEY (book_id, warehouse);
