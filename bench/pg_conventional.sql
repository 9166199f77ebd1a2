-- One first pay request in the conventional design (the unique scenario of
-- oncepay-bench): create the order under its unique key, lock its row, check
-- for a live attempt, insert the attempt, record the channel's prepay, and
-- commit synchronously (synchronous_commit = on, fsync = on). The channel
-- call itself is not modelled (oncepay's sandbox channel is in-process too).
-- Run: pgbench -n -M prepared -f bench/pg_conventional.sql -c 64 -j 1 -T 10
\set n random(1, 4000000000000000000)
BEGIN;
INSERT INTO merchant_order (merchant_id, merchant_order_no, amount, currency, channel, status)
  VALUES ('demo', 'o-' || :client_id || '-' || :n, 1999, 'CNY', 'sandbox', 'PAYING')
  ON CONFLICT (merchant_id, merchant_order_no) DO NOTHING;
SELECT status, attempts FROM merchant_order
  WHERE merchant_id = 'demo' AND merchant_order_no = 'o-' || :client_id || '-' || :n
  FOR UPDATE;
SELECT payment_no, status FROM payment_attempt
  WHERE merchant_id = 'demo' AND merchant_order_no = 'o-' || :client_id || '-' || :n
    AND status = 'PAYING';
INSERT INTO payment_attempt (payment_no, merchant_id, merchant_order_no, attempt, channel, status)
  VALUES ('P-' || :client_id || '-' || :n, 'demo', 'o-' || :client_id || '-' || :n, 1, 'sandbox',
          'PAYING');
UPDATE payment_attempt SET prepay_id = 'wx-' || :n, updated_at = now()
  WHERE payment_no = 'P-' || :client_id || '-' || :n;
UPDATE merchant_order SET attempts = attempts + 1, updated_at = now()
  WHERE merchant_id = 'demo' AND merchant_order_no = 'o-' || :client_id || '-' || :n;
COMMIT;
