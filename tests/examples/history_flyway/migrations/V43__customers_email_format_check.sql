ALTER TABLE customers
    ADD CONSTRAINT customers_email_format CHECK (email LIKE '%_@_%');
