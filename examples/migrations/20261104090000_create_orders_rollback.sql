DROP TRIGGER orders_take_stock;
DROP INDEX orders_by_user;
DROP TABLE orders;
