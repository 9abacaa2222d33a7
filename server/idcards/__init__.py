"""ID cards read by the hall's 二代证 readers: kept seconds, hashed at once (PIPL)."""
