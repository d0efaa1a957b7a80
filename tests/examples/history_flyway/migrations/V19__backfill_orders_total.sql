UPDATE orders o
SET total = (
    SELECT COALESCE(SUM(l.quantity * l.unit_price), 0)
    FROM order_lines l
    WHERE l.order_id = o.id
);
