// Placeholder; filled in by the rate-limit benchmark commit.
