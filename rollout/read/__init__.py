"""Reading the two tables: headers, timestamps, permissions, names, matching, Italy's reference data."""
