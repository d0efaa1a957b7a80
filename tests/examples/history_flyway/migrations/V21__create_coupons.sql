CREATE TABLE coupons (
    code        VARCHAR(32) PRIMARY KEY,
    percent_off SMALLINT NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    valid_until DATE
);
