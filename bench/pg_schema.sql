-- The conventional design oncepay is compared with (docs/PERFORMANCE.md):
-- a relational store, a unique merchant-order key, a row lock on the
-- order, one row per payment attempt, synchronous commit. Used by
-- bench/pg_conventional.sql through bench/pg_compare.sh.
DROP TABLE IF EXISTS payment_attempt;
DROP TABLE IF EXISTS merchant_order;

CREATE TABLE merchant_order (
  merchant_id       text        NOT NULL,
  merchant_order_no text        NOT NULL,
  amount            bigint      NOT NULL,
  currency          text        NOT NULL,
  channel           text        NOT NULL,
  status            text        NOT NULL,
  attempts          integer     NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, merchant_order_no)
);

CREATE TABLE payment_attempt (
  payment_no        text        PRIMARY KEY,
  merchant_id       text        NOT NULL,
  merchant_order_no text        NOT NULL,
  attempt           integer     NOT NULL,
  channel           text        NOT NULL,
  status            text        NOT NULL,
  prepay_id         text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (merchant_id, merchant_order_no) REFERENCES merchant_order
);
CREATE INDEX payment_attempt_order ON payment_attempt (merchant_id, merchant_order_no);
