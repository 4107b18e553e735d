CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0),
  stock INTEGER NOT NULL DEFAULT 0
);

INSERT INTO products (sku, title, price_cents, stock) VALUES
  ('MUG-01', 'Mug; white', 900, 40),
  ('TEE-01', 'T-shirt "migrate"', 2500, 12),
  ('CAP-01', 'Cap -- blue', 1500, 0);
