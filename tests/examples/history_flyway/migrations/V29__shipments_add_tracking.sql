ALTER TABLE shipments ADD COLUMN tracking_no VARCHAR(64);
CREATE UNIQUE INDEX shipments_carrier_tracking_key ON shipments (carrier, tracking_no);
