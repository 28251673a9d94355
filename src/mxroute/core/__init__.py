"""Pure logic: names, records, routing, serials. No I/O here."""
