"""Pure policy logic: profiles as data, and the engine that says what is due. No I/O, no clock."""
