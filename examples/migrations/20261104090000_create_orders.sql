-- Orders reference users and products; an index serves "orders of a user".
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  placed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE INDEX orders_by_user ON orders (user_id, placed_at);

/* Keep stock honest: an order takes items out of stock. */
CREATE TRIGGER orders_take_stock AFTER INSERT ON orders
BEGIN
  UPDATE products SET stock = stock - NEW.quantity WHERE id = NEW.product_id;
  UPDATE products SET stock = CASE WHEN stock < 0 THEN 0 ELSE stock END
    WHERE id = NEW.product_id;
END;
