-- at most one default address per customer
CREATE UNIQUE INDEX addresses_one_default ON addresses (customer_id) WHERE is_default;
