"""NCCS Core Series, harmonized, 501(c)(3) public charities, scope PZ (990 and 990-EZ filers)."""
