-- repeatable: re-run whenever this file changes, after every versioned migration
CREATE OR REPLACE VIEW book_catalog AS
SELECT b.id,
       b.title,
       a.display_name AS author,
       p.name         AS publisher,
       b.price
FROM books b
JOIN authors a ON a.id = b.author_id
LEFT JOIN publishers p ON p.id = b.publisher_id;

CREATE OR REPLACE VIEW order_totals AS
SELECT o.id AS order_id,
       o.customer_id,
       COUNT(l.line_no) AS lines,
       COALESCE(SUM(l.quantity * l.unit_price), 0) AS total
FROM orders o
LEFT JOIN order_lines l ON l.order_id = o.id
GROUP BY o.id, o.customer_id;
