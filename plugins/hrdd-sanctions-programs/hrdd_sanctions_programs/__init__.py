"""hrdd-sanctions-programs: country and programme exposure (the legal gate)."""
