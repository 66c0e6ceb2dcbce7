"""hrdd-export-controls: licence determination under the EAR for each item of a deal."""
